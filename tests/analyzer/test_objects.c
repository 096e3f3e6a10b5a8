/* Dumps with OBJECTS (docs/objects.md): the real counts in CPython's rule, owned blocks folded
 * into their owners, the reference to break, refcount leaks, object types in leak groups, and
 * the OBJECTS validity rules. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* A dump with sites 1 and 2. */
static struct dg *with_sites(void)
{
    struct dg *g = dg_new();
    uint64_t f1 = 0x401000, f2 = 0x402000;
    dg_site(g, 1, &f1);
    dg_site(g, 1, &f2);
    return g;
}

/* Two lists holding each other through their item arrays, with stale pointers to both lists and
 * to one item array on the stack, and a plain block on the stack, alive. */
static struct dg *list_pair(uint32_t *a, uint32_t *ia, uint32_t *b, uint32_t *ib)
{
    struct dg *g = with_sites();
    uint32_t plain = dg_block(g, 32, 0);
    *a = dg_block(g, 56, 1);
    *ia = dg_block(g, 32, 2);
    *b = dg_block(g, 56, 1);
    *ib = dg_block(g, 32, 2);
    dg_edge(g, *a, *ia, 40);
    dg_edge(g, *ia, *b, 0);
    dg_edge(g, *b, *ib, 40);
    dg_edge(g, *ib, *a, 0);
    dg_root_stack(g, plain);
    dg_root_stack(g, *a);
    dg_root_stack(g, *b);
    dg_root_stack(g, *ia);
    dg_object(g, *a, *a, "list", 1, 0);
    dg_object(g, *ia, *a, NULL, 0, 0);
    dg_object(g, *b, *b, "list", 1, 0);
    dg_object(g, *ib, *b, NULL, 0, 0);
    return g;
}

START_TEST(stale_pointers_hide_no_object_cycle)
{
    uint32_t a, ia, b, ib;
    struct loaded l;
    load_dg(&l, list_pair(&a, &ia, &b, &ib), NULL);
    ck_assert_uint_eq(l.a.reachable.blocks, 1);
    ck_assert_uint_eq(l.a.ncycles, 1);
    uint32_t c = l.a.cycles[0];
    ck_assert_uint_eq(l.a.s.first[c + 1] - l.a.s.first[c], 2);   /* the lists, not the arrays */
    ck_assert_uint_eq(l.a.s.comp[a], c);
    ck_assert_uint_eq(l.a.s.comp[b], c);
    ck_assert_uint_eq(l.a.cls[ia], CLASS_INDIRECT);
    ck_assert_uint_eq(l.a.cls[ib], CLASS_INDIRECT);
    ck_assert_uint_eq(l.a.r.ret_blocks[c], 2);
    ck_assert_uint_eq(l.a.r.ret_bytes[c], 64);
    uint32_t frees, e = break_edge(&l.a.g, &l.a.s, c, &frees);
    ck_assert_uint_ne(e, AN_NONE);
    ck_assert_uint_eq(frees, 2);
    ck_assert_uint_eq(l.a.nrefleaks, 0);
    /* grouped with their type */
    uint32_t lists = 0;
    for (uint32_t i = 0; i < l.a.nleaks; i++)
        if (l.a.leaks[i].type != AN_NONE) {
            ck_assert_str_eq(dump_string(&l.d, l.a.leaks[i].type), "list");
            lists += (uint32_t)l.a.leaks[i].blocks;
        }
    ck_assert_uint_eq(lists, 2);
    unload(&l);
}
END_TEST

/* The same heap read without OBJECTS: the stale stack pointers keep everything alive. */
START_TEST(without_objects_the_scan_is_conservative)
{
    struct dg *g = with_sites();
    uint32_t plain = dg_block(g, 32, 0), a = dg_block(g, 56, 1), ia = dg_block(g, 32, 2);
    uint32_t b = dg_block(g, 56, 1), ib = dg_block(g, 32, 2);
    dg_edge(g, a, ia, 40);
    dg_edge(g, ia, b, 0);
    dg_edge(g, b, ib, 40);
    dg_edge(g, ib, a, 0);
    dg_root_stack(g, plain);
    dg_root_stack(g, a);
    struct loaded l;
    load_dg(&l, g, NULL);
    ck_assert_uint_eq(l.a.reachable.blocks, 5);
    ck_assert_uint_eq(l.a.ncycles, 0);
    unload(&l);
}
END_TEST

/* An object is alive when its count exceeds the references recognised blocks hold to it and
 * some other reference was found; a count above everything found is a refcount leak. */
START_TEST(counts_decide)
{
    struct dg *g = with_sites();
    uint32_t p = dg_block(g, 32, 0);         /* plain, on the stack */
    uint32_t x = dg_block(g, 48, 1);         /* held by p: from memory no layout describes */
    uint32_t z = dg_block(g, 48, 1);         /* on the stack, count 1 */
    uint32_t y = dg_block(g, 48, 1);         /* held by z and by a stale stack word, count 1 */
    uint32_t w = dg_block(g, 48, 1);         /* count 3, one stack reference: surplus 2 */
    uint32_t v = dg_block(g, 48, 1);         /* count 2, nothing points to it: garbage */
    dg_edge(g, p, x, 8);
    dg_edge(g, z, y, 16);
    dg_root_stack(g, p);
    dg_root_stack(g, z);
    dg_root_stack(g, y);
    dg_root_stack(g, w);
    dg_object(g, x, x, "int", 1, 0);
    dg_object(g, z, z, "Holder", 1, 0);
    dg_object(g, y, y, "Held", 1, 0);
    dg_object(g, w, w, "Leaky", 3, 0);
    dg_object(g, v, v, "Lost", 2, 0);
    struct loaded l;
    load_dg(&l, g, NULL);
    ck_assert(l.a.alive[x]);
    ck_assert(l.a.alive[z]);
    ck_assert(l.a.alive[y]);                 /* reached from z, not by its stale pointer */
    ck_assert(l.a.alive[w]);
    ck_assert(!l.a.alive[v]);
    ck_assert_uint_eq(l.a.nrefleaks, 2);
    ck_assert_uint_eq(l.a.refleaks[0].block, w);
    ck_assert_uint_eq(l.a.refleaks[0].surplus, 2);
    ck_assert_uint_eq(l.a.refleaks[1].block, v);
    ck_assert_uint_eq(l.a.refleaks[1].surplus, 2);
    unload(&l);
}
END_TEST

/* A -> B -> C -> A with a chord A -> C: only breaking C -> A frees all three. */
START_TEST(break_frees_most)
{
    struct dg *g = with_sites();
    uint32_t a = dg_block(g, 48, 1), b = dg_block(g, 48, 1), c = dg_block(g, 48, 1);
    dg_edge(g, a, b, 16);
    dg_edge(g, a, c, 24);
    dg_edge(g, b, c, 16);
    dg_edge(g, c, a, 16);
    dg_object(g, a, a, "A", 1, 0);
    dg_object(g, b, b, "B", 1, 0);
    dg_object(g, c, c, "C", 2, 0);
    struct loaded l;
    load_dg(&l, g, NULL);
    ck_assert_uint_eq(l.a.ncycles, 1);
    uint32_t frees, e = break_edge(&l.a.g, &l.a.s, l.a.cycles[0], &frees);
    ck_assert_uint_eq(frees, 3);
    const struct atoll_dump_edge *de = &l.d.edges[graph_eid(&l.a.g, e)];
    ck_assert_uint_eq(de->from, c);
    ck_assert_uint_eq(de->to, a);
    unload(&l);
}
END_TEST

START_TEST(objects_validity)
{
    struct dg *g = dg_new();
    uint32_t a = dg_block(g, 48, 0), b = dg_block(g, 48, 0);
    dg_object(g, a, b, NULL, 0, 0);          /* owned by a block that is no object */
    expect_invalid(g, "OBJECTS[0]: owner 1 is not an object");
    g = dg_new();
    a = dg_block(g, 48, 0);
    b = dg_block(g, 48, 0);
    dg_object(g, b, b, "x", 1, 0);
    dg_object(g, a, a, "x", 1, 0);
    expect_invalid(g, "OBJECTS[1]: not sorted by block");
    g = dg_new();
    a = dg_block(g, 8, 0);
    dg_object(g, a, a, "x", 1, 0);           /* offset 16 past an 8-byte block */
    expect_invalid(g, "OBJECTS[0]: offset 16 is past the block's size");
}
END_TEST

Suite *objects_suite(void)
{
    Suite *s = suite_create("objects");
    TCase *tc = tcase_create("objects");
    tcase_add_test(tc, stale_pointers_hide_no_object_cycle);
    tcase_add_test(tc, without_objects_the_scan_is_conservative);
    tcase_add_test(tc, counts_decide);
    tcase_add_test(tc, break_frees_most);
    tcase_add_test(tc, objects_validity);
    suite_add_tcase(s, tc);
    return s;
}
