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

#ifdef __cplusplus
}
#endif

#endif
