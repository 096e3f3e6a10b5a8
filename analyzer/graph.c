/* The block graph in compressed sparse row form: off[i]..off[i+1] index the targets of block
 * i's references in to[]. EDGES are already sorted by `from`, so one counting pass builds it;
 * 32-bit indexes keep a 100-million-block graph in a few hundred megabytes. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

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
    for (uint32_t i = 0; i < d->nedges; i++) {
        g->off[d->edges[i].from + 1]++;
        g->to[i] = d->edges[i].to;
    }
    for (uint32_t i = 0; i < g->n; i++)
        g->off[i + 1] += g->off[i];
    return 0;
}

void graph_free(struct graph *g)
{
    if (g->owns_off)
        free(g->off);
    free(g->to);
    memset(g, 0, sizeof *g);
}
