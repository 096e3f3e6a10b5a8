/* Start-up and shut-down: the region, the thread-exit key, the exit report.
 *
 * Any entry point may be the first call, from the dynamic loader before constructors run,
 * so initialisation is lazy (the first small allocation's slow path) and takes nothing from the
 * C library but mmap. The constructor finishes what needs libc to be up: the options (if the
 * environment was not ready), the pthread key whose destructor abandons a dead thread's heap,
 * and the fork handlers. */
#include "internal.h"
#include "collect.h"
#include "cpython/pygc.h"
#include "unwind.h"
#include "world.h"
#include "cpython/cpython.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

struct atoll_global atoll_g = {
    .fast_max = ATOLL_SMALL_LIMIT, .small_limit = ATOLL_SMALL_LIMIT + 1, .stack_depth = 32,
};
int atoll_initialized;
char atoll_self_marker;

#define HUGE_FROM ((size_t)4 << 20)

static pthread_key_t exit_key;
static int exit_key_ready;

/* Reserve as much as the system lets us, from 64 GiB down: RLIMIT_AS or strict overcommit may
 * refuse the larger sizes.
 *
 * Past its first few MiB the region asks for transparent huge pages. Arenas are carved in
 * address order, so a growing heap fills huge pages densely, and one fault then maps 2 MiB
 * instead of 4 KiB: on virtual machines, where a page fault costs microseconds, that is the
 * largest single cost of a heap that grows (pyobjs.py: 16,700 faults become 3,800). Small
 * heaps stay below the threshold and keep their memory footprint to the page. */
static void region_init(void)
{
    for (size_t size = (size_t)64 << 30; size >= ((size_t)256 << 20); size >>= 2) {
        size_t npools = size >> ATOLL_POOL_SHIFT;
        size_t narenas = size >> ATOLL_ARENA_SHIFT;
        void *raw = atoll_os_reserve(size + ATOLL_ARENA_SIZE);
        if (!raw)
            continue;
        void *pools = atoll_os_reserve(npools * sizeof(struct atoll_pool));
        void *arenas = atoll_os_reserve(narenas * sizeof(struct atoll_arena));
        void *shadow = atoll_os_reserve(npools * ATOLL_MAX_BLOCKS * sizeof(struct atoll_small_meta));
        if (!pools || !arenas || !shadow) {
            atoll_os_unreserve(raw, size + ATOLL_ARENA_SIZE);
            if (pools)
                atoll_os_unreserve(pools, npools * sizeof(struct atoll_pool));
            if (arenas)
                atoll_os_unreserve(arenas, narenas * sizeof(struct atoll_arena));
            if (shadow)
                atoll_os_unreserve(shadow, npools * ATOLL_MAX_BLOCKS * sizeof(struct atoll_small_meta));
            continue;
        }
        atoll_g.base = ((uintptr_t)raw + ATOLL_ARENA_SIZE - 1) & ~(uintptr_t)(ATOLL_ARENA_SIZE - 1);
        madvise((void *)(atoll_g.base + HUGE_FROM), size - HUGE_FROM, MADV_HUGEPAGE);
        atoll_g.pools = pools;
        atoll_g.arenas = arenas;
        atoll_g.shadow = shadow;
        __atomic_store_n(&atoll_g.size, size, __ATOMIC_RELEASE);
        return;
    }
    atoll_log("cannot reserve address space for the heap; every block goes to the C library");
}

static int environ_ready(void)
{
    extern char **environ;
    return environ != NULL;
}

void atoll_global_init(void)
{
    atoll_lock();
    if (!atoll_initialized) {
        atoll_options_load();
        region_init();
        /* Profile from the first block when the environment is readable this early, so that
         * no block of the loader's goes unrecorded; the constructor adds the call stacks. */
        atoll_set_profiling(atoll_g.mode == ATOLL_MODE_PROFILE && atoll_g.size && environ_ready());
        __atomic_store_n(&atoll_initialized, 1, __ATOMIC_RELEASE);
    }
    atoll_unlock();
}

/* The plain fast paths' limits follow the small limit, the region and the mode. Profiling
 * closes them (both become 0), so that malloc and free reach the profiled paths through the
 * tests they make anyway. */
void atoll_fast_paths_update(void)
{
    int on = atoll_g.profiling;
    atoll_g.fast_max = !on && atoll_g.small_limit ? atoll_g.small_limit - 1 : 0;
    atoll_g.fast_size = on ? 0 : atoll_g.size;
}

void atoll_set_profiling(int on)
{
    atoll_g.profiling = on;
    atoll_fast_paths_update();
}

static void thread_exit(void *arg)
{
    atoll_tls.heap = &atoll_empty_heap;
    atoll_tls.state = ATOLL_THREAD_DEAD;
    atoll_heap_abandon(arg);
}

void atoll_register_thread_exit(struct atoll_heap *h)
{
    if (__atomic_load_n(&exit_key_ready, __ATOMIC_ACQUIRE))
        pthread_setspecific(exit_key, h);
}

static void start_profiling(void)
{
    if (atoll_collect_init() != 0 || atoll_world_install() != 0) {
        atoll_log("cannot set up collections; running as an allocator only");
        atoll_set_profiling(0);
        return;
    }
    void (*tls_info)(size_t *, size_t *) =
        (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    size_t align;
    if (tls_info)
        tls_info(&atoll_static_tls_size, &align);
    atoll_profile_start_stacks();
    if (atoll_g.python_stacks)
        atoll_g.python_stacks = cpython_frames_init() != 0;
    if (atoll_g.python_stacks)
        atoll_pystack_start();
    uintptr_t eval_lo, eval_hi;
    if (atoll_g.python_stacks && cpython_eval_loop(&eval_lo, &eval_hi))
        atoll_unwind_stop_in(eval_lo, eval_hi);
    atoll_g.python_freelists = atoll_g.python_freelists && atoll_g.python_stacks &&
                               atoll_pyfree_init();
    if (!atoll_g.profiling) {
        atoll_set_profiling(1);
        atoll_profile_adopt_existing();
    }
    if (atoll_cc.signal && atoll_collect_install_signal(atoll_cc.signal) != 0)
        atoll_log("cannot install the collection signal %d", atoll_cc.signal);
}

__attribute__((constructor(101))) static void atoll_constructor(void)
{
    /* The main thread makes the first call into glibc's malloc. Under atoll the program's
     * first call may come from another thread instead, and we saw glibc abort at thread exit
     * ("malloc assertion failure in __malloc_arena_thread_freeres: a->attached_threads > 0")
     * with two workers left on the main arena without holding it (allocbench small 2, about
     * one run in 25 with libunwind loaded; none in 40 runs with this call). */
    __libc_free(__libc_malloc(1));
    if (!atoll_initialized)
        atoll_global_init();
    atoll_options_load();
    atoll_options_load_collector();
    if (pthread_key_create(&exit_key, thread_exit) == 0) {
        __atomic_store_n(&exit_key_ready, 1, __ATOMIC_RELEASE);
        if (atoll_tls.heap != &atoll_empty_heap)
            pthread_setspecific(exit_key, atoll_tls.heap);
    }
    pthread_atfork(atoll_fork_prepare, atoll_fork_parent, atoll_fork_child);
    if (atoll_g.mode == ATOLL_MODE_PROFILE && atoll_g.size)
        start_profiling();
    else
        atoll_set_profiling(0);
    atoll_pygc_setting_load();
    int exit_collection = atoll_g.profiling && atoll_cc.at_exit;
    if (atoll_g.profiling || atoll_pygc_setting_given())
        atoll_cpython_atexit_install(exit_collection);
    if (!atoll_cc.follow)
        unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void atoll_destructor(void)
{
    atoll_collect_at_exit();
    atoll_unwind_check_report();
    if (atoll_g.stats_at_exit)
        atoll_stats_print();
}
