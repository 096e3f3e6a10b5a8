/* fork: what the child inherits, and in what state.
 *
 * The prepare handler runs last of all (init.c registers it first), so the program's own locks
 * are taken before ours. It takes every lock of atoll's inside a critical section: no table is
 * half-changed when the address space is copied, and a collection running meanwhile does not
 * stop the forking thread while it holds them.
 *
 * In the child only the forking thread exists. The heaps of the parent's other running threads
 * are left as they are: their owners take no lock, so any of them may have been copied in the
 * middle of a change (a pool half-carved, a list half-linked), and adopting one would hand out
 * blocks twice or walk a broken list. Their blocks stay valid and are freed as remote frees,
 * which are atomic; the memory of those pools is not reused in the child. Heaps abandoned
 * before the fork were complete (abandoning takes the global lock) and are adopted as usual. */
#include "internal.h"
#include "collect.h"
#include "world.h"

void atoll_fork_prepare(void)
{
    atoll_critical_enter();
    atoll_lock_all();
}

void atoll_fork_parent(void)
{
    atoll_unlock_all();
    atoll_critical_exit();
}

void atoll_fork_child(void)
{
    atoll_log_after_fork_child();
    atoll_profile_after_fork_child();
    atoll_collect_after_fork_child();
    atoll_world_after_fork_child();
    atoll_unlock_all();
    /* A stop or a collection this thread noted was the parent's. */
    atoll_tls.stop_pending = 0;
    atoll_tls.critical--;
}
