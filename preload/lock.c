/* The global lock: arenas and the lists of heaps. Taken only on slow paths (a pool taken or
 * given back, a thread starting or ending, fork), never with a C-library lock held by us.
 * A spinlock that yields: it is held for a few hundred instructions at most, and pthread
 * mutexes are not usable before libc has set up this thread. */
#include "internal.h"

#include <sched.h>

static int lock_word;

void atoll_lock(void)
{
    for (unsigned spins = 0; __atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE); spins++) {
        while (__atomic_load_n(&lock_word, __ATOMIC_RELAXED)) {
            if (++spins > 64)
                sched_yield();
#if defined(__x86_64__) || defined(__i386__)
            else
                __builtin_ia32_pause();
#endif
        }
    }
}

void atoll_unlock(void)
{
    __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

void atoll_lock_reset(void)
{
    __atomic_store_n(&lock_word, 0, __ATOMIC_RELAXED);
}
