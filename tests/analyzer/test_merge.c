/* The merge of a process's collections (merge.c): blocks and cycles known by seq, what only an
 * earlier collection found kept and marked, the last collection's verdict on a block it dumped
 * standing, and a dump of another image left out. Here, under the sanitizers, as well as through
 * atoll run in commands/run-merge. */
#include "support.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

/* A block of seq s at an address that grows with s, so that both dumps list blocks in order. */
static uint32_t block(struct dg *g, uint64_t seq, uint32_t site)
{
    return dg_block_full(g, 0x10000 + seq * 0x100, 32, seq, site, 0, 0);
}

static void ring(struct dg *g, uint64_t seq, uint32_t site)
{
    uint32_t a = block(g, seq, site), b = block(g, seq + 1, site);
    dg_edge(g, a, b, 0);
    dg_edge(g, b, a, 8);
}

/* Sites 1 and 2, as every dump of the process has them. */
static struct dg *process_dump(uint32_t collection, uint32_t trigger)
{
    struct dg *g = dg_new();
    uint64_t f1 = 0x401000, f2 = 0x402000;
    dg_site(g, 1, &f1);
    dg_site(g, 1, &f2);
    dg_process(g)->collection = collection;
    dg_process(g)->trigger = trigger;
    return g;
}

/* Collection 1 (threshold): rings X (seq 10, site 1) and Y (seq 20, site 2), block Z (seq 30)
 * and block W (seq 40) leaked; R (seq 1) on the stack. */
static struct dg *first_dump(void)
{
    struct dg *g = process_dump(1, ATOLL_DUMP_TRIGGER_THRESHOLD);
    dg_root_stack(g, block(g, 1, 1));
    ring(g, 10, 1);
    ring(g, 20, 2);
    block(g, 30, 1);
    block(g, 40, 2);
    return g;
}

/* Collection 2 (exit): X and Z freed, Y still there, W on the stack again, ring V (seq 50,
 * site 1, X's shape) new. */
static struct dg *last_dump(void)
{
    struct dg *g = process_dump(2, ATOLL_DUMP_TRIGGER_EXIT);
    dg_root_stack(g, block(g, 1, 1));
    ring(g, 20, 2);
    dg_root_stack(g, block(g, 40, 2));
    ring(g, 50, 1);
    return g;
}

static char *text_of(const struct merged *m)
{
    char *text;
    size_t len;
    FILE *mem = open_memstream(&text, &len);
    struct outbuf ob;
    ob_init(&ob, mem);
    report_text_merged(&ob, m, 10);
    ob_flush(&ob);
    free(ob.buf);
    fclose(mem);
    return text;
}

START_TEST(merges_earlier_collections)
{
    struct loaded first, last;
    load_dg(&last, last_dump(), NULL);
    load_dg(&first, first_dump(), NULL);
    struct merged m;
    ck_assert_int_eq(merge_begin(&m, &last.a, true), 0);
    ck_assert_int_eq(merge_add(&m, &first.a), 1);
    unload(&first);
    ck_assert_int_eq(merge_end(&m), 0);

    ck_assert_uint_eq(m.ncollections, 2);
    ck_assert_uint_eq(m.ncycles, 3);                /* X (gone), Y, V */
    ck_assert_uint_eq(m.gone_cycles, 1);
    ck_assert_uint_eq(m.definite.blocks, 4);        /* the roots of X, Y, V, and Z */
    ck_assert_uint_eq(m.indirect.blocks, 3);
    ck_assert_uint_eq(m.gone.blocks, 3);            /* X and Z; W is the last one's: reachable */
    ck_assert_uint_eq(m.reachable.blocks, 2);
    ck_assert_uint_eq(m.all.blocks, 2 + 7);
    ck_assert_uint_eq(m.cycle_blocks.blocks, 6);

    /* X joins V's shape; the shape and X were found by collection 1, V by 2. */
    ck_assert_uint_eq(m.nshapes, 2);
    const struct merged_shape *s1 = m.shapes[0].count == 2 ? &m.shapes[0] : &m.shapes[1];
    ck_assert_uint_eq(s1->count, 2);
    ck_assert_uint_eq(s1->gone, 1);
    ck_assert_uint_eq(s1->first, 1);
    uint32_t gone = 0;
    for (uint32_t i = 0; i < m.ncycles; i++) {
        const struct merged_cycle *c = &m.cycles[i];
        struct cycle_view tmp = {0};
        const struct cycle_view *v = merged_view(&m, c->ref, true, &tmp);
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(v->nmembers, 2);
        ck_assert_uint_eq(c->first, v->members[0].seq == 50 ? 2 : 1);
        ck_assert(c->at_last == (v->members[0].seq != 10));
        ck_assert_uint_eq(v->collection, c->at_last ? 2 : 1);
        ck_assert_uint_gt(v->ndraw, 0);
        gone += !c->at_last;
        cycle_view_free(&tmp);
    }
    ck_assert_uint_eq(gone, 1);

    /* The gone blocks of site 1: X's root and Z, definitely lost, in a group of their own. */
    bool found = false;
    for (uint32_t i = 0; i < m.nleaks; i++) {
        const struct merged_leak *l = &m.leaks[i];
        if (!l->at_last && l->cls == CLASS_DEFINITE) {
            ck_assert_uint_eq(l->site, 1);
            ck_assert_uint_eq(l->blocks, 2);
            ck_assert_uint_eq(l->first, 1);
            found = true;
        }
    }
    ck_assert(found);

    char *text = text_of(&m);
    ck_assert_msg(strstr(text, "  merged:          2 collections (what any of them found, "
                               "each block once)\n"), "%s", text);
    ck_assert_msg(strstr(text, "  isolated cycles: 3 cycles, 6 blocks, 192 bytes (1 gone by "
                               "exit)\n"), "%s", text);
    ck_assert_msg(strstr(text, "#1 2 cycles of 128 bytes in 4 blocks, retaining 0 bytes in 0 "
                               "blocks, found by collection 1 (threshold), 1 gone by exit:\n"),
                  "%s", text);
    /* retainers are the last collection's: R and V of site 1, W and Y of site 2 (the first
     * had R, X and Z of site 1) */
    ck_assert_msg(strstr(text, "\nTOP RETAINERS (2 of 2)\n#1 3 blocks of 96 bytes, retaining 96 "
                               "bytes in 3 blocks, allocated at:\n    #0 0x401000 ??\n#2 3 "
                               "blocks of 96 bytes, retaining 96 bytes in 3 blocks, allocated "
                               "at:\n    #0 0x402000 ??\n"), "%s", text);
    free(text);
    merge_free(&m);
    unload(&last);
}
END_TEST

/* A dump whose sites are not a prefix of the last one's is of an image exec replaced. */
START_TEST(leaves_out_another_image)
{
    struct loaded other, last;
    load_dg(&last, last_dump(), NULL);
    struct dg *g = dg_new();
    uint64_t f = 0x999000;
    dg_site(g, 1, &f);
    ring(g, 10, 1);
    load_dg(&other, g, NULL);
    struct merged m;
    ck_assert_int_eq(merge_begin(&m, &last.a, false), 0);
    ck_assert_int_eq(merge_add(&m, &other.a), 0);
    ck_assert_int_eq(merge_end(&m), 0);
    ck_assert_uint_eq(m.ncollections, 1);
    ck_assert_uint_eq(m.ncycles, last.a.ncycles);
    merge_free(&m);
    unload(&other);
    unload(&last);
}
END_TEST

Suite *merge_suite(void)
{
    Suite *s = suite_create("merge");
    TCase *tc = tcase_create("merge");
    tcase_add_test(tc, merges_earlier_collections);
    tcase_add_test(tc, leaves_out_another_image);
    suite_add_tcase(s, tc);
    return s;
}
