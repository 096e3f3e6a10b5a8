/* Leaks grouped by allocation site, class (definitely or indirectly lost) and, for objects of
 * a refcounting runtime, type (one C site allocates objects of many Python types), ordered by
 * bytes, then blocks, descending. Suppressed blocks are left out. A site with Python frames
 * counts as the first site with the same Python frames (canon), so one Python line is one
 * group whatever C path the interpreter took. */
#include "analyzer.h"

#include <stdlib.h>

static int leak_cmp(const void *a, const void *b)
{
    const struct leak_group *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (x->site != y->site)
        return x->site < y->site ? -1 : 1;
    return x->type < y->type ? -1 : x->type > y->type;
}

static uint32_t type_of(const struct dump *d, uint32_t v)
{
    uint32_t k = d->object_of ? d->object_of[v] : AN_NONE;
    return k != AN_NONE && d->objects[k].owner == v ? d->objects[k].type : AN_NONE;
}

/* Open addressing over (site, class, type): the group's index, or where it would go. */
static uint32_t *find(uint32_t *slot, size_t cap, const struct leak_group *g, uint32_t site,
                      uint8_t cls, uint32_t type)
{
    size_t h = (((size_t)site * 2 + cls) * 0x9E3779B97F4A7C15ull + type) * 0x9E3779B97F4A7C15ull;
    for (size_t i = (h >> 20) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (slot[i] == AN_NONE ||
            (g[slot[i]].site == site && g[slot[i]].cls == cls && g[slot[i]].type == type))
            return &slot[i];
}

int group_leaks(const struct dump *d, const uint8_t *cls, const uint8_t *suppressed,
                const uint32_t *canon, struct leak_group **out, uint32_t *n)
{
    uint32_t leaked = 0;
    for (uint32_t i = 0; i < d->nblocks; i++)
        leaked += cls[i] != CLASS_REACHABLE && !suppressed[i];
    size_t cap = 64;
    while (cap < 2 * (size_t)leaked)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof *slot);
    struct leak_group *g = malloc(((size_t)leaked + 1) * sizeof *g);
    uint32_t ng = 0;
    if (!slot || !g) {
        free(slot), free(g);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        slot[i] = AN_NONE;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        if (cls[i] == CLASS_REACHABLE || suppressed[i])
            continue;
        const struct atoll_dump_block *b = &d->blocks[i];
        uint32_t type = type_of(d, i);
        uint32_t site = canon ? canon[b->site] : b->site;
        uint32_t *k = find(slot, cap, g, site, cls[i], type);
        if (*k == AN_NONE) {
            g[ng] = (struct leak_group){ site, cls[i], type, 0, 0 };
            *k = ng++;
        }
        g[*k].blocks++;
        g[*k].bytes += b->size;
    }
    free(slot);
    if (ng)
        qsort(g, ng, sizeof *g, leak_cmp);
    *out = g;
    *n = ng;
    return 0;
}
