/* The public API declared in include/atoll.h. */
#include "internal.h"
#include "collect.h"

#include <atoll.h>
#include <errno.h>
#include <limits.h>

ATOLL_EXPORT int atoll_get_stats(struct atoll_stats *out)
{
    if (!out)
        return -1;
    struct atoll_heap_stats h;
    struct atoll_arena_stats a;
    atoll_heap_sum_stats(&h);
    atoll_arena_get_stats(&a);
    out->small_mallocs = h.small_mallocs;
    out->small_frees = h.small_frees;
    out->remote_frees = h.remote_frees;
    out->large_mallocs = h.large_mallocs;
    out->arenas_active = a.active;
    out->arenas_peak = a.peak;
    out->arenas_released = a.released;
    out->small_max = atoll_g.small_limit ? atoll_g.small_limit - 1 : 0;
    return 0;
}

ATOLL_EXPORT int atoll_owns(const void *ptr)
{
    struct atoll_pool *p = atoll_pool_of(ptr);
    return p && atoll_block_check(p, ptr) == ATOLL_BLOCK_OK;
}

/* The collector's API, mirroring Python's gc module. */

ATOLL_EXPORT int atoll_collect(int generation)
{
    if (generation < 0 || generation > 2) {
        errno = EINVAL;
        return -1;
    }
    struct atoll_collect_result r;
    if (atoll_collect_run((unsigned)generation, ATOLL_DUMP_TRIGGER_API, NULL, 1, &r) != 0)
        return -1;
    return r.unreachable_blocks > INT_MAX ? INT_MAX : (int)r.unreachable_blocks;
}

ATOLL_EXPORT int atoll_dump(const char *path)
{
    if (!path || !*path) {
        errno = EINVAL;
        return -1;
    }
    struct atoll_collect_result r;
    if (atoll_collect_run(2, ATOLL_DUMP_TRIGGER_DUMP, path, 1, &r) != 0)
        return -1;
    return r.unreachable_blocks > INT_MAX ? INT_MAX : (int)r.unreachable_blocks;
}

ATOLL_EXPORT void atoll_get_threshold(unsigned *t0, unsigned *t1, unsigned *t2)
{
    if (t0)
        *t0 = atoll_cc.threshold[0];
    if (t1)
        *t1 = atoll_cc.threshold[1];
    if (t2)
        *t2 = atoll_cc.threshold[2];
}

ATOLL_EXPORT void atoll_set_threshold(unsigned t0, unsigned t1, unsigned t2)
{
    atoll_cc.threshold[0] = t0;
    atoll_cc.threshold[1] = t1;
    atoll_cc.threshold[2] = t2;
}

ATOLL_EXPORT void atoll_get_count(long *c0, long *c1, long *c2)
{
    int64_t c[3];
    atoll_collect_get_counts(c);
    if (c0)
        *c0 = (long)c[0];
    if (c1)
        *c1 = (long)c[1];
    if (c2)
        *c2 = (long)c[2];
}

ATOLL_EXPORT void atoll_enable(void)
{
    atoll_cc.enabled = 1;
}

ATOLL_EXPORT void atoll_disable(void)
{
    atoll_cc.enabled = 0;
}

ATOLL_EXPORT int atoll_isenabled(void)
{
    return atoll_cc.enabled;
}

ATOLL_EXPORT int atoll_ignore(const void *block)
{
    if (!atoll_g.profiling || atoll_profile_ignore(block) != 0) {
        errno = atoll_g.profiling ? EINVAL : ENOTSUP;
        return -1;
    }
    return 0;
}
