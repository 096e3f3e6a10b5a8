/* Strongly connected components of the unreachable subgraph, by Tarjan's algorithm made
 * iterative: an explicit call stack of (block, next edge) pairs replaces the recursion, so a
 * list of millions of blocks cannot overflow the C stack. Memory is a few u32 per block. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

struct call {
    uint32_t v, e;
};

int scc_compute(struct sccs *s, const struct graph *g, const uint8_t *alive)
{
    memset(s, 0, sizeof *s);
    size_t n = g->n;
    uint32_t *idx = an_calloc(n + 1, sizeof *idx);
    uint32_t *low = an_malloc((n + 1) * sizeof *low);
    uint32_t *stack = an_malloc((n + 1) * sizeof *stack);
    struct call *calls = an_malloc((n + 1) * sizeof *calls);
    s->comp = an_malloc((n + 1) * sizeof *s->comp);
    if (!idx || !low || !stack || !calls || !s->comp) {
        free(idx), free(low), free(stack), free(calls);
        scc_free(s);
        return -1;
    }
    memset(s->comp, 0xff, (n + 1) * sizeof *s->comp);
    uint32_t counter = 0, sp = 0, ncomp = 0;
    for (uint32_t root = 0; root < g->n; root++) {
        if (alive[root] || idx[root])
            continue;
        uint32_t cp = 0;
        idx[root] = low[root] = ++counter;
        stack[sp++] = root;
        calls[cp++] = (struct call){root, g->off[root]};
        while (cp) {
            struct call *c = &calls[cp - 1];
            uint32_t v = c->v;
            if (c->e < g->off[v + 1]) {
                uint32_t w = g->to[c->e++];
                if (alive[w])
                    continue;
                if (!idx[w]) {
                    idx[w] = low[w] = ++counter;
                    stack[sp++] = w;
                    calls[cp++] = (struct call){w, g->off[w]};
                } else if (s->comp[w] == AN_NONE && idx[w] < low[v]) {
                    low[v] = idx[w];
                }
                continue;
            }
            cp--;
            if (low[v] == idx[v]) {
                uint32_t w;
                do {
                    w = stack[--sp];
                    s->comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            if (cp) {
                uint32_t u = calls[cp - 1].v;
                if (low[v] < low[u])
                    low[u] = low[v];
            }
        }
    }
    free(idx), free(low), free(stack), free(calls);

    s->count = ncomp;
    s->first = an_calloc((size_t)ncomp + 2, sizeof *s->first);
    s->members = an_malloc((n + 1) * sizeof *s->members);
    if (!s->first || !s->members) {
        scc_free(s);
        return -1;
    }
    for (uint32_t i = 0; i < g->n; i++)
        if (s->comp[i] != AN_NONE)
            s->first[s->comp[i] + 1]++;
    for (uint32_t c = 0; c < ncomp; c++)
        s->first[c + 1] += s->first[c];
    /* fill with a moving cursor per component (first[c] is restored afterwards) */
    for (uint32_t i = 0; i < g->n; i++)
        if (s->comp[i] != AN_NONE)
            s->members[s->first[s->comp[i]]++] = i;
    for (uint32_t c = ncomp; c > 0; c--)
        s->first[c] = s->first[c - 1];
    s->first[0] = 0;
    return 0;
}

void scc_free(struct sccs *s)
{
    free(s->comp);
    free(s->first);
    free(s->members);
    memset(s, 0, sizeof *s);
}
