/* Allocation sites: distinct call stacks, deduplicated into ids.
 *
 * The table is shared and locked; each thread keeps a small direct-mapped cache from a hash of
 * the frames to the site id, checked against the site's frames, so a hot allocation site costs
 * a hash and a compare, not the lock. Sites are never freed or moved: a snapshot reads them as
 * they are. So they are packed one after the other in chunks of atoll's metadata memory (whose
 * blocks are powers of two: a site each wasted a third), and found through an open-addressing
 * index of ids keyed on the hash the thread's cache already computed: a Python program makes
 * tens of thousands of sites 30 frames deep at start-up alone, and uthash's handle (56 bytes a
 * site) and its own hash of the frames' bytes cost more than the rest. */
#include "internal.h"

#include <string.h>

struct atoll_site {
    uint64_t hash;
    uint32_t id;
    uint32_t depth;
    void *frames[];
};

#define CACHE_SLOTS 512
#define CHUNK ((size_t)64 << 10)

struct site_cache_slot {
    uint64_t hash;
    uint32_t id;
};

static uint32_t *index_slots;           /* site ids, 0 for empty; under the lock */
static uint32_t index_cap;
static char *chunk, *chunk_end;         /* where the next site goes; under the lock */
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

/* Doubles the index (1024 slots at first), keeping it at most half full. */
static bool index_grow(void)
{
    uint32_t cap = index_cap ? index_cap * 2 : 1024;
    uint32_t *fresh = atoll_imeta_calloc(cap * sizeof *fresh);
    if (!fresh)
        return false;
    for (uint32_t i = 0; i < index_cap; i++) {
        uint32_t id = index_slots[i];
        if (!id)
            continue;
        uint32_t k = (uint32_t)(by_id[id]->hash >> 32) & (cap - 1);
        while (fresh[k])
            k = (k + 1) & (cap - 1);
        fresh[k] = id;
    }
    if (index_slots)
        atoll_imeta_free(index_slots, index_cap * sizeof *index_slots);
    index_slots = fresh;
    index_cap = cap;
    return true;
}

static struct atoll_site *site_alloc(size_t bytes)
{
    bytes = (bytes + 7) & ~(size_t)7;
    if ((size_t)(chunk_end - chunk) < bytes) {
        size_t n = bytes > CHUNK ? bytes : CHUNK;
        if (!(chunk = atoll_imeta_alloc(n)))
            return NULL;
        chunk_end = chunk + n;
    }
    struct atoll_site *s = (struct atoll_site *)chunk;
    chunk += bytes;
    return s;
}

static uint32_t intern_locked(void *const *frames, unsigned depth, uint64_t h)
{
    if (2 * count >= index_cap && !index_grow())
        return 0;
    uint32_t k = (uint32_t)(h >> 32) & (index_cap - 1);
    for (; index_slots[k]; k = (k + 1) & (index_cap - 1)) {
        const struct atoll_site *s = by_id[index_slots[k]];
        if (s->hash == h && same_frames(s, frames, depth))
            return s->id;
    }
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
    struct atoll_site *s = site_alloc(sizeof *s + depth * sizeof *frames);
    if (!s)
        return 0;
    s->hash = h;
    s->id = count;
    s->depth = depth;
    memcpy(s->frames, frames, depth * sizeof *frames);
    by_id[count] = s;
    index_slots[k] = count;
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
