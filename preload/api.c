/* The public API declared in include/atoll.h. */
#include "internal.h"

#include <atoll.h>

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
