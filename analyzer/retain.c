/* What each component of the unreachable subgraph retains: the blocks that can only be reached
 * through it. In the condensation (a DAG) with a virtual root above every component nothing
 * unreachable references, a component retains exactly the components it dominates. Tarjan
 * numbers components in reverse topological order, so one sweep from the highest number down
 * computes immediate dominators (the "intersect" step of Cooper, Harvey and Kennedy, where a
 * dominator always has a higher number), and one sweep up sums the dominator subtrees. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

static uint32_t intersect(const uint32_t *idom, uint32_t a, uint32_t b)
{
    while (a != b) {
        while (a < b)
            a = idom[a];
        while (b < a)
            b = idom[b];
    }
    return a;
}

int retain_compute(struct retain *r, const struct graph *g, const struct sccs *s,
                   const struct atoll_dump_block *blocks)
{
    memset(r, 0, sizeof *r);
    uint32_t n = s->count;
    r->idom = an_malloc(((size_t)n + 1) * sizeof *r->idom);
    r->ret_blocks = an_calloc((size_t)n + 1, sizeof *r->ret_blocks);
    r->ret_bytes = an_calloc((size_t)n + 1, sizeof *r->ret_bytes);
    if (!r->idom || !r->ret_blocks || !r->ret_bytes) {
        retain_free(r);
        return -1;
    }
    memset(r->idom, 0xff, ((size_t)n + 1) * sizeof *r->idom);
    for (uint32_t c = n; c-- > 0;) {
        if (r->idom[c] == AN_NONE)
            r->idom[c] = n;
        for (uint32_t k = s->first[c]; k < s->first[c + 1]; k++) {
            uint32_t v = s->members[k];
            for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
                uint32_t cw = s->comp[g->to[e]];
                if (cw == AN_NONE || cw == c)
                    continue;
                r->idom[cw] = r->idom[cw] == AN_NONE ? c : intersect(r->idom, r->idom[cw], c);
            }
        }
    }
    for (uint32_t c = 0; c < n; c++) {
        uint64_t own_blocks = s->first[c + 1] - s->first[c], own_bytes = 0;
        if (blocks)
            for (uint32_t k = s->first[c]; k < s->first[c + 1]; k++)
                own_bytes += blocks[s->members[k]].size;
        uint32_t up = r->idom[c];
        if (up != n) {
            r->ret_blocks[up] += r->ret_blocks[c] + own_blocks;
            r->ret_bytes[up] += r->ret_bytes[c] + own_bytes;
        }
    }
    return 0;
}

bool retain_dominates(const struct retain *r, uint32_t ncomp, uint32_t c, uint32_t x)
{
    while (x < c && x < ncomp)
        x = r->idom[x];
    return x == c;
}

void retain_free(struct retain *r)
{
    free(r->idom);
    free(r->ret_blocks);
    free(r->ret_bytes);
    memset(r, 0, sizeof *r);
}
