/* Reachability by CPython's rule: a block with references from outside the dumped set
 * (gc_refs = refcount - in-edges > 0) is alive, and so is everything it reaches. The walk is a
 * breadth-first sweep with an explicit queue: no recursion, one u32 per block. */
#include "analyzer.h"

#include <stdlib.h>

/* An object is referenced from outside when its count exceeds the references that recognised
 * blocks (objects and what they own) hold to it, and some other reference to it was found
 * (roots, memory no layout describes): a count above every reference found is a surplus that
 * nothing holds, as CPython's gc counts references from C code. An object whose count is 0
 * (dead, on a free list, or stale words that look like one) follows the rule of plain blocks.
 * An owned block lives and dies with its owner. */
static void object_seeds(const struct dump *d, uint8_t *seed, uint32_t *inside)
{
    for (uint32_t i = 0; i < d->nedges; i++)
        if (d->object_of[d->edges[i].from] != AN_NONE)
            inside[d->edges[i].to]++;
    for (uint32_t k = 0; k < d->nobjects; k++) {
        const struct atoll_dump_object *o = &d->objects[k];
        uint64_t count = o->refcount + o->weak, in = inside[o->block];
        seed[o->block] =
            (d->blocks[o->block].flags & (ATOLL_DUMP_BLOCK_IGNORED | ATOLL_DUMP_BLOCK_LOADER)) ||
            (o->owner == o->block &&
             (count ? d->blocks[o->block].refcount > in && count > in
                    : d->blocks[o->block].refcount > d->indeg[o->block]));
    }
}

uint8_t *reach_seeds_from_dump(const struct dump *d)
{
    uint8_t *seed = an_malloc((size_t)d->nblocks + 1);
    uint32_t *inside = d->object_of ? an_calloc((size_t)d->nblocks + 1, sizeof *inside) : NULL;
    if (!seed || (d->object_of && !inside)) {
        free(seed);
        free(inside);
        return NULL;
    }
    for (uint32_t i = 0; i < d->nblocks; i++) {
        const struct atoll_dump_block *b = &d->blocks[i];
        seed[i] = b->refcount > d->indeg[i] ||
                  (b->flags & (ATOLL_DUMP_BLOCK_IGNORED | ATOLL_DUMP_BLOCK_LOADER));
    }
    if (d->object_of)
        object_seeds(d, seed, inside);
    free(inside);
    return seed;
}

/* Whether an alive v makes w alive through edge v -> w: not when v is memory no layout
 * describes and w an object with a count. The count says whether that pointer is a real
 * reference (then w is a seed); when the references of recognised blocks account for it, the
 * pointer is stale (3.10 keeps its free lists in a malloc'ed interpreter state, whose slots
 * still point to the objects reused from them). */
bool reach_carries(const struct dump *d, uint32_t v, uint32_t w)
{
    if (!d || !d->object_of || d->object_of[v] != AN_NONE || d->object_of[w] == AN_NONE)
        return true;
    const struct atoll_dump_object *o = &d->objects[d->object_of[w]];
    return o->owner != w || !(o->refcount + o->weak);
}

uint8_t *reach_alive(const struct graph *g, const struct dump *d, const uint8_t *seed)
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
            if (!alive[w] && reach_carries(d, v, w)) {
                alive[w] = 1;
                queue[tail++] = w;
            }
        }
    }
    free(queue);
    return alive;
}
