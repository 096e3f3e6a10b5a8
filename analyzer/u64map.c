/* A hash map from 64-bit keys (block sequence numbers, site and shape hashes) to 64-bit
 * counters, for what live, tune and the merge of collections remember from one collection to
 * the next; and a string's 64-bit hash, for such keys. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t k, size_t cap)
{
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

static int grow(struct u64map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct u64map g = {calloc(cap, sizeof *g.keys), calloc(cap, sizeof *g.vals),
                       calloc(cap, 1), cap, 0};
    if (!g.keys || !g.vals || !g.used) {
        u64map_free(&g);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->used[i]) {
            bool added;
            *u64map_put(&g, m->keys[i], &added) = m->vals[i];
        }
    u64map_free(m);
    *m = g;
    return 0;
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = slot_of(key, m->cap); m->used[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == key)
            return &m->vals[i];
    return NULL;
}

uint64_t *u64map_put(struct u64map *m, uint64_t key, bool *added)
{
    uint64_t *v = u64map_get(m, key);
    *added = !v;
    if (v)
        return v;
    if ((m->n + 1) * 2 > m->cap && grow(m))
        return NULL;
    size_t i = slot_of(key, m->cap);
    while (m->used[i])
        i = (i + 1) & (m->cap - 1);
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = 0;
    m->n++;
    return &m->vals[i];
}

void u64map_free(struct u64map *m)
{
    free(m->keys), free(m->vals), free(m->used);
    memset(m, 0, sizeof *m);
}

uint64_t u64map_hash_string(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;     /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001B3ull;
    return h;
}
