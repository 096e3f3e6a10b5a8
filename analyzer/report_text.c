/* The text report: a summary in Valgrind's terms, the top leak sites with their stacks, and
 * the top cycle shapes drawn as chains of members and their references (labelled as the
 * runtime spells them, else by offset); a cycle of objects first reads as a path of types,
 * `Customer -.orders-> list -[0]-> Order -.customer-> Customer`. A report on several
 * collections says how many it merged, and marks what an earlier collection found first and
 * what the last one no longer had. */
#include "analyzer.h"
#include "merge.h"
#include "retention/retention.h"
#include "python/pygcreport.h"

#include <stdlib.h>

#define CHAIN_MAX 12    /* members drawn per cycle; longer cycles are elided in the middle */

static void totals_line(struct outbuf *o, const char *what, const struct totals *t,
                        const char *tail)
{
    ob_printf(o, "  %-16s %llu bytes in %llu blocks%s\n", what, (unsigned long long)t->bytes,
              (unsigned long long)t->blocks, tail);
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

static void member(struct outbuf *o, const struct analysis *a, uint32_t i,
                   const struct view_member *x)
{
    member_name(o, i);
    ob_str(o, " (");
    if (x->type) {
        ob_str(o, x->type);
        ob_str(o, ", ");
    }
    ob_u64(o, x->size);
    ob_str(o, " B, ");
    report_site_label(o, a, x->site);
    ob_put(o, ")", 1);
}

/* A simple cycle as the chain of its members and the offsets of their references. */
static void chain(struct outbuf *o, const struct analysis *a, const struct cycle_view *v)
{
    uint32_t k = v->nmembers;
    for (uint32_t i = 0; i < k; i++) {
        if (k > CHAIN_MAX && i == CHAIN_MAX - 2) {
            ob_printf(o, "... (%u more) -> ", k - CHAIN_MAX + 1);
            i = k - 1;
        }
        member(o, a, i, &v->members[i]);
        report_arrow(o, &v->edges[i]);
    }
    member_name(o, 0);
}

/* A cycle of objects as the types of its members and their references, between prefix and
 * suffix; false (nothing written) when it has no such path (cycleview.c). */
static bool path(struct outbuf *o, const struct cycle_view *v, const char *prefix,
                 const char *suffix)
{
    uint32_t n = v->npath;
    if (!n)
        return false;
    ob_str(o, prefix);
    for (uint32_t i = 0; i < n; i++) {
        if (n > CHAIN_MAX && i == CHAIN_MAX - 2) {
            ob_printf(o, "... (%u more) -> ", n - CHAIN_MAX + 1);
            i = n - 1;
        }
        uint32_t from = i ? v->edges[v->path[i - 1]].to : v->path_first;
        ob_str(o, v->members[from].type);
        report_arrow(o, &v->edges[v->path[i]]);
    }
    ob_str(o, v->members[v->path_first].type);
    ob_str(o, suffix);
    return true;
}

void report_view_line(struct outbuf *o, const struct analysis *a, const struct cycle_view *v)
{
    if (path(o, v, "", ""))
        return;
    if (v->simple) {
        chain(o, a, v);
        return;
    }
    ob_printf(o, "%u blocks: ", v->nmembers);
    for (uint32_t i = 0; i < v->nmembers && i < CHAIN_MAX; i++) {
        ob_str(o, i ? ", " : "");
        member(o, a, i, &v->members[i]);
    }
    ob_str(o, v->nmembers > CHAIN_MAX ? ", ..." : "");
}

void report_shape_line_by(struct outbuf *o, const struct analysis *a, struct viewer *vw,
                          const struct shape_group *sg)
{
    struct cycle_view v;
    if (!vw || viewer_build(vw, sg->first_comp, false, &v)) {
        uint32_t c = sg->first_comp;
        ob_printf(o, "%u blocks", a->s.first[c + 1] - a->s.first[c]);
    } else {
        report_view_line(o, a, &v);
        cycle_view_free(&v);
    }
}

void report_shape_line(struct outbuf *o, const struct analysis *a, const struct shape_group *sg)
{
    struct viewer *vw = viewer_new(a);
    report_shape_line_by(o, a, vw, sg);
    viewer_free(vw);
}

/* A reference between members: "A -> +8 -> B", "A -.peer-> B". */
static void reference(struct outbuf *o, const struct view_edge *e)
{
    member_name(o, e->from);
    report_arrow(o, e);
    member_name(o, e->to);
}

static void draw_general(struct outbuf *o, const struct analysis *a, const struct cycle_view *v)
{
    uint32_t k = v->nmembers, shown = k < CHAIN_MAX ? k : CHAIN_MAX;
    for (uint32_t i = 0; i < shown; i++) {
        ob_str(o, "      ");
        member(o, a, i, &v->members[i]);
        ob_put(o, "\n", 1);
    }
    if (shown < k)
        ob_printf(o, "      ... and %u more members\n", k - shown);
    for (uint32_t i = 0; i < v->nedges && i < CHAIN_MAX; i++) {
        ob_str(o, "      ");
        reference(o, &v->edges[i]);
        ob_put(o, "\n", 1);
    }
}

void report_site_frames(struct outbuf *o, const struct analysis *a, uint32_t site)
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
static void draw_break(struct outbuf *o, const struct cycle_view *v)
{
    if (v->brk == AN_NONE)
        return;
    ob_str(o, "      break ");
    reference(o, &v->edges[v->brk]);
    ob_printf(o, " to free %u of %u\n", v->frees, v->nmembers);
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
        report_site_frames(o, a, d->blocks[v].site);
    }
}

/* "gone by exit", or by the last collection when it was not the exit's. */
static void gone_by(struct outbuf *o, const struct merged *m)
{
    const struct atoll_dump_process *p = m->last->d->proc;
    if (p->trigger == ATOLL_DUMP_TRIGGER_EXIT)
        ob_str(o, "gone by exit");
    else
        ob_printf(o, "gone by collection %u (%s)", p->collection, trigger_name(p->trigger));
}

/* When an earlier collection found them first, which; when the last one did not dump some
 * (gone of count), how many. Nothing for what only the last collection found. */
static void found(struct outbuf *o, const struct merged *m, uint32_t first, uint64_t gone,
                  uint64_t count)
{
    if (first != m->last->d->proc->collection)
        ob_printf(o, ", found by collection %u (%s)", first,
                  trigger_name(merged_trigger(m, first)));
    if (!gone)
        return;
    ob_str(o, ", ");
    if (gone < count)
        ob_printf(o, "%llu ", (unsigned long long)gone);
    gone_by(o, m);
}

static void summary(struct outbuf *o, const struct merged *m)
{
    ob_str(o, "\nSUMMARY\n");
    bool merged = m->ncollections > 1;
    if (merged)
        ob_printf(o, "  %-16s %u collections (what any of them found, each block once)\n",
                  "merged:", m->ncollections);
    totals_line(o, "definitely lost:", &m->definite, "");
    totals_line(o, "indirectly lost:", &m->indirect, "");
    totals_line(o, "still reachable:", &m->reachable, merged ? " (at the last collection)" : "");
    totals_line(o, "suppressed:", &m->suppressed_t, "");
    ob_printf(o, "  %-16s %u cycles, %llu blocks, %llu bytes", "isolated cycles:", m->ncycles,
              (unsigned long long)m->cycle_blocks.blocks,
              (unsigned long long)m->cycle_blocks.bytes);
    if (m->gone_cycles) {
        ob_printf(o, " (%u ", m->gone_cycles);
        gone_by(o, m);
        ob_put(o, ")", 1);
    }
    ob_put(o, "\n", 1);
}

static void leak_sites(struct outbuf *o, const struct merged *m, uint32_t top)
{
    uint32_t n = m->nleaks < top ? m->nleaks : top;
    ob_printf(o, "\nTOP LEAK SITES (%u of %u)\n", n, m->nleaks);
    for (uint32_t i = 0; i < n; i++) {
        const struct merged_leak *l = &m->leaks[i];
        ob_printf(o, "#%u %llu bytes in %llu %s%s %s lost", i + 1, (unsigned long long)l->bytes,
                  (unsigned long long)l->blocks, l->type ? l->type : "blocks",
                  l->type ? " objects" : "",
                  l->cls == CLASS_DEFINITE ? "definitely" : "indirectly");
        found(o, m, l->first, l->at_last ? 0 : l->blocks, l->blocks);
        ob_str(o, ", allocated at:\n");
        report_site_frames(o, m->last, l->site);
    }
}

static void cycle_shapes(struct outbuf *o, const struct merged *m, uint32_t top)
{
    uint32_t n = m->nshapes < top ? m->nshapes : top;
    ob_printf(o, "\nTOP CYCLE SHAPES (%u of %u)\n", n, m->nshapes);
    for (uint32_t i = 0; i < n; i++) {
        const struct merged_shape *sh = &m->shapes[i];
        ob_printf(o, "#%u %llu %s of %llu bytes in %llu blocks, retaining %llu bytes in %llu "
                  "blocks", i + 1, (unsigned long long)sh->count,
                  sh->count == 1 ? "cycle" : "cycles", (unsigned long long)sh->bytes,
                  (unsigned long long)sh->blocks, (unsigned long long)sh->retained_bytes,
                  (unsigned long long)sh->retained_blocks);
        found(o, m, sh->first, sh->gone, sh->count);
        ob_str(o, ":\n");
        struct cycle_view tmp = {0};
        const struct cycle_view *v = merged_view(m, sh->example, false, &tmp);
        if (!v) {
            o->failed = true;
            return;
        }
        path(o, v, "      ", "\n");
        if (v->simple) {
            ob_str(o, "      ");
            chain(o, m->last, v);
            ob_put(o, "\n", 1);
        } else {
            draw_general(o, m->last, v);
        }
        draw_break(o, v);
        cycle_view_free(&tmp);
    }
}

/* Sites and types by what they retain (the last collection's). */
static void retainers(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    uint32_t n = a->nretainers < top ? a->nretainers : top;
    ob_printf(o, "\nTOP RETAINERS (%u of %u)\n", n, a->nretainers);
    for (uint32_t i = 0; i < n; i++) {
        const struct retainer *r = &a->retainers[i];
        ob_printf(o, "#%u ", i + 1);
        if (r->site == AN_NONE)
            ob_printf(o, "type %s: ", dump_string(a->d, r->type));
        ob_printf(o, "%llu blocks of %llu bytes, retaining %llu bytes in %llu blocks%s\n",
                  (unsigned long long)r->blocks, (unsigned long long)r->bytes,
                  (unsigned long long)r->retained_bytes, (unsigned long long)r->retained_blocks,
                  r->site == AN_NONE ? "" : ", allocated at:");
        if (r->site != AN_NONE)
            report_site_frames(o, a, r->site);
    }
}

void report_text_merged(struct outbuf *o, const struct merged *m, uint32_t top)
{
    const struct dump *d = m->last->d;
    const struct atoll_dump_process *p = d->proc;
    ob_printf(o, "atoll: %s (pid %u), collection %u (%s), generation %u\n",
              dump_string(d, p->exe), p->pid, p->collection, trigger_name(p->trigger),
              p->generation);
    summary(o, m);
    pygc_report_text_summary(o, m);
    if (m->nleaks)
        leak_sites(o, m, top);
    if (m->nshapes)
        cycle_shapes(o, m, top);
    if (m->last->nretainers)
        retainers(o, m->last, top);
    pygc_report_text_sites(o, m, top);
    if (m->last->nrefleaks)
        refcount_leaks(o, m->last, top);
}
