/* A heap big enough for the snapshot's threads: the scan helper takes the upper half of the
 * heap, the dump is written by a thread of its own through several buffers, and the count runs
 * beside the writing. The graph is one ring of small blocks with chords and a large block in
 * it, every refcount and edge known; it is collected on every CPU and again on one CPU (no
 * threads), and both dumps must hold exactly that graph. The same heap makes a snapshot slow
 * enough to see what a threshold collection does while one is running. */
#include "collect.h"

#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define RING 300000u                  /* 64-byte blocks: 2.4 million words, the helper's half */
#define LARGE_SIZE ((size_t)256 << 10) /* a mapping of glibc's own, past the mmap threshold */
#define CHORD(i) (((i) * 7u + 3u) % RING)

/* Check's assertions each write to its pipe: a million of them take seconds. */
#define REQUIRE(cond, ...)                                                                     \
    do {                                                                                       \
        if (!(cond))                                                                           \
            ck_abort_msg(__VA_ARGS__);                                                         \
    } while (0)

/* Block i points to block i + 1 (word 0) and to block 7i + 3 (word 3); the last block also to
 * the large block (word 5), whose last word points to block 0. h[RING] is the large block. */
static NOINLINE uintptr_t *build_ring(void)
{
    uintptr_t *h = malloc((RING + 1) * sizeof *h);
    ck_assert_ptr_nonnull(h);
    for (uint32_t i = 0; i < RING; i++)
        h[i] = hide(zalloc(64));
    h[RING] = hide(zalloc(LARGE_SIZE));
    for (uint32_t i = 0; i < RING; i++) {
        void **b = reveal(h[i]);
        store_revealed(&b[0], h[(i + 1) % RING]);
        store_revealed(&b[3], h[CHORD(i)]);
    }
    store_revealed((void **)reveal(h[RING - 1]) + 5, h[RING]);
    store_revealed((void **)reveal(h[RING]) + LARGE_SIZE / 8 - 1, h[0]);
    return h;
}

static uint32_t first_edge_from(const struct dump *d, uint32_t from)
{
    uint32_t lo = 0, hi = d->nedges;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->edges[mid].from < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void expect_edge(const struct dump *d, uint32_t e, uint32_t from, uint32_t to,
                        uint64_t offset)
{
    REQUIRE(e < d->nedges && d->edges[e].from == from && d->edges[e].to == to &&
                d->edges[e].offset == offset,
            "edge %u: want %u -> %u at +%llu", e, from, to, (unsigned long long)offset);
}

static NOINLINE void expect_ring(const struct taken *t, const uintptr_t *h)
{
    const struct dump *d = &t->d;
    uint32_t *at = malloc((RING + 1) * sizeof *at);
    ck_assert_ptr_nonnull(at);
    for (uint32_t i = 0; i <= RING; i++) {
        at[i] = block_at(d, reveal(h[i]));
        REQUIRE(at[i] != AN_NONE, "block %u is not in the dump", i);
    }
    for (uint32_t i = 0; i < RING; i++) {
        REQUIRE(d->blocks[at[i]].refcount == (i == 0 ? 3u : 2u), "block %u: refcount %u", i,
                (unsigned)d->blocks[at[i]].refcount);
        uint32_t e = first_edge_from(d, at[i]);
        expect_edge(d, e, at[i], at[(i + 1) % RING], 0);
        expect_edge(d, e + 1, at[i], at[CHORD(i)], 24);
        if (i == RING - 1)
            expect_edge(d, e + 2, at[i], at[RING], 40);
        uint32_t n = i == RING - 1 ? 3 : 2;
        REQUIRE(e + n == d->nedges || d->edges[e + n].from != at[i],
                "block %u has more than %u edges", i, n);
    }
    ck_assert_uint_eq(d->blocks[at[RING]].refcount, 1);
    uint32_t e = first_edge_from(d, at[RING]);
    expect_edge(d, e, at[RING], at[0], LARGE_SIZE - 8);
    ck_assert(e + 1 == d->nedges || d->edges[e + 1].from != at[RING]);
    for (uint32_t i = 0; i <= RING; i++)
        REQUIRE(!block_alive(t, reveal(h[i])), "block %u is reachable", i);
    free(at);
}

static void take_and_check(const uintptr_t *h)
{
    struct taken t;
    take_dump(&t);
    ck_assert_int_ge(t.unreachable, (int)RING + 1);
    expect_ring(&t, h);
    drop_dump(&t);
}

START_TEST(ring_on_every_cpu_and_on_one)
{
    uintptr_t *h = build_ring();
    take_and_check(h);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    take_and_check(h);
    free(h);
}
END_TEST

/* Allocates n blocks of 16 bytes into keep[], growing counter 0 by n. */
static void grow(void **keep, size_t n)
{
    for (size_t i = 0; i < n; i++)
        keep[i] = zalloc(16);
}

/* A threshold collection that comes due while the last snapshot is still scanning this heap
 * (milliseconds) waits for that snapshot, not the program: the next 300 allocations (well under
 * a millisecond) start no collection. The deferred one runs once the snapshot is done. */
START_TEST(threshold_collection_does_not_wait_for_the_last_snapshot)
{
    uintptr_t *h = build_ring();
    static void *keep[1000];
    long c0, c1, c2;
    atoll_set_threshold(100, 1000, 1000);
    grow(keep, 101);
    atoll_get_count(&c0, &c1, &c2);
    ck_assert_int_eq(c1, 1);
    grow(keep + 101, 300);
    atoll_get_count(&c0, &c1, &c2);
    ck_assert_int_eq(c1, 1);
    ck_assert_int_ge(c0, 300);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t n = 401;
    do {
        ck_assert_uint_lt(n, N(keep));
        grow(keep + n++, 1);
        usleep(1000);
        atoll_get_count(&c0, &c1, &c2);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (c1 < 2 && now.tv_sec - start.tv_sec < 30);
    ck_assert_int_eq(c1, 2);
    atoll_set_threshold(0, 10, 10);
    for (size_t i = 0; i < n; i++)
        free(keep[i]);
    for (uint32_t i = 0; i <= RING; i++)
        free(reveal(h[i]));
    free(h);
}
END_TEST

Suite *bigheap_suite(void)
{
    Suite *s = suite_create("bigheap");
    TCase *tc = tcase_create("bigheap");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ring_on_every_cpu_and_on_one);
    tcase_add_test(tc, threshold_collection_does_not_wait_for_the_last_snapshot);
    suite_add_tcase(s, tc);
    return s;
}
