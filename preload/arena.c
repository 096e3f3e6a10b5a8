/* Arenas: 256 KiB slices of the region, 16 pools each.
 *
 * As in pymalloc, a pool is taken from the most used arena that has one free, so allocation
 * concentrates in few arenas and the others can drain. Arenas sit in buckets by their number of
 * free pools (pymalloc's nfp2lasta idea), so choosing one costs at most 16 steps. An arena whose
 * pools are all free goes back to the OS (madvise), except for a few spares (one, plus one for
 * every eight arenas in use): a program whose heap swings up and down would otherwise pay a
 * page fault for every page of every arena on each swing, and on virtual machines a page fault
 * costs more than the allocations it serves.
 * Everything here runs under the global lock. */
#include "internal.h"

static struct atoll_arena *bucket[ATOLL_POOLS_PER_ARENA + 1]; /* by free pool count */
static struct atoll_arena *released;                          /* given back to the OS */
static size_t spares;                                         /* arenas with all pools free */
static size_t next_untouched;                                 /* arena index */
static struct atoll_arena_stats stats;

static size_t arena_index(const struct atoll_arena *a)
{
    return (size_t)(a - atoll_g.arenas);
}

static void bucket_unlink(struct atoll_arena *a)
{
    if (a->nfree == ATOLL_POOLS_PER_ARENA)
        spares--;
    if (a->prev)
        a->prev->next = a->next;
    else
        bucket[a->nfree] = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->next = a->prev = NULL;
}

static void bucket_push(struct atoll_arena *a)
{
    if (a->nfree == ATOLL_POOLS_PER_ARENA)
        spares++;
    a->prev = NULL;
    a->next = bucket[a->nfree];
    if (a->next)
        a->next->prev = a;
    bucket[a->nfree] = a;
}

/* Arenas are first taken in address order: those from this index on were never touched. */
size_t atoll_arenas_touched(void)
{
    return next_untouched;
}

static struct atoll_arena *arena_new(void)
{
    struct atoll_arena *a = released;
    if (a) {
        released = a->next;
    } else {
        if (next_untouched >= atoll_g.size >> ATOLL_ARENA_SHIFT)
            return NULL;
        a = &atoll_g.arenas[next_untouched++];
    }
    a->state = ATOLL_ARENA_ACTIVE;
    a->nfree = ATOLL_POOLS_PER_ARENA;
    a->freemask = (uint16_t)((1u << ATOLL_POOLS_PER_ARENA) - 1);
    bucket_push(a);
    if (++stats.active > stats.peak)
        stats.peak = stats.active;
    return a;
}

struct atoll_pool *atoll_arena_take_pool(void)
{
    struct atoll_arena *a = NULL;
    for (unsigned nf = 1; nf <= ATOLL_POOLS_PER_ARENA && !a; nf++)
        a = bucket[nf];
    if (!a && !(a = arena_new()))
        return NULL;
    unsigned i = (unsigned)__builtin_ctz(a->freemask);
    bucket_unlink(a);
    a->freemask &= (uint16_t)~(1u << i);
    a->nfree--;
    bucket_push(a);
    stats.pools_taken++;
    return &atoll_g.pools[arena_index(a) * ATOLL_POOLS_PER_ARENA + i];
}

static void arena_release(struct atoll_arena *a)
{
    bucket_unlink(a);
    atoll_os_release((void *)(atoll_g.base + (arena_index(a) << ATOLL_ARENA_SHIFT)),
                     ATOLL_ARENA_SIZE);
    a->state = ATOLL_ARENA_RELEASED;
    a->next = released;
    released = a;
    stats.active--;
    stats.released++;
}

void atoll_arena_give_pool(struct atoll_pool *p)
{
    size_t pi = (size_t)(p - atoll_g.pools);
    struct atoll_arena *a = &atoll_g.arenas[pi / ATOLL_POOLS_PER_ARENA];
    stats.pools_given++;
    bucket_unlink(a);
    a->freemask |= (uint16_t)(1u << (pi % ATOLL_POOLS_PER_ARENA));
    a->nfree++;
    bucket_push(a);
    /* The allowance shrinks with the heap, so spares kept while it was large go back too. */
    while (spares > 1 + stats.active / 8)
        arena_release(bucket[ATOLL_POOLS_PER_ARENA]);
}

void atoll_arena_get_stats(struct atoll_arena_stats *s)
{
    atoll_lock();
    *s = stats;
    atoll_unlock();
}
