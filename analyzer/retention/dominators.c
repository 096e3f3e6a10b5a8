/* The dominator tree of the dump's whole block graph, and what each block retains. The virtual
 * root references the roots (reach.c's seeds) and, so that leaked blocks have dominators
 * too, the entry of each root component of the unreachable subgraph: its definitely lost
 * member (lost.c), the one block through which the rest of the leak is reached. The edges are
 * the ones reachability and the components use, so the alive blocks are exactly those the
 * roots reach and a leak never dominates, nor shares, a live block. Retained sizes are summed
 * from the last block in preorder up. */
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>

/* The edges dominators follow: from an alive block those reach.c carries, from an unreachable
 * one those to unreachable blocks. A CSR of their own, so the search and the predecessor
 * lists read plain arrays. */
static int kept_edges(const struct graph *g, const struct dump *d, const uint8_t *alive,
                      uint32_t **off_out, uint32_t **to_out)
{
    uint32_t *off = an_malloc(((size_t)g->n + 1) * sizeof *off);
    uint32_t *to = an_malloc(((size_t)g->off[g->n] + 1) * sizeof *to);
    if (!off || !to) {
        free(off), free(to);
        return -1;
    }
    uint32_t m = 0;
    for (uint32_t v = 0; v < g->n; v++) {
        off[v] = m;
        for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
            uint32_t w = g->to[e];
            if (alive[v] ? reach_carries(d, v, w) : !alive[w])
                to[m++] = w;
        }
    }
    off[g->n] = m;
    *off_out = off;
    *to_out = to;
    return 0;
}

int dominators_compute_from(struct dominators *dm, const struct graph *g, const struct dump *d,
                            const uint8_t *seed, const uint8_t *alive, const uint8_t *cls)
{
    memset(dm, 0, sizeof *dm);
    size_t n = g->n;
    dm->count = g->n;
    dm->idom = an_malloc((n + 1) * sizeof *dm->idom);
    dm->order = an_malloc((n + 1) * sizeof *dm->order);
    dm->retained_bytes = an_malloc((n + 1) * sizeof *dm->retained_bytes);
    dm->retained_blocks = an_malloc((n + 1) * sizeof *dm->retained_blocks);
    uint8_t *entry = an_malloc(n + 1);
    uint32_t *off = NULL, *to = NULL;
    if (!dm->idom || !dm->order || !dm->retained_bytes || !dm->retained_blocks || !entry ||
        kept_edges(g, d, alive, &off, &to))
        goto oom;
    for (uint32_t v = 0; v < g->n; v++) {
        entry[v] = seed[v] || cls[v] == CLASS_DEFINITE;
        dm->retained_bytes[v] = d ? d->blocks[v].size : 0;
        dm->retained_blocks[v] = 1;
    }
    struct dom_input in = {g->n, off, to, entry};
    if (dom_tree(&in, dm->idom, dm->order))
        goto oom;
    free(entry), free(off), free(to);
    for (uint32_t i = g->n; i-- > 0;) {
        uint32_t v = dm->order[i], up = dm->idom[v];
        if (up != DOM_ROOT) {
            dm->retained_bytes[up] += dm->retained_bytes[v];
            dm->retained_blocks[up] += dm->retained_blocks[v];
        }
    }
    return 0;
oom:
    free(entry), free(off), free(to);
    dominators_free(dm);
    return -1;
}

int dominators_compute(struct dominators *dm, const struct graph *g, const struct dump *d)
{
    memset(dm, 0, sizeof *dm);
    uint8_t *seed = reach_seeds_from_dump(d);
    uint8_t *alive = seed ? reach_alive(g, d, seed) : NULL;
    uint8_t *cls = NULL, *is_cycle = NULL;
    struct sccs s = {0};
    int rc = -1;
    if (alive && scc_compute(&s, g, alive) == 0 &&
        (cls = lost_classify(g, &s, alive, d->blocks, &is_cycle)))
        rc = dominators_compute_from(dm, g, d, seed, alive, cls);
    scc_free(&s);
    free(seed), free(alive), free(cls), free(is_cycle);
    return rc;
}

void dominators_free(struct dominators *dm)
{
    free(dm->idom);
    free(dm->order);
    free(dm->retained_bytes);
    free(dm->retained_blocks);
    memset(dm, 0, sizeof *dm);
}
