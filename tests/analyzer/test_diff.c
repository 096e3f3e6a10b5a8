/* `atoll diff` on hand-built dump pairs (diff/diff.c): the growth rows by site and by type with
 * exact blocks, bytes and survivors, the leak sites and cycle shapes new in NEW, sites matched
 * by their frames when the two runs numbered them differently, and the dumps it refuses. */
#include "support.h"
#include "diff/diff.h"

#include <stdlib.h>
#include <string.h>

/* Frames of sites A to E (no modules: each is known by its address, as in both runs). */
static const uint64_t frame_of[] = {0, 0x401000, 0x402000, 0x403000, 0x404000, 0x405000};

static uint32_t block(struct dg *g, uint64_t seq, uint64_t size, uint32_t site)
{
    return dg_block_full(g, 0x10000 + seq * 0x100, size, seq, site, 0, 0);
}

/* A dump of pid with the sites of frame_of in the order given (order[i]: frame index of site
 * i + 1). */
static struct dg *dump_of(uint32_t pid, uint32_t collection, const int *order, int n)
{
    struct dg *g = dg_new();
    for (int i = 0; i < n; i++)
        dg_site(g, 1, &frame_of[order[i]]);
    dg_process(g)->pid = pid;
    dg_process(g)->collection = collection;
    dg_process(g)->time_ns = collection * 1000000000ull;
    return g;
}

static const int abcd[] = {1, 2, 3, 4};

/* OLD (collection 1): R (seq 1, 128 B, site 1) on the stack holds three 32-byte blocks of site 2
 * (seq 2 to 4); a 16-byte block of site 3 (seq 5) leaked. */
static struct dg *old_dump(uint32_t pid)
{
    struct dg *g = dump_of(pid, 1, abcd, 4);
    uint32_t r = block(g, 1, 128, 1);
    dg_root_stack(g, r);
    for (uint64_t s = 2; s <= 4; s++)
        dg_edge(g, r, block(g, s, 32, 2), 8 * s);
    block(g, 5, 16, 3);
    return g;
}

/* NEW (collection 2): seq 3 freed, seq 10 to 13 new at site 2; the leak of site 3 still there;
 * a new ring of two 40-byte blocks of site 4 (seq 20, 21). */
static struct dg *new_dump(uint32_t pid)
{
    struct dg *g = dump_of(pid, 2, abcd, 4);
    uint32_t r = block(g, 1, 128, 1);
    dg_root_stack(g, r);
    dg_edge(g, r, block(g, 2, 32, 2), 16);
    dg_edge(g, r, block(g, 4, 32, 2), 32);
    block(g, 5, 16, 3);
    for (uint64_t s = 10; s <= 13; s++)
        dg_edge(g, r, block(g, s, 32, 2), 8 * s);
    uint32_t a = block(g, 20, 40, 4), b = block(g, 21, 40, 4);
    dg_edge(g, a, b, 0);
    dg_edge(g, b, a, 8);
    return g;
}

static void compute(struct diff *df, const struct loaded *o, const struct loaded *n)
{
    char err[256];
    int rc = diff_compute(df, &o->a, &n->a, err, sizeof err);
    ck_assert_msg(rc == 0, "diff_compute: %s", err);
}

static void expect_row(const struct diff_row *r, uint64_t ob, uint64_t nb, uint64_t oby,
                       uint64_t nby, uint64_t survived)
{
    ck_assert_uint_eq(r->old_blocks, ob);
    ck_assert_uint_eq(r->new_blocks, nb);
    ck_assert_uint_eq(r->old_bytes, oby);
    ck_assert_uint_eq(r->new_bytes, nby);
    ck_assert_uint_eq(r->survived, survived);
}

static char *text_of(const struct diff *df, bool json)
{
    char *text;
    size_t len;
    FILE *mem = open_memstream(&text, &len);
    struct outbuf ob;
    ob_init(&ob, mem);
    if (json)
        diff_json(&ob, df);
    else
        diff_text(&ob, df, 10);
    ob_flush(&ob);
    free(ob.buf);
    fclose(mem);
    return text;
}

START_TEST(one_process)
{
    struct loaded o, n;
    load_dg(&o, old_dump(4242), NULL);
    load_dg(&n, new_dump(4242), NULL);
    struct diff df;
    compute(&df, &o, &n);
    ck_assert(df.same_process);
    /* site 3 did not change: no row; site 1 only retains more, so it comes last */
    ck_assert_uint_eq(df.nsites, 3);
    expect_row(&df.sites[0], 3, 6, 96, 192, 2);         /* site 2: seq 2 and 4 survived */
    ck_assert_uint_eq(df.sites[0].old_retained, 96);
    ck_assert_uint_eq(df.sites[0].new_retained, 192);
    ck_assert_uint_eq(df.sites[0].new_site, 2);
    ck_assert_uint_eq(df.sites[0].old_site, 2);
    expect_row(&df.sites[1], 0, 2, 0, 80, 0);           /* site 4: the ring */
    ck_assert_uint_eq(df.sites[1].old_site, AN_NONE);
    ck_assert_uint_eq(df.sites[1].new_leaked, 2);
    ck_assert_uint_eq(df.sites[1].new_retained, 80);
    expect_row(&df.sites[2], 1, 1, 128, 128, 1);        /* site 1: R holds site 2's blocks */
    ck_assert_uint_eq(df.sites[2].old_retained, 128 + 96);
    ck_assert_uint_eq(df.sites[2].new_retained, 128 + 192);
    ck_assert_uint_eq(df.nnew_leaks, 1);                /* site 3 leaked in OLD already */
    ck_assert_uint_eq(df.new_leaks[0], 1);
    ck_assert_uint_eq(df.nnew_shapes, 1);
    ck_assert_uint_eq(df.new_shapes[0].count, 1);
    ck_assert_uint_eq(df.new_shapes[0].blocks, 2);
    ck_assert_uint_eq(df.new_shapes[0].bytes, 80);
    ck_assert_uint_eq(df.ntypes, 0);

    char *text = text_of(&df, false);
    ck_assert_msg(strstr(text, "\n#1 +96 bytes in +3 blocks (96 bytes in 3 -> 192 bytes in 6), "
                               "2 survived, retaining +96 bytes (96 -> 192), allocated at:\n"
                               "    #0 0x402000 ??\n"), "%s", text);
    ck_assert_msg(strstr(text, "\nNEW LEAK SITES (1 of 1)\n#1 80 bytes in 2 blocks leaked, "
                               "allocated at:\n    #0 0x404000 ??\n"), "%s", text);
    ck_assert_msg(strstr(text, "\nNEW CYCLE SHAPES (1 of 1)\n#1 1 cycle of 80 bytes in 2 "
                               "blocks:\n"), "%s", text);
    free(text);
    text = text_of(&df, true);
    ck_assert_msg(strstr(text, "\"gained\": {\"blocks\": 3, \"bytes\": 96, \"retained_bytes\": 96}"),
                  "%s", text);
    ck_assert_msg(strstr(text, "\"survived\": 2, \"frames\": [{\"kind\": \"native\", "
                               "\"address\": \"0x402000\""), "%s", text);
    ck_assert_msg(strstr(text, "\"new_leak_sites\": [{\"row\": 1, \"blocks\": 2, \"bytes\": 80}]"),
                  "%s", text);
    free(text);
    diff_free(&df);

    /* Swapped, NEW's ring and blocks are what OLD lost: negative rows, nothing new. */
    compute(&df, &n, &o);
    ck_assert(!df.same_process);        /* the later collection is not OLD */
    ck_assert_uint_eq(df.nsites, 3);
    expect_row(&df.sites[0], 1, 1, 128, 128, 0);        /* site 1: no bytes lost */
    ck_assert_uint_eq(df.sites[0].old_retained, 128 + 192);
    ck_assert_uint_eq(df.sites[0].new_retained, 128 + 96);
    expect_row(&df.sites[1], 2, 0, 80, 0, 0);
    expect_row(&df.sites[2], 6, 3, 192, 96, 0);
    ck_assert_uint_eq(df.nnew_leaks, 0);
    ck_assert_uint_eq(df.nnew_shapes, 0);
    diff_free(&df);
    unload(&o);
    unload(&n);
}
END_TEST

/* Retained bytes by row: a site's blocks under another of its blocks count once. OLD: R (site
 * 1, 64 B) on the stack -> a (site 2, 32 B); NEW: R -> a -> b (site 2, 32 B) -> c (site 3,
 * 16 B), and R -> d (site 3, 8 B). */
START_TEST(retained_by_row)
{
    struct loaded o, n;
    struct dg *g = dump_of(4242, 1, abcd, 4);
    uint32_t r = block(g, 1, 64, 1);
    dg_root_stack(g, r);
    dg_edge(g, r, block(g, 2, 32, 2), 8);
    load_dg(&o, g, NULL);
    g = dump_of(4242, 2, abcd, 4);
    r = block(g, 1, 64, 1);
    dg_root_stack(g, r);
    uint32_t a = block(g, 2, 32, 2), b = block(g, 3, 32, 2), c = block(g, 4, 16, 3);
    dg_edge(g, r, a, 8);
    dg_edge(g, a, b, 0);
    dg_edge(g, b, c, 0);
    dg_edge(g, r, block(g, 5, 8, 3), 16);
    load_dg(&n, g, NULL);
    struct diff df;
    compute(&df, &o, &n);
    ck_assert(df.retained);
    ck_assert_uint_eq(df.nsites, 3);
    /* site 2: +32 bytes; a retains a, b and c (b is under a: not counted again) */
    expect_row(&df.sites[0], 1, 2, 32, 64, 1);
    ck_assert_uint_eq(df.sites[0].old_retained, 32);
    ck_assert_uint_eq(df.sites[0].new_retained, 80);
    /* site 3: c and d, each its own */
    expect_row(&df.sites[1], 0, 2, 0, 24, 0);
    ck_assert_uint_eq(df.sites[1].new_retained, 24);
    /* site 1: no bytes gained, but R retains the lot */
    expect_row(&df.sites[2], 1, 1, 64, 64, 1);
    ck_assert_uint_eq(df.sites[2].old_retained, 96);
    ck_assert_uint_eq(df.sites[2].new_retained, 152);
    char *text = text_of(&df, false);
    ck_assert_msg(strstr(text, "\n#1 +32 bytes in +1 blocks (32 bytes in 1 -> 64 bytes in 2), 1 "
                               "survived, retaining +48 bytes (32 -> 80), allocated at:\n"),
                  "%s", text);
    free(text);
    text = text_of(&df, true);
    ck_assert_msg(strstr(text, "\"gained\": {\"blocks\": 1, \"bytes\": 32, \"retained_bytes\": 48}"),
                  "%s", text);
    free(text);
    diff_free(&df);
    unload(&o);
    unload(&n);
}
END_TEST

/* A second run met its stacks in another order: its site 1 is the first run's site 2. Rows and
 * shapes match by frames; nothing survives from one run to the other. */
START_TEST(two_runs_by_frames)
{
    static const int bacd[] = {2, 1, 3, 4};
    struct loaded o, n;
    struct dg *g = dump_of(100, 1, abcd, 4);
    uint32_t r = block(g, 1, 64, 1);
    dg_root_stack(g, r);
    dg_edge(g, r, block(g, 2, 32, 2), 8);
    uint32_t a = block(g, 3, 48, 1), b = block(g, 4, 24, 2);      /* a ring of sites 1 and 2 */
    dg_edge(g, a, b, 0);
    dg_edge(g, b, a, 8);
    load_dg(&o, g, NULL);

    g = dump_of(200, 1, bacd, 4);
    r = block(g, 1, 64, 2);                     /* site 2 here is frame 1 */
    dg_root_stack(g, r);
    for (uint64_t s = 2; s <= 6; s++)
        dg_edge(g, r, block(g, s, 32, 1), 8 * s);
    a = block(g, 7, 48, 2);
    b = block(g, 8, 24, 1);
    dg_edge(g, a, b, 0);
    dg_edge(g, b, a, 8);
    load_dg(&n, g, NULL);

    struct diff df;
    compute(&df, &o, &n);
    ck_assert(!df.same_process);
    ck_assert_uint_eq(df.nsites, 2);
    expect_row(&df.sites[0], 2, 6, 56, 184, 0);     /* frame 2: 32 + 24 -> 5 x 32 + 24 */
    /* frame 1 kept its blocks and bytes; its root retains four more blocks of frame 2 */
    expect_row(&df.sites[1], 2, 2, 112, 112, 0);
    ck_assert_uint_eq(df.sites[1].new_retained - df.sites[1].old_retained, 4 * 32);
    ck_assert_uint_eq(df.sites[0].old_site, 2);
    ck_assert_uint_eq(df.sites[0].new_site, 1);
    ck_assert_uint_eq(df.nnew_shapes, 0);       /* the same ring, its sites renumbered */
    ck_assert_uint_eq(df.nnew_leaks, 0);
    diff_free(&df);
    unload(&o);
    unload(&n);
}
END_TEST

/* Objects by type: a dict's table counts in its bytes, not its objects. */
static struct dg *dicts(uint32_t collection, int n)
{
    struct dg *g = dump_of(4242, collection, abcd, 4);
    for (int i = 0; i < n; i++) {
        uint32_t d = block(g, 10 * (uint64_t)i + 1, 64, 1), t = block(g, 10 * (uint64_t)i + 2, 200, 2);
        dg_edge(g, d, t, 32);
        dg_root_stack(g, d);
        dg_object(g, d, d, "dict", 1, 0);
        dg_object(g, t, d, NULL, 0, 0);
    }
    return g;
}

START_TEST(by_type)
{
    struct loaded o, n;
    load_dg(&o, dicts(1, 2), NULL);
    load_dg(&n, dicts(2, 5), NULL);
    struct diff df;
    compute(&df, &o, &n);
    ck_assert_uint_eq(df.ntypes, 1);
    ck_assert_str_eq(df.types[0].type, "dict");
    expect_row(&df.types[0], 2, 5, 2 * 264, 5 * 264, 2);
    ck_assert_uint_eq(df.nsites, 2);
    expect_row(&df.sites[0], 2, 5, 400, 1000, 2);       /* the tables */
    ck_assert_uint_eq(df.sites[0].new_retained, 1000);
    expect_row(&df.sites[1], 2, 5, 128, 320, 2);
    ck_assert_uint_eq(df.sites[1].new_retained, 1320);  /* each dict retains its table */
    char *text = text_of(&df, false);
    ck_assert_msg(strstr(text, "\nGROWTH BY TYPE (1 of 1 types that changed, by bytes gained)\n"
                               "#1 dict: +792 bytes in +3 objects (528 bytes in 2 -> 1320 bytes "
                               "in 5), 2 survived, retaining +792 bytes (528 -> 1320)\n"), "%s", text);
    free(text);
    diff_free(&df);
    unload(&o);
    unload(&n);
}
END_TEST

static void expect_refused(struct dg *og, struct dg *ng, const char *message)
{
    struct loaded o, n;
    load_dg(&o, og, NULL);
    load_dg(&n, ng, NULL);
    struct diff df;
    char err[256] = "";
    ck_assert_int_eq(diff_compute(&df, &o.a, &n.a, err, sizeof err), -1);
    ck_assert_msg(strstr(err, message), "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    diff_free(&df);
    unload(&o);
    unload(&n);
}

START_TEST(refuses_other_kinds)
{
    struct dg *other = new_dump(4242);
    const char *argv[] = {"/usr/bin/other", NULL};
    dg_set_exe(other, "/usr/bin/other", 1, argv);
    expect_refused(old_dump(4242), other, "OLD is a dump of /usr/bin/test-program, NEW of "
                                          "/usr/bin/other: diff compares two dumps of one program");
    struct dg *young = new_dump(4242);
    dg_process(young)->generation = 0;
    expect_refused(old_dump(4242), young, "OLD holds generations 0 to 2, NEW 0 to 0: diff "
                                          "compares dumps of the same generations");
}
END_TEST

/* The same pid but another image (exec, or pid reuse): its sites are not OLD's. */
START_TEST(same_pid_other_image)
{
    static const int bacd[] = {2, 1, 3, 4};
    struct loaded o, n;
    load_dg(&o, old_dump(4242), NULL);
    struct dg *g = dump_of(4242, 2, bacd, 4);
    uint32_t r = block(g, 2, 64, 2);            /* seq 2 again: no survivor of OLD's */
    dg_root_stack(g, r);
    dg_edge(g, r, block(g, 3, 32, 1), 8);
    load_dg(&n, g, NULL);
    struct diff df;
    compute(&df, &o, &n);
    ck_assert(!df.same_process);
    for (uint32_t i = 0; i < df.nsites; i++)
        ck_assert_uint_eq(df.sites[i].survived, 0);
    diff_free(&df);
    unload(&o);
    unload(&n);
}
END_TEST

Suite *diff_suite(void)
{
    Suite *s = suite_create("diff");
    TCase *tc = tcase_create("diff");
    tcase_add_test(tc, one_process);
    tcase_add_test(tc, retained_by_row);
    tcase_add_test(tc, two_runs_by_frames);
    tcase_add_test(tc, by_type);
    tcase_add_test(tc, refuses_other_kinds);
    tcase_add_test(tc, same_pid_other_image);
    suite_add_tcase(s, tc);
    return s;
}
