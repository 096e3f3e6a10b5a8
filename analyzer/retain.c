/* What each component of the unreachable subgraph retains: the blocks that can only be reached
 * through it. In the condensation (a DAG) with a virtual root above every component nothing
 * unreachable references, a component retains exactly the components it dominates: the
 * condensation goes through the one dominator algorithm (retention/domtree.c), then one
 * sweep from the last component in its preorder up sums the dominator subtrees. A cycle
 * entered at several members retains what it dominates as a whole, which no single block
 * does: that is why the block graph's dominator tree (retention/dominators.c) does not
 * replace this one. */
#include "analyzer.h"
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>

/* The condensation's edges (one per block edge between two components) and its entries. */
static int condensation(const struct graph *g, const struct sccs *s, uint32_t **off_out,
                        uint32_t **to_out, uint8_t **entry_out)
{
    uint32_t n = s->count;
    uint32_t *off = an_calloc((size_t)n + 1, sizeof *off), *to = NULL;
    uint8_t *entry = an_malloc((size_t)n + 1);
    if (!off || !entry)
        goto oom;
    memset(entry, 1, (size_t)n + 1);
    for (int pass = 0; pass < 2; pass++) {
        uint32_t m = 0;
        for (uint32_t c = 0; c < n; c++) {
            off[c] = m;
            for (uint32_t k = s->first[c]; k < s->first[c + 1]; k++) {
                uint32_t v = s->members[k];
                for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
                    uint32_t cw = s->comp[g->to[e]];
                    if (cw == AN_NONE || cw == c)
                        continue;
                    if (pass)
                        to[m] = cw;
                    entry[cw] = 0;
                    m++;
                }
            }
        }
        off[n] = m;
        if (!pass && !(to = an_malloc(((size_t)m + 1) * sizeof *to)))
            goto oom;
    }
    *off_out = off;
    *to_out = to;
    *entry_out = entry;
    return 0;
oom:
    free(off), free(to), free(entry);
    return -1;
}

int retain_compute(struct retain *r, const struct graph *g, const struct sccs *s,
                   const struct atoll_dump_block *blocks)
{
    memset(r, 0, sizeof *r);
    uint32_t n = s->count;
    uint32_t *off = NULL, *to = NULL, *order = an_malloc(((size_t)n + 1) * sizeof *order);
    uint8_t *entry = NULL;
    r->idom = an_malloc(((size_t)n + 1) * sizeof *r->idom);
    r->ret_blocks = an_calloc((size_t)n + 1, sizeof *r->ret_blocks);
    r->ret_bytes = an_calloc((size_t)n + 1, sizeof *r->ret_bytes);
    if (!order || !r->idom || !r->ret_blocks || !r->ret_bytes ||
        condensation(g, s, &off, &to, &entry))
        goto oom;
    struct dom_input in = {n, off, to, entry};
    if (dom_tree(&in, r->idom, order))
        goto oom;
    for (uint32_t i = n; i-- > 0;) {
        uint32_t c = order[i], up = r->idom[c];
        if (up == DOM_ROOT) {
            r->idom[c] = n;
            continue;
        }
        uint64_t own_bytes = 0;
        if (blocks)
            for (uint32_t k = s->first[c]; k < s->first[c + 1]; k++)
                own_bytes += blocks[s->members[k]].size;
        r->ret_blocks[up] += r->ret_blocks[c] + (s->first[c + 1] - s->first[c]);
        r->ret_bytes[up] += r->ret_bytes[c] + own_bytes;
    }
    free(off), free(to), free(entry), free(order);
    return 0;
oom:
    free(off), free(to), free(entry), free(order);
    retain_free(r);
    return -1;
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
