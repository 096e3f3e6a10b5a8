/* Blocks from the C library's allocator (above ATOLL_SMALL_MAX, large alignments, and what the
 * slow path hands to glibc), tracked in profile mode so the scanner knows them: a hash table by
 * address, in atoll's own memory, under a lock held only inside critical sections (a snapshot
 * never sees the table half-changed). */
#include "utconf.h"

struct atoll_large {
    UT_hash_handle hh;
    uintptr_t address;
    struct atoll_block_meta meta;
};

static struct atoll_large *table;
static struct atoll_large *spare;       /* freed entries, reused */
static size_t count;

/* Caller is inside a critical section. */
void atoll_large_add(const void *p, const struct atoll_block_meta *meta)
{
    atoll_lock_take(ATOLL_LOCK_LARGE);
    struct atoll_large *e = spare;
    if (e)
        spare = (struct atoll_large *)e->hh.next;
    else
        e = atoll_imeta_alloc(sizeof *e);
    if (e) {
        e->address = (uintptr_t)p;
        e->meta = *meta;
        HASH_ADD(hh, table, address, sizeof e->address, e);
        count++;
    }
    atoll_lock_drop(ATOLL_LOCK_LARGE);
}

/* Forgets p; false if p was not tracked. Caller is inside a critical section. */
bool atoll_large_remove(const void *p, struct atoll_block_meta *meta)
{
    uintptr_t key = (uintptr_t)p;
    struct atoll_large *e;
    atoll_lock_take(ATOLL_LOCK_LARGE);
    HASH_FIND(hh, table, &key, sizeof key, e);
    if (e) {
        if (meta)
            *meta = e->meta;
        HASH_DELETE(hh, table, e);
        e->hh.next = spare;
        spare = e;
        count--;
    }
    atoll_lock_drop(ATOLL_LOCK_LARGE);
    return e != NULL;
}

bool atoll_large_find(const void *p, struct atoll_block_meta *meta)
{
    uintptr_t key = (uintptr_t)p;
    struct atoll_large *e;
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_LARGE);
    HASH_FIND(hh, table, &key, sizeof key, e);
    if (e)
        *meta = e->meta;
    atoll_lock_drop(ATOLL_LOCK_LARGE);
    atoll_critical_exit();
    return e != NULL;
}

/* For a snapshot: no other thread runs, so the table is read without the lock. */
size_t atoll_large_count(void)
{
    return count;
}

size_t atoll_large_collect(struct atoll_large_block *out, size_t max)
{
    size_t n = 0;
    for (struct atoll_large *e = table; e && n < max; e = e->hh.next) {
        out[n].address = e->address;
        out[n].meta = e->meta;
        n++;
    }
    return n;
}
