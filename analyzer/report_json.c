/* The JSON report; docs/report-format.md documents every field. Written by hand through the
 * output buffer: no library, and fast enough for reports with hundreds of thousands of
 * cycles. Addresses are strings ("0x..."), everything else that counts is a number. */
#include "analyzer.h"

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
static void kv_label(struct outbuf *o, const struct dump *d, uint32_t eid, bool comma)
{
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    bool has = label_spell(&tmp, d, eid);
    ob_put(&tmp, "", 1);
    kv_str(o, "label", has && tmp.buf ? tmp.buf : NULL, comma);
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

static void summary(struct outbuf *o, const struct analysis *a)
{
    ob_str(o, "  \"summary\": {\n    ");
    kv_u64(o, "blocks", a->all.blocks, true);
    kv_u64(o, "bytes", a->all.bytes, false);
    ob_str(o, ",\n");
    totals(o, "reachable", &a->reachable);
    totals(o, "leaked", &a->leaked);
    totals(o, "definitely_lost", &a->definite);
    totals(o, "indirectly_lost", &a->indirect);
    totals(o, "suppressed", &a->suppressed_t);
    ob_str(o, "    \"isolated_cycles\": {");
    kv_u64(o, "count", a->ncycles, true);
    kv_u64(o, "blocks", a->cycle_blocks.blocks, true);
    kv_u64(o, "bytes", a->cycle_blocks.bytes, false);
    ob_str(o, "},\n    ");
    kv_u64(o, "cycle_shapes", a->nshapes, true);
    uint64_t surplus = 0;
    for (uint32_t i = 0; i < a->nrefleaks; i++)
        surplus += a->refleaks[i].surplus;
    ob_str(o, "\n    \"refcount_leaks\": {");
    kv_u64(o, "objects", a->nrefleaks, true);
    kv_u64(o, "surplus", surplus, false);
    ob_put(o, "}", 1);
    ob_str(o, "\n  },\n");
}

static void cycle(struct outbuf *o, const struct analysis *a, uint32_t id, uint32_t c,
                  uint32_t *order, uint32_t *pos, uint8_t *used)
{
    const struct dump *d = a->d;
    uint32_t k = shape_cycle_order(&a->g, &a->s, d, c, order);
    for (uint32_t i = 0; i < k; i++)
        pos[order[i]] = i;
    ob_str(o, "    {");
    kv_u64(o, "id", id, true);
    kv_u64(o, "shape", a->comp_shape[c], true);
    kv_u64(o, "blocks", k, true);
    kv_u64(o, "bytes", a->comp_bytes[c], true);
    kv_u64(o, "retained_blocks", a->r.ret_blocks[c], true);
    kv_u64(o, "retained_bytes", a->r.ret_bytes[c], true);
    ob_str(o, "\n     \"members\": [");
    for (uint32_t i = 0; i < k; i++) {
        const struct atoll_dump_block *b = &d->blocks[order[i]];
        used[b->site] = 1;
        ob_str(o, i ? ", {" : "{");
        kv_u64(o, "block", order[i], true);
        kv_hex(o, "address", b->address, true);
        kv_u64(o, "size", b->size, true);
        kv_u64(o, "seq", b->seq, true);
        kv_u64(o, "site", b->site, true);
        const char *type = report_type(d, order[i]);
        if (type) {
            kv_str(o, "type", type, true);
            kv_hex(o, "object", b->address + d->objects[d->object_of[order[i]]].offset, true);
        }
        kv_str(o, "kind", class_name(a->cls[order[i]]), false);
        ob_put(o, "}", 1);
    }
    ob_str(o, "],\n     \"edges\": [");
    bool first = true;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v = order[i];
        for (uint32_t e = a->g.off[v]; e < a->g.off[v + 1]; e++) {
            uint32_t w = a->g.to[e];
            if (a->s.comp[w] != c)
                continue;
            ob_str(o, first ? "{" : ", {");
            first = false;
            kv_u64(o, "from", i, true);
            kv_u64(o, "to", pos[w], true);
            const struct atoll_dump_edge *de = &d->edges[graph_eid(&a->g, e)];
            if (de->from != v)
                kv_u64(o, "via", de->from, true);
            kv_u64(o, "offset", de->offset, true);
            kv_label(o, d, graph_eid(&a->g, e), false);
            ob_put(o, "}", 1);
        }
    }
    ob_put(o, "]", 1);
    uint32_t frees, e = break_edge(&a->g, &a->s, c, &frees);
    if (e != AN_NONE) {
        uint32_t v = d->edges[graph_eid(&a->g, e)].from;
        v = dump_owner(d, v);
        ob_str(o, ",\n     \"break\": {");
        kv_u64(o, "from", pos[v], true);
        kv_u64(o, "to", pos[a->g.to[e]], true);
        kv_u64(o, "offset", d->edges[graph_eid(&a->g, e)].offset, true);
        kv_label(o, d, graph_eid(&a->g, e), true);
        kv_u64(o, "frees", frees, false);
        ob_put(o, "}", 1);
    }
    ob_put(o, "}", 1);
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
        ob_str(o, "\": [");
        uint32_t n = 0;
        const struct frame_sym *f = a->sym ? symbols_site(a->sym, s, &n) : NULL;
        const struct atoll_dump_site *st = &a->d->sites[s];
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
    ob_str(o, first ? "}\n" : "\n  }\n");
}

void report_json(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    (void)top;  /* the JSON report is complete; --top only shortens text and dot */
    const struct dump *d = a->d;
    uint8_t *used = an_calloc((size_t)d->nsites + 1, 1);
    uint32_t maxk = 0;
    for (uint32_t i = 0; i < a->ncycles; i++) {
        uint32_t c = a->cycles[i], k = a->s.first[c + 1] - a->s.first[c];
        maxk = k > maxk ? k : maxk;
    }
    uint32_t *order = an_malloc(((size_t)maxk + 1) * sizeof *order);
    uint32_t *pos = an_malloc(((size_t)d->nblocks + 1) * sizeof *pos);
    if (!used || !order || !pos) {
        o->failed = true;
        free(used), free(order), free(pos);
        return;
    }
    ob_str(o, "{\n  \"format\": \"atoll-report\",\n  \"version\": 1,\n");
    process(o, d);
    summary(o, a);
    ob_str(o, "  \"leaks\": [");
    for (uint32_t i = 0; i < a->nleaks; i++) {
        const struct leak_group *l = &a->leaks[i];
        used[l->site] = 1;
        ob_str(o, i ? ",\n    {" : "\n    {");
        kv_u64(o, "site", l->site, true);
        kv_str(o, "kind", class_name(l->cls), true);
        if (l->type != AN_NONE)
            kv_str(o, "type", dump_string(d, l->type), true);
        kv_u64(o, "blocks", l->blocks, true);
        kv_u64(o, "bytes", l->bytes, false);
        ob_put(o, "}", 1);
    }
    ob_str(o, a->nleaks ? "\n  ],\n" : "],\n");
    ob_str(o, "  \"cycle_shapes\": [");
    for (uint32_t i = 0; i < a->nshapes; i++) {
        const struct shape_group *sg = &a->shapes[i];
        uint32_t c = sg->first_comp;
        ob_str(o, i ? ",\n    {" : "\n    {");
        kv_u64(o, "id", i, true);
        kv_str(o, "kind", sg->simple ? "simple" : "complex", true);
        kv_u64(o, "length", a->s.first[c + 1] - a->s.first[c], true);
        kv_u64(o, "count", sg->count, true);
        kv_u64(o, "blocks", sg->blocks, true);
        kv_u64(o, "bytes", sg->bytes, true);
        kv_u64(o, "retained_blocks", sg->retained_blocks, true);
        kv_u64(o, "retained_bytes", sg->retained_bytes, true);
        ob_printf(o, "\"hash\": \"%016llx\"}", (unsigned long long)sg->hash);
    }
    ob_str(o, a->nshapes ? "\n  ],\n" : "],\n");
    ob_str(o, "  \"cycles\": [");
    for (uint32_t i = 0; i < a->ncycles; i++) {
        ob_str(o, i ? ",\n" : "\n");
        cycle(o, a, i, a->cycles[i], order, pos, used);
    }
    ob_str(o, a->ncycles ? "\n  ],\n" : "],\n");
    refcount_leaks(o, a, used);
    sites(o, a, used);
    ob_str(o, "}\n");
    free(used), free(order), free(pos);
}
