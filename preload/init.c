/* Start-up and shut-down: the region, the thread-exit key, fork handlers, the exit report.
 *
 * Any entry point may be the first call, from the dynamic loader before constructors run,
 * so initialisation is lazy (the first small allocation's slow path) and takes nothing from the
 * C library but mmap. The constructor finishes what needs libc to be up: the options (if the
 * environment was not ready), the pthread key whose destructor abandons a dead thread's heap,
 * and the fork handlers. */
#include "internal.h"

#include <pthread.h>
#include <sys/mman.h>

struct atoll_global atoll_g = { .small_limit = ATOLL_SMALL_LIMIT + 1 };
int atoll_initialized;

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
        if (!pools || !arenas) {
            munmap(raw, size + ATOLL_ARENA_SIZE);
            if (pools)
                munmap(pools, npools * sizeof(struct atoll_pool));
            if (arenas)
                munmap(arenas, narenas * sizeof(struct atoll_arena));
            continue;
        }
        atoll_g.base = ((uintptr_t)raw + ATOLL_ARENA_SIZE - 1) & ~(uintptr_t)(ATOLL_ARENA_SIZE - 1);
        madvise((void *)(atoll_g.base + HUGE_FROM), size - HUGE_FROM, MADV_HUGEPAGE);
        atoll_g.pools = pools;
        atoll_g.arenas = arenas;
        __atomic_store_n(&atoll_g.size, size, __ATOMIC_RELEASE);
        return;
    }
    atoll_log("cannot reserve address space for the heap; every block goes to the C library");
}

void atoll_global_init(void)
{
    atoll_lock();
    if (!atoll_initialized) {
        atoll_options_load();
        region_init();
        __atomic_store_n(&atoll_initialized, 1, __ATOMIC_RELEASE);
    }
    atoll_unlock();
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

/* fork: the prepare handler runs last of all (registered first), so the program's own locks
 * are taken before ours and no thread is inside a slow path of ours in the child. */
static void fork_prepare(void)
{
    atoll_lock();
}

static void fork_parent(void)
{
    atoll_unlock();
}

static void fork_child(void)
{
    atoll_heap_after_fork_child();
}

__attribute__((constructor(101))) static void atoll_constructor(void)
{
    if (!atoll_initialized)
        atoll_global_init();
    atoll_options_load();
    if (pthread_key_create(&exit_key, thread_exit) == 0) {
        __atomic_store_n(&exit_key_ready, 1, __ATOMIC_RELEASE);
        if (atoll_tls.heap != &atoll_empty_heap)
            pthread_setspecific(exit_key, atoll_tls.heap);
    }
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

__attribute__((destructor)) static void atoll_destructor(void)
{
    if (atoll_g.stats_at_exit)
        atoll_stats_print();
}
