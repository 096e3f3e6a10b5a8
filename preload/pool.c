/* One pool: 16 KiB of blocks of one size class, owned by one heap at a time.
 *
 * Blocks are carved lazily, a page's worth at a time, so a fresh pool touches only the memory
 * it hands out (pymalloc's rule). Free blocks form an intrusive singly linked list through
 * their first word. */
#include "internal.h"

#include <string.h>

#define CARVE_BYTES 4096

void atoll_pool_init(struct atoll_pool *p, struct atoll_heap *owner, unsigned cls)
{
    unsigned bsize = (cls + 1) * ATOLL_ALIGN;
    p->free = NULL;
    p->next = p->prev = p->remote_next = NULL;
    p->used = 0;
    p->relist_at = 0;
    p->bsize = (uint16_t)bsize;
    p->inv = (uint32_t)((((uint64_t)1 << 32) + bsize - 1) / bsize);
    p->nblocks = (uint16_t)(ATOLL_POOL_SIZE / bsize);
    p->carved = 0;
    p->cls = (uint8_t)cls;
    p->listed = 0;
    p->remote_seen = 0;
    __atomic_store_n(&p->owner, owner, __ATOMIC_RELEASE);
}

/* Puts the next page's worth of never-used blocks on the free list, lowest address first. */
bool atoll_pool_carve(struct atoll_pool *p)
{
    if (p->carved >= p->nblocks)
        return false;
    unsigned n = CARVE_BYTES / p->bsize;
    if (n == 0)
        n = 1;
    if (n > (unsigned)(p->nblocks - p->carved))
        n = p->nblocks - p->carved;
    char *first = (char *)atoll_pool_base(p) + (size_t)p->carved * p->bsize;
    for (char *b = first + (size_t)(n - 1) * p->bsize;; b -= p->bsize) {
        atoll_pool_push(p, b);
        if (b == first)
            break;
    }
    p->carved = (uint16_t)(p->carved + n);
    return true;
}

/* Takes back the blocks other threads freed. A bit whose block is not live is a double free
 * that raced past the check in atoll_remote_free: it is reported and ignored. */
void atoll_pool_drain(struct atoll_pool *p)
{
    unsigned words = (p->nblocks + 63u) / 64u;
    char *base = (char *)atoll_pool_base(p);
    for (unsigned w = 0; w < words; w++) {
        if (!__atomic_load_n(&p->remote[w], __ATOMIC_RELAXED))
            continue;
        uint64_t bits = __atomic_exchange_n(&p->remote[w], 0, __ATOMIC_SEQ_CST);
        while (bits) {
            unsigned b = (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            void *block = base + (size_t)(w * 64 + b) * p->bsize;
            uint64_t bit = (uint64_t)1 << b;
            if (!(p->live[w] & bit)) {
                atoll_report_bad_pointer("free", block, p, ATOLL_BLOCK_NOT_LIVE);
                continue;
            }
            __atomic_store_n(&p->live[w], p->live[w] & ~bit, __ATOMIC_RELAXED);
            atoll_pool_push(p, block);
            p->used--;
            p->owner->stats.small_frees++;
            p->owner->stats.remote_frees++;
        }
    }
}

/* Back to the unused state, ready for any class and any heap. Caller holds the global lock. */
void atoll_pool_reset(struct atoll_pool *p)
{
    __atomic_store_n(&p->owner, NULL, __ATOMIC_RELEASE);
    p->free = NULL;
    p->bsize = 0;
    p->used = 0;
    memset(p->live, 0, sizeof p->live);
}
