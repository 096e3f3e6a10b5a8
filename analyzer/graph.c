/* The block graph in compressed sparse row form: off[i]..off[i+1] index the targets of block
 * i's references in to[]. EDGES are already sorted by `from`, so one counting pass builds it;
 * 32-bit indexes keep a 100-million-block graph in a few hundred megabytes. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

/* An edge to an owned block counts only from its owner, or from another block of the same
 * owner (a folded __dict__ holds its table). */
bool graph_edge_kept(const struct dump *d, const struct atoll_dump_edge *e)
{
    uint32_t owner = dump_owner(d, e->to);
    return owner == e->to || owner == dump_owner(d, e->from);
}

static int graph_folded(struct graph *g, const struct dump *d)
{
    g->eid = an_malloc(((size_t)d->nedges + 1) * sizeof *g->eid);
    if (!g->eid)
        return -1;
    for (uint32_t i = 0; i < d->nedges; i++)
        if (graph_edge_kept(d, &d->edges[i]))
            g->off[dump_owner(d, d->edges[i].from) + 1]++;
    for (uint32_t i = 0; i < g->n; i++)
        g->off[i + 1] += g->off[i];
    uint32_t *fill = an_malloc(((size_t)g->n + 1) * sizeof *fill);
    if (!fill)
        return -1;
    memcpy(fill, g->off, (size_t)g->n * sizeof *fill);
    for (uint32_t i = 0; i < d->nedges; i++) {
        const struct atoll_dump_edge *e = &d->edges[i];
        if (!graph_edge_kept(d, e))
            continue;
        uint32_t k = fill[dump_owner(d, e->from)]++;
        g->to[k] = e->to;
        g->eid[k] = i;
    }
    free(fill);
    return 0;
}

int graph_from_dump(struct graph *g, const struct dump *d)
{
    memset(g, 0, sizeof *g);
    g->n = d->nblocks;
    g->off = an_calloc((size_t)g->n + 1, sizeof *g->off);
    g->to = an_malloc(((size_t)d->nedges + 1) * sizeof *g->to);
    g->owns_off = true;
    if (!g->off || !g->to) {
        graph_free(g);
        return -1;
    }
    if (d->object_of) {
        if (graph_folded(g, d) == 0)
            return 0;
        graph_free(g);
        return -1;
    }
    for (uint32_t i = 0; i < d->nedges; i++) {
        g->off[d->edges[i].from + 1]++;
        g->to[i] = d->edges[i].to;
    }
    for (uint32_t i = 0; i < g->n; i++)
        g->off[i + 1] += g->off[i];
    return 0;
}

uint64_t graph_owned_at(const struct graph *g, const struct dump *d, uint32_t owner,
                        uint32_t owned)
{
    for (uint32_t k = g->off[owner]; k < g->off[owner + 1]; k++)
        if (g->to[k] == owned)
            return d->edges[graph_eid(g, k)].offset;
    return 0;
}

void graph_free(struct graph *g)
{
    if (g->owns_off)
        free(g->off);
    free(g->to);
    free(g->eid);
    memset(g, 0, sizeof *g);
}
