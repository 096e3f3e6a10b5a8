/* atoll's locks: spinlocks that yield, each one int. The global lock guards arenas and the
 * lists of heaps; imeta.c, sites.c and large.c keep their own. None is held on a fast path or
 * across a call into the C library, and each is held for a few hundred instructions at most;
 * pthread mutexes are not usable before libc has set up the calling thread. */
#include "internal.h"

#include <sched.h>

static int global_word;

void atoll_spin_lock(int *word)
{
    for (unsigned spins = 0; __atomic_exchange_n(word, 1, __ATOMIC_ACQUIRE); spins++) {
        while (__atomic_load_n(word, __ATOMIC_RELAXED)) {
            if (++spins > 64)
                sched_yield();
#if defined(__x86_64__) || defined(__i386__)
            else
                __builtin_ia32_pause();
#endif
        }
    }
}

void atoll_spin_unlock(int *word)
{
    __atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

void atoll_lock(void)
{
    atoll_spin_lock(&global_word);
}

void atoll_unlock(void)
{
    atoll_spin_unlock(&global_word);
}

void atoll_lock_reset(void)
{
    __atomic_store_n(&global_word, 0, __ATOMIC_RELAXED);
}
