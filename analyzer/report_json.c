/* The JSON report; docs/report-format.md documents every field. Written by hand through the
 * output buffer: no library, and fast enough for reports with hundreds of thousands of
 * cycles. Addresses are strings ("0x..."), everything else that counts is a number. */
#include "analyzer.h"
#include "merge.h"
#include "retention/retention.h"
#include "python/pygcreport.h"

#include <stdlib.h>
#include <string.h>

static void kv_u64(struct outbuf *o, const char *key, uint64_t v, bool comma)
{
    ob_put(o, "\"", 1);
    ob_str(o, key);
    ob_str(o, "\": ");
    ob_u64(o, v);
    if (comma)
        ob_str(o, ", ");
}

static void kv_hex(struct outbuf *o, const char *key, uint64_t v, bool comma)
{
    ob_put(o, "\"", 1);
    ob_str(o, key);
    ob_str(o, "\": \"");
    ob_hex(o, v);
    ob_put(o, "\"", 1);
    if (comma)
        ob_str(o, ", ");
}

static void kv_str(struct outbuf *o, const char *key, const char *v, bool comma)
{
    ob_put(o, "\"", 1);
    ob_str(o, key);
    ob_str(o, "\": ");
    if (v)
        ob_json_str(o, v);
    else
        ob_str(o, "null");
    if (comma)
        ob_str(o, ", ");
}

/* "label": ".orders" (as the text report spells it), or null. */
static void kv_label(struct outbuf *o, const struct view_edge *e, bool comma)
{
    if (!e->label_kind) {
        kv_str(o, "label", NULL, comma);
        return;
    }
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    report_edge_label(&tmp, e);
    ob_put(&tmp, "", 1);
    kv_str(o, "label", tmp.buf ? tmp.buf : "?", comma);
    free(tmp.buf);
}

static void totals(struct outbuf *o, const char *key, const struct totals *t)
{
    ob_str(o, "    \"");
    ob_str(o, key);
    ob_str(o, "\": {");
    kv_u64(o, "blocks", t->blocks, true);
    kv_u64(o, "bytes", t->bytes, false);
    ob_str(o, "},\n");
}

static void process(struct outbuf *o, const struct dump *d)
{
    const struct atoll_dump_process *p = d->proc;
    ob_str(o, "  \"process\": {");
    kv_u64(o, "pid", p->pid, true);
    kv_u64(o, "ppid", p->ppid, true);
    kv_str(o, "exe", dump_string(d, p->exe), true);
    ob_str(o, "\"argv\": [");
    uint32_t off = p->argv;
    for (uint32_t i = 0; i < p->argc; i++) {
        const char *arg = dump_string(d, off);
        if (i)
            ob_str(o, ", ");
        ob_json_str(o, arg);
        off += (uint32_t)strlen(arg) + 1;
    }
    ob_str(o, "], ");
    kv_u64(o, "stack_depth", p->stack_depth, true);
    kv_u64(o, "heap_blocks", p->heap_blocks, true);
    kv_u64(o, "heap_bytes", p->heap_bytes, true);
    kv_u64(o, "modules", d->nmodules, true);
    kv_u64(o, "threads", d->nthreads, false);
    ob_str(o, "},\n  \"collection\": {");
    kv_u64(o, "number", p->collection, true);
    kv_u64(o, "time_ns", p->time_ns, true);
    kv_str(o, "trigger", trigger_name(p->trigger), true);
    kv_u64(o, "generation", p->generation, true);
    ob_printf(o, "\"thresholds\": [%u, %u, %u], ", p->threshold[0], p->threshold[1],
              p->threshold[2]);
    kv_u64(o, "pause_ns", p->pause_ns, true);
    kv_u64(o, "blocks", d->nblocks, true);
    kv_u64(o, "edges", d->nedges, true);
    kv_u64(o, "roots", d->nroots, false);
    ob_str(o, "},\n");
}

static void summary(struct outbuf *o, const struct merged *m)
{
    const struct analysis *a = m->last;
    ob_str(o, "  \"summary\": {\n    ");
    kv_u64(o, "collections_merged", m->ncollections, true);
    kv_u64(o, "blocks", m->all.blocks, true);
    kv_u64(o, "bytes", m->all.bytes, false);
    ob_str(o, ",\n");
    totals(o, "reachable", &m->reachable);
    totals(o, "leaked", &m->leaked);
    totals(o, "definitely_lost", &m->definite);
    totals(o, "indirectly_lost", &m->indirect);
    totals(o, "suppressed", &m->suppressed_t);
    ob_str(o, "    \"isolated_cycles\": {");
    kv_u64(o, "count", m->ncycles, true);
    kv_u64(o, "blocks", m->cycle_blocks.blocks, true);
    kv_u64(o, "bytes", m->cycle_blocks.bytes, false);
    ob_str(o, "},\n    \"gone\": {");
    kv_u64(o, "blocks", m->gone.blocks, true);
    kv_u64(o, "bytes", m->gone.bytes, true);
    kv_u64(o, "cycles", m->gone_cycles, false);
    ob_str(o, "},\n    ");
    kv_u64(o, "cycle_shapes", m->nshapes, true);
    kv_u64(o, "retainers", a->nretainers, true);
    uint64_t surplus = 0;
    for (uint32_t i = 0; i < a->nrefleaks; i++)
        surplus += a->refleaks[i].surplus;
    ob_str(o, "\n    \"refcount_leaks\": {");
    kv_u64(o, "objects", a->nrefleaks, true);
    kv_u64(o, "surplus", surplus, false);
    ob_put(o, "}", 1);
    pygc_report_json_summary(o, m);
    ob_str(o, "\n  },\n");
}

static void found(struct outbuf *o, uint32_t first, bool at_last)
{
    kv_u64(o, "first_collection", first, true);
    ob_str(o, at_last ? "\"at_last\": true" : "\"at_last\": false");
}

static void cycle(struct outbuf *o, uint32_t id, const struct merged_cycle *mc,
                  const struct cycle_view *v, uint8_t *used)
{
    ob_str(o, "    {");
    kv_u64(o, "id", id, true);
    kv_u64(o, "shape", mc->shape, true);
    kv_u64(o, "blocks", v->nmembers, true);
    kv_u64(o, "bytes", v->bytes, true);
    kv_u64(o, "retained_blocks", v->retained_blocks, true);
    kv_u64(o, "retained_bytes", v->retained_bytes, true);
    found(o, mc->first, mc->at_last);
    ob_str(o, ",\n     \"members\": [");
    for (uint32_t i = 0; i < v->nmembers; i++) {
        const struct view_member *x = &v->members[i];
        used[x->site] = 1;
        ob_str(o, i ? ", {" : "{");
        kv_u64(o, "block", x->block, true);
        kv_hex(o, "address", x->address, true);
        kv_u64(o, "size", x->size, true);
        kv_u64(o, "seq", x->seq, true);
        kv_u64(o, "site", x->site, true);
        if (x->type) {
            kv_str(o, "type", x->type, true);
            kv_hex(o, "object", x->object, true);
        }
        kv_str(o, "kind", class_name(x->cls), false);
        ob_put(o, "}", 1);
    }
    ob_str(o, "],\n     \"edges\": [");
    for (uint32_t i = 0; i < v->nedges; i++) {
        const struct view_edge *e = &v->edges[i];
        ob_str(o, i ? ", {" : "{");
        kv_u64(o, "from", e->from, true);
        kv_u64(o, "to", e->to, true);
        if (e->via != AN_NONE)
            kv_u64(o, "via", e->via, true);
        kv_u64(o, "offset", e->offset, true);
        kv_label(o, e, false);
        ob_put(o, "}", 1);
    }
    ob_put(o, "]", 1);
    if (v->brk != AN_NONE) {
        const struct view_edge *e = &v->edges[v->brk];
        ob_str(o, ",\n     \"break\": {");
        kv_u64(o, "from", e->from, true);
        kv_u64(o, "to", e->to, true);
        kv_u64(o, "offset", e->offset, true);
        kv_label(o, e, true);
        kv_u64(o, "frees", v->frees, false);
        ob_put(o, "}", 1);
    }
    ob_put(o, "}", 1);
}

/* The top rows only: every site of a process with its frames would be tens of thousands
 * (docs/report-format.md). */
static void retainers(struct outbuf *o, const struct analysis *a, uint32_t top, uint8_t *used)
{
    uint32_t n = a->nretainers < top ? a->nretainers : top;
    ob_str(o, "  \"retainers\": [");
    for (uint32_t i = 0; i < n; i++) {
        const struct retainer *r = &a->retainers[i];
        ob_str(o, i ? ",\n    {" : "\n    {");
        if (r->site != AN_NONE) {
            used[r->site] = 1;
            kv_u64(o, "site", r->site, true);
        } else {
            ob_str(o, "\"site\": null, ");
        }
        kv_str(o, "type", r->site == AN_NONE ? dump_string(a->d, r->type) : NULL, true);
        kv_u64(o, "blocks", r->blocks, true);
        kv_u64(o, "bytes", r->bytes, true);
        kv_u64(o, "retained_blocks", r->retained_blocks, true);
        kv_u64(o, "retained_bytes", r->retained_bytes, false);
        ob_put(o, "}", 1);
    }
    ob_str(o, n ? "\n  ],\n" : "],\n");
}

static void refcount_leaks(struct outbuf *o, const struct analysis *a, uint8_t *used)
{
    const struct dump *d = a->d;
    ob_str(o, "  \"refcount_leaks\": [");
    for (uint32_t i = 0; i < a->nrefleaks; i++) {
        uint32_t v = a->refleaks[i].block;
        const struct atoll_dump_object *ob = &d->objects[d->object_of[v]];
        used[d->blocks[v].site] = 1;
        ob_str(o, i ? ",\n    {" : "\n    {");
        kv_str(o, "type", dump_string(d, ob->type), true);
        kv_u64(o, "site", d->blocks[v].site, true);
        kv_u64(o, "block", v, true);
        kv_hex(o, "address", d->blocks[v].address + ob->offset, true);
        kv_u64(o, "refcount", ob->refcount, true);
        kv_u64(o, "references_found", d->blocks[v].refcount, true);
        kv_u64(o, "surplus", a->refleaks[i].surplus, false);
        ob_put(o, "}", 1);
    }
    ob_str(o, a->nrefleaks ? "\n  ],\n" : "],\n");
}

void report_json_frames(struct outbuf *o, const struct analysis *a, uint32_t site)
{
    ob_put(o, "[", 1);
    uint32_t n = 0;
    const struct frame_sym *f = a->sym ? symbols_site(a->sym, site, &n) : NULL;
    const struct atoll_dump_site *st = &a->d->sites[site];
    if (!f)
        n = st->depth;
    for (uint32_t k = 0; k < n; k++) {
        ob_str(o, k ? ", {" : "{");
        if (f && f[k].python) {
            kv_str(o, "kind", "python", true);
            kv_str(o, "function", f[k].function, true);
            kv_str(o, "file", f[k].file, true);
            if (f[k].line)
                kv_u64(o, "line", f[k].line, false);
            else
                ob_str(o, "\"line\": null");
        } else if (f) {
            kv_str(o, "kind", "native", true);
            kv_hex(o, "address", f[k].address, true);
            kv_str(o, "function", f[k].function, true);
            kv_str(o, "file", f[k].file, true);
            if (f[k].line)
                kv_u64(o, "line", f[k].line, true);
            else
                ob_str(o, "\"line\": null, ");
            kv_str(o, "module", *f[k].module ? f[k].module : NULL, true);
            if (*f[k].module)
                kv_hex(o, "module_offset", f[k].module_offset, true);
            else
                ob_str(o, "\"module_offset\": null, ");
            ob_str(o, f[k].inlined ? "\"inlined\": true" : "\"inlined\": false");
        } else {
            uint64_t v = a->d->frames[st->first_frame + k];
            kv_str(o, "kind", v & ATOLL_DUMP_FRAME_PYTHON ? "python" : "native", true);
            kv_hex(o, "address", v, false);
        }
        ob_put(o, "}", 1);
    }
    ob_put(o, "]", 1);
}

static void sites(struct outbuf *o, const struct analysis *a, const uint8_t *used)
{
    ob_str(o, "  \"sites\": {");
    bool first = true;
    for (uint32_t s = 0; s < a->d->nsites; s++) {
        if (!used[s])
            continue;
        ob_str(o, first ? "\n    \"" : ",\n    \"");
        first = false;
        ob_u64(o, s);
        ob_str(o, "\": ");
        report_json_frames(o, a, s);
    }
    ob_str(o, first ? "}\n" : "\n  }\n");
}

static void leaks(struct outbuf *o, const struct merged *m, uint8_t *used)
{
    ob_str(o, "  \"leaks\": [");
    for (uint32_t i = 0; i < m->nleaks; i++) {
        const struct merged_leak *l = &m->leaks[i];
        used[l->site] = 1;
        ob_str(o, i ? ",\n    {" : "\n    {");
        kv_u64(o, "site", l->site, true);
        kv_str(o, "kind", class_name(l->cls), true);
        if (l->type)
            kv_str(o, "type", l->type, true);
        kv_u64(o, "blocks", l->blocks, true);
        kv_u64(o, "bytes", l->bytes, true);
        found(o, l->first, l->at_last);
        ob_put(o, "}", 1);
    }
    ob_str(o, m->nleaks ? "\n  ],\n" : "],\n");
}

static void cycle_shapes(struct outbuf *o, const struct merged *m)
{
    ob_str(o, "  \"cycle_shapes\": [");
    for (uint32_t i = 0; i < m->nshapes; i++) {
        const struct merged_shape *sh = &m->shapes[i];
        ob_str(o, i ? ",\n    {" : "\n    {");
        kv_u64(o, "id", i, true);
        kv_str(o, "kind", sh->simple ? "simple" : "complex", true);
        kv_u64(o, "length", sh->length, true);
        kv_u64(o, "count", sh->count, true);
        kv_u64(o, "blocks", sh->blocks, true);
        kv_u64(o, "bytes", sh->bytes, true);
        kv_u64(o, "retained_blocks", sh->retained_blocks, true);
        kv_u64(o, "retained_bytes", sh->retained_bytes, true);
        kv_u64(o, "first_collection", sh->first, true);
        kv_u64(o, "gone", sh->gone, true);
        ob_printf(o, "\"hash\": \"%016llx\"}", (unsigned long long)sh->hash);
    }
    ob_str(o, m->nshapes ? "\n  ],\n" : "],\n");
}

void report_json_merged(struct outbuf *o, const struct merged *m, uint32_t top)
{
    const struct analysis *a = m->last;
    uint8_t *used = an_calloc((size_t)a->d->nsites + 1, 1);
    if (!used) {
        o->failed = true;
        return;
    }
    ob_str(o, "{\n  \"format\": \"atoll-report\",\n  \"version\": 1,\n");
    process(o, a->d);
    summary(o, m);
    leaks(o, m, used);
    cycle_shapes(o, m);
    ob_str(o, "  \"cycles\": [");
    for (uint32_t i = 0; i < m->ncycles; i++) {
        struct cycle_view tmp = {0};
        const struct cycle_view *v = merged_view(m, m->cycles[i].ref, false, &tmp);
        if (!v) {
            o->failed = true;
            break;
        }
        ob_str(o, i ? ",\n" : "\n");
        cycle(o, i, &m->cycles[i], v, used);
        cycle_view_free(&tmp);
    }
    ob_str(o, m->ncycles ? "\n  ],\n" : "],\n");
    retainers(o, a, top, used);
    refcount_leaks(o, a, used);
    pygc_report_json_sites(o, m, used);
    sites(o, a, used);
    ob_str(o, "}\n");
    free(used);
}
