/* Per-thread heaps: the slow paths of malloc and free, and a heap's life across threads.
 *
 * A heap keeps, per size class, a list of its pools that have room; the head is where malloc
 * pops from. A pool leaves the list when it is full and comes back on its first free. An empty
 * pool goes back to its arena unless it is the last pool of its class in this heap, so a loop
 * that allocates and frees one block does not take and return a pool each time.
 *
 * Heaps outlive threads: when a thread exits its heap is abandoned with all its pools, other
 * threads keep freeing into them (as remote frees), and the next new thread adopts the heap
 * whole. Heap structs are never unmapped. */
#include "internal.h"

#include <errno.h>
#include <string.h>

struct atoll_pool atoll_empty_pool;
struct atoll_heap atoll_empty_heap = {
    .cur = { [0 ... ATOLL_NCLASSES - 1] = &atoll_empty_pool },
};
__thread struct atoll_tls atoll_tls __attribute__((tls_model("initial-exec"))) = {
    .heap = &atoll_empty_heap,
    .state = ATOLL_THREAD_RUNNING,
};

/* Guarded by the global lock. */
static struct atoll_heap *all_heaps;
static struct atoll_heap *abandoned_heaps;
static struct atoll_heap *heap_slab;
static size_t heap_slab_left;

static void list_push(struct atoll_heap *h, struct atoll_pool *p)
{
    p->prev = NULL;
    p->next = h->head[p->cls];
    if (p->next)
        p->next->prev = p;
    h->head[p->cls] = p;
    h->cur[p->cls] = p;
    h->nlisted[p->cls]++;
    p->listed = 1;
    p->relist_at = 0;
}

/* A full pool leaves the list. It comes back when an eighth of it is free again, not on its
 * first free: otherwise a pool that the program frees into one block at a time would go back
 * and forth between the list and the slow path on every malloc. */
static void list_unlink(struct atoll_heap *h, struct atoll_pool *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        h->head[p->cls] = p->next;
    if (p->next)
        p->next->prev = p->prev;
    if (h->cur[p->cls] == p)
        h->cur[p->cls] = h->head[p->cls] ? h->head[p->cls] : &atoll_empty_pool;
    p->next = p->prev = NULL;
    h->nlisted[p->cls]--;
    p->listed = 0;
    p->relist_at = (uint16_t)(p->nblocks - (p->nblocks >= 8 ? p->nblocks / 8 : 1));
}

static struct atoll_heap *heap_new_locked(void)
{
    struct atoll_heap *h = abandoned_heaps;
    if (h) {
        abandoned_heaps = h->next_abandoned;
        h->next_abandoned = NULL;
        return h;
    }
    if (heap_slab_left == 0) {
        size_t bytes = 64 * sizeof(struct atoll_heap);
        heap_slab = atoll_os_alloc(bytes);
        if (!heap_slab)
            return NULL;
        heap_slab_left = bytes / sizeof(struct atoll_heap);
    }
    h = heap_slab++;
    heap_slab_left--;
    for (unsigned c = 0; c < ATOLL_NCLASSES; c++)
        h->cur[c] = &atoll_empty_pool;
    h->next_all = all_heaps;
    all_heaps = h;
    return h;
}

/* The calling thread's heap, made or adopted on its first small allocation. NULL when the
 * thread can have none (it is exiting, or we are out of memory): the caller uses the C library. */
static struct atoll_heap *thread_heap(void)
{
    if (atoll_tls.state == ATOLL_THREAD_DEAD)
        return NULL;
    if (!atoll_initialized)
        atoll_global_init();
    if (atoll_g.size == 0)
        return NULL;
    atoll_lock();
    struct atoll_heap *h = heap_new_locked();
    atoll_unlock();
    if (!h)
        return NULL;
    atoll_tls.heap = h;
    atoll_register_thread_exit(h);
    return h;
}

static void *libc_fallback(size_t n, size_t align)
{
    return align <= ATOLL_ALIGN ? __libc_malloc(n) : __libc_memalign(align, n);
}

/* A pool with a free block for class cls, or NULL. */
static struct atoll_pool *pool_with_room(struct atoll_heap *h, unsigned cls)
{
    for (;;) {
        struct atoll_pool *p = h->cur[cls];
        if (p == &atoll_empty_pool) {
            atoll_lock();
            p = atoll_arena_take_pool();
            if (p)
                atoll_pool_init(p, h, cls);
            atoll_unlock();
            if (!p)
                return NULL;
            list_push(h, p);
        }
        /* A remote free that raced with the owner's last drain may have left its bit behind
         * without queueing the pool: look before carving or moving on. */
        if (!p->free && __atomic_load_n(&p->remote_seen, __ATOMIC_RELAXED))
            atoll_pool_drain(p);
        if (p->free || atoll_pool_carve(p))
            return p;
        list_unlink(h, p);
    }
}

void *atoll_heap_alloc_slow(struct atoll_heap *h, unsigned cls, size_t n, size_t align)
{
    /* Re-entry (pthread_setspecific or the loader allocating while we set up) and threads
     * without a heap are served by the C library; free() routes those blocks back to it. */
    if (atoll_tls.state != ATOLL_THREAD_RUNNING)
        return libc_fallback(n, align);
    int saved_errno = errno;
    atoll_tls.state = ATOLL_THREAD_BUSY;
    struct atoll_pool *p = NULL;
    if (h == &atoll_empty_heap)
        h = thread_heap();
    if (h) {
        atoll_heap_collect_remote(h);
        p = pool_with_room(h, cls);
    }
    atoll_tls.state = ATOLL_THREAD_RUNNING;
    errno = saved_errno;
    return p ? atoll_pool_pop(h, p, p->free) : libc_fallback(n, align);
}

static void pool_release(struct atoll_heap *h, struct atoll_pool *p)
{
    list_unlink(h, p);
    atoll_lock();
    atoll_pool_reset(p);
    atoll_arena_give_pool(p);
    atoll_unlock();
}

/* A pool that just became empty goes back to its arena, unless its class has few pools here
 * (a producer whose blocks another thread frees empties its pools as fast as it fills them:
 * handing each back and taking a new one would cost a lock and a fresh carve per pool), or it
 * sits on the remote queue (a thread pushed it and the owner will look at it again: releasing
 * it now would leave a reused pool on this heap's queue). */
#define KEEP_LISTED 4
static int pool_releasable(struct atoll_heap *h, struct atoll_pool *p)
{
    return p->used == 0 && h->nlisted[p->cls] > KEEP_LISTED &&
           !__atomic_load_n(&p->queued, __ATOMIC_SEQ_CST);
}

/* After a local free that reached p->relist_at, or a drain: a pool with room goes back on the
 * list; an empty one may go back to its arena. */
void atoll_heap_free_slow(struct atoll_heap *h, struct atoll_pool *p)
{
    int saved_errno = errno;
    if (!p->listed)
        list_push(h, p);
    if (pool_releasable(h, p))
        pool_release(h, p);
    errno = saved_errno;
}

/* Owner thread only: the cached blocks go back to their pools. */
void atoll_heap_flush_cache(struct atoll_heap *h)
{
    for (unsigned cls = 0; cls < ATOLL_NCLASSES; cls++) {
        struct atoll_cache *c = &h->cache[cls];
        while (c->head) {
            void *b = c->head;
            c->head = *(void **)b;
            struct atoll_pool *p = atoll_pool_of_ours(b);
            atoll_pool_push(p, b);
            if (--p->used <= p->relist_at)
                atoll_heap_free_slow(h, p);
        }
        c->count = 0;
    }
}

void atoll_heap_abandon(struct atoll_heap *h)
{
    atoll_heap_flush_cache(h);
    atoll_lock();
    h->next_abandoned = abandoned_heaps;
    abandoned_heaps = h;
    atoll_unlock();
}

void atoll_heap_sum_stats(struct atoll_heap_stats *out)
{
    memset(out, 0, sizeof *out);
    atoll_lock();
    for (struct atoll_heap *h = all_heaps; h; h = h->next_all) {
        out->small_mallocs += h->stats.small_mallocs;
        out->small_frees += h->stats.small_frees;
        out->remote_frees += h->stats.remote_frees;
        out->large_mallocs += h->stats.large_mallocs;
        out->stacks_remembered += h->stats.stacks_remembered;
        out->stacks_walked += h->stats.stacks_walked;
        out->stacks_libunwind += h->stats.stacks_libunwind;
    }
    atoll_unlock();
}
