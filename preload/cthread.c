/* Threads of the snapshot child: raw clones sharing its memory, so that the dump's writes and
 * part of the scan run on the machine's other CPU. No pthreads: the child must not touch the C
 * library's locks. A clone shares the child's TLS (none is set up for it), so its code reads
 * no thread-local state and leaves errno to the failure paths. */
#include "snapshot.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STACK_BYTES ((size_t)256 << 10)

void cthread_wait(uint32_t *word, uint32_t seen)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == seen)
        syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
}

void cthread_wake(uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Whether the child may run on two CPUs at once. */
int cthread_useful(void)
{
    uint64_t mask[16] = { 0 };
    long got = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    uint32_t cpus = 0;
    for (long i = 0; i < got / 8; i++)
        cpus += snap_popcount(mask[i]);
    return cpus > 1;
}

int cthread_start(struct cthread *t, int (*fn)(void *), void *arg)
{
    t->stack = cmem_alloc(STACK_BYTES);
    if (!t->stack)
        return -1;
    /* The kernel writes the id before clone returns and clears it (waking the futex) when the
     * clone exits: the join waits for 0. */
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    t->tid = 0;
    if (clone(fn, (char *)t->stack + STACK_BYTES, flags, arg, &t->tid, NULL, &t->tid) < 0) {
        cmem_free(t->stack, STACK_BYTES);
        t->stack = NULL;
        return -1;
    }
    return 0;
}

void cthread_join(struct cthread *t)
{
    if (!t->stack)
        return;
    for (uint32_t v; (v = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE)) != 0;)
        cthread_wait(&t->tid, v);
    cmem_free(t->stack, STACK_BYTES);
    t->stack = NULL;
}
