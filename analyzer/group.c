/* Leaks grouped by allocation site and class (definitely or indirectly lost), ordered by
 * bytes, then blocks, descending. Suppressed blocks are left out. */
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
    return x->site < y->site ? -1 : x->site > y->site;
}

int group_leaks(const struct dump *d, const uint8_t *cls, const uint8_t *suppressed,
                struct leak_group **out, uint32_t *n)
{
    uint32_t *slot = malloc(((size_t)d->nsites * 2 + 1) * sizeof *slot);
    struct leak_group *g = NULL;
    uint32_t ng = 0, cap = 0;
    if (!slot)
        return -1;
    for (size_t i = 0; i < (size_t)d->nsites * 2; i++)
        slot[i] = AN_NONE;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        if (cls[i] == CLASS_REACHABLE || suppressed[i])
            continue;
        const struct atoll_dump_block *b = &d->blocks[i];
        size_t k = (size_t)b->site * 2 + (cls[i] == CLASS_INDIRECT);
        if (slot[k] == AN_NONE) {
            if (ng == cap) {
                cap = cap ? cap * 2 : 64;
                struct leak_group *ngp = realloc(g, cap * sizeof *g);
                if (!ngp) {
                    free(g), free(slot);
                    return -1;
                }
                g = ngp;
            }
            g[ng] = (struct leak_group){b->site, cls[i], 0, 0};
            slot[k] = ng++;
        }
        g[slot[k]].blocks++;
        g[slot[k]].bytes += b->size;
    }
    free(slot);
    if (ng)
        qsort(g, ng, sizeof *g, leak_cmp);
    *out = g;
    *n = ng;
    return 0;
}
