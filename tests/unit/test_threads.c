/* Blocks across threads: remote frees come back to their owner, a dead thread's heap is
 * adopted whole by the next new thread, and the statistics count each kind of call exactly. */
#include "unit.h"
#include "internal.h"

#include <atoll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

/* 256-byte blocks: a page carves 16 of them, so 32 blocks leave the pool's free list empty and
 * the owner's next malloc must take the slow path and drain the remote frees. */
#define BSIZE 256
#define NB 32

static int same_set(void **a, void **b, size_t n)
{
    assert_distinct(a, n);
    assert_distinct(b, n);
    return memcmp(a, b, n * sizeof *a) == 0;
}

struct remote_case {
    void *first[NB], *again[NB];
    struct atoll_pool *pool;
    int list_empty, one_pool;
    sem_t allocated, freed;
};

static void *owner_thread(void *arg)
{
    struct remote_case *c = arg;
    for (int i = 0; i < NB; i++)
        c->first[i] = malloc(BSIZE);
    c->pool = atoll_pool_of(c->first[0]);
    c->list_empty = c->pool->free == NULL;
    c->one_pool = 1;
    for (int i = 0; i < NB; i++)
        c->one_pool &= atoll_pool_of(c->first[i]) == c->pool;
    sem_post(&c->allocated);
    sem_wait(&c->freed);
    for (int i = 0; i < NB; i++)
        c->again[i] = malloc(BSIZE);
    for (int i = 0; i < NB; i++)
        free(c->again[i]);
    return NULL;
}

static void *remote_thread(void *arg)
{
    struct remote_case *c = arg;
    sem_wait(&c->allocated);
    for (int i = 0; i < NB; i++)
        free(c->first[i]);
    sem_post(&c->freed);
    return NULL;
}

START_TEST(remote_frees_reused_by_owner)
{
    static struct remote_case c;
    sem_init(&c.allocated, 0, 0);
    sem_init(&c.freed, 0, 0);
    pthread_t a, b;
    ck_assert_int_eq(pthread_create(&a, NULL, owner_thread, &c), 0);
    ck_assert_int_eq(pthread_create(&b, NULL, remote_thread, &c), 0);
    ck_assert_int_eq(pthread_join(a, NULL), 0);
    ck_assert_int_eq(pthread_join(b, NULL), 0);
    ck_assert_int_ne(c.one_pool, 0);
    ck_assert_int_ne(c.list_empty, 0);
    ck_assert(same_set(c.first, c.again, NB));
}
END_TEST

struct adopt_case {
    void *blocks[NB];
    struct atoll_heap *heap;
    void *first;
};

static void *dying_thread(void *arg)
{
    struct adopt_case *c = arg;
    for (int i = 0; i < NB; i++)
        c->blocks[i] = malloc(BSIZE);
    c->heap = atoll_tls.heap;
    return NULL;
}

static void *adopting_thread(void *arg)
{
    struct adopt_case *c = arg;
    c->first = malloc(BSIZE);
    c->heap = atoll_tls.heap;
    return NULL;
}

/* A thread exits holding blocks; main frees them into the abandoned heap; the next new thread
 * adopts that heap, and its first block of the class comes back out of the dead thread's pool. */
START_TEST(abandoned_heap_adopted)
{
    static struct adopt_case dead, heir;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, dying_thread, &dead), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    struct atoll_pool *pool = atoll_pool_of(dead.blocks[0]);
    ck_assert_ptr_nonnull(pool);
    ck_assert_ptr_eq(pool->owner, dead.heap);
    for (int i = 0; i < NB; i++)
        free(dead.blocks[i]);
    ck_assert_ptr_eq(pool->owner, dead.heap);      /* a remote free never gives a pool away */

    ck_assert_int_eq(pthread_create(&t, NULL, adopting_thread, &heir), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ptr_eq(heir.heap, dead.heap);
    ck_assert_ptr_eq(atoll_pool_of(heir.first), pool);
    ck_assert_uint_eq(count_ptr(dead.blocks, NB, heir.first), 1);
    free(heir.first);
}
END_TEST

/* The counters over a controlled sequence. A heap's counters are its owner's: a free made by
 * another thread is counted when the owner drains it. Read around code with no Check call in
 * it, in any thread: Check allocates for its own messages. 64-byte blocks: a page carves 64,
 * so after 64 mallocs the pool's free list is empty and the next malloc past the freed blocks
 * takes the slow path, which drains. */
#define SBLOCKS 64

struct stats_case {
    struct atoll_stats s[5];
    void *blocks[SBLOCKS + 5];
    sem_t freer_ready, owner_done, remote_done, owner_finished;
};

static void *counting_owner(void *arg)
{
    struct stats_case *c = arg;
    sem_wait(&c->freer_ready);
    atoll_get_stats(&c->s[0]);
    for (int i = 0; i < SBLOCKS; i++)
        c->blocks[i] = malloc(64);
    for (int i = 0; i < 4; i++)
        free(c->blocks[i]);
    free(malloc(1000));
    atoll_get_stats(&c->s[1]);
    sem_post(&c->owner_done);
    sem_wait(&c->remote_done);
    atoll_get_stats(&c->s[2]);
    for (int i = SBLOCKS; i < SBLOCKS + 5; i++)
        c->blocks[i] = malloc(64);
    atoll_get_stats(&c->s[3]);
    for (int i = SBLOCKS; i < SBLOCKS + 5; i++)
        free(c->blocks[i]);
    atoll_get_stats(&c->s[4]);
    sem_post(&c->owner_finished);
    return NULL;
}

static void *counting_freer(void *arg)
{
    struct stats_case *c = arg;
    sem_post(&c->freer_ready);
    sem_wait(&c->owner_done);
    for (int i = 4; i < 10; i++)
        free(c->blocks[i]);
    sem_post(&c->remote_done);
    sem_wait(&c->owner_finished);                  /* not exiting while the owner counts */
    return NULL;
}

#define ck_assert_delta(c, field, from, to, n) \
    ck_assert_uint_eq((c)->s[to].field - (c)->s[from].field, n)

START_TEST(stats_count_exactly)
{
    static struct stats_case c;
    sem_init(&c.freer_ready, 0, 0);
    sem_init(&c.owner_done, 0, 0);
    sem_init(&c.remote_done, 0, 0);
    sem_init(&c.owner_finished, 0, 0);
    /* No Check call in this thread while the others count. */
    pthread_t a, b;
    int made_b = pthread_create(&b, NULL, counting_freer, &c);
    int made_a = made_b == 0 ? pthread_create(&a, NULL, counting_owner, &c) : -1;
    int joined_a = made_a == 0 ? pthread_join(a, NULL) : -1;
    int joined_b = made_b == 0 ? pthread_join(b, NULL) : -1;
    ck_assert_int_eq(made_a, 0);
    ck_assert_int_eq(made_b, 0);
    ck_assert_int_eq(joined_a, 0);
    ck_assert_int_eq(joined_b, 0);

    /* 64 mallocs, 4 local frees, one large block */
    ck_assert_delta(&c, small_mallocs, 0, 1, SBLOCKS);
    ck_assert_delta(&c, small_frees, 0, 1, 4);
    ck_assert_delta(&c, remote_frees, 0, 1, 0);
    ck_assert_delta(&c, large_mallocs, 0, 1, 1);
    /* 6 remote frees, not drained yet */
    ck_assert_delta(&c, small_mallocs, 1, 2, 0);
    ck_assert_delta(&c, small_frees, 1, 2, 0);
    ck_assert_delta(&c, remote_frees, 1, 2, 0);
    ck_assert_delta(&c, large_mallocs, 1, 2, 0);
    /* 5 mallocs: the 4 freed blocks, then the slow path, which drains the 6 */
    ck_assert_delta(&c, small_mallocs, 2, 3, 5);
    ck_assert_delta(&c, small_frees, 2, 3, 6);
    ck_assert_delta(&c, remote_frees, 2, 3, 6);
    /* 5 local frees */
    ck_assert_delta(&c, small_mallocs, 3, 4, 0);
    ck_assert_delta(&c, small_frees, 3, 4, 5);
    ck_assert_delta(&c, remote_frees, 3, 4, 0);
    ck_assert_delta(&c, large_mallocs, 2, 4, 0);
}
END_TEST

Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_add_test(tc, remote_frees_reused_by_owner);
    tcase_add_test(tc, abandoned_heap_adopted);
    tcase_add_test(tc, stats_count_exactly);
    suite_add_tcase(s, tc);
    return s;
}
