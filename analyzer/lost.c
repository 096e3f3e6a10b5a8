/* Valgrind's classification of the unreachable blocks. A component of the unreachable
 * subgraph that no other unreachable block references is a root of the leak: its member
 * allocated first (lowest seq) is "definitely lost", everything else "indirectly lost".
 * Components with a cycle (two or more members, or a self-reference) are marked too. */
#include "analyzer.h"

#include <stdlib.h>

uint8_t *lost_classify(const struct graph *g, const struct sccs *s, const uint8_t *alive,
                       const struct atoll_dump_block *blocks, uint8_t **is_cycle)
{
    uint8_t *cls = an_calloc((size_t)g->n + 1, 1);
    uint8_t *entered = an_calloc((size_t)s->count + 1, 1);
    uint8_t *cyc = an_calloc((size_t)s->count + 1, 1);
    if (!cls || !entered || !cyc) {
        free(cls), free(entered), free(cyc);
        return NULL;
    }
    for (uint32_t v = 0; v < g->n; v++) {
        if (alive[v])
            continue;
        uint32_t cv = s->comp[v];
        for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
            uint32_t w = g->to[e];
            if (w == v)
                cyc[cv] = 1;
            else if (!alive[w] && s->comp[w] != cv)
                entered[s->comp[w]] = 1;
        }
    }
    for (uint32_t c = 0; c < s->count; c++) {
        uint32_t lo = s->first[c], hi = s->first[c + 1];
        if (hi - lo > 1)
            cyc[c] = 1;
        uint32_t pick = AN_NONE;
        for (uint32_t k = lo; k < hi; k++) {
            uint32_t v = s->members[k];
            cls[v] = CLASS_INDIRECT;
            if (!entered[c] &&
                (pick == AN_NONE || (blocks && blocks[v].seq < blocks[pick].seq)))
                pick = v;
        }
        if (pick != AN_NONE)
            cls[pick] = CLASS_DEFINITE;
    }
    free(entered);
    *is_cycle = cyc;
    return cls;
}
