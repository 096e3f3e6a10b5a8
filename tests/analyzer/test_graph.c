/* Reachability, Valgrind's classes, cycles, retained sets and shapes on heaps with known
 * answers (scenarios.c), checked exactly. */
#include "support.h"

#define TOTALS(t, nb, nbytes)                                                 \
    do {                                                                      \
        ck_assert_uint_eq((t).blocks, (nb));                                  \
        ck_assert_uint_eq((t).bytes, (nbytes));                               \
    } while (0)

START_TEST(single_leak)
{
    struct loaded l;
    load_scenario(&l, "single");
    TOTALS(l.a.all, 2, 80);
    TOTALS(l.a.reachable, 1, 32);
    TOTALS(l.a.definite, 1, 48);
    TOTALS(l.a.indirect, 0, 0);
    ck_assert_uint_eq(l.a.ncycles, 0);
    ck_assert_uint_eq(l.a.nleaks, 1);
    ck_assert_uint_eq(l.a.leaks[0].site, 2);
    ck_assert_uint_eq(l.a.leaks[0].cls, CLASS_DEFINITE);
    unload(&l);
}
END_TEST

START_TEST(linked_list)
{
    struct loaded l;
    load_scenario(&l, "list");
    TOTALS(l.a.definite, 1, 32);
    TOTALS(l.a.indirect, 4, 128);
    TOTALS(l.a.reachable, 1, 16);
    ck_assert_uint_eq(l.a.cls[0], CLASS_DEFINITE);
    for (int i = 1; i < 5; i++)
        ck_assert_uint_eq(l.a.cls[i], CLASS_INDIRECT);
    ck_assert_uint_eq(l.a.ncycles, 0);
    ck_assert_uint_eq(l.a.nleaks, 2);   /* site 1 definite, site 1 indirect */
    ck_assert_uint_eq(l.a.leaks[0].cls, CLASS_INDIRECT);
    ck_assert_uint_eq(l.a.leaks[0].bytes, 128);
    unload(&l);
}
END_TEST

START_TEST(doubly_linked_list)
{
    struct loaded l;
    load_scenario(&l, "dlist");
    ck_assert_uint_eq(l.a.ncycles, 1);
    TOTALS(l.a.cycle_blocks, 4, 160);
    TOTALS(l.a.definite, 1, 40);
    TOTALS(l.a.indirect, 3, 120);
    ck_assert_uint_eq(l.a.cls[0], CLASS_DEFINITE);
    ck_assert_uint_eq(l.a.nshapes, 1);
    ck_assert(!l.a.shapes[0].simple);
    unload(&l);
}
END_TEST

START_TEST(self_reference)
{
    struct loaded l;
    load_scenario(&l, "self");
    ck_assert_uint_eq(l.a.ncycles, 1);
    TOTALS(l.a.cycle_blocks, 1, 24);
    TOTALS(l.a.definite, 1, 24);
    ck_assert_uint_eq(l.a.nshapes, 1);
    ck_assert(l.a.shapes[0].simple);
    unload(&l);
}
END_TEST

START_TEST(several_cycles)
{
    struct loaded l;
    load_scenario(&l, "cycles");
    ck_assert_uint_eq(l.a.ncycles, 3);
    TOTALS(l.a.cycle_blocks, 10, 448);
    TOTALS(l.a.definite, 3, 16 + 32 + 64);
    ck_assert_uint_eq(l.a.nshapes, 3);
    ck_assert_uint_eq(l.a.shapes[0].bytes, 320);
    ck_assert_uint_eq(l.a.shapes[1].bytes, 96);
    ck_assert_uint_eq(l.a.shapes[2].bytes, 32);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(l.a.shapes[i].count, 1);
    /* cycles are listed by bytes */
    ck_assert_uint_eq(analysis_comp_bytes(&l.a, l.a.cycles[0]), 320);
    ck_assert_uint_eq(analysis_comp_bytes(&l.a, l.a.cycles[2]), 32);
    unload(&l);
}
END_TEST

START_TEST(cycle_retains_tree)
{
    struct loaded l;
    load_scenario(&l, "tree");
    ck_assert_uint_eq(l.a.ncycles, 1);
    TOTALS(l.a.cycle_blocks, 2, 96);
    TOTALS(l.a.definite, 2, 48 + 64);              /* A and X */
    TOTALS(l.a.indirect, 5, 48 + 32 + 16 + 16 + 16);
    ck_assert_uint_eq(l.a.cls[0], CLASS_DEFINITE);
    ck_assert_uint_eq(l.a.cls[5], CLASS_DEFINITE);
    uint32_t c = l.a.cycles[0];
    ck_assert_uint_eq(l.a.r.ret_blocks[c], 3);      /* T1, T2, T3; not T4 (X has it too) */
    ck_assert_uint_eq(l.a.r.ret_bytes[c], 64);
    ck_assert_uint_eq(l.a.shapes[0].retained_blocks, 3);
    unload(&l);
}
END_TEST

START_TEST(rooted_cycle)
{
    struct loaded l;
    load_scenario(&l, "rooted");
    TOTALS(l.a.reachable, 3, 96);
    TOTALS(l.a.leaked, 0, 0);
    ck_assert_uint_eq(l.a.ncycles, 0);
    ck_assert_uint_eq(l.a.nleaks, 0);
    unload(&l);
}
END_TEST

START_TEST(ten_thousand_cycles)
{
    struct loaded l;
    load_scenario(&l, "tenk");
    ck_assert_uint_eq(l.a.ncycles, 10000);
    ck_assert_uint_eq(l.a.nshapes, 1);
    ck_assert_uint_eq(l.a.shapes[0].count, 10000);
    ck_assert_uint_eq(l.a.shapes[0].blocks, 20000);
    ck_assert_uint_eq(l.a.shapes[0].bytes, 1120000);
    TOTALS(l.a.definite, 10000, 5000 * 48 + 5000 * 64);
    unload(&l);
}
END_TEST

START_TEST(young_generation)
{
    struct loaded l;
    load_scenario(&l, "young");
    TOTALS(l.a.reachable, 2, 48);
    TOTALS(l.a.leaked, 2, 32);
    ck_assert_uint_eq(l.a.ncycles, 1);
    unload(&l);
}
END_TEST

START_TEST(ignored_and_loader_blocks)
{
    struct loaded l;
    load_scenario(&l, "flags");
    TOTALS(l.a.reachable, 4, 96);
    TOTALS(l.a.leaked, 0, 0);
    unload(&l);
}
END_TEST

START_TEST(shapes_ignore_rotation)
{
    struct loaded l;
    load_scenario(&l, "shapes");
    ck_assert_uint_eq(l.a.ncycles, 3);
    ck_assert_uint_eq(l.a.nshapes, 2);
    ck_assert_uint_eq(l.a.shapes[0].count, 2);
    ck_assert_uint_eq(l.a.shapes[0].bytes, 192);
    ck_assert_uint_eq(l.a.shapes[1].count, 1);
    /* the canonical order starts at the smallest (site, size, offset): site 1 */
    uint32_t order[3];
    shape_cycle_order(&l.a.g, &l.a.s, &l.d, l.a.shapes[0].first_comp, order);
    ck_assert_uint_eq(l.d.blocks[order[0]].site, 1);
    ck_assert_uint_eq(l.d.blocks[order[1]].site, 2);
    ck_assert_uint_eq(l.d.blocks[order[2]].site, 3);
    unload(&l);
}
END_TEST

START_TEST(definite_is_first_allocated)
{
    struct dg *g = dg_new();
    dg_block_full(g, 0x1000, 16, 30, 0, 2, 0);
    dg_block_full(g, 0x2000, 16, 10, 0, 2, 0);
    dg_block_full(g, 0x3000, 16, 20, 0, 2, 0);
    for (uint32_t i = 0; i < 3; i++)
        dg_edge(g, i, (i + 1) % 3, 0);
    struct loaded l;
    load_dg(&l, g, NULL);
    ck_assert_uint_eq(l.a.cls[0], CLASS_INDIRECT);
    ck_assert_uint_eq(l.a.cls[1], CLASS_DEFINITE);
    ck_assert_uint_eq(l.a.cls[2], CLASS_INDIRECT);
    unload(&l);
}
END_TEST

/* A million-long list and a million-long ring: nothing may recurse per block. */
START_TEST(million_chain_and_ring)
{
    struct dg *g = dg_new();
    const uint32_t n = 1000000;
    for (uint32_t i = 0; i < 2 * n; i++)
        dg_block(g, 16, 0);
    for (uint32_t i = 0; i + 1 < n; i++)
        dg_edge(g, i, i + 1, 0);
    for (uint32_t i = 0; i < n; i++)
        dg_edge(g, n + i, n + (i + 1) % n, 8);
    struct loaded l;
    load_dg(&l, g, NULL);
    TOTALS(l.a.definite, 2, 32);
    TOTALS(l.a.indirect, 2 * n - 2, 16ull * (2 * n - 2));
    ck_assert_uint_eq(l.a.ncycles, 1);
    TOTALS(l.a.cycle_blocks, n, 16ull * n);
    ck_assert(l.a.shapes[0].simple);
    /* the ring retains nothing; the list head is its own definite root */
    ck_assert_uint_eq(l.a.r.ret_blocks[l.a.cycles[0]], 0);
    unload(&l);
}
END_TEST

Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, single_leak);
    tcase_add_test(tc, linked_list);
    tcase_add_test(tc, doubly_linked_list);
    tcase_add_test(tc, self_reference);
    tcase_add_test(tc, several_cycles);
    tcase_add_test(tc, cycle_retains_tree);
    tcase_add_test(tc, rooted_cycle);
    tcase_add_test(tc, ten_thousand_cycles);
    tcase_add_test(tc, young_generation);
    tcase_add_test(tc, ignored_and_loader_blocks);
    tcase_add_test(tc, shapes_ignore_rotation);
    tcase_add_test(tc, definite_is_first_allocated);
    tcase_add_test(tc, million_chain_and_ring);
    suite_add_tcase(s, tc);
    return s;
}
