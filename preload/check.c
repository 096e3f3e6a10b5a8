/* Validation of a pointer handed to free or realloc (or read in the program's memory), and the
 * one-line report of a bad one.
 * A bad pointer is reported and then left alone: the heap is never touched for it. */
#include "internal.h"

#include <stdlib.h>

enum atoll_block_fault atoll_block_check(const struct atoll_pool *p, const void *ptr)
{
    unsigned bsize = __atomic_load_n(&p->bsize, __ATOMIC_RELAXED);
    if (bsize == 0 || !__atomic_load_n(&p->owner, __ATOMIC_RELAXED))
        return ATOLL_BLOCK_UNUSED_POOL;
    uint64_t product = atoll_block_product(p, ptr);
    unsigned i = (unsigned)(product >> 32);
    if (i >= __atomic_load_n(&p->carved, __ATOMIC_RELAXED))
        return ATOLL_BLOCK_UNUSED_POOL;
    if (!atoll_block_product_at_start(product))
        return ATOLL_BLOCK_INTERIOR;
    uint64_t word = __atomic_load_n(&p->live[i >> 6], __ATOMIC_RELAXED);
    if (!(word & ((uint64_t)1 << (i & 63))))
        return ATOLL_BLOCK_NOT_LIVE;
    return ATOLL_BLOCK_OK;
}

bool atoll_block_live(const void *b, struct atoll_block_meta *meta)
{
    struct atoll_pool *p = atoll_pool_of(b);
    if (!p)
        return atoll_large_find(b, meta);
    if (atoll_block_check(p, b) != ATOLL_BLOCK_OK)
        return false;
    const struct atoll_small_meta *m = atoll_small_meta_of(p, b);
    *meta = (struct atoll_block_meta){ m->size, m->stamp, m->site, m->flags };
    return true;
}

void atoll_report_bad_pointer(const char *func, const void *ptr, const struct atoll_pool *p,
                              enum atoll_block_fault fault)
{
    unsigned bsize = __atomic_load_n(&p->bsize, __ATOMIC_RELAXED);
    uint32_t off = (uint32_t)((uintptr_t)ptr & ATOLL_POOL_MASK);
    switch (fault) {
    case ATOLL_BLOCK_NOT_LIVE:
        atoll_log("%s(%p): double free: the %u-byte block at this address is not allocated",
                  func, ptr, bsize);
        break;
    case ATOLL_BLOCK_INTERIOR: {
        unsigned into = off % bsize;
        atoll_log("%s(%p): invalid pointer: %u bytes into the %u-byte block at %p", func, ptr,
                  into, bsize, (const void *)((const char *)ptr - into));
        break;
    }
    case ATOLL_BLOCK_UNUSED_POOL:
        atoll_log("%s(%p): invalid pointer: inside atoll's heap but in no allocated block", func,
                  ptr);
        break;
    case ATOLL_BLOCK_OK:
        return;
    }
    if (atoll_g.on_error_abort)
        abort();
}
