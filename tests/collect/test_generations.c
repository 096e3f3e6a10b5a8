/* Generations: a young collection dumps only the young blocks, yet their refcounts count the
 * references from old blocks (small and large) that it did not dump; each collection of
 * generation g moves the blocks of generations 0..g up by one (collect.c); atoll_get_count
 * follows.
 *
 * They caught promote() moving up the epoch that starts with the collection, too: every block
 * born after the first collection started in generation 1, so a generation-0 collection dumped
 * none of them.
 *
 * These tests collect several times, so the blocks' addresses are revealed only inside the
 * noinline checkers, whose frames are zeroed before the next collection. */
#include "collect.h"

#include <atoll.h>
#include <stdlib.h>

#define ABSENT (-1)

static NOINLINE void build_blocks(uintptr_t *h, int n, size_t size)
{
    for (int i = 0; i < n; i++)
        h[i] = hide(zalloc(size));
}

/* Each block of h has generation gen[i] in the dump and no reference, or is not dumped. */
static NOINLINE void expect_generations(const struct taken *t, const uintptr_t *h,
                                        const size_t *size, const int *gen, int n)
{
    struct want_block w[8];
    int nw = 0;
    for (int i = 0; i < n; i++) {
        void *b = reveal(h[i]);
        if (gen[i] == ABSENT) {
            ck_assert_msg(block_at(&t->d, b) == AN_NONE, "block %d (%p) was dumped", i, b);
            continue;
        }
        w[nw++] = (struct want_block){ b, size[i], 0, size[i] > 512 ? ATOLL_DUMP_BLOCK_LARGE : 0,
                                       (uint8_t)gen[i] };
    }
    expect_shape(&t->d, w, (size_t)nw, NULL, 0, NULL, 0);
}

static void expect_counts(long c1, long c2)
{
    long c[3];
    atoll_get_count(&c[0], &c[1], &c[2]);
    ck_assert_int_eq(c[1], c1);
    ck_assert_int_eq(c[2], c2);
}

START_TEST(generations_advance)
{
    static const size_t size[4] = { 24, 1024, 24, 24 };
    uintptr_t h[4];
    struct taken t;

    build_blocks(&h[0], 1, size[0]);
    take_collect(&t, 0);
    expect_generations(&t, h, size, (const int[]){ 0 }, 1);
    drop_dump(&t);
    expect_counts(1, 0);

    build_blocks(&h[1], 1, size[1]);
    take_collect(&t, 1);
    expect_generations(&t, h, size, (const int[]){ 1, 0 }, 2);
    drop_dump(&t);
    expect_counts(0, 1);

    build_blocks(&h[2], 1, size[2]);
    take_collect(&t, 0);
    expect_generations(&t, h, size, (const int[]){ ABSENT, ABSENT, 0 }, 3);
    drop_dump(&t);
    expect_counts(1, 1);

    build_blocks(&h[3], 1, size[3]);
    take_dump(&t);
    expect_generations(&t, h, size, (const int[]){ 2, 1, 1, 0 }, 4);
    drop_dump(&t);
    expect_counts(0, 0);
}
END_TEST

/* h[0] a small old block, h[1] a large one; made before the first collection. */
static NOINLINE void build_old(uintptr_t *h)
{
    h[0] = hide(zalloc(24));
    h[1] = hide(zalloc(1024));
}

/* Two young blocks: the first referenced by both old ones and by the second, and pointing back
 * to the small old one. */
static NOINLINE void build_young(uintptr_t *h)
{
    void **old = reveal(h[0]), **old_large = reveal(h[1]);
    void **y1 = zalloc(24), **y2 = zalloc(24);
    old[0] = y1;
    old_large[63] = y1;
    y1[1] = old;
    y2[0] = y1;
    h[2] = hide(y1);
    h[3] = hide(y2);
}

static NOINLINE void expect_young(const struct taken *t, const uintptr_t *h)
{
    void *old = reveal(h[0]), *old_large = reveal(h[1]), *y1 = reveal(h[2]);
    void *y2 = reveal(h[3]);
    ck_assert_uint_eq(block_at(&t->d, old), AN_NONE);
    ck_assert_uint_eq(block_at(&t->d, old_large), AN_NONE);
    ck_assert_uint_ge(t->d.proc->heap_blocks, t->d.nblocks + 2);
    /* y1's pointer to old is no edge (old is not dumped); old's two to y1 count. */
    struct want_block w[] = { { y1, 24, 3, 0, 0 }, { y2, 24, 0, 0, 0 } };
    struct want_edge e[] = { { y2, y1, 0 } };
    expect_shape(&t->d, w, N(w), e, N(e), NULL, 0);
    ck_assert(block_alive(t, y1));
    ck_assert(!block_alive(t, y2));
}

static NOINLINE void expect_all(const struct taken *t, const uintptr_t *h)
{
    void *old = reveal(h[0]), *old_large = reveal(h[1]), *y1 = reveal(h[2]);
    void *y2 = reveal(h[3]);
    struct want_block w[] = { { old, 24, 1, 0, 1 },
                              { old_large, 1024, 0, ATOLL_DUMP_BLOCK_LARGE, 1 },
                              { y1, 24, 3, 0, 1 },
                              { y2, 24, 0, 0, 1 } };
    struct want_edge e[] = { { old, y1, 0 }, { old_large, y1, 504 }, { y1, old, 8 },
                             { y2, y1, 0 } };
    expect_shape(&t->d, w, N(w), e, N(e), NULL, 0);
    for (size_t i = 0; i < N(w); i++)
        ck_assert(!block_alive(t, w[i].addr));
}

START_TEST(young_collection_counts_old_references)
{
    uintptr_t h[4];
    struct taken t;
    build_old(h);
    take_collect(&t, 0);
    drop_dump(&t);
    build_young(h);
    take_collect(&t, 0);
    expect_young(&t, h);
    drop_dump(&t);
    /* Both collections were young ones: everything is in generation 1 now. */
    take_dump(&t);
    expect_all(&t, h);
    drop_dump(&t);
}
END_TEST

Suite *generations_suite(void)
{
    Suite *s = suite_create("generations");
    TCase *tc = tcase_create("generations");
    tcase_add_test(tc, generations_advance);
    tcase_add_test(tc, young_collection_counts_old_references);
    suite_add_tcase(s, tc);
    return s;
}
