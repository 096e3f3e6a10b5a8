/* Bad pointers handed to free and realloc: the exact one-line report, a heap left untouched
 * (the block is handed out once, later blocks are sound), and abort with on_error_abort. */
#include "unit.h"
#include "internal.h"

#include <atoll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *free_it(void *p)
{
    free(p);
    return NULL;
}

static void *free_it_twice(void *p)
{
    free(p);
    free(hide(p));
    return NULL;
}

/* Runs fn(arg) in a new thread, so a free of the caller's block takes the remote path. */
static void in_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fn, arg), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
}

/* What the frees (or reallocs) in fn(arg) wrote on stderr. */
static void stderr_of(void (*fn)(void *), void *arg, char *buf, size_t size)
{
    struct capture c;
    capture_begin(&c);
    fn(arg);
    capture_end(&c, buf, size);
}

static char *double_free_line(char *buf, size_t size, const char *func, const void *p,
                              unsigned bsize)
{
    snprintf(buf, size,
             "atoll: %s(%p): double free: the %u-byte block at this address is not allocated\n",
             func, p, bsize);
    return buf;
}

static char *interior_line(char *buf, size_t size, const char *func, const void *p,
                           unsigned into, unsigned bsize)
{
    snprintf(buf, size, "atoll: %s(%p): invalid pointer: %u bytes into the %u-byte block at %p\n",
             func, p, into, bsize, (const void *)((const char *)p - into));
    return buf;
}

static char *no_block_line(char *buf, size_t size, const char *func, const void *p)
{
    snprintf(buf, size,
             "atoll: %s(%p): invalid pointer: inside atoll's heap but in no allocated block\n",
             func, p);
    return buf;
}

/* After a double free of p (size n): p comes back from malloc exactly once. Enough blocks are
 * taken to use up the pool, so the owner also drains any remote frees. */
static void assert_handed_out_once(const void *p, size_t n)
{
    enum { N = 2000 };
    static void *v[N];
    for (int i = 0; i < N; i++)
        v[i] = malloc(n);
    ck_assert_uint_eq(count_ptr(v, N, p), 1);
    for (int i = 0; i < N; i++)
        free(v[i]);
    assert_distinct(v, N);
    assert_heap_sound();
}

static void local_free(void *p)
{
    free(p);
}

static void remote_free(void *p)
{
    in_thread(free_it, p);
}

static void remote_free_twice(void *p)
{
    in_thread(free_it_twice, p);
}

START_TEST(double_free_local)
{
    char got[512], want[512];
    void *p = malloc(48);
    ck_assert_ptr_nonnull(p);
    free(hide(p));
    stderr_of(local_free, hide(p), got, sizeof got);
    ck_assert_str_eq(got, double_free_line(want, sizeof want, "free", p, 48));
    assert_handed_out_once(p, 48);
}
END_TEST

/* Freed by its owner, then by another thread: the remote path finds the block not live. */
START_TEST(double_free_from_other_thread)
{
    char got[512], want[512];
    void *p = malloc(48);
    ck_assert_ptr_nonnull(p);
    free(hide(p));
    stderr_of(remote_free, hide(p), got, sizeof got);
    ck_assert_str_eq(got, double_free_line(want, sizeof want, "free", p, 48));
    assert_handed_out_once(p, 48);
}
END_TEST

/* Freed twice by another thread before the owner drains: the atomic OR finds its bit set. */
START_TEST(double_free_remote_twice)
{
    char got[512], want[512];
    void *p = malloc(48);
    ck_assert_ptr_nonnull(p);
    stderr_of(remote_free_twice, p, got, sizeof got);
    ck_assert_str_eq(got, double_free_line(want, sizeof want, "free", p, 48));
    assert_handed_out_once(p, 48);
}
END_TEST

START_TEST(interior_pointer)
{
    char got[512], want[512];
    char *p = malloc(100);                         /* 112-byte block */
    ck_assert_ptr_nonnull(p);
    memset(p, 0x3c, 100);
    stderr_of(local_free, hide(p + 40), got, sizeof got);
    ck_assert_str_eq(got, interior_line(want, sizeof want, "free", p + 40, 40, 112));
    stderr_of(remote_free, hide(p + 111), got, sizeof got);
    ck_assert_str_eq(got, interior_line(want, sizeof want, "free", p + 111, 111, 112));

    /* The block was left alone: still live, its bytes intact, and it frees without a word. */
    ck_assert_int_ne(atoll_owns(p), 0);
    size_t changed = 0;
    for (int i = 0; i < 100; i++)
        changed += p[i] != 0x3c;
    ck_assert_uint_eq(changed, 0);
    stderr_of(local_free, p, got, sizeof got);
    ck_assert_str_eq(got, "");

    char *q = malloc(16);
    ck_assert_ptr_nonnull(q);
    stderr_of(local_free, hide(q + 8), got, sizeof got);
    ck_assert_str_eq(got, interior_line(want, sizeof want, "free", q + 8, 8, 16));
    free(q);
    assert_heap_sound();
}
END_TEST

START_TEST(pointer_in_no_block)
{
    char got[512], want[512];
    /* The region's last pool is never reached by a test's heap. */
    char *unused = (char *)(atoll_g.base + atoll_g.size - 4096);
    ck_assert_ptr_null(atoll_pool_of(unused)->owner);
    stderr_of(local_free, unused, got, sizeof got);
    ck_assert_str_eq(got, no_block_line(want, sizeof want, "free", unused));

    /* A block-aligned address in a pool in use, past what the pool has carved so far. */
    void *p = malloc(496);
    ck_assert_ptr_nonnull(p);
    struct atoll_pool *pool = atoll_pool_of(p);
    ck_assert_uint_lt(pool->carved, pool->nblocks);
    char *uncarved = (char *)atoll_pool_base(pool) + (size_t)pool->carved * pool->bsize;
    stderr_of(local_free, uncarved, got, sizeof got);
    ck_assert_str_eq(got, no_block_line(want, sizeof want, "free", uncarved));
    stderr_of(remote_free, uncarved, got, sizeof got);
    ck_assert_str_eq(got, no_block_line(want, sizeof want, "free", uncarved));
    ck_assert_int_ne(atoll_owns(p), 0);
    free(p);
    assert_heap_sound();
}
END_TEST

struct realloc_call {
    void *ptr;
    void *result;
};

static void do_realloc(void *arg)
{
    struct realloc_call *c = arg;
    c->result = realloc(c->ptr, 200);
}

START_TEST(realloc_bad_pointer)
{
    char got[512], want[512];
    char *p = malloc(100);
    ck_assert_ptr_nonnull(p);
    memset(p, 0x5e, 100);
    struct realloc_call c = { hide(p + 40), p };
    stderr_of(do_realloc, &c, got, sizeof got);
    ck_assert_ptr_null(c.result);
    ck_assert_str_eq(got, interior_line(want, sizeof want, "realloc", p + 40, 40, 112));
    ck_assert_int_ne(atoll_owns(p), 0);
    size_t changed = 0;
    for (int i = 0; i < 100; i++)
        changed += p[i] != 0x5e;
    ck_assert_uint_eq(changed, 0);

    void *q = malloc(100);
    ck_assert_ptr_nonnull(q);
    free(hide(q));
    c = (struct realloc_call){ hide(q), p };
    stderr_of(do_realloc, &c, got, sizeof got);
    ck_assert_ptr_null(c.result);
    ck_assert_str_eq(got, double_free_line(want, sizeof want, "realloc", q, 112));

    char *unused = (char *)(atoll_g.base + atoll_g.size - 4096);
    c = (struct realloc_call){ unused, p };
    stderr_of(do_realloc, &c, got, sizeof got);
    ck_assert_ptr_null(c.result);
    ck_assert_str_eq(got, no_block_line(want, sizeof want, "realloc", unused));
    free(p);
    assert_heap_sound();
}
END_TEST

/* The abort tests leave stderr diverted: the process dies in the bad free. */
static void quiet_abort_mode(void)
{
    struct capture c;
    capture_begin(&c);
    atoll_g.on_error_abort = 1;
}

START_TEST(abort_on_double_free)
{
    void *p = malloc(48);
    quiet_abort_mode();
    free(p);
    free(hide(p));
}
END_TEST

START_TEST(abort_on_remote_double_free)
{
    void *p = malloc(48);
    quiet_abort_mode();
    in_thread(free_it_twice, p);
}
END_TEST

START_TEST(abort_on_interior_pointer)
{
    char *p = malloc(64);
    quiet_abort_mode();
    free(hide(p + 16 + 3));
}
END_TEST

START_TEST(abort_on_bad_realloc)
{
    char *p = malloc(64);
    quiet_abort_mode();
    free(realloc(hide(p + 1), 10));
}
END_TEST

/* free's one multiplication tells a block's start from its inside: for every class and every
 * offset in a pool, the product's high half is the block index and its low half passes the
 * start test exactly at block starts. */
START_TEST(block_product)
{
    size_t starts = 0, interiors = 0, wrong = 0;
    for (unsigned cls = 0; cls < ATOLL_NCLASSES; cls++) {
        struct atoll_pool p;
        memset(&p, 0, sizeof p);
        atoll_pool_init(&p, NULL, cls);
        for (uintptr_t off = 0; off < ATOLL_POOL_SIZE; off++) {
            uint64_t product = atoll_block_product(&p, (const void *)(ATOLL_POOL_SIZE * 7 + off));
            int start = off % p.bsize == 0;
            wrong += (product >> 32) != off / p.bsize;
            wrong += atoll_block_product_at_start(product) != start;
            starts += start;
            interiors += !start;
        }
    }
    ck_assert_uint_eq(wrong, 0);
    ck_assert_uint_eq(starts + interiors, (size_t)ATOLL_NCLASSES * ATOLL_POOL_SIZE);
    ck_assert_uint_eq(starts, 4169); /* the sum over bsize 16..512 of ceil(16384 / bsize) */
}
END_TEST

Suite *bad_free_suite(void)
{
    Suite *s = suite_create("bad_free");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, double_free_local);
    tcase_add_test(tc, double_free_from_other_thread);
    tcase_add_test(tc, double_free_remote_twice);
    tcase_add_test(tc, interior_pointer);
    tcase_add_test(tc, pointer_in_no_block);
    tcase_add_test(tc, realloc_bad_pointer);
    tcase_add_test(tc, block_product);
    suite_add_tcase(s, tc);
    TCase *ab = tcase_create("abort");
    tcase_add_test_raise_signal(ab, abort_on_double_free, SIGABRT);
    tcase_add_test_raise_signal(ab, abort_on_remote_double_free, SIGABRT);
    tcase_add_test_raise_signal(ab, abort_on_interior_pointer, SIGABRT);
    tcase_add_test_raise_signal(ab, abort_on_bad_realloc, SIGABRT);
    suite_add_tcase(s, ab);
    return s;
}
