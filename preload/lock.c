/* atoll's locks: spinlocks that yield, each one int on its own cache line. They are listed in
 * one table, in the order a thread may nest them: one is never taken while a later one is held.
 * None is held on a fast path or across a call into the C library, and each is held for a few
 * hundred instructions at most; pthread mutexes are not usable before libc has set up the
 * calling thread.
 *
 * fork takes them all, in that order, so the child never inherits a table that another thread
 * was half-way through changing (a uthash table reset in mid-update can loop forever). */
#include "internal.h"

#include <sched.h>

static struct {
    int word;
} __attribute__((aligned(64))) locks[ATOLL_NLOCKS];

static void spin_lock(int *word)
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

void atoll_lock_take(enum atoll_lock_id id)
{
    spin_lock(&locks[id].word);
}

void atoll_lock_drop(enum atoll_lock_id id)
{
    __atomic_store_n(&locks[id].word, 0, __ATOMIC_RELEASE);
}

bool atoll_lock_held(enum atoll_lock_id id)
{
    return __atomic_load_n(&locks[id].word, __ATOMIC_RELAXED) != 0;
}

void atoll_lock(void)
{
    atoll_lock_take(ATOLL_LOCK_GLOBAL);
}

void atoll_unlock(void)
{
    atoll_lock_drop(ATOLL_LOCK_GLOBAL);
}

void atoll_lock_all(void)
{
    for (unsigned id = 0; id < ATOLL_NLOCKS; id++)
        atoll_lock_take((enum atoll_lock_id)id);
}

void atoll_unlock_all(void)
{
    for (unsigned id = ATOLL_NLOCKS; id-- > 0;)
        atoll_lock_drop((enum atoll_lock_id)id);
}
