/* The core types of libatoll.so: region, arenas, pools, per-thread heaps.
 *
 *   layer +2  interpose.c   malloc family: small requests here, the rest to the C library
 *   layer +1  heap.c        per-thread heaps: a list of pools per size class, remote-free queue
 *             pool.c        one pool = 16 KiB of blocks of one size class, out-of-band metadata
 *   layer  0  arena.c       256 KiB arenas of 16 pools, most-used first, empty ones to the OS
 *   layer -1  os.c          one reserved region, so "is this pointer ours" is a subtract+compare
 *
 * Metadata lives outside the blocks, in flat tables indexed by (pointer - region base) >> shift,
 * so finding a block's pool and arena never touches memory that is not ours, and the pools
 * themselves are 100% payload. */
#ifndef ATOLL_TYPES_H
#define ATOLL_TYPES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define ATOLL_ALIGN_SHIFT 4
#define ATOLL_ALIGN ((size_t)1 << ATOLL_ALIGN_SHIFT)
#define ATOLL_SMALL_LIMIT 512
#define ATOLL_NCLASSES (ATOLL_SMALL_LIMIT / ATOLL_ALIGN)

#define ATOLL_POOL_SHIFT 14
#define ATOLL_POOL_SIZE ((size_t)1 << ATOLL_POOL_SHIFT)
#define ATOLL_POOL_MASK (ATOLL_POOL_SIZE - 1)
#define ATOLL_ARENA_SHIFT 18
#define ATOLL_ARENA_SIZE ((size_t)1 << ATOLL_ARENA_SHIFT)
#define ATOLL_POOLS_PER_ARENA (ATOLL_ARENA_SIZE / ATOLL_POOL_SIZE)
#define ATOLL_MAX_BLOCKS (ATOLL_POOL_SIZE / ATOLL_ALIGN)
#define ATOLL_BITMAP_WORDS (ATOLL_MAX_BLOCKS / 64)

struct atoll_heap;

/* One pool's metadata. malloc and a local free touch its first cache line (and, in classes
 * under 64 bytes, one more word of the live bitmap), never the block beyond its first word:
 * free does not even read the block, so a free of a block that has left the cache costs no
 * load miss. Pool metadata is dense (320 bytes per 16 KiB), so it stays cached when the blocks
 * do not. The live bitmap also catches a double free, and tells the profiler's scanner a live
 * block from a free one. Other threads write only the last lines (the remote bitmap, one atomic
 * OR per cross-thread free, and the queue fields), never the owner's first line. With the live
 * words in the first line, cachegrind counted 22% fewer L1 data misses on allocbench small. */
struct atoll_pool {
    /* Line 0, all a local malloc or free reads: the owner check, the block index, the class,
     * and the first four live words (every live word of a class of 64 bytes or more). */
    struct atoll_heap *owner;         /* written under the global lock; NULL when unused */
    void *free;                       /* owner thread only: intrusive list of free blocks */
    uint32_t inv;                     /* ceil(2^32 / bsize): block index by multiplication */
    uint16_t used;                    /* live blocks, as the owner sees them */
    uint16_t relist_at;               /* a local free that leaves used at this calls the slow path */
    uint16_t bsize;                   /* block size in bytes; 0 when the pool is unused */
    uint16_t nblocks;
    uint16_t carved;                  /* blocks ever put on the free list */
    uint8_t cls;
    uint8_t listed;                   /* on the owner's list of pools with room */
    uint64_t live[ATOLL_BITMAP_WORDS]; /* owner writes; others may read */
    struct atoll_pool *next, *prev;   /* owner's list of pools with room, for this class */
    struct atoll_pool *remote_next;   /* link in the owner's queue of pools with remote frees */
    uint32_t queued;                  /* atomic: on the owner's remote queue */
    uint8_t remote_seen;              /* atomic: another thread has freed into it */
    uint64_t remote[ATOLL_BITMAP_WORDS] __attribute__((aligned(64))); /* atomic: freed by another
                                         thread, not yet drained */
} __attribute__((aligned(64)));

/* Counted by the heap's owner only: a free by another thread is counted when it is drained. */
struct atoll_heap_stats {
    uint64_t small_mallocs;
    uint64_t small_frees;
    uint64_t remote_frees;            /* of small_frees, those made by another thread */
    uint64_t large_mallocs;
    uint64_t stacks_remembered;       /* profile mode: call stacks found remembered, */
    uint64_t stacks_walked;           /* walked, */
    uint64_t stacks_libunwind;        /* or left to libunwind (unwind.c) */
};

/* Blocks this thread freed last, per class, for its next mallocs: they are still in the CPU
 * cache, where the free blocks of a pool went cold long ago when the program frees at random
 * (glibc's tcache, tcmalloc's thread cache). A cached block is free (its live bit is clear) but
 * still counted in its pool's used count, so the pool stays put while the block is here. */
#define ATOLL_CACHE_MAX 32
struct atoll_cache {
    void *head;
    uint32_t count;
};

/* A thread's heap. head[c] is its list of pools of class c with room; cur[c] is the first of
 * them, that malloc pops from when the cache is empty, or the static empty pool, whose free list
 * is always empty: a thread that has no heap yet runs the same fast path as every other and
 * falls into the slow path, which sets it up. */
struct atoll_heap {
    struct atoll_cache cache[ATOLL_NCLASSES];
    struct atoll_pool *cur[ATOLL_NCLASSES];
    struct atoll_pool *head[ATOLL_NCLASSES];
    uint16_t nlisted[ATOLL_NCLASSES];
    struct atoll_heap_stats stats;
    struct atoll_heap *next_all;      /* every heap ever made, for statistics */
    struct atoll_heap *next_abandoned;
    void *unwind;                     /* the stack walker's caches (unwind.c) */
    void *pystacks;                   /* joined Python stacks (cpython/stacks.c) */
    /* Other threads write this line: keep it apart from the owner's hot fields. */
    struct atoll_pool *remote __attribute__((aligned(64))); /* atomic: queue of pools */
} __attribute__((aligned(64)));

struct atoll_arena {
    struct atoll_arena *next, *prev;  /* in the bucket of arenas with the same free count */
    uint16_t freemask;                /* bit i set: pool i of this arena is unused */
    uint8_t nfree;
    uint8_t state;                    /* enum atoll_arena_state */
};

enum atoll_arena_state { ATOLL_ARENA_UNTOUCHED, ATOLL_ARENA_ACTIVE, ATOLL_ARENA_RELEASED };

enum atoll_mode { ATOLL_MODE_PROFILE, ATOLL_MODE_ALLOC };

/* Profile mode's record of a block. stamp = sequence number << ATOLL_EPOCH_BITS | epoch, the
 * number of collections before the block was born (its generation follows from it). */
#define ATOLL_EPOCH_BITS 24
#define ATOLL_EPOCH_MAX ((1u << ATOLL_EPOCH_BITS) - 1)
#define ATOLL_MAX_STACK_DEPTH 256

struct atoll_small_meta {             /* in the shadow table, one per block slot of a pool */
    uint32_t site;
    uint16_t size;
    uint16_t flags;                   /* ATOLL_DUMP_BLOCK_* */
    uint64_t stamp;
};

struct atoll_block_meta {
    uint64_t size;
    uint64_t stamp;
    uint32_t site;
    uint32_t flags;
};

struct atoll_large_block {
    uintptr_t address;
    struct atoll_block_meta meta;
};

/* Read on every call, written only during initialisation and when profiling starts or stops.
 * The exported malloc and free test fast_max and fast_size alone: both are 0 while profiling,
 * so the plain fast paths spend no test on the mode. */
struct atoll_global {
    size_t fast_max;                  /* malloc's fast path serves 1 to fast_max bytes */
    uintptr_t base;                   /* start of the reserved region (arena aligned) */
    uintptr_t fast_size;              /* free's fast path takes pointers below base + this */
    struct atoll_pool *pools;         /* one per pool of the region */
    uintptr_t size;                   /* 0 until initialised: every pointer is foreign */
    struct atoll_arena *arenas;       /* one per arena of the region */
    size_t small_limit;               /* requests below this are ours; 0: none */
    struct atoll_small_meta *shadow;  /* profile mode: ATOLL_MAX_BLOCKS records per pool */
    int profiling;                    /* profile mode has started: record every block */
    int on_error_abort;
    int stats_at_exit;
    enum atoll_mode mode;
    unsigned stack_depth;             /* ATOLL_STACK_DEPTH */
    int python_stacks;                /* ATOLL_PYTHON_STACKS, and a CPython was found */
    int python_freelists;             /* ATOLL_PYTHON_FREELISTS, and its free lists found */
    int unwind_check;                 /* ATOLL_UNWIND_CHECK */
} __attribute__((aligned(64)));

enum atoll_thread_state { ATOLL_THREAD_RUNNING, ATOLL_THREAD_BUSY, ATOLL_THREAD_DEAD };

struct atoll_tls {
    struct atoll_heap *heap;
    int state;                        /* enum atoll_thread_state */
    int critical;                     /* inside atoll: a stop request waits (world.c) */
    int stop_pending;
};

#endif
