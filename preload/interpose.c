/* The malloc family as the program sees it. Small requests are served from the calling thread's
 * heap; larger ones and large alignments go to glibc's own allocator through its exported
 * __libc_* entry points. free and realloc route by ownership: a pointer outside our region
 * (a large block, a block from before we started, from a library that called __libc_malloc)
 * goes back to the C library. Semantics follow glibc 2.36 exactly (see docs/allocator.md). */
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static inline void *small_alloc(size_t cls, size_t n, size_t align)
{
    struct atoll_heap *h = atoll_tls.heap;
    struct atoll_cache *c = &h->cache[cls];
    void *b = c->head;
    if (ATOLL_LIKELY(b != NULL)) {
        c->head = *(void **)b;
        c->count--;
        return atoll_block_hand_out(h, atoll_pool_of_ours(b), b);
    }
    struct atoll_pool *p = h->cur[cls];
    b = p->free;
    if (ATOLL_LIKELY(b != NULL))
        return atoll_pool_pop(h, p, b);
    return atoll_heap_alloc_slow(h, (unsigned)cls, n, align);
}

static void *large_alloc(size_t n)
{
    struct atoll_heap *h = atoll_tls.heap;
    if (h != &atoll_empty_heap)
        h->stats.large_mallocs++;
    return __libc_malloc(n);
}

static inline void *raw_malloc(size_t n)
{
    if (ATOLL_LIKELY(n < atoll_g.small_limit))
        return small_alloc(atoll_size_class(n), n, ATOLL_ALIGN);
    return large_alloc(n);
}

/* Apart from owned_free: the check's call would cost its fast path a stack frame. */
static __attribute__((noinline)) void bad_free(struct atoll_pool *p, void *ptr)
{
    atoll_report_bad_pointer("free", ptr, p, atoll_block_check(p, ptr));
}

/* A pointer inside the region, off bytes from its base. */
static inline void owned_free(void *ptr, uintptr_t off)
{
    struct atoll_pool *p = &atoll_g.pools[off >> ATOLL_POOL_SHIFT];
    struct atoll_heap *h = atoll_tls.heap;
    if (ATOLL_UNLIKELY(p->owner != h)) {
        atoll_remote_free(p, ptr);
        return;
    }
    uint64_t product = atoll_block_product(p, ptr);
    unsigned i = (unsigned)(product >> 32);
    uint64_t bit = (uint64_t)1 << (i & 63);
    uint64_t *live = &p->live[i >> 6];
    uint64_t word = *live;
    if (ATOLL_UNLIKELY(!atoll_block_product_at_start(product) || !(word & bit))) {
        bad_free(p, ptr);
        return;
    }
    *live = word ^ bit;
    h->stats.small_frees++;
    struct atoll_cache *c = &h->cache[p->cls];
    if (ATOLL_LIKELY(c->count < ATOLL_CACHE_MAX)) {
        *(void **)ptr = c->head;
        c->head = ptr;
        c->count++;
        return;
    }
    atoll_pool_push(p, ptr);
    if (ATOLL_UNLIKELY(--p->used <= p->relist_at))
        atoll_heap_free_slow(h, p);
}

static inline void raw_free(void *ptr)
{
    uintptr_t off = (uintptr_t)ptr - atoll_g.base;
    if (ATOLL_LIKELY(off < atoll_g.size))
        owned_free(ptr, off);
    else if (ptr)
        __libc_free(ptr);
}

static int mul_overflows(size_t n, size_t m, size_t *total)
{
    return __builtin_mul_overflow(n, m, total) || *total > PTRDIFF_MAX;
}

static void *raw_calloc(size_t n, size_t m)
{
    size_t total;
    if (mul_overflows(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (total >= atoll_g.small_limit)
        return __libc_calloc(n, m);
    void *b = small_alloc(atoll_size_class(total), total, ATOLL_ALIGN);
    if (b)
        memset(b, 0, total);
    return b;
}

/* Whether a block of block size bsize is kept for a new size n, as pymalloc does: when n still
 * fits and would not waste more than half of it. */
static int realloc_keeps(size_t bsize, size_t n)
{
    return n <= bsize && (n > bsize / 2 || bsize == ATOLL_ALIGN) && n < atoll_g.small_limit;
}

/* ptr is not NULL and n is not 0. */
static void *raw_realloc(void *ptr, size_t n)
{
    struct atoll_pool *p = atoll_pool_of(ptr);
    if (!p)
        return __libc_realloc(ptr, n);
    enum atoll_block_fault fault = atoll_block_check(p, ptr);
    if (fault != ATOLL_BLOCK_OK) {
        atoll_report_bad_pointer("realloc", ptr, p, fault);
        errno = EINVAL;
        return NULL;
    }
    size_t bsize = p->bsize;
    if (realloc_keeps(bsize, n))
        return ptr;
    void *fresh = raw_malloc(n);
    if (!fresh)
        return NULL;
    size_t old = atoll_g.profiling ? atoll_small_meta_of(p, ptr)->size : bsize;
    memcpy(fresh, ptr, n < old ? n : old);
    raw_free(ptr);
    return fresh;
}

ATOLL_EXPORT void *realloc(void *ptr, size_t n);

ATOLL_EXPORT void *reallocarray(void *ptr, size_t n, size_t m)
{
    size_t total;
    if (mul_overflows(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(ptr, total);
}

/* Power-of-two alignments up to the small limit come from a class whose block size is a
 * multiple of the alignment: pools are 16 KiB aligned, so every block of it is aligned. */
static void *aligned_alloc_pow2(size_t align, size_t n)
{
    if (align <= ATOLL_ALIGN)
        return raw_malloc(n);
    if (n > PTRDIFF_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    size_t rounded = n ? (n + align - 1) & ~(align - 1) : align;
    if (rounded < atoll_g.small_limit)
        return small_alloc(atoll_size_class(rounded), n, align);
    return __libc_memalign(align, n);
}

/* glibc 2.36: memalign and aligned_alloc round a non-power-of-two alignment up. */
static void *raw_memalign(size_t align, size_t n)
{
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align & (align - 1)) {
        size_t a = ATOLL_ALIGN;
        while (a < align)
            a <<= 1;
        align = a;
    }
    return aligned_alloc_pow2(align, n);
}

/* Profile mode: every call runs inside a critical section and records what it did, with ra,
 * the return address of the exported function the program called; a collection that became
 * due meanwhile runs when the section ends, outside the allocator. */
#define PROFILED_ALLOC(call, n, ra)                                                          \
    do {                                                                                     \
        atoll_critical_enter();                                                              \
        void *b_ = (call);                                                                   \
        atoll_profile_alloc(b_, (n), (ra));                                                  \
        atoll_critical_exit();                                                               \
        return b_;                                                                           \
    } while (0)

/* malloc and free in profile mode, apart: the calls they make would otherwise cost the plain
 * fast paths a stack frame (three register saves and restores a call). */
static __attribute__((noinline)) void *malloc_profiled(size_t n, const void *ra)
{
    PROFILED_ALLOC(raw_malloc(n), n, ra);
}

static __attribute__((noinline)) void free_profiled(void *ptr, const void *ra)
{
    if (!ptr)
        return;
    atoll_critical_enter();
    atoll_profile_free(ptr, ra);
    raw_free(ptr);
    atoll_critical_exit();
}

void atoll_free_unchecked(void *ptr)
{
    atoll_profile_forget(ptr);
    raw_free(ptr);
}

/* Everything malloc's fast path leaves: profile mode, malloc(0), large requests. */
static __attribute__((noinline)) void *malloc_other(size_t n, const void *ra)
{
    if (atoll_g.profiling)
        return malloc_profiled(n, ra);
    return raw_malloc(n);
}

/* One unsigned test serves both ends: n - 1 wraps for malloc(0), and fast_max is 0 in profile
 * mode. The size class then needs no case for 0. */
ATOLL_EXPORT void *malloc(size_t n)
{
    if (ATOLL_LIKELY(n - 1 < atoll_g.fast_max))
        return small_alloc((n - 1) >> ATOLL_ALIGN_SHIFT, n, ATOLL_ALIGN);
    return malloc_other(n, __builtin_return_address(0));
}

static __attribute__((noinline)) void free_other(void *ptr, const void *ra)
{
    if (atoll_g.profiling)
        free_profiled(ptr, ra);
    else
        raw_free(ptr);
}

ATOLL_EXPORT void free(void *ptr)
{
    uintptr_t off = (uintptr_t)ptr - atoll_g.base;
    if (ATOLL_LIKELY(off < atoll_g.fast_size))
        owned_free(ptr, off);
    else
        free_other(ptr, __builtin_return_address(0));
}

ATOLL_EXPORT void *calloc(size_t n, size_t m)
{
    if (ATOLL_LIKELY(!atoll_g.profiling))
        return raw_calloc(n, m);
    PROFILED_ALLOC(raw_calloc(n, m), n * m, __builtin_return_address(0));
}

ATOLL_EXPORT void *realloc(void *ptr, size_t n)
{
    if (!ptr)
        return malloc(n);
    if (n == 0) {
        free(ptr);
        return NULL;
    }
    if (ATOLL_LIKELY(!atoll_g.profiling))
        return raw_realloc(ptr, n);
    atoll_critical_enter();
    struct atoll_block_meta old;
    int was_large = !atoll_pool_of(ptr) && atoll_large_remove(ptr, &old);
    void *b = raw_realloc(ptr, n);
    if (b)
        atoll_profile_record(b, n, __builtin_return_address(0));
    else if (was_large)
        atoll_large_add(ptr, &old);
    atoll_critical_exit();
    return b;
}

ATOLL_EXPORT void *memalign(size_t align, size_t n)
{
    if (ATOLL_LIKELY(!atoll_g.profiling))
        return raw_memalign(align, n);
    PROFILED_ALLOC(raw_memalign(align, n), n, __builtin_return_address(0));
}

ATOLL_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

ATOLL_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || align == 0)
        return EINVAL;
    int saved = errno;
    void *b = memalign(align, n);
    errno = saved;
    if (!b)
        return ENOMEM;
    *out = b;
    return 0;
}

ATOLL_EXPORT void *valloc(size_t n)
{
    if (ATOLL_LIKELY(!atoll_g.profiling))
        return __libc_valloc(n);
    PROFILED_ALLOC(__libc_valloc(n), n, __builtin_return_address(0));
}

/* pvalloc's block is whole pages, all of them the program's: record (and scan) them all. */
ATOLL_EXPORT void *pvalloc(size_t n)
{
    if (ATOLL_LIKELY(!atoll_g.profiling))
        return __libc_pvalloc(n);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = n ? ((n - 1) | (page - 1)) + 1 : page;
    PROFILED_ALLOC(__libc_pvalloc(n), pages < n ? n : pages, __builtin_return_address(0));
}

/* glibc exports its malloc_usable_size only under that name, which is ours now; look it up
 * once, the first time a foreign block is asked about (a dlsym hit does not allocate). */
ATOLL_EXPORT size_t malloc_usable_size(void *ptr)
{
    if (!ptr)
        return 0;
    struct atoll_pool *p = atoll_pool_of(ptr);
    if (p && atoll_block_check(p, ptr) != ATOLL_BLOCK_OK)
        return 0;
    if (atoll_g.profiling) {
        size_t n = atoll_profile_size(ptr);
        if (n || p)
            return n;
    } else if (p) {
        return p->bsize;
    }
    static size_t (*libc_usable)(void *);
    size_t (*fn)(void *) = __atomic_load_n(&libc_usable, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (size_t(*)(void *))dlvsym(RTLD_NEXT, "malloc_usable_size", "GLIBC_2.2.5");
        if (!fn)
            return 0;
        __atomic_store_n(&libc_usable, fn, __ATOMIC_RELEASE);
    }
    return fn(ptr);
}
