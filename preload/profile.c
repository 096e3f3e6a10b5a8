/* What profile mode records about every block: its allocation site, requested size, sequence
 * number and birth epoch (the number of collections before it, from which its generation
 * follows), and the allocation counter that triggers automatic collections. A Python object
 * CPython took back from a free list since the thread's last call (cpython/freelists.c) is
 * recorded as a block allocated by this call: it is a new object, made since.
 *
 * Every call runs inside a critical section (see world.c), so a collection never sees a block
 * half-recorded. Small blocks keep their record in a shadow table beside their pool; large
 * blocks in large.c's table. */
#define UNW_LOCAL_ONLY
#include "internal.h"
#include "unwind.h"
#include "cpython/pygc.h"

#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_BATCH 1024
#define COUNT_BATCH 64
#define REBORN_MAX 16 /* objects taken back from CPython's free lists, handled per call */

struct profile_tls {
    uint64_t seq_next, seq_end;
    int32_t count_delta;
    int unwinding;
};

static __thread struct profile_tls ptls __attribute__((tls_model("initial-exec")));
static uint64_t seq_batches;
static uintptr_t self_start, self_end;      /* libatoll.so's code: frames to skip */
static uintptr_t loader_start, loader_end;  /* ld.so's code: its blocks are roots */
static int stacks_ready;

struct code_range {
    uintptr_t probe, start, end;
};

static int find_code(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct code_range *r = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (r->probe >= lo && r->probe < hi) {
            r->start = lo;
            r->end = hi;
            return 1;
        }
    }
    return 0;
}

static uintptr_t libc_start, libc_end;

static void code_range_of(uintptr_t probe, uintptr_t *start, uintptr_t *end)
{
    struct code_range r = { probe, 0, 0 };
    dl_iterate_phdr(find_code, &r);
    *start = r.start;
    *end = r.end;
}

/* From the constructor: libunwind is safe to call from now on (not from inside the loader
 * before relocation is done), and we know which frames are ours and which code is ld.so's. */
void atoll_profile_start_stacks(void)
{
    code_range_of((uintptr_t)&atoll_site_intern, &self_start, &self_end);
    atoll_unwind_init(self_start, self_end);
    void *in_loader = dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    if (in_loader)
        code_range_of((uintptr_t)in_loader, &loader_start, &loader_end);
    code_range_of((uintptr_t)&exit, &libc_start, &libc_end);
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    void *warm[4];
    unw_backtrace(warm, 4);
    __atomic_store_n(&stacks_ready, 1, __ATOMIC_RELEASE);
}

/* The site of the calling stack; the unknown site while libunwind cannot be used yet, or in
 * a signal handler that interrupted a capture of this thread. */
static uint32_t capture_site(const void *ra)
{
    if (!__atomic_load_n(&stacks_ready, __ATOMIC_ACQUIRE) || ptls.unwinding)
        return 0;
    ptls.unwinding = 1;
    uint32_t site = atoll_unwind_site(ra);
    if (atoll_g.python_stacks)
        site = atoll_pystack_site(site);
    ptls.unwinding = 0;
    return site;
}

/* At exit, the stack of the exiting thread below its last frame of program code holds exit's,
 * the loader's and atoll's frames, whose unused slots still carry main's dead locals. The stack
 * pointer of the innermost frame outside atoll, ld.so and libc (main if it called exit, else
 * _start) is where that thread's live stack starts; 0 if it cannot be found. */
uintptr_t atoll_profile_program_sp(void)
{
    unw_context_t uc;
    unw_cursor_t c;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0)
        return 0;
    for (int depth = 0; depth < 64 && unw_step(&c) > 0; depth++) {
        unw_word_t ip, sp;
        unw_get_reg(&c, UNW_REG_IP, &ip);
        unw_get_reg(&c, UNW_REG_SP, &sp);
        int ours = (ip >= self_start && ip < self_end) || (ip >= loader_start && ip < loader_end) ||
                   (ip >= libc_start && ip < libc_end);
        if (!ours)
            return (uintptr_t)sp;
    }
    return 0;
}

static uint64_t next_stamp(void)
{
    if (ptls.seq_next == ptls.seq_end) {
        uint64_t batch = __atomic_fetch_add(&seq_batches, 1, __ATOMIC_RELAXED);
        ptls.seq_next = batch * SEQ_BATCH + 1;
        ptls.seq_end = ptls.seq_next + SEQ_BATCH;
    }
    uint64_t epoch = __atomic_load_n(&atoll_collections_done, __ATOMIC_RELAXED);
    if (epoch > ATOLL_EPOCH_MAX)
        epoch = ATOLL_EPOCH_MAX;
    return ptls.seq_next++ << ATOLL_EPOCH_BITS | epoch;
}

uint64_t atoll_fork_seq;

/* In a forked child: every number the parent's threads reserved is at most the batches counted
 * so far, and this thread's next block starts a fresh batch above them, so the child's own
 * blocks are told from the ones it inherited by their numbers. */
void atoll_profile_after_fork_child(void)
{
    atoll_fork_seq = __atomic_load_n(&seq_batches, __ATOMIC_RELAXED) * SEQ_BATCH;
    ptls.seq_next = ptls.seq_end;
}

/* The highest sequence number handed out so far, for collections.jsonl (detection latency in
 * allocations). Exact when only the calling thread allocates; with other threads it may count
 * up to SEQ_BATCH - 1 numbers per thread that they have reserved and not yet used. Lock-free
 * and allocation-free: it runs while the world is stopped. */
uint64_t atoll_profile_last_seq(void)
{
    uint64_t batches = __atomic_load_n(&seq_batches, __ATOMIC_RELAXED);
    if (batches && ptls.seq_end == batches * SEQ_BATCH + 1)
        return ptls.seq_next - 1;
    return batches * SEQ_BATCH;
}

static uint32_t flags_of(const void *ra)
{
    return (uintptr_t)ra >= loader_start && (uintptr_t)ra < loader_end ? ATOLL_DUMP_BLOCK_LOADER
                                                                       : 0;
}

/* Small blocks of Python objects made again: as if allocated now, at site. */
static void record_reborn(void *const *blocks, unsigned n, uint32_t site, uint32_t flags)
{
    for (unsigned i = 0; i < n; i++) {
        struct atoll_small_meta *m = atoll_small_meta_of(atoll_pool_of(blocks[i]), blocks[i]);
        m->site = site;
        m->flags = (uint16_t)flags;
        m->stamp = next_stamp();
    }
}

/* Records b as a block of n requested bytes allocated from return address ra. */
void atoll_profile_record(void *b, size_t n, const void *ra)
{
    void *reborn[REBORN_MAX];
    unsigned k = atoll_g.python_freelists && !atoll_pyfree_idle()
                     ? atoll_pyfree_check(reborn, REBORN_MAX)
                     : 0;
    uint32_t flags = flags_of(ra);
    uint32_t site = capture_site(ra);
    record_reborn(reborn, k, site, flags);
    uint64_t stamp = next_stamp();
    struct atoll_pool *p = atoll_pool_of(b);
    if (p) {
        struct atoll_small_meta *m = atoll_small_meta_of(p, b);
        m->site = site;
        m->size = (uint16_t)n;
        m->flags = (uint16_t)flags;
        m->stamp = stamp;
    } else {
        struct atoll_block_meta meta = { n, stamp, site, flags };
        atoll_large_add(b, &meta);
    }
}

static void count(int32_t d)
{
    ptls.count_delta += d;
    if (ptls.count_delta >= COUNT_BATCH || ptls.count_delta <= -COUNT_BATCH) {
        atoll_collect_count(ptls.count_delta);
        ptls.count_delta = 0;
    }
}

void atoll_profile_alloc(void *b, size_t n, const void *ra)
{
    if (!b)
        return;
    atoll_profile_record(b, n, ra);
    count(1);
}

/* Before the C library or the pool gets ptr back; ra: free's return address. */
void atoll_profile_free(void *ptr, const void *ra)
{
    if (atoll_g.python_freelists && !atoll_pyfree_idle()) {
        void *reborn[REBORN_MAX];
        unsigned k = atoll_pyfree_check(reborn, REBORN_MAX);
        if (k)
            record_reborn(reborn, k, capture_site(ra), flags_of(ra));
    }
    atoll_profile_forget(ptr);
}

void atoll_profile_forget(void *ptr)
{
    if (ATOLL_UNLIKELY(__atomic_load_n(&atoll_pygc_window, __ATOMIC_RELAXED)))
        atoll_pygc_sites_freed(ptr);
    struct atoll_pool *p = atoll_pool_of(ptr);
    if (p) {
        /* A block of 64 bytes or more at a multiple of 16 in a pool in use: its second word is
         * there to read even when ptr is no block's start. */
        if (p->bsize >= 64 && !((uintptr_t)ptr & 15))
            atoll_pycode_check_free(ptr);
    } else if (atoll_large_remove(ptr, NULL)) {
        atoll_pycode_check_free(ptr);
    } else {
        return;
    }
    count(-1);
}

/* The requested size of a live block (0 if unknown). */
size_t atoll_profile_size(const void *ptr)
{
    struct atoll_pool *p = atoll_pool_of(ptr);
    if (p)
        return atoll_small_meta_of(p, ptr)->size;
    struct atoll_block_meta meta;
    return atoll_large_find(ptr, &meta) ? meta.size : 0;
}

/* Marks ptr never to be reported (atoll_ignore). */
int atoll_profile_ignore(const void *ptr)
{
    struct atoll_pool *p = atoll_pool_of(ptr);
    if (p) {
        if (atoll_block_check(p, ptr) != ATOLL_BLOCK_OK)
            return -1;
        atoll_small_meta_of(p, ptr)->flags |= ATOLL_DUMP_BLOCK_IGNORED;
        return 0;
    }
    struct atoll_block_meta meta;
    atoll_critical_enter();
    int found = atoll_large_remove(ptr, &meta);
    if (found) {
        meta.flags |= ATOLL_DUMP_BLOCK_IGNORED;
        atoll_large_add(ptr, &meta);
    }
    atoll_critical_exit();
    return found ? 0 : -1;
}

/* Blocks allocated before profiling began have no record: give them their block size. */
void atoll_profile_adopt_existing(void)
{
    size_t npools = atoll_g.size >> ATOLL_POOL_SHIFT;
    for (size_t i = 0; i < npools; i++) {
        struct atoll_pool *p = &atoll_g.pools[i];
        if (!p->bsize) {
            if (p->owner == NULL && atoll_g.arenas[i / ATOLL_POOLS_PER_ARENA].state ==
                                        ATOLL_ARENA_UNTOUCHED)
                break;
            continue;
        }
        char *base = (char *)atoll_pool_base(p);
        for (unsigned b = 0; b < p->carved; b++)
            if (p->live[b >> 6] & ((uint64_t)1 << (b & 63))) {
                struct atoll_small_meta *m = atoll_small_meta_of(p, base + (size_t)b * p->bsize);
                if (!m->size)
                    m->size = p->bsize;
            }
    }
}
