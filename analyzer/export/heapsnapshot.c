/* Chrome's V8 heap snapshot (the .heapsnapshot JSON DevTools' Memory panel loads), streamed:
 * the header, then one line per node and per edge as the blocks and references are visited,
 * the allocation traces, and the string table last (the one part kept in memory, each distinct
 * name once). docs/heapsnapshot.md defines every node and edge.
 *
 * Nodes in order: the root ""; one synthetic node per named root; one per Python module global;
 * "(referenced from outside)"; "(leaked)"; then one node per block, in BLOCKS order. Edges are grouped by node in that
 * order, as the format requires. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

enum { NODE_FIELDS = 6, SMALL_OFFSETS = 1 << 16 };
enum node_type { N_HIDDEN = 0, N_OBJECT = 3, N_NATIVE = 8, N_SYNTHETIC = 9 };
enum edge_type { E_ELEMENT = 1, E_PROPERTY = 2, E_INTERNAL = 3, E_SHORTCUT = 5, E_WEAK = 6 };

static const char meta[] =
    "{\"snapshot\":{\"meta\":{"
    "\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\"],\n"
    "\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\",\"regexp\","
    "\"number\",\"native\",\"synthetic\",\"concatenated string\",\"sliced string\",\"symbol\","
    "\"bigint\",\"object shape\"],\"string\",\"number\",\"number\",\"number\",\"number\"],\n"
    "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\n"
    "\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\","
    "\"weak\"],\"string_or_number\",\"node\"],\n"
    "\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\","
    "\"line\",\"column\"],\n"
    "\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\"size\",\"children\"],\n"
    "\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],\n"
    "\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},\n";

struct writer {
    const struct dump *d;
    struct export_plan p;
    struct export_traces tr;
    struct export_globals gl;
    struct strtab t;
    struct symbols *sym;
    struct root_namer *rn;
    struct outbuf o, scratch;
    uint32_t synth;             /* synthetic nodes before the blocks */
    uint32_t *site_name;        /* per site: its name's string + 1, 0 until named */
    uint32_t *offset_name;      /* "+OFF" strings + 1 for small offsets */
    struct u64map type_name;    /* a type's dump string offset -> its name's string */
    bool first;                 /* no record yet in the array being written */
    bool oom;
};

static char *put_u64(char *p, uint64_t v)
{
    int n = 1;
    for (uint64_t x = v; x >= 10; x /= 10)
        n++;
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* One node or edge, on a line of its own, formatted in place: this is most of the file. */
static void record(struct writer *w, const uint64_t *v, int n)
{
    struct outbuf *o = &w->o;
    if (o->len + 2 + (size_t)n * 21 > o->cap)
        ob_flush(o);
    char *p = o->buf + o->len;
    if (!w->first) {
        *p++ = ',';
        *p++ = '\n';
    }
    w->first = false;
    for (int i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        p = put_u64(p, v[i]);
    }
    o->len = (size_t)(p - o->buf);
}

static uint32_t intern(struct writer *w)
{
    uint32_t i = strtab_intern_buf(&w->t, &w->scratch);
    if (i == UINT32_MAX || w->scratch.failed) {
        w->oom = true;
        return 0;
    }
    return i;
}

static uint32_t site_name(struct writer *w, uint32_t site)
{
    if (!w->site_name[site]) {
        struct analysis a = {.d = w->d, .sym = w->sym};
        report_site_label(&w->scratch, &a, site);
        w->site_name[site] = intern(w) + 1;
    }
    return w->site_name[site] - 1;
}

static uint32_t type_name(struct writer *w, uint32_t type)
{
    bool added;
    uint64_t *v = u64map_put(&w->type_name, type, &added);
    if (!v) {
        w->oom = true;
        return 0;
    }
    if (added) {
        ob_str(&w->scratch, dump_string(w->d, type));
        *v = intern(w);
    }
    return (uint32_t)*v;
}

static uint32_t offset_name(struct writer *w, uint64_t off)
{
    if (off < SMALL_OFFSETS && w->offset_name[off])
        return w->offset_name[off] - 1;
    ob_put(&w->scratch, "+", 1);
    ob_u64(&w->scratch, off);
    uint32_t i = intern(w);
    if (off < SMALL_OFFSETS)
        w->offset_name[off] = i + 1;
    return i;
}

/* A block's node: an object by its type, any other block by its innermost site; an object's
 * storage is `hidden`. Ids are even and stable across the dumps of one process. */
static void block_node(struct writer *w, uint32_t v)
{
    const struct dump *d = w->d;
    const struct atoll_dump_block *b = &d->blocks[v];
    uint32_t k = d->object_of ? d->object_of[v] : AN_NONE;
    uint64_t type = N_NATIVE, name;
    if (k != AN_NONE && d->objects[k].owner == v) {
        type = N_OBJECT;
        name = type_name(w, d->objects[k].type);
    } else {
        type = k != AN_NONE ? N_HIDDEN : N_NATIVE;
        name = site_name(w, b->site);
    }
    uint64_t f[NODE_FIELDS] = {type, name, 2 + 2 * ((b->seq - 1) & 0x7fffffffu),
                               b->size > UINT32_MAX ? UINT32_MAX : b->size,
                               w->p.eoff[v + 1] - w->p.eoff[v], w->tr.site_node[b->site]};
    record(w, f, NODE_FIELDS);
}

static void synthetic_node(struct writer *w, uint32_t name, uint32_t id, uint64_t edges)
{
    uint64_t f[NODE_FIELDS] = {N_SYNTHETIC, name, id, 0, edges, 0};
    record(w, f, NODE_FIELDS);
}

static void edge(struct writer *w, uint64_t type, uint64_t name_or_index, uint64_t node)
{
    uint64_t f[3] = {type, name_or_index, node * NODE_FIELDS};
    record(w, f, 3);
}

static uint64_t block_index(const struct writer *w, uint32_t v)
{
    return (uint64_t)w->synth + v;
}

/* Reference e as its label spells it (.orders: a property; [i]: an element; ['k'] and the
 * other labels by their text), else by where its holder keeps it; weak when the analysis does
 * not follow it. */
static void block_edge(struct writer *w, uint32_t e)
{
    const struct dump *d = w->d;
    const struct atoll_dump_edge *x = &d->edges[e];
    const struct atoll_dump_label *l = d->nlabels ? label_of_edge(d, e) : NULL;
    bool strong = export_plan_strong(&w->p, d, e);
    uint64_t type = E_INTERNAL, name;
    if (l && l->kind == ATOLL_DUMP_LABEL_INDEX && strong) {
        edge(w, E_ELEMENT, l->index, block_index(w, x->to));
        return;
    }
    if (l) {
        if (l->kind == ATOLL_DUMP_LABEL_ATTRIBUTE)
            ob_str(&w->scratch, dump_string(d, l->text));
        else
            label_write(&w->scratch, l->kind, dump_string(d, l->text), l->index);
        name = intern(w);
        if (l->kind == ATOLL_DUMP_LABEL_ATTRIBUTE || l->kind == ATOLL_DUMP_LABEL_KEY)
            type = E_PROPERTY;
    } else if (x->from != export_holder(d, e) && w->p.owned_at[x->from]) {
        ob_put(&w->scratch, "+", 1);
        ob_u64(&w->scratch, w->p.owned_at[x->from] - 1);
        ob_str(&w->scratch, "[+");
        ob_u64(&w->scratch, x->offset);
        ob_put(&w->scratch, "]", 1);
        name = intern(w);
    } else {
        name = offset_name(w, x->offset);
    }
    edge(w, strong ? type : E_WEAK, name, block_index(w, x->to));
}

static void root_edges(struct writer *w, uint32_t named)
{
    const struct dump *d = w->d;
    for (uint32_t k = w->p.root_first[named]; k < w->p.root_first[named + 1]; k++) {
        uint32_t r = w->p.root_recs[k];
        export_root_edge(&w->scratch, w->rn, d, r);
        uint32_t name = intern(w);
        edge(w, export_plan_root_strong(&w->p, d, r) ? E_INTERNAL : E_WEAK, name,
             block_index(w, d->roots[r].target));
    }
}

static void write_nodes(struct writer *w)
{
    const struct dump *d = w->d;
    const struct export_plan *p = &w->p;
    uint32_t named = p->nnamed + w->gl.n;
    synthetic_node(w, 0, 1, (uint64_t)named + 2);
    for (uint32_t k = 0; k < p->nnamed; k++)
        synthetic_node(w, p->root_name[k], 3 + 2 * k, p->root_first[k + 1] - p->root_first[k]);
    for (uint32_t k = 0; k < w->gl.n; k++)
        synthetic_node(w, w->gl.name[k], 3 + 2 * (p->nnamed + k), 1);
    synthetic_node(w, strtab_intern(&w->t, "(referenced from outside)"), 3 + 2 * named,
                   p->outside);
    synthetic_node(w, strtab_intern(&w->t, "(leaked)"), 5 + 2 * named, p->leaked);
    for (uint32_t v = 0; v < d->nblocks && !w->o.failed; v++)
        block_node(w, v);
}

static void write_edges(struct writer *w)
{
    const struct dump *d = w->d;
    const struct export_plan *p = &w->p;
    for (uint32_t k = 0; k < p->nnamed + w->gl.n + 2; k++)
        edge(w, E_ELEMENT, k + 1, 1 + k);
    for (uint32_t k = 0; k < p->nnamed; k++)
        root_edges(w, k);
    /* shortcuts: the name among the object's retainers, no part of its dominators */
    for (uint32_t k = 0; k < w->gl.n; k++)
        edge(w, E_SHORTCUT, w->gl.name[k], block_index(w, w->gl.target[k]));
    uint64_t i = 0;
    for (uint32_t v = 0; v < d->nblocks; v++)
        if (p->seed[v] == 1)
            edge(w, E_ELEMENT, ++i, block_index(w, v));
    i = 0;
    for (uint32_t v = 0; v < d->nblocks; v++)
        if (p->cls[v] == CLASS_DEFINITE)
            edge(w, E_ELEMENT, ++i, block_index(w, v));
    for (uint32_t k = 0; k < d->nedges && !w->o.failed; k++)
        block_edge(w, p->eids ? p->eids[k] : k);
}

static void write_all(struct writer *w)
{
    const struct dump *d = w->d;
    const struct export_plan *p = &w->p;
    uint64_t nodes = (uint64_t)w->synth + d->nblocks;
    uint64_t edges = (uint64_t)p->nnamed + 2 * (uint64_t)w->gl.n + 2 + d->nroots + p->outside +
                     p->leaked + d->nedges;
    ob_str(&w->o, meta);
    ob_str(&w->o, "\"node_count\":");
    ob_u64(&w->o, nodes);
    ob_str(&w->o, ",\"edge_count\":");
    ob_u64(&w->o, edges);
    ob_str(&w->o, ",\"trace_function_count\":");
    ob_u64(&w->o, w->tr.nfuncs);
    ob_str(&w->o, "},\n\"nodes\":[");
    w->first = true;
    write_nodes(w);
    ob_str(&w->o, "],\n\"edges\":[");
    w->first = true;
    write_edges(w);
    ob_str(&w->o, "],\n\"trace_function_infos\":[");
    export_traces_write_functions(&w->tr, &w->o);
    ob_str(&w->o, "],\n\"trace_tree\":");
    if (export_traces_write_tree(&w->tr, &w->o))
        w->oom = true;
    ob_str(&w->o, ",\n\"samples\":[],\n\"locations\":[],\n\"strings\":");
    strtab_write(&w->t, &w->o);
    ob_str(&w->o, "}\n");
    ob_flush(&w->o);
}

int export_heapsnapshot(const struct dump *d, FILE *f, char *err, size_t errlen)
{
    struct writer w = {.d = d};
    int rc = -1;
    ob_init(&w.o, f);
    ob_init(&w.scratch, NULL);
    w.site_name = calloc((size_t)d->nsites + 1, sizeof *w.site_name);
    w.offset_name = calloc(SMALL_OFFSETS, sizeof *w.offset_name);
    if (w.o.failed || w.scratch.failed || !w.site_name || !w.offset_name ||
        strtab_init(&w.t)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    w.sym = symbols_new(d);
    w.rn = w.sym ? root_namer_new(d, w.sym) : NULL;
    if (!w.rn) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    progress("analysis");
    if (export_plan_build(&w.p, d, w.rn, &w.t, err, errlen))
        goto out;
    progress("symbols");
    if (export_globals_find(&w.gl, d, &w.p, &w.t) || export_traces_build(&w.tr, d, w.sym, &w.t)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    w.synth = w.p.nnamed + w.gl.n + 3;
    progress("writing");
    write_all(&w);
    if (w.oom)
        snprintf(err, errlen, "out of memory");
    else if (w.o.failed)
        snprintf(err, errlen, "write error");
    else
        rc = 0;
out:
    progress_done();
    free(w.o.buf), free(w.scratch.buf), free(w.site_name), free(w.offset_name);
    u64map_free(&w.type_name);
    strtab_free(&w.t);
    export_plan_free(&w.p);
    export_traces_free(&w.tr);
    export_globals_free(&w.gl);
    if (w.rn)
        root_namer_free(w.rn);
    if (w.sym)
        symbols_free(w.sym);
    return rc;
}
