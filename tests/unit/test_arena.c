/* Arenas: memory goes back to the OS when a heap shrinks (counters, spares and RSS), and a
 * new pool comes from the fullest arena that has one free. */
#include "unit.h"
#include "internal.h"

#include <atoll.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Resident pages, from /proc/self/statm; read without stdio, which would allocate. */
static size_t resident_pages(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    strtoul(buf, &end, 10);
    return strtoul(end, NULL, 10);
}

/* Arenas holding memory whose pools are all free (kept as spares), and all arenas holding
 * memory. Arenas are first used in address order, so the first untouched one ends the scan. */
static void count_arenas(size_t *spares, size_t *active)
{
    size_t narenas = atoll_g.size >> ATOLL_ARENA_SHIFT;
    *spares = *active = 0;
    atoll_lock();
    for (size_t i = 0; i < narenas && atoll_g.arenas[i].state != ATOLL_ARENA_UNTOUCHED; i++) {
        if (atoll_g.arenas[i].state != ATOLL_ARENA_ACTIVE)
            continue;
        ++*active;
        *spares += atoll_g.arenas[i].nfree == ATOLL_POOLS_PER_ARENA;
    }
    atoll_unlock();
}

#define FILL_ARENAS 48
#define BLOCKS_PER_ARENA (ATOLL_ARENA_SIZE / 64)
#define NBLOCKS (FILL_ARENAS * BLOCKS_PER_ARENA)

START_TEST(freed_arenas_go_back_to_os)
{
    char **v = malloc(NBLOCKS * sizeof *v);
    ck_assert_ptr_nonnull(v);
    memset(v, 0, NBLOCKS * sizeof *v);
    struct atoll_stats s0, s1, s2;
    size_t rss1, rss2, page = (size_t)sysconf(_SC_PAGESIZE);

    /* No Check call from here to the last reading. */
    atoll_get_stats(&s0);
    size_t failed = 0;
    for (size_t i = 0; i < NBLOCKS; i++) {
        v[i] = malloc(64);
        if (!v[i] || !atoll_owns(v[i]))
            failed++;
        else
            memset(v[i], 0x77, 64);
    }
    atoll_get_stats(&s1);
    rss1 = resident_pages();
    for (size_t i = 0; i < NBLOCKS; i++)
        free(v[i]);
    atoll_get_stats(&s2);
    rss2 = resident_pages();

    ck_assert_uint_eq(failed, 0);
    ck_assert_uint_ge(s1.arenas_active, FILL_ARENAS);
    ck_assert_uint_le(s1.arenas_active, s0.arenas_active + FILL_ARENAS);
    ck_assert_uint_eq(s1.arenas_released, s0.arenas_released);
    /* Every arena that stopped being active was given back, and counted once. */
    ck_assert_uint_eq(s2.arenas_released - s1.arenas_released,
                      s1.arenas_active - s2.arenas_active);
    ck_assert_uint_ge(s1.arenas_active - s2.arenas_active, FILL_ARENAS * 3 / 4);
    /* What stays: the spares (one, plus one for every eight arenas in use), the arenas active
     * before, and at most three more: the pool of the blocks in this thread's cache of freed
     * blocks, and the few empty pools the heap keeps listed, which may straddle two arenas. */
    size_t spares, active;
    count_arenas(&spares, &active);
    ck_assert_uint_eq(active, s2.arenas_active);
    ck_assert_uint_le(spares, 1 + active / 8);
    ck_assert_uint_le(s2.arenas_active, s0.arenas_active + 3 + spares);
    /* The pages went back: most of the 12 MiB the blocks took. */
    ck_assert_uint_ge(rss1, rss2);
    ck_assert_uint_ge((rss1 - rss2) * page, (size_t)NBLOCKS * 64 * 3 / 4);
    free(v);
}
END_TEST

#define MAX_TAKEN 4096
#define MAX_ARENA_INDEX 65536

static struct atoll_pool *taken[MAX_TAKEN];
static unsigned char held[MAX_ARENA_INDEX];

static size_t arena_of(const struct atoll_pool *p)
{
    return (size_t)(p - atoll_g.pools) / ATOLL_POOLS_PER_ARENA;
}

/* Gives back up to n of the pools taken from arena a; the number given. */
static unsigned give_back(size_t a, unsigned n, size_t count)
{
    unsigned given = 0;
    for (size_t i = 0; i < count && given < n; i++) {
        if (taken[i] && arena_of(taken[i]) == a) {
            atoll_arena_give_pool(taken[i]);
            taken[i] = NULL;
            given++;
        }
    }
    return given;
}

/* White box, under the lock (nothing in between may allocate): take pools until two arenas are
 * wholly ours, so every other arena is full; free 10 pools of one and 3 of the other. */
START_TEST(pool_from_fullest_arena)
{
    size_t count = 0, full[2], nfull = 0, overflow = 0;
    size_t first_pick = (size_t)-1, second_pick = (size_t)-1;
    unsigned given_a = 0, given_b = 0, given_b2 = 0;
    atoll_lock();
    while (nfull < 2 && count < MAX_TAKEN - 2) {
        struct atoll_pool *p = atoll_arena_take_pool();
        if (!p)
            break;
        taken[count++] = p;
        size_t a = arena_of(p);
        if (a >= MAX_ARENA_INDEX) {
            overflow++;
            continue;
        }
        if (++held[a] == ATOLL_POOLS_PER_ARENA)
            full[nfull++] = a;
    }
    if (nfull == 2) {
        given_a = give_back(full[0], 10, count);   /* 10 free */
        given_b = give_back(full[1], 3, count);    /* 3 free: the fuller */
        struct atoll_pool *x = atoll_arena_take_pool();
        taken[count++] = x;
        if (x)
            first_pick = arena_of(x);
        given_b2 = give_back(full[1], 9, count);   /* 2 + 9 = 11 free: now the emptier */
        struct atoll_pool *y = atoll_arena_take_pool();
        taken[count++] = y;
        if (y)
            second_pick = arena_of(y);
    }
    for (size_t i = 0; i < count; i++)
        if (taken[i])
            atoll_arena_give_pool(taken[i]);
    atoll_unlock();

    ck_assert_uint_eq(overflow, 0);
    ck_assert_uint_eq(nfull, 2);
    ck_assert_uint_eq(given_a, 10);
    ck_assert_uint_eq(given_b, 3);
    ck_assert_uint_eq(given_b2, 9);
    ck_assert_uint_eq(first_pick, full[1]);
    ck_assert_uint_eq(second_pick, full[0]);
}
END_TEST

Suite *arena_suite(void)
{
    Suite *s = suite_create("arena");
    TCase *tc = tcase_create("arena");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, freed_arenas_go_back_to_os);
    tcase_add_test(tc, pool_from_fullest_arena);
    suite_add_tcase(s, tc);
    return s;
}
