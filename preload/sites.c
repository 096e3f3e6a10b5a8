/* Allocation sites: distinct call stacks, deduplicated into ids.
 *
 * The table (uthash on the frames, memory from imeta.c) is shared and locked; each thread keeps
 * a small direct-mapped cache from a hash of the frames to the site id, checked against the
 * site's frames, so a hot allocation site costs a hash and a compare, not the lock. Sites are
 * never freed or moved: a snapshot reads them as they are. */
#include "utconf.h"

#include <string.h>

struct atoll_site {
    UT_hash_handle hh;
    uint32_t id;
    uint32_t depth;
    void *frames[];
};

#define CACHE_SLOTS 512

struct site_cache_slot {
    uint64_t hash;
    uint32_t id;
};

static struct atoll_site *table;
static struct atoll_site **by_id;       /* index: site id; slot 0 is the unknown site */
static uint32_t count = 1, capacity;
static __thread struct site_cache_slot cache[CACHE_SLOTS] __attribute__((tls_model("initial-exec")));

/* Independent products per frame (no serial dependency: the CPU overlaps them), one final mix. */
static uint64_t frames_hash(void *const *frames, unsigned depth)
{
    uint64_t a = 0x9E3779B97F4A7C15ull ^ depth, b = 0;
    unsigned i = 0;
    for (; i + 1 < depth; i += 2) {
        a += (uint64_t)(uintptr_t)frames[i] * 0xBF58476D1CE4E5B9ull;
        b += (uint64_t)(uintptr_t)frames[i + 1] * 0x94D049BB133111EBull;
        a = (a << 23) | (a >> 41);
    }
    if (i < depth)
        b ^= (uint64_t)(uintptr_t)frames[i];
    uint64_t h = a ^ (b * 0xD6E8FEB86659FD93ull);
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 29;
    return h | 1;
}

static bool same_frames(const struct atoll_site *s, void *const *frames, unsigned depth)
{
    return s->depth == depth && memcmp(s->frames, frames, depth * sizeof *frames) == 0;
}

/* The table keys on frames_hash, already computed for the thread's cache, not on uthash's own
 * hash of the frames' bytes, which cost more than everything else at a Python program's
 * start-up (tens of thousands of stacks, 30 frames deep). */
static uint32_t intern_locked(void *const *frames, unsigned depth, uint64_t h)
{
    struct atoll_site *s;
    unsigned hv = (unsigned)(h >> 32);
    HASH_FIND_BYHASHVALUE(hh, table, frames, depth * sizeof *frames, hv, s);
    if (s)
        return s->id;
    if (count >= capacity) {
        uint32_t grown = capacity ? capacity * 2 : 1024;
        struct atoll_site **fresh = atoll_imeta_calloc(grown * sizeof *fresh);
        if (!fresh)
            return 0;
        if (by_id)
            memcpy(fresh, by_id, capacity * sizeof *fresh);
        /* The old array stays: a snapshot taken a moment ago may still be reading it. */
        __atomic_store_n(&by_id, fresh, __ATOMIC_RELEASE);
        capacity = grown;
    }
    s = atoll_imeta_alloc(sizeof *s + depth * sizeof *frames);
    if (!s)
        return 0;
    memset(&s->hh, 0, sizeof s->hh);
    s->id = count;
    s->depth = depth;
    memcpy(s->frames, frames, depth * sizeof *frames);
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, table, s->frames, depth * sizeof *frames, hv, s);
    by_id[count] = s;
    __atomic_store_n(&count, count + 1, __ATOMIC_RELEASE);
    return s->id;
}

uint32_t atoll_site_intern(void *const *frames, unsigned depth)
{
    if (depth == 0)
        return 0;
    uint64_t h = frames_hash(frames, depth);
    struct site_cache_slot *slot = &cache[h % CACHE_SLOTS];
    if (slot->hash == h) {
        struct atoll_site *s = __atomic_load_n(&by_id, __ATOMIC_ACQUIRE)[slot->id];
        if (same_frames(s, frames, depth))
            return slot->id;
    }
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_SITES);
    uint32_t id = intern_locked(frames, depth, h);
    atoll_lock_drop(ATOLL_LOCK_SITES);
    atoll_critical_exit();
    if (id) {
        slot->hash = h;
        slot->id = id;
    }
    return id;
}

uint32_t atoll_site_count(void)
{
    return __atomic_load_n(&count, __ATOMIC_ACQUIRE);
}

/* The frames of site id (id < atoll_site_count()); NULL and 0 for the unknown site. */
void *const *atoll_site_frames(uint32_t id, uint32_t *depth)
{
    if (id == 0) {
        *depth = 0;
        return NULL;
    }
    struct atoll_site *s = __atomic_load_n(&by_id, __ATOMIC_ACQUIRE)[id];
    *depth = s->depth;
    return s->frames;
}
