/* The text report: a summary in Valgrind's terms, the top leak sites with their stacks, and
 * the top cycle shapes drawn as chains of members and their references (labelled as the
 * runtime spells them, else by offset); a cycle of objects first reads as a path of types,
 * `Customer -.orders-> list -[0]-> Order -.customer-> Customer`. */
#include "analyzer.h"

#include <stdlib.h>

#define CHAIN_MAX 12    /* members drawn per cycle; longer cycles are elided in the middle */

static void totals_line(struct outbuf *o, const char *what, const struct totals *t)
{
    ob_printf(o, "  %-16s %llu bytes in %llu blocks\n", what, (unsigned long long)t->bytes,
              (unsigned long long)t->blocks);
}

static void member_name(struct outbuf *o, uint32_t i)
{
    if (i < 26) {
        char c = (char)('A' + i);
        ob_put(o, &c, 1);
    } else {
        ob_put(o, "N", 1);
        ob_u64(o, i);
    }
}

static void member(struct outbuf *o, const struct analysis *a, uint32_t i, uint32_t v)
{
    member_name(o, i);
    ob_str(o, " (");
    const char *type = report_type(a->d, v);
    if (type) {
        ob_str(o, type);
        ob_str(o, ", ");
    }
    ob_u64(o, a->d->blocks[v].size);
    ob_str(o, " B, ");
    report_site_label(o, a, a->d->blocks[v].site);
    ob_put(o, ")", 1);
}

/* A simple cycle as the chain of its members and the offsets of their references. */
static void chain(struct outbuf *o, const struct analysis *a, const uint32_t *order, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        if (k > CHAIN_MAX && i == CHAIN_MAX - 2) {
            ob_printf(o, "... (%u more) -> ", k - CHAIN_MAX + 1);
            i = k - 1;
        }
        member(o, a, i, order[i]);
        report_arrow(o, a, shape_next_edge(&a->g, &a->s, order[i]));
    }
    member_name(o, 0);
}

/* The edges of a cycle of component c: through the reference to break, from its member, or
 * else a shortest one through member *first; *first is then where it starts. */
static uint32_t cycle_path(const struct analysis *a, uint32_t c, uint32_t *first,
                           uint32_t *edges)
{
    uint32_t frees, e = break_edge(&a->g, &a->s, c, &frees);
    if (e == AN_NONE)
        return shape_path(&a->g, &a->s, c, *first, *first, edges);
    *first = dump_owner(a->d, a->d->edges[graph_eid(&a->g, e)].from);
    edges[0] = e;
    if (a->g.to[e] == *first)
        return 1;
    uint32_t n = shape_path(&a->g, &a->s, c, a->g.to[e], *first, edges + 1);
    return n ? n + 1 : 0;
}

/* A cycle, as the types of its members and their references, between prefix and suffix;
 * false (nothing written) unless every member on it is an object. */
static bool path(struct outbuf *o, const struct analysis *a, uint32_t c, uint32_t first,
                 const char *prefix, const char *suffix)
{
    uint32_t k = a->s.first[c + 1] - a->s.first[c];
    uint32_t *edges = an_malloc(((size_t)k + 1) * sizeof *edges);
    uint32_t n = edges ? cycle_path(a, c, &first, edges) : 0;
    bool typed = n > 0;
    for (uint32_t i = 0; i < n && typed; i++)
        typed = report_type(a->d, a->g.to[edges[i]]) != NULL;
    if (typed)
        ob_str(o, prefix);
    for (uint32_t i = 0; typed && i < n; i++) {
        if (n > CHAIN_MAX && i == CHAIN_MAX - 2) {
            ob_printf(o, "... (%u more) -> ", n - CHAIN_MAX + 1);
            i = n - 1;
        }
        ob_str(o, report_type(a->d, i ? a->g.to[edges[i - 1]] : first));
        report_arrow(o, a, edges[i]);
    }
    if (typed) {
        ob_str(o, report_type(a->d, first));
        ob_str(o, suffix);
    }
    free(edges);
    return typed;
}

void report_shape_line(struct outbuf *o, const struct analysis *a, const struct shape_group *sg)
{
    uint32_t c = sg->first_comp, k0 = a->s.first[c + 1] - a->s.first[c];
    uint32_t *order = an_malloc(((size_t)k0 + 1) * sizeof *order);
    if (!order) {
        ob_printf(o, "%u blocks", k0);
        return;
    }
    uint32_t k = shape_cycle_order(&a->g, &a->s, a->d, c, order);
    if (path(o, a, c, order[0], "", "")) {
        free(order);
        return;
    }
    if (sg->simple) {
        chain(o, a, order, k);
    } else {
        ob_printf(o, "%u blocks: ", k);
        for (uint32_t i = 0; i < k && i < CHAIN_MAX; i++) {
            ob_str(o, i ? ", " : "");
            member(o, a, i, order[i]);
        }
        ob_str(o, k > CHAIN_MAX ? ", ..." : "");
    }
    free(order);
}

static void draw_general(struct outbuf *o, const struct analysis *a, const uint32_t *order,
                         uint32_t k, uint32_t *pos)
{
    for (uint32_t i = 0; i < k; i++)
        pos[order[i]] = i;
    uint32_t shown = k < CHAIN_MAX ? k : CHAIN_MAX;
    for (uint32_t i = 0; i < shown; i++) {
        ob_str(o, "      ");
        member(o, a, i, order[i]);
        ob_put(o, "\n", 1);
    }
    if (shown < k)
        ob_printf(o, "      ... and %u more members\n", k - shown);
    uint32_t edges = 0;
    for (uint32_t i = 0; i < k && edges < CHAIN_MAX; i++) {
        uint32_t v = order[i];
        for (uint32_t e = a->g.off[v]; e < a->g.off[v + 1] && edges < CHAIN_MAX; e++) {
            uint32_t w = a->g.to[e];
            if (a->s.comp[w] != a->s.comp[v])
                continue;
            ob_str(o, "      ");
            member_name(o, i);
            report_arrow(o, a, e);
            member_name(o, pos[w]);
            ob_put(o, "\n", 1);
            edges++;
        }
    }
}

/* A site's frames; of a Python allocation, its Python frames (all of them with --native). */
static void site_frames(struct outbuf *o, const struct analysis *a, uint32_t site)
{
    uint32_t nf = 0;
    const struct frame_sym *f = a->sym ? symbols_site(a->sym, site, &nf) : NULL;
    uint32_t py = symbols_python_frames(f, nf);
    if (py && !a->native)
        nf = py;
    for (uint32_t k = 0; k < nf; k++) {
        ob_printf(o, "    #%u ", k);
        report_frame(o, &f[k]);
        ob_put(o, "\n", 1);
    }
    if (!nf)
        ob_str(o, "    (no stack)\n");
}

/* The reference whose removal frees the most members, when the cycle is small enough. */
static void draw_break(struct outbuf *o, const struct analysis *a, uint32_t c,
                       const uint32_t *order, uint32_t k, uint32_t *pos)
{
    uint32_t frees, e = break_edge(&a->g, &a->s, c, &frees);
    if (e == AN_NONE)
        return;
    for (uint32_t i = 0; i < k; i++)
        pos[order[i]] = i;
    ob_str(o, "      break ");
    member_name(o, pos[dump_owner(a->d, a->d->edges[graph_eid(&a->g, e)].from)]);
    report_arrow(o, a, e);
    member_name(o, pos[a->g.to[e]]);
    ob_printf(o, " to free %u of %u\n", frees, k);
}

static void refcount_leaks(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    const struct dump *d = a->d;
    uint32_t n = a->nrefleaks < top ? a->nrefleaks : top;
    ob_printf(o, "\nREFCOUNT LEAKS (%u of %u objects counted more than referenced)\n", n,
              a->nrefleaks);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = a->refleaks[i].block;
        const struct atoll_dump_object *ob = &d->objects[d->object_of[v]];
        ob_printf(o, "#%u %s at 0x%llx: refcount %llu, %u references found, surplus %llu, "
                  "allocated at:\n", i + 1, dump_string(d, ob->type),
                  (unsigned long long)(d->blocks[v].address + ob->offset),
                  (unsigned long long)ob->refcount, d->blocks[v].refcount,
                  (unsigned long long)a->refleaks[i].surplus);
        site_frames(o, a, d->blocks[v].site);
    }
}

void report_text(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    const struct dump *d = a->d;
    const struct atoll_dump_process *p = d->proc;
    ob_printf(o, "atoll: %s (pid %u), collection %u (%s), generation %u\n",
              dump_string(d, p->exe), p->pid, p->collection, trigger_name(p->trigger),
              p->generation);
    ob_str(o, "\nSUMMARY\n");
    totals_line(o, "definitely lost:", &a->definite);
    totals_line(o, "indirectly lost:", &a->indirect);
    totals_line(o, "still reachable:", &a->reachable);
    totals_line(o, "suppressed:", &a->suppressed_t);
    ob_printf(o, "  %-16s %u cycles, %llu blocks, %llu bytes\n", "isolated cycles:", a->ncycles,
              (unsigned long long)a->cycle_blocks.blocks,
              (unsigned long long)a->cycle_blocks.bytes);

    if (a->nleaks) {
        uint32_t n = a->nleaks < top ? a->nleaks : top;
        ob_printf(o, "\nTOP LEAK SITES (%u of %u)\n", n, a->nleaks);
        for (uint32_t i = 0; i < n; i++) {
            const struct leak_group *l = &a->leaks[i];
            ob_printf(o, "#%u %llu bytes in %llu %s%s %s lost, allocated at:\n",
                      i + 1, (unsigned long long)l->bytes, (unsigned long long)l->blocks,
                      l->type != AN_NONE ? dump_string(d, l->type) : "blocks",
                      l->type != AN_NONE ? " objects" : "",
                      l->cls == CLASS_DEFINITE ? "definitely" : "indirectly");
            site_frames(o, a, l->site);
        }
    }

    if (a->nshapes) {
        uint32_t n = a->nshapes < top ? a->nshapes : top, maxk = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t c = a->shapes[i].first_comp;
            uint32_t k = a->s.first[c + 1] - a->s.first[c];
            maxk = k > maxk ? k : maxk;
        }
        uint32_t *order = an_malloc(((size_t)maxk + 1) * sizeof *order);
        uint32_t *pos = an_malloc(((size_t)d->nblocks + 1) * sizeof *pos);
        ob_printf(o, "\nTOP CYCLE SHAPES (%u of %u)\n", n, a->nshapes);
        for (uint32_t i = 0; order && pos && i < n; i++) {
            const struct shape_group *sg = &a->shapes[i];
            ob_printf(o,
                      "#%u %llu %s of %llu bytes in %llu blocks, retaining %llu bytes in %llu "
                      "blocks:\n",
                      i + 1, (unsigned long long)sg->count, sg->count == 1 ? "cycle" : "cycles",
                      (unsigned long long)sg->bytes, (unsigned long long)sg->blocks,
                      (unsigned long long)sg->retained_bytes,
                      (unsigned long long)sg->retained_blocks);
            uint32_t k = shape_cycle_order(&a->g, &a->s, d, sg->first_comp, order);
            path(o, a, sg->first_comp, order[0], "      ", "\n");
            if (sg->simple) {
                ob_str(o, "      ");
                chain(o, a, order, k);
                ob_put(o, "\n", 1);
            } else {
                draw_general(o, a, order, k, pos);
            }
            draw_break(o, a, sg->first_comp, order, k, pos);
        }
        free(order);
        free(pos);
    }
    if (a->nrefleaks)
        refcount_leaks(o, a, top);
}
