/* Frees of blocks that another thread's heap owns (or an abandoned heap, or the heap of a thread
 * that has not finished starting).
 *
 * The freeing thread never touches the owner's free list, live bitmap or the block. It queues the pool on
 * the owner's remote queue (only if the pool is not queued already), then sets the block's bit
 * in the pool's remote bitmap with one atomic OR. The owner drains the bitmap in its slow path.
 *
 * Order matters: queue first, bit second. The owner counts the block as live until it has seen
 * the bit, so it cannot find the pool empty and give it back to its arena while this thread
 * still has the pool in hand. The OR also detects a double free: the bit was set already. */
#include "internal.h"

static void queue_pool(struct atoll_heap *owner, struct atoll_pool *p)
{
    if (__atomic_load_n(&p->queued, __ATOMIC_RELAXED) ||
        __atomic_exchange_n(&p->queued, 1, __ATOMIC_SEQ_CST))
        return;
    struct atoll_pool *head = __atomic_load_n(&owner->remote, __ATOMIC_RELAXED);
    do
        p->remote_next = head;
    while (!__atomic_compare_exchange_n(&owner->remote, &head, p, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
}

void atoll_remote_free(struct atoll_pool *p, void *ptr)
{
    struct atoll_heap *owner = __atomic_load_n(&p->owner, __ATOMIC_ACQUIRE);
    enum atoll_block_fault fault = owner ? atoll_block_check(p, ptr) : ATOLL_BLOCK_UNUSED_POOL;
    if (fault != ATOLL_BLOCK_OK) {
        atoll_report_bad_pointer("free", ptr, p, fault);
        return;
    }
    if (!__atomic_load_n(&p->remote_seen, __ATOMIC_RELAXED))
        __atomic_store_n(&p->remote_seen, 1, __ATOMIC_RELAXED);
    queue_pool(owner, p);
    unsigned i = atoll_block_index(p, ptr);
    uint64_t bit = (uint64_t)1 << (i & 63);
    if (__atomic_fetch_or(&p->remote[i >> 6], bit, __ATOMIC_SEQ_CST) & bit)
        atoll_report_bad_pointer("free", ptr, p, ATOLL_BLOCK_NOT_LIVE);
}

/* Owner side: take the whole queue at once (no ABA: only the owner pops, and it pops all). */
void atoll_heap_collect_remote(struct atoll_heap *h)
{
    if (!__atomic_load_n(&h->remote, __ATOMIC_RELAXED))
        return;
    struct atoll_pool *p = __atomic_exchange_n(&h->remote, NULL, __ATOMIC_ACQUIRE);
    while (p) {
        struct atoll_pool *next = p->remote_next;
        __atomic_store_n(&p->queued, 0, __ATOMIC_SEQ_CST);
        atoll_pool_drain(p);
        if (p->free && (!p->listed || p->used == 0))
            atoll_heap_free_slow(h, p);
        p = next;
    }
}
