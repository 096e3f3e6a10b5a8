/* atoll.h: the public API of libatoll.so.
 *
 * A program may call these to ask the preloaded atoll for information. It must still link and
 * run when atoll is not preloaded: declare the calls weak, and test them before use:
 *
 *     #define ATOLL_WEAK
 *     #include <atoll.h>
 *     ...
 *     struct atoll_stats s;
 *     if (atoll_get_stats && atoll_get_stats(&s) == 0) ...
 *
 * With ATOLL_WEAK defined every function below is declared __attribute__((weak)), so its
 * address is NULL when libatoll.so is not in the process. From other languages, look the
 * symbols up at run time (dlsym(RTLD_DEFAULT, "atoll_get_stats"), Python's ctypes.CDLL(None)).
 */
#ifndef ATOLL_H
#define ATOLL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef ATOLL_WEAK
#define ATOLL_API __attribute__((weak))
#else
#define ATOLL_API
#endif

#define ATOLL_VERSION "0.1.0"

/* Allocator counters, summed over every thread (exact when no other thread is allocating). */
struct atoll_stats {
    uint64_t small_mallocs;     /* blocks served from atoll's pools */
    uint64_t small_frees;       /* of which freed again */
    uint64_t remote_frees;      /* of those, freed by a thread other than the owner's */
    uint64_t large_mallocs;     /* requests passed to the C library (large, or over the limit) */
    uint64_t arenas_active;     /* 256 KiB arenas holding memory now */
    uint64_t arenas_peak;       /* the most ever at once */
    uint64_t arenas_released;   /* arenas given back to the OS */
    uint64_t small_max;         /* largest request served from pools (ATOLL_SMALL_MAX) */
};

/* Fills *out. Returns 0, or -1 if out is NULL. */
ATOLL_API int atoll_get_stats(struct atoll_stats *out);

/* Nonzero when p is a live block of atoll's own pools (not a C-library block). */
ATOLL_API int atoll_owns(const void *p);

/* Collections (profile mode), as Python's gc module: */

/* Runs a collection of generations 0..generation (0, 1 or 2 = full) now: stops the threads,
 * takes a snapshot, resumes them, and waits for the snapshot to write its dump. Returns the
 * number of unreachable blocks (CPython's rule on the collected generations), or -1 with errno
 * EINVAL (bad generation), ENOTSUP (not in profile mode) or EIO (the dump failed). */
ATOLL_API int atoll_collect(int generation);

/* A full collection whose dump goes to path (created exclusively, mode 0600). Returns as
 * atoll_collect. */
ATOLL_API int atoll_dump(const char *path);

/* Automatic collections: when allocations minus frees since the last collection pass t0, a
 * generation-0 collection; every t1 of those a generation-1 one; every t2 of those, a full one.
 * t0 = 0: none (the default; ATOLL_THRESHOLD=t0,t1,t2 sets them at start-up). One that comes
 * due while the last collection's snapshot is still at work starts when it is done; the
 * program does not wait for it. */
ATOLL_API void atoll_get_threshold(unsigned *t0, unsigned *t1, unsigned *t2);
ATOLL_API void atoll_set_threshold(unsigned t0, unsigned t1, unsigned t2);

/* Allocations minus frees since the last collection; collections of generation 0 since the
 * last of generation 1; of generation 1 since the last full one. */
ATOLL_API void atoll_get_count(long *c0, long *c1, long *c2);

/* Automatic collections on (the default) or off; the thresholds are kept. */
ATOLL_API void atoll_enable(void);
ATOLL_API void atoll_disable(void);
ATOLL_API int atoll_isenabled(void);

/* Never report block (a live block's start), like __lsan_ignore_object. 0, or -1 with errno
 * EINVAL (not a live block) or ENOTSUP (not in profile mode). */
ATOLL_API int atoll_ignore(const void *block);

/* Refcounted objects of your own C code (docs/objects.md): tell atoll where a block keeps its
 * reference count and which of its words hold no reference, and collections read the block as
 * CPython's gc reads an object: only a pointer to the block's start is a reference to it, it is
 * alive when its count exceeds the references other recognised objects hold to it, and the
 * words named here are not scanned. Stale pointers on stacks then cannot keep a cycle of such
 * objects alive, and a count above every reference found is reported (an incref without its
 * decref). */
struct atoll_layout {
    unsigned refcount_offset;   /* bytes from the block's start to the count, a multiple of width */
    unsigned refcount_width;    /* 1, 2, 4 or 8 bytes, unsigned, in native byte order */
    uint64_t no_references;     /* bit k: the 8 bytes at 8k hold no reference (first 64 words) */
    const char *type;           /* shown in reports (first 63 bytes copied); NULL: "annotated" */
};

/* Annotates one block (a live block's start) until it is freed. 0, or -1 with errno EINVAL (not
 * a live block, or a bad width or offset), ENOTSUP (not in profile mode) or ENOMEM. */
ATOLL_API int atoll_annotate(const void *block, const struct atoll_layout *layout);

/* Annotates every block allocated at the same site as block (the same call stack, as reports
 * group them), past and future: call it once per site, e.g. on the first block it makes.
 * Returns as atoll_annotate. A block's own annotation wins over its site's. */
ATOLL_API int atoll_annotate_site(const void *block, const struct atoll_layout *layout);

#ifdef __cplusplus
}
#endif

#endif
