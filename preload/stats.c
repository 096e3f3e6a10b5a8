/* Allocator statistics, printed at exit with ATOLL_STATS=1. */
#include "internal.h"

#include <unistd.h>

void atoll_stats_print(void)
{
    struct atoll_heap_stats h;
    struct atoll_arena_stats a;
    atoll_heap_sum_stats(&h);
    atoll_arena_get_stats(&a);
    atoll_log("allocator statistics of pid %d (small: up to %zu bytes)", (int)getpid(),
              atoll_g.small_limit ? atoll_g.small_limit - 1 : 0);
    atoll_log("  small blocks: %llu mallocs, %llu frees (%llu from another thread), %llu live",
              (unsigned long long)h.small_mallocs, (unsigned long long)h.small_frees,
              (unsigned long long)h.remote_frees,
              (unsigned long long)(h.small_mallocs - h.small_frees));
    atoll_log("  large blocks (C library): %llu mallocs", (unsigned long long)h.large_mallocs);
    atoll_log("  arenas: %zu in use (%zu KiB), peak %zu (%zu KiB), %zu returned to the OS",
              a.active, a.active * (ATOLL_ARENA_SIZE >> 10), a.peak,
              a.peak * (ATOLL_ARENA_SIZE >> 10), a.released);
    atoll_log("  pools: %zu taken from arenas, %zu given back", a.pools_taken, a.pools_given);
    if (atoll_g.profiling)
        atoll_log("  call stacks: %llu remembered, %llu walked, %llu by libunwind",
                  (unsigned long long)h.stacks_remembered, (unsigned long long)h.stacks_walked,
                  (unsigned long long)h.stacks_libunwind);
    if (atoll_g.profiling)
        atoll_log("  sites: %u distinct call stacks, %u Python code objects", atoll_site_count(),
                  atoll_pycode_count());
}
