/* Reachability by CPython's rule: a block with references from outside the dumped set
 * (gc_refs = refcount - in-edges > 0) is alive, and so is everything it reaches. The walk is a
 * breadth-first sweep with an explicit queue: no recursion, one u32 per block. */
#include "analyzer.h"

#include <stdlib.h>

uint8_t *reach_seeds_from_dump(const struct dump *d)
{
    uint8_t *seed = an_malloc((size_t)d->nblocks + 1);
    if (!seed)
        return NULL;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        const struct atoll_dump_block *b = &d->blocks[i];
        seed[i] = b->refcount > d->indeg[i] ||
                  (b->flags & (ATOLL_DUMP_BLOCK_IGNORED | ATOLL_DUMP_BLOCK_LOADER));
    }
    return seed;
}

uint8_t *reach_alive(const struct graph *g, const uint8_t *seed)
{
    uint8_t *alive = an_calloc((size_t)g->n + 1, 1);
    uint32_t *queue = an_malloc(((size_t)g->n + 1) * sizeof *queue);
    if (!alive || !queue) {
        free(alive);
        free(queue);
        return NULL;
    }
    uint32_t head = 0, tail = 0;
    for (uint32_t i = 0; i < g->n; i++)
        if (seed[i]) {
            alive[i] = 1;
            queue[tail++] = i;
        }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
            uint32_t w = g->to[e];
            if (!alive[w]) {
                alive[w] = 1;
                queue[tail++] = w;
            }
        }
    }
    free(queue);
    return alive;
}
