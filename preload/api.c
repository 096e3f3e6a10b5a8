/* The public API declared in include/atoll.h. */
#include "internal.h"
#include "collect.h"

#include <atoll.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <ucontext.h>

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

/* The API's collections scan the caller's stack from its frame up, with the registers it had
 * when it called: the program's view. atoll's own frames below it hold, in slots they have not
 * written, stale words of the program's dead frames, which would make a leaked block look
 * referenced. The entry points are naked: they push the callee-saved registers (the only ones
 * the program may still be using across a call) where the C code can read them, and find the
 * caller's stack pointer just above the return address. */
#if defined(__x86_64__)
#define ENTRY(impl)                                                                          \
    __asm__("push %rbp\n\tpush %rbx\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t" \
            "mov %rsp, %rsi\n\tsub $8, %rsp\n\tcall " #impl "\n\tadd $8, %rsp\n\t"         \
            "pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbx\n\tpop %rbp\n\tret")
#endif

/* The caller's entry from what ENTRY saved: r15, r14, r13, r12, rbx, rbp as pushed, then the
 * return address. NULL where there is no ENTRY: the collection then scans from its own frame. */
static const struct atoll_entry *caller_entry(struct atoll_entry *e, const uintptr_t *saved)
{
#if defined(__x86_64__)
    memset(e, 0, sizeof *e);
    e->sp = (uintptr_t)(saved + 7);
    e->regs[REG_R15] = saved[0];
    e->regs[REG_R14] = saved[1];
    e->regs[REG_R13] = saved[2];
    e->regs[REG_R12] = saved[3];
    e->regs[REG_RBX] = saved[4];
    e->regs[REG_RBP] = saved[5];
    /* where the caller is: its frame starts the walk of its thread's frames (STACKFRAMES) */
    e->regs[REG_RIP] = saved[6];
    e->regs[REG_RSP] = e->sp;
    return e;
#else
    (void)e, (void)saved;
    return NULL;
#endif
}

ATOLL_HIDDEN __attribute__((used)) int atoll_api_collect(int generation, const uintptr_t *saved)
{
    if (generation < 0 || generation > 2) {
        errno = EINVAL;
        return -1;
    }
    struct atoll_entry e;
    struct atoll_collect_result r;
    if (atoll_collect_run((unsigned)generation, ATOLL_DUMP_TRIGGER_API, NULL, 1, &r,
                          caller_entry(&e, saved)) != 0)
        return -1;
    return r.unreachable_blocks > INT_MAX ? INT_MAX : (int)r.unreachable_blocks;
}

ATOLL_HIDDEN __attribute__((used)) int atoll_api_dump(const char *path, const uintptr_t *saved)
{
    if (!path || !*path) {
        errno = EINVAL;
        return -1;
    }
    struct atoll_entry e;
    struct atoll_collect_result r;
    if (atoll_collect_run(2, ATOLL_DUMP_TRIGGER_DUMP, path, 1, &r, caller_entry(&e, saved)) != 0)
        return -1;
    return r.unreachable_blocks > INT_MAX ? INT_MAX : (int)r.unreachable_blocks;
}

#if defined(__x86_64__)
ATOLL_EXPORT __attribute__((naked)) int atoll_collect(__attribute__((unused)) int generation)
{
    ENTRY(atoll_api_collect);
}

ATOLL_EXPORT __attribute__((naked)) int atoll_dump(__attribute__((unused)) const char *path)
{
    ENTRY(atoll_api_dump);
}
#else
ATOLL_EXPORT int atoll_collect(int generation)
{
    return atoll_api_collect(generation, NULL);
}

ATOLL_EXPORT int atoll_dump(const char *path)
{
    return atoll_api_dump(path, NULL);
}
#endif

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
