/* What `atoll why` prints: per block asked about, its path from its root one line per hop, as
 * text or JSON (docs/report-format.md, "atoll why"). */
#include "why.h"

#include <stdlib.h>
#include <string.h>

/* Graph edge e (of block v) as the reports draw a reference. */
static struct view_edge edge_of(const struct why *w, uint32_t v, uint32_t e)
{
    const struct dump *d = w->d;
    uint32_t eid = graph_eid(&w->a->g, e);
    const struct atoll_dump_label *l = label_of_edge(d, eid);
    struct view_edge x = {v, w->a->g.to[e], AN_NONE, d->edges[eid].offset, 0, 0, 0, NULL};
    if (d->edges[eid].from != v) {
        x.via = d->edges[eid].from;
        x.owned_at = graph_owned_at(&w->a->g, d, v, x.via);
    }
    if (l) {
        x.label_kind = l->kind;
        x.label_index = l->index;
        x.label_text = dump_string(d, l->text);
    }
    return x;
}

/* A module's global: the name a module's `__dict__` entry (or its folded attribute) gives the
 * object at path[*k]; NULL when the path does not start so. path[0] is the module or its
 * `__dict__`. */
static const char *module_global(const struct why *w, const uint32_t *path, uint32_t len,
                                 uint32_t *k, bool *key)
{
    const char *type = report_type(w->d, path[0]);
    bool module = type && strcmp(type, "module") == 0;
    if (len < 2)
        return NULL;
    struct view_edge e = edge_of(w, path[0], w->t.via[path[1]]);
    *k = 1;
    *key = !module;
    if (!module)
        return e.label_kind == ATOLL_DUMP_LABEL_KEY ? e.label_text : NULL;
    if (e.label_kind == ATOLL_DUMP_LABEL_ATTRIBUTE && strcmp(e.label_text, "__dict__") != 0)
        return e.label_text;
    if (len < 3 || e.label_kind != ATOLL_DUMP_LABEL_ATTRIBUTE)
        return NULL;
    e = edge_of(w, path[1], w->t.via[path[2]]);
    *k = 2;
    *key = true;
    return e.label_kind == ATOLL_DUMP_LABEL_KEY ? e.label_text : NULL;
}

/* A key's repr as the attribute it names (`'_cache'` -> `._cache`), else as `[repr]`. */
static void global_text(struct outbuf *o, const char *text, bool key)
{
    size_t n = strlen(text);
    if (!key) {
        ob_put(o, ".", 1);
        ob_str(o, text);
    } else if (n >= 3 && text[0] == '\'' && text[n - 1] == '\'') {
        ob_put(o, ".", 1);
        ob_put(o, text + 1, n - 2);
    } else {
        ob_put(o, "[", 1);
        ob_str(o, text);
        ob_put(o, "]", 1);
    }
}

static void node_text(struct outbuf *o, const struct why *w, uint32_t v)
{
    const char *type = report_type(w->d, v);
    ob_str(o, type ? type : "block");
    ob_str(o, " (");
    ob_u64(o, w->d->blocks[v].size);
    ob_str(o, " B, ");
    report_site_label(o, w->a, w->d->blocks[v].site);
    ob_put(o, ")", 1);
}

/* A block's fate: reachable, definitely or indirectly lost, or in an isolated cycle. */
enum fate { FATE_REACHABLE, FATE_DEFINITE, FATE_INDIRECT, FATE_CYCLE };
static const char *const fate_text[] = {"still reachable", "definitely lost: no root reaches it",
                                        "indirectly lost: no root reaches it",
                                        "leaked in an isolated cycle: no root reaches it"};
static const char *const fate_json[] = {"reachable", "definite", "indirect", "cycle"};

static enum fate fate_of(const struct why *w, uint32_t v)
{
    const struct analysis *a = w->a;
    uint32_t c = a->s.comp ? a->s.comp[v] : AN_NONE;
    if (a->alive[v])
        return FATE_REACHABLE;
    if (c != AN_NONE && a->is_cycle[c])
        return FATE_CYCLE;
    return a->cls[v] == CLASS_DEFINITE ? FATE_DEFINITE : FATE_INDIRECT;
}

/* The first line of a path (what holds its first block) and the index of the first block to
 * show after it. */
static uint32_t start_text(struct outbuf *o, const struct why *w, const uint32_t *path,
                           uint32_t len)
{
    uint32_t p0 = path[0], k;
    bool key;
    ob_str(o, "      ");
    switch (w->t.start[p0]) {
    case WHY_ROOT:
        root_name_text(o, w->rn, w->t.via[p0]);
        ob_str(o, "\n      -> ");
        if (root_where_text(o, w->rn, w->t.via[p0]))
            ob_str(o, " -> ");
        node_text(o, w, p0);
        return 1;
    case WHY_MODULE: {
        const char *g = module_global(w, path, len, &k, &key);
        ob_str(o, g ? "" : "module ");
        ob_str(o, w->pm.name[w->t.via[p0]]);
        if (!g)
            return 1;
        global_text(o, g, key);
        ob_str(o, "\n      -> ");
        node_text(o, w, path[k]);
        return k + 1;
    }
    case WHY_OUTSIDE:
        ob_str(o, "held from outside the dumped blocks (an older generation, or a count its "
                  "runtime keeps)\n      -> ");
        break;
    default:
        ob_str(o, "definitely lost, nothing holds it\n      -> ");
        break;
    }
    node_text(o, w, p0);
    return 1;
}

void why_path_text(struct outbuf *o, const struct why *w, uint32_t rank, uint32_t v)
{
    const struct atoll_dump_block *b = &w->d->blocks[v];
    ob_printf(o, "#%u ", rank);
    node_text(o, w, v);
    ob_str(o, " at ");
    ob_hex(o, b->address);
    ob_printf(o, ", retaining %llu bytes in %u blocks, ",
              (unsigned long long)w->a->dom->retained_bytes[v], w->a->dom->retained_blocks[v]);
    ob_str(o, fate_text[fate_of(w, v)]);
    ob_str(o, ":\n");
    uint32_t len = why_tree_path(&w->t, v, w->path, w->d->nblocks);
    uint32_t i = start_text(o, w, w->path, len);
    for (; i < len; i++) {
        struct view_edge e = edge_of(w, w->path[i - 1], w->t.via[w->path[i]]);
        ob_str(o, "\n     ");
        report_arrow(o, &e);
        node_text(o, w, w->path[i]);
    }
    ob_put(o, "\n", 1);
}

/* A short text as a JSON string (it is rendered by fn into memory first). */
static void json_of(struct outbuf *o, const struct why *w, uint32_t x,
                    void (*fn)(struct outbuf *, const struct why *, uint32_t))
{
    struct outbuf t;
    ob_init(&t, NULL);
    fn(&t, w, x);
    ob_put(&t, "", 1);
    ob_json_str(o, t.failed ? "" : t.buf);
    free(t.buf);
}

static void site_text(struct outbuf *o, const struct why *w, uint32_t v)
{
    report_site_label(o, w->a, w->d->blocks[v].site);
}

static void label_text(struct outbuf *o, const struct why *w, uint32_t v)
{
    struct view_edge e = edge_of(w, w->t.from[v], w->t.via[v]);
    report_edge_label(o, &e);
}

static void block_json(struct outbuf *o, const struct why *w, uint32_t v)
{
    const struct atoll_dump_block *b = &w->d->blocks[v];
    const char *type = report_type(w->d, v);
    ob_printf(o, "\"block\":%u,\"address\":\"0x%llx\",\"size\":%llu,\"seq\":%llu,\"site\":%u,"
                 "\"retained_bytes\":%llu,\"retained_blocks\":%u,\"at\":", v,
              (unsigned long long)b->address, (unsigned long long)b->size,
              (unsigned long long)b->seq, b->site, (unsigned long long)w->a->dom->retained_bytes[v],
              w->a->dom->retained_blocks[v]);
    json_of(o, w, v, site_text);
    ob_str(o, ",\"type\":");
    if (type)
        ob_json_str(o, type);
    else
        ob_str(o, "null");
}

static void path_json(struct outbuf *o, const struct why *w, uint32_t v)
{
    ob_put(o, "{", 1);
    block_json(o, w, v);
    ob_str(o, ",\"status\":");
    ob_json_str(o, fate_json[fate_of(w, v)]);
    uint32_t len = why_tree_path(&w->t, v, w->path, w->d->nblocks), p0 = w->path[0], k;
    bool key;
    ob_str(o, ",\"root\":{");
    switch (w->t.start[p0]) {
    case WHY_ROOT:
        root_name_json(o, w->rn, w->t.via[p0]);
        break;
    case WHY_MODULE: {
        ob_str(o, "\"kind\":\"python_module\",\"name\":");
        ob_json_str(o, w->pm.name[w->t.via[p0]]);
        const char *g = module_global(w, w->path, len, &k, &key);
        if (g) {
            struct outbuf t;
            ob_init(&t, NULL);
            global_text(&t, g, key);
            ob_put(&t, "", 1);
            ob_str(o, ",\"global\":");
            ob_json_str(o, t.failed ? "" : t.buf + (t.buf[0] == '.'));
            free(t.buf);
        }
        break;
    }
    case WHY_OUTSIDE:
        ob_str(o, "\"kind\":\"outside\"");
        break;
    default:
        ob_str(o, "\"kind\":\"lost\"");
        break;
    }
    ob_str(o, "},\"hops\":[");
    for (uint32_t i = 0; i < len; i++) {
        uint32_t x = w->path[i];
        ob_str(o, i ? ",{" : "{");
        block_json(o, w, x);
        if (i) {
            struct view_edge e = edge_of(w, w->path[i - 1], w->t.via[x]);
            ob_printf(o, ",\"offset\":%llu", (unsigned long long)e.offset);
            if (e.via != AN_NONE)
                ob_printf(o, ",\"via\":%u", e.via);
            ob_str(o, ",\"label\":");
            if (e.label_kind)
                json_of(o, w, x, label_text);
            else
                ob_str(o, "null");
        }
        ob_put(o, "}", 1);
    }
    ob_str(o, "]}");
}

void why_describe(struct outbuf *o, const struct why_query *q, bool json)
{
    const char *what = q->site ? "site" : q->type ? "type" : "address";
    const char *val = q->site ? q->site : q->type ? q->type : q->address;
    if (json) {
        ob_printf(o, "\"query\":{\"%s\":", what);
        ob_json_str(o, val);
        ob_put(o, "}", 1);
        return;
    }
    ob_str(o, q->site ? "allocated at '" : q->type ? "of type '" : "holding '");
    ob_str(o, val);
    ob_put(o, "'", 1);
}

void why_report(struct outbuf *o, const struct why *w, const struct why_query *q, const uint32_t *m,
                   uint32_t n)
{
    const struct dump *d = w->d;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += d->blocks[m[i]].size;
    uint32_t shown = n < q->paths ? n : (uint32_t)q->paths;
    if (q->json) {
        ob_printf(o, "{\"format\":\"atoll-why\",\"version\":1,\"process\":{\"pid\":%u,\"exe\":",
                  d->proc->pid);
        ob_json_str(o, dump_string(d, d->proc->exe));
        ob_printf(o, "},\"collection\":{\"number\":%u,\"trigger\":\"%s\"},", d->proc->collection,
                  trigger_name(d->proc->trigger));
        why_describe(o, q, true);
        ob_printf(o, ",\"matched\":{\"blocks\":%u,\"bytes\":%llu},\"paths\":[", n,
                  (unsigned long long)bytes);
        for (uint32_t i = 0; i < shown; i++) {
            if (i)
                ob_put(o, ",", 1);
            path_json(o, w, m[i]);
        }
        ob_str(o, "]}\n");
        return;
    }
    ob_printf(o, "atoll why: %u block%s (%llu bytes) ", n, n == 1 ? "" : "s",
              (unsigned long long)bytes);
    why_describe(o, q, false);
    ob_str(o, " in ");
    ob_str(o, dump_string(d, d->proc->exe));
    ob_printf(o, " (pid %u), collection %u (%s); %u shown, the heaviest first\n", d->proc->pid,
              d->proc->collection, trigger_name(d->proc->trigger), shown);
    for (uint32_t i = 0; i < shown; i++)
        why_path_text(o, w, i + 1, m[i]);
}

