/* Declarations shared inside libatoll.so, and the inline helpers of the fast paths. */
#ifndef ATOLL_INTERNAL_H
#define ATOLL_INTERNAL_H

#include "types.h"

#include <atoll/dump.h>

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

#define ATOLL_LIKELY(x) __builtin_expect(!!(x), 1)
#define ATOLL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ATOLL_HIDDEN __attribute__((visibility("hidden")))
#define ATOLL_EXPORT __attribute__((visibility("default")))

/* glibc's own allocator, exported under these names (never through dlsym on a hot path). */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);
void *__libc_valloc(size_t n);
void *__libc_pvalloc(size_t n);

extern struct atoll_global atoll_g ATOLL_HIDDEN;
extern struct atoll_heap atoll_empty_heap ATOLL_HIDDEN;
extern struct atoll_pool atoll_empty_pool ATOLL_HIDDEN;
extern __thread struct atoll_tls atoll_tls ATOLL_HIDDEN __attribute__((tls_model("initial-exec")));

void atoll_set_profiling(int on) ATOLL_HIDDEN;
void atoll_fast_paths_update(void) ATOLL_HIDDEN;

static inline unsigned atoll_size_class(size_t n)
{
    return n ? (unsigned)((n - 1) >> ATOLL_ALIGN_SHIFT) : 0;
}

/* The pool of a block known to be ours (one from a pool's list or a thread's cache). */
static inline struct atoll_pool *atoll_pool_of_ours(const void *ptr)
{
    return &atoll_g.pools[((uintptr_t)ptr - atoll_g.base) >> ATOLL_POOL_SHIFT];
}

/* The pool that holds ptr, or NULL when ptr is not in our region. */
static inline struct atoll_pool *atoll_pool_of(const void *ptr)
{
    uintptr_t off = (uintptr_t)ptr - atoll_g.base;
    if (off >= atoll_g.size)
        return NULL;
    return atoll_pool_of_ours(ptr);
}

static inline uintptr_t atoll_pool_base(const struct atoll_pool *p)
{
    return atoll_g.base + ((uintptr_t)(p - atoll_g.pools) << ATOLL_POOL_SHIFT);
}

/* ptr's offset in its pool times ceil(2^32 / bsize). For offsets below 16 KiB and block sizes
 * up to 512, its high half is the block index, and its low half is below 2^14 at a block's
 * start and at least 2^23 anywhere inside a block (unit test block_product checks every class
 * and offset): free learns both from one multiplication. */
static inline uint64_t atoll_block_product(const struct atoll_pool *p, const void *ptr)
{
    uint32_t off = (uint32_t)((uintptr_t)ptr & ATOLL_POOL_MASK);
    return (uint64_t)off * p->inv;
}

static inline bool atoll_block_product_at_start(uint64_t product)
{
    return (uint32_t)product < (uint32_t)1 << 22;
}

static inline unsigned atoll_block_index(const struct atoll_pool *p, const void *ptr)
{
    return (unsigned)(atoll_block_product(p, ptr) >> 32);
}

/* The block's first word held its free-list link: a program that never writes that word
 * would otherwise hold a pointer to the next free block (the one its next malloc gets), and a
 * collection would count it as a reference. glibc's tcache mangles its links for the same
 * reason, among others. The line is in the cache: the link was just read. */
static inline void *atoll_block_hand_out(struct atoll_heap *h, struct atoll_pool *p, void *b)
{
    *(void **)b = NULL;
    unsigned i = atoll_block_index(p, b);
    p->live[i >> 6] |= (uint64_t)1 << (i & 63);
    h->stats.small_mallocs++;
    return b;
}

static inline void *atoll_pool_pop(struct atoll_heap *h, struct atoll_pool *p, void *b)
{
    p->free = *(void **)b;
    p->used++;
    return atoll_block_hand_out(h, p, b);
}

static inline void atoll_pool_push(struct atoll_pool *p, void *b)
{
    *(void **)b = p->free;
    p->free = b;
}

static inline struct atoll_small_meta *atoll_small_meta_of(const struct atoll_pool *p,
                                                           const void *b)
{
    size_t pool = (size_t)(p - atoll_g.pools);
    return &atoll_g.shadow[pool * ATOLL_MAX_BLOCKS + atoll_block_index(p, b)];
}

/* world.c: a thread inside a critical section is not stopped until it leaves it, so a
 * collection never sees atoll's tables half-changed. */
void atoll_world_stop_deferred(void) ATOLL_HIDDEN;

static inline void atoll_critical_enter(void)
{
    atoll_tls.critical++;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void atoll_critical_exit(void)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (--atoll_tls.critical == 0 && ATOLL_UNLIKELY(atoll_tls.stop_pending))
        atoll_world_stop_deferred();
}

/* imeta.c */
void *atoll_imeta_alloc(size_t n) ATOLL_HIDDEN;
void *atoll_imeta_calloc(size_t n) ATOLL_HIDDEN;
void atoll_imeta_free(void *p, size_t n) ATOLL_HIDDEN;

/* sites.c */
uint32_t atoll_site_intern(void *const *frames, unsigned depth) ATOLL_HIDDEN;
/* A frame of a site that stands for all the frames of native site (low 32 bits): a joined
 * Python site's last frame (cpython/stacks.c). Neither a return address nor a Python frame. */
#define ATOLL_SITE_NATIVE (1ull << 62)
uint32_t atoll_site_count(void) ATOLL_HIDDEN;
void *const *atoll_site_frames(uint32_t id, uint32_t *depth) ATOLL_HIDDEN;

/* large.c (callers of add and remove are inside a critical section) */
void atoll_large_add(const void *p, const struct atoll_block_meta *meta) ATOLL_HIDDEN;
bool atoll_large_remove(const void *p, struct atoll_block_meta *meta) ATOLL_HIDDEN;
bool atoll_large_find(const void *p, struct atoll_block_meta *meta) ATOLL_HIDDEN;
size_t atoll_large_count(void) ATOLL_HIDDEN;
size_t atoll_large_collect(struct atoll_large_block *out, size_t max) ATOLL_HIDDEN;

/* profile.c */
void atoll_profile_start_stacks(void) ATOLL_HIDDEN;
void atoll_profile_record(void *b, size_t n, const void *ra) ATOLL_HIDDEN;
void atoll_profile_alloc(void *b, size_t n, const void *ra) ATOLL_HIDDEN;
void atoll_profile_free(void *ptr, const void *ra) ATOLL_HIDDEN;
void atoll_profile_forget(void *ptr) ATOLL_HIDDEN;
size_t atoll_profile_size(const void *ptr) ATOLL_HIDDEN;
int atoll_profile_ignore(const void *ptr) ATOLL_HIDDEN;
void atoll_profile_adopt_existing(void) ATOLL_HIDDEN;
uintptr_t atoll_profile_program_sp(void) ATOLL_HIDDEN;
uint64_t atoll_profile_last_seq(void) ATOLL_HIDDEN;
/* In a forked child, the blocks numbered above this one are its own; 0 elsewhere. */
extern uint64_t atoll_fork_seq ATOLL_HIDDEN;
void atoll_profile_after_fork_child(void) ATOLL_HIDDEN;

/* unwind.c (the rest of the walker's declarations are in unwind.h) */
void atoll_unwind_init(uintptr_t self_start, uintptr_t self_end) ATOLL_HIDDEN;
void atoll_unwind_stop_in(uintptr_t lo, uintptr_t hi) ATOLL_HIDDEN;
void atoll_unwind_check_report(void) ATOLL_HIDDEN;

/* interpose.c: frees a block for the program, as free does in profile mode, inside the
 * caller's critical section (CPython's free-list objects, cpython/freelists.c) */
void atoll_free_unchecked(void *ptr) ATOLL_HIDDEN;

/* cpython/codetable.c, cpython/stacks.c: Python stacks (profile mode, ATOLL_PYTHON_STACKS) */
uint32_t atoll_pycode_intern(const void *code, uint64_t identity) ATOLL_HIDDEN;
/* Set for good once a code object interned was neither a block of atoll's nor static (pymalloc
 * holds small ones unless PYTHONMALLOC=malloc): its free, and a new one at its address, would
 * go unseen. */
extern int atoll_pycode_foreign ATOLL_HIDDEN;
uint32_t atoll_pycode_count(void) ATOLL_HIDDEN;
uint32_t atoll_pystack_site(uint32_t native) ATOLL_HIDDEN;
void atoll_pystack_start(void) ATOLL_HIDDEN;

/* PyCode_Type once Python stacks are on (else 0), and how many code objects were freed: the
 * Python stacks' cache is keyed on code objects' addresses (cpython/stacks.c). */
extern uintptr_t atoll_pycode_type ATOLL_HIDDEN;
extern uint64_t atoll_pycode_epoch ATOLL_HIDDEN;
/* The span of the interpreter's own image (the module that holds _PyRuntime): its static
 * objects, such as 3.11's deep-frozen code objects, are never freed. */
extern uintptr_t atoll_pycode_image_lo ATOLL_HIDDEN, atoll_pycode_image_hi ATOLL_HIDDEN;

void atoll_pycode_freed(const void *code) ATOLL_HIDDEN;

/* Counts ptr, a live block of at least 16 bytes, and retires its code table entry, if it holds
 * a code object (which has no GC header: its type is the block's second word). */
static inline void atoll_pycode_check_free(const void *ptr)
{
    uintptr_t type = atoll_pycode_type;
    if (type && ((const uintptr_t *)ptr)[1] == type) {
        __atomic_fetch_add(&atoll_pycode_epoch, 1, __ATOMIC_RELAXED);
        atoll_pycode_freed(ptr);
    }
}

/* cpython/freelists.c: CPython's free lists of containers kept empty (ATOLL_PYTHON_FREELISTS).
 * The check runs at each profiled allocator call and returns the blocks of the objects taken
 * back from a free list since the thread's last call, up to max. */
bool atoll_pyfree_init(void) ATOLL_HIDDEN;
unsigned atoll_pyfree_check(void **reborn, unsigned max) ATOLL_HIDDEN;

/* Where the check looks first (set once the main interpreter exists, for the one at base): the
 * lists' counts and first slots, and the first tuple list's count. Inline in the callers: 94%
 * of the calls on tests/workloads/pyobjs.py find nothing to do, and a call to learn it cost
 * them more than the loads. */
struct atoll_pyfree_watch {
    const int32_t *count[3];
    const uintptr_t *first[3];
    const int32_t *tuples;
    int32_t tuples_max;
    const uintptr_t *main;  /* the main interpreter's pointer (lists inside it), or NULL */
    uintptr_t base;         /* its value the addresses were made for */
};
extern struct atoll_pyfree_watch atoll_pyfree_watch ATOLL_HIDDEN;

/* Nothing pushed, nothing popped since the lists were last emptied: every count 0 and every
 * first slot clear, the tuples' lists still full. Read without the GIL, as the check's own
 * holder test is; false sends the caller to atoll_pyfree_check. */
static inline bool atoll_pyfree_idle(void)
{
    const struct atoll_pyfree_watch *w = &atoll_pyfree_watch;
    const int32_t *tuples = __atomic_load_n(&w->tuples, __ATOMIC_ACQUIRE);
    if (!tuples || (w->main && *w->main != w->base))
        return false;
    return !(*w->count[0] | *w->count[1] | *w->count[2]) &&
           !(*w->first[0] | *w->first[1] | *w->first[2]) && *tuples == w->tuples_max;
}

/* collect.c */
extern uint64_t atoll_collections_done ATOLL_HIDDEN;
void atoll_collect_count(int32_t delta) ATOLL_HIDDEN;

/* init.c */
void atoll_global_init(void) ATOLL_HIDDEN;
void atoll_register_thread_exit(struct atoll_heap *h) ATOLL_HIDDEN;
extern int atoll_initialized ATOLL_HIDDEN;

/* lock.c: atoll's locks, in the order they nest; atoll_lock is the global one (arenas, heap
 * lists). imeta's comes last: the tables allocate from it under their own. */
enum atoll_lock_id {
    ATOLL_LOCK_GLOBAL,
    ATOLL_LOCK_ANNOTATE,
    ATOLL_LOCK_SITES,
    ATOLL_LOCK_PYCODE,
    ATOLL_LOCK_LARGE,
    ATOLL_LOCK_MODULES,
    ATOLL_LOCK_IMETA,
    ATOLL_NLOCKS
};
void atoll_lock_take(enum atoll_lock_id id) ATOLL_HIDDEN;
void atoll_lock_drop(enum atoll_lock_id id) ATOLL_HIDDEN;
bool atoll_lock_held(enum atoll_lock_id id) ATOLL_HIDDEN;
void atoll_lock(void) ATOLL_HIDDEN;
void atoll_unlock(void) ATOLL_HIDDEN;
void atoll_lock_all(void) ATOLL_HIDDEN;
void atoll_unlock_all(void) ATOLL_HIDDEN;

/* os.c */
size_t atoll_arenas_touched(void) ATOLL_HIDDEN;
void *atoll_os_track(void *p, size_t size) ATOLL_HIDDEN;
void *atoll_os_reserve(size_t size) ATOLL_HIDDEN;
void atoll_os_release(void *p, size_t size) ATOLL_HIDDEN;
void atoll_os_unreserve(void *p, size_t size) ATOLL_HIDDEN;
bool atoll_os_next_owned(uintptr_t from, uintptr_t to, uintptr_t *start, uintptr_t *end) ATOLL_HIDDEN;
void *atoll_os_alloc(size_t size) ATOLL_HIDDEN;

/* arena.c (caller holds the lock) */
struct atoll_pool *atoll_arena_take_pool(void) ATOLL_HIDDEN;
void atoll_arena_give_pool(struct atoll_pool *p) ATOLL_HIDDEN;
struct atoll_arena_stats {
    size_t active, peak, released;
    size_t pools_taken, pools_given;
};
void atoll_arena_get_stats(struct atoll_arena_stats *s) ATOLL_HIDDEN;

/* pool.c (owner thread) */
void atoll_pool_init(struct atoll_pool *p, struct atoll_heap *owner, unsigned cls) ATOLL_HIDDEN;
bool atoll_pool_carve(struct atoll_pool *p) ATOLL_HIDDEN;
void atoll_pool_drain(struct atoll_pool *p) ATOLL_HIDDEN;
void atoll_pool_reset(struct atoll_pool *p) ATOLL_HIDDEN;

/* heap.c */
void *atoll_heap_alloc_slow(struct atoll_heap *h, unsigned cls, size_t n, size_t align) ATOLL_HIDDEN;
void atoll_heap_free_slow(struct atoll_heap *h, struct atoll_pool *p) ATOLL_HIDDEN;
void atoll_heap_abandon(struct atoll_heap *h) ATOLL_HIDDEN;
void atoll_heap_flush_cache(struct atoll_heap *h) ATOLL_HIDDEN;
void atoll_heap_sum_stats(struct atoll_heap_stats *out) ATOLL_HIDDEN;

/* fork.c: the handlers init.c registers */
void atoll_fork_prepare(void) ATOLL_HIDDEN;
void atoll_fork_parent(void) ATOLL_HIDDEN;
void atoll_fork_child(void) ATOLL_HIDDEN;

/* remote.c: frees of blocks that belong to another thread's heap */
void atoll_remote_free(struct atoll_pool *p, void *ptr) ATOLL_HIDDEN;
void atoll_heap_collect_remote(struct atoll_heap *h) ATOLL_HIDDEN;

/* check.c: validation of a pointer handed to free or realloc */
enum atoll_block_fault { ATOLL_BLOCK_OK, ATOLL_BLOCK_UNUSED_POOL, ATOLL_BLOCK_INTERIOR,
                         ATOLL_BLOCK_NOT_LIVE };
enum atoll_block_fault atoll_block_check(const struct atoll_pool *p, const void *ptr) ATOLL_HIDDEN;
/* Whether b starts a live block of atoll's, small or large; its record (profile mode) in *meta. */
bool atoll_block_live(const void *b, struct atoll_block_meta *meta) ATOLL_HIDDEN;
void atoll_report_bad_pointer(const char *func, const void *ptr, const struct atoll_pool *p,
                              enum atoll_block_fault fault) ATOLL_HIDDEN;

/* options.c */
void atoll_options_load(void) ATOLL_HIDDEN;
void atoll_options_load_collector(void) ATOLL_HIDDEN;

/* stats.c */
void atoll_stats_print(void) ATOLL_HIDDEN;

/* fmt.c: async-signal-safe formatting; no stdio anywhere in the preload */
uint64_t atoll_parse_hex(const char **p) ATOLL_HIDDEN;
size_t atoll_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) ATOLL_HIDDEN;
size_t atoll_vfmt(char *buf, size_t size, const char *fmt, va_list ap) ATOLL_HIDDEN;

/* log.c: the library's lines, on stderr or in ATOLL_LOG's file */
extern int atoll_verbose ATOLL_HIDDEN;    /* ATOLL_VERBOSE: the exit line even when it found nothing */
void atoll_log_configure(const char *path, const char *cwd) ATOLL_HIDDEN;
void atoll_log_after_fork_child(void) ATOLL_HIDDEN;
const char *atoll_error_text(int err) ATOLL_HIDDEN;
void atoll_log(const char *fmt, ...) __attribute__((format(printf, 1, 2))) ATOLL_HIDDEN;

#endif
