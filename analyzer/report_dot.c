/* The Graphviz report, drawn as objgraph draws objects: one cluster per cycle shape among the
 * top N (its first cycle stands for all of them), one node per object (the blocks it owns, a
 * list's item array or an instance's __dict__, folded into it: cycleview.c) labelled with its
 * type, size and innermost site (Python's when it has one), references labelled as the runtime
 * spells them (`.orders`, `[0]`) or with their byte offset, and, dashed, what the cycle retains
 * (up to 32 nodes). A cycle only an earlier collection found names its nodes by that
 * collection too, since block indexes are per dump. */
#include "analyzer.h"
#include "merge.h"

#include <stdlib.h>

static void node_id(struct outbuf *o, uint32_t collection, uint32_t block)
{
    if (collection)
        ob_printf(o, "c%u", collection);
    ob_put(o, "b", 1);
    ob_u64(o, block);
}

static void node(struct outbuf *o, const struct analysis *a, uint32_t collection,
                 const struct view_draw *x)
{
    ob_str(o, "    ");
    node_id(o, collection, x->node.block);
    ob_str(o, " [label=\"");
    if (x->node.type) {
        ob_dot_str(o, x->node.type);
        ob_str(o, "\\n");
    }
    ob_u64(o, x->node.size + x->node.owned_bytes);
    ob_str(o, " B\\n");
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    report_site_label(&tmp, a, x->node.site);
    ob_put(&tmp, "", 1);
    ob_dot_str(o, tmp.buf ? tmp.buf : "?");
    free(tmp.buf);
    ob_str(o, x->retained ? "\", style=dashed];\n" : "\"];\n");
}

static void edge(struct outbuf *o, uint32_t collection, const struct view_edge *e)
{
    ob_str(o, "    ");
    node_id(o, collection, e->from);
    ob_str(o, " -> ");
    node_id(o, collection, e->to);
    ob_str(o, " [label=\"");
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    report_edge_label(&tmp, e);
    ob_put(&tmp, "", 1);
    ob_dot_str(o, tmp.buf ? tmp.buf : "?");
    free(tmp.buf);
    ob_str(o, "\"];\n");
}

static void cluster(struct outbuf *o, const struct merged *m, uint32_t i,
                    const struct cycle_view *v)
{
    const struct merged_shape *sh = &m->shapes[i];
    uint32_t collection = v->collection != m->last->d->proc->collection ? v->collection : 0;
    ob_printf(o, "  subgraph cluster_%u {\n    label=\"shape %u: %llu x %u blocks, %llu bytes; "
                 "retains %llu blocks, %llu bytes\";\n",
              i, i, (unsigned long long)sh->count, v->nmembers, (unsigned long long)sh->bytes,
              (unsigned long long)sh->retained_blocks, (unsigned long long)sh->retained_bytes);
    for (uint32_t k = 0; k < v->ndraw; k++) {
        if (v->draw[k].edge)
            edge(o, collection, &v->draw[k].e);
        else
            node(o, m->last, collection, &v->draw[k]);
    }
    if (v->retained_blocks > v->drawn_retained)
        ob_printf(o, "    more_%u [shape=plaintext, label=\"... %llu more retained\"];\n", i,
                  (unsigned long long)(v->retained_blocks - v->drawn_retained));
    ob_str(o, "  }\n");
}

static void head(struct outbuf *o)
{
    ob_str(o, "digraph atoll {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n"
              "  edge [fontname=\"monospace\"];\n");
}

static void shape(struct outbuf *o, const struct merged *m, uint32_t i)
{
    struct cycle_view tmp = {0};
    const struct cycle_view *v = merged_view(m, m->shapes[i].example, true, &tmp);
    if (!v) {
        o->failed = true;
        return;
    }
    cluster(o, m, i, v);
    cycle_view_free(&tmp);
}

void report_dot_merged(struct outbuf *o, const struct merged *m, uint32_t top)
{
    uint32_t n = m->nshapes < top ? m->nshapes : top;
    head(o);
    for (uint32_t i = 0; i < n && !o->failed; i++)
        shape(o, m, i);
    ob_str(o, "}\n");
}

void report_dot_shape(struct outbuf *o, const struct merged *m, uint32_t i)
{
    head(o);
    shape(o, m, i);
    ob_str(o, "}\n");
}
