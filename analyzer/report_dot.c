/* The Graphviz report: one cluster per cycle shape among the top N (its first cycle stands for
 * all of them), members labelled with size and function, references with their label
 * (`.orders`, `[0]`) or byte offset,
 * and, dashed, the blocks the cycle retains (up to RETAINED_MAX of them). */
#include "analyzer.h"

#include <stdlib.h>

#define RETAINED_MAX 32

static void node(struct outbuf *o, const struct analysis *a, uint32_t v, bool retained)
{
    ob_str(o, "    b");
    ob_u64(o, v);
    ob_str(o, " [label=\"");
    ob_u64(o, a->d->blocks[v].size);
    ob_str(o, " B\\n");
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    report_site_label(&tmp, a, a->d->blocks[v].site);
    ob_put(&tmp, "", 1);
    ob_dot_str(o, tmp.buf ? tmp.buf : "?");
    free(tmp.buf);
    ob_str(o, retained ? "\", style=dashed];\n" : "\"];\n");
}

static void edge(struct outbuf *o, const struct analysis *a, uint32_t v, uint32_t e)
{
    ob_str(o, "    b");
    ob_u64(o, v);
    ob_str(o, " -> b");
    ob_u64(o, a->g.to[e]);
    ob_str(o, " [label=\"");
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    report_edge_label(&tmp, a, e);
    ob_put(&tmp, "", 1);
    ob_dot_str(o, tmp.buf ? tmp.buf : "?");
    free(tmp.buf);
    ob_str(o, "\"];\n");
}

/* Draws cycle c and up to RETAINED_MAX blocks it dominates, breadth first. */
static void cluster(struct outbuf *o, const struct analysis *a, uint32_t i, uint32_t c,
                    uint32_t *queue, uint8_t *drawn)
{
    const struct shape_group *sg = &a->shapes[i];
    ob_printf(o, "  subgraph cluster_%u {\n    label=\"shape %u: %llu x %u blocks, %llu bytes; "
                 "retains %llu blocks, %llu bytes\";\n",
              i, i, (unsigned long long)sg->count, a->s.first[c + 1] - a->s.first[c],
              (unsigned long long)sg->bytes, (unsigned long long)sg->retained_blocks,
              (unsigned long long)sg->retained_bytes);
    uint32_t head = 0, tail = 0, retained = 0;
    for (uint32_t k = a->s.first[c]; k < a->s.first[c + 1] && tail < RETAINED_MAX * 4; k++) {
        uint32_t v = a->s.members[k];
        drawn[v] = 1;
        queue[tail++] = v;
        node(o, a, v, false);
    }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t e = a->g.off[v]; e < a->g.off[v + 1]; e++) {
            uint32_t w = a->g.to[e], cw = a->s.comp[w];
            if (!drawn[w] && cw != AN_NONE && retained < RETAINED_MAX &&
                retain_dominates(&a->r, a->s.count, c, cw)) {
                drawn[w] = 1;
                queue[tail++] = w;
                retained++;
                node(o, a, w, true);
            }
            if (drawn[w])
                edge(o, a, v, e);
        }
    }
    if (sg->retained_blocks > retained)
        ob_printf(o, "    more_%u [shape=plaintext, label=\"... %llu more retained\"];\n", i,
                  (unsigned long long)(sg->retained_blocks - retained));
    ob_str(o, "  }\n");
    for (uint32_t k = 0; k < tail; k++)
        drawn[queue[k]] = 0;
}

void report_dot(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    uint32_t n = a->nshapes < top ? a->nshapes : top;
    uint32_t *queue = an_malloc((RETAINED_MAX * 5 + 1) * sizeof *queue);
    uint8_t *drawn = an_calloc((size_t)a->d->nblocks + 1, 1);
    ob_str(o, "digraph atoll {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n"
              "  edge [fontname=\"monospace\"];\n");
    for (uint32_t i = 0; queue && drawn && i < n; i++)
        cluster(o, a, i, a->shapes[i].first_comp, queue, drawn);
    ob_str(o, "}\n");
    if (!queue || !drawn)
        o->failed = true;
    free(queue), free(drawn);
}
