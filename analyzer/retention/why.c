/* `atoll why DUMP (--site PATTERN | --type NAME | --address ADDR) [--paths N] [--format
 * text|json]`: the blocks asked about, heaviest first, each with the shortest path from a named
 * root to it, one line per hop (docs/report-format.md, "atoll why"). */
#include "why.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char why_help[] =
    "usage: atoll why DUMP (--site PATTERN | --type NAME | --address ADDR) [options]\n"
    "\n"
    "Why blocks are still alive: for the blocks allocated at a site, of an object type, or\n"
    "holding an address, the heaviest first, the shortest path from a named root to each.\n"
    "\n"
    "  --site PATTERN          blocks whose allocation stack matches, as suppressions match\n"
    "                          (function, file or module; '*', '^' and '$'; Python frames too)\n"
    "  --type NAME             objects of this type (list, dict, a class name)\n"
    "  --address ADDR          the block holding ADDR (hexadecimal, 0x optional)\n"
    "  --paths N               paths shown (default 5)\n"
    "  --format text|json      output format (default text)\n"
    "  --help                  this text\n";

enum { OPT_SITE = 300, OPT_TYPE, OPT_ADDRESS, OPT_PATHS, OPT_WHY_FORMAT, OPT_WHY_HELP };

struct why {
    struct analysis a;
    const struct dump *d;
    struct pymodules pm;
    struct why_tree t;
    struct root_namer *rn;
    uint32_t *path;
};

/* What a block weighs for the order of the answers: its size, until retained sizes come. */
static uint64_t weight(const struct why *w, uint32_t v)
{
    return w->d->blocks[v].size;
}

static const struct why *sort_ctx;

static int heavier(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    uint64_t wa = weight(sort_ctx, a), wb = weight(sort_ctx, b);
    if (wa != wb)
        return wa > wb ? -1 : 1;
    uint64_t sa = sort_ctx->d->blocks[a].seq, sb = sort_ctx->d->blocks[b].seq;
    return sa < sb ? -1 : sa > sb;
}

/* The block holding addr, or AN_NONE. */
static uint32_t block_at(const struct dump *d, uint64_t addr)
{
    uint32_t lo = 0, hi = d->nblocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->blocks[mid].address <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo && addr - d->blocks[lo - 1].address < d->blocks[lo - 1].size)
        return lo - 1;
    return AN_NONE;
}

/* The matched blocks (malloc'ed), by weight; *n their count. */
static uint32_t *match(struct why *w, const char *site, const char *type, uint64_t addr,
                       uint32_t *n)
{
    const struct dump *d = w->d;
    uint32_t *out = malloc(((size_t)d->nblocks + 1) * sizeof *out);
    uint8_t *site_ok = site ? calloc((size_t)d->nsites + 1, 1) : NULL;
    struct suppressions *sp = site ? suppress_new() : NULL;
    *n = 0;
    if (!out || (site && (!site_ok || !sp || suppress_add(sp, site)))) {
        free(out);
        out = NULL;
        goto done;
    }
    for (uint32_t s = 0; site && s < d->nsites; s++) {
        uint32_t nf = 0;
        const struct frame_sym *f = symbols_site(w->a.sym, s, &nf);
        site_ok[s] = suppress_match_frames(sp, f, nf);
    }
    if (!site && !type) {
        uint32_t v = block_at(d, addr);
        if (v != AN_NONE)
            out[(*n)++] = v;
        goto done;
    }
    for (uint32_t v = 0; v < d->nblocks; v++) {
        const char *t = type ? report_type(d, v) : NULL;
        if (site ? site_ok[d->blocks[v].site] : t && strcmp(t, type) == 0)
            out[(*n)++] = v;
    }
    sort_ctx = w;
    qsort(out, *n, sizeof *out, heavier);
done:
    free(site_ok);
    suppress_free(sp);
    return out;
}

/* Graph edge e (of block v) as the reports draw a reference. */
static struct view_edge edge_of(const struct why *w, uint32_t v, uint32_t e)
{
    const struct dump *d = w->d;
    uint32_t eid = graph_eid(&w->a.g, e);
    const struct atoll_dump_label *l = label_of_edge(d, eid);
    struct view_edge x = {v, w->a.g.to[e], AN_NONE, d->edges[eid].offset, 0, 0, 0, NULL};
    if (d->edges[eid].from != v) {
        x.via = d->edges[eid].from;
        x.owned_at = graph_owned_at(&w->a.g, d, v, x.via);
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
    report_site_label(o, &w->a, w->d->blocks[v].site);
    ob_put(o, ")", 1);
}

static const char *verdict(const struct why *w, uint32_t v)
{
    const struct analysis *a = &w->a;
    if (a->alive[v])
        return "still reachable";
    uint32_t c = a->s.comp ? a->s.comp[v] : AN_NONE;
    if (c != AN_NONE && a->is_cycle[c])
        return "leaked in an isolated cycle: no root reaches it";
    return a->cls[v] == CLASS_DEFINITE ? "definitely lost: no root reaches it"
                                       : "indirectly lost: no root reaches it";
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

static void path_text(struct outbuf *o, struct why *w, uint32_t rank, uint32_t v)
{
    const struct atoll_dump_block *b = &w->d->blocks[v];
    ob_printf(o, "#%u ", rank);
    node_text(o, w, v);
    ob_str(o, " at ");
    ob_hex(o, b->address);
    ob_str(o, ", ");
    ob_str(o, verdict(w, v));
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
    report_site_label(o, &w->a, w->d->blocks[v].site);
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
                 "\"at\":", v, (unsigned long long)b->address, (unsigned long long)b->size,
              (unsigned long long)b->seq, b->site);
    json_of(o, w, v, site_text);
    ob_str(o, ",\"type\":");
    if (type)
        ob_json_str(o, type);
    else
        ob_str(o, "null");
}

static const char *status_json(const struct why *w, uint32_t v)
{
    const struct analysis *a = &w->a;
    uint32_t c = a->s.comp ? a->s.comp[v] : AN_NONE;
    if (a->alive[v])
        return "reachable";
    return c != AN_NONE && a->is_cycle[c] ? "cycle" : class_name(a->cls[v]);
}

static void path_json(struct outbuf *o, struct why *w, uint32_t v)
{
    ob_put(o, "{", 1);
    block_json(o, w, v);
    ob_str(o, ",\"status\":");
    ob_json_str(o, status_json(w, v));
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

struct query {
    const char *site, *type, *address;
    uint64_t addr;
    unsigned long paths;
    bool json;
};

static void describe(struct outbuf *o, const struct query *q, bool json)
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

static void report(struct outbuf *o, struct why *w, const struct query *q, const uint32_t *m,
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
        describe(o, q, true);
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
    describe(o, q, false);
    ob_str(o, " in ");
    ob_str(o, dump_string(d, d->proc->exe));
    ob_printf(o, " (pid %u), collection %u (%s); %u shown, the heaviest first\n", d->proc->pid,
              d->proc->collection, trigger_name(d->proc->trigger), shown);
    for (uint32_t i = 0; i < shown; i++)
        path_text(o, w, i + 1, m[i]);
}

static void why_free(struct why *w)
{
    root_namer_free(w->rn);
    why_tree_free(&w->t);
    pymodules_free(&w->pm);
    analysis_free(&w->a);
    free(w->path);
}

/* The answer for a dump; 0, 1 when nothing matched, 2 after a line saying what failed. */
static int answer(const char *path, const struct query *q)
{
    struct dump d;
    char err[1024];
    if (dump_open(&d, path, err, sizeof err)) {
        fprintf(stderr, "atoll: %s: %s\n", path, err);
        return 2;
    }
    struct why w;
    memset(&w, 0, sizeof w);
    w.d = &d;
    struct analyze_opts ao = {NULL, NULL, true, false, false};
    int rc = 2;
    uint32_t n = 0, *m = NULL;
    if (analysis_run(&w.a, &d, &ao) || !w.a.sym || pymodules_find(&w.pm, &d, &w.a.g) ||
        why_tree_build(&w.t, &d, &w.a.g, &w.pm, w.a.alive, w.a.cls) ||
        !(w.rn = root_namer_new(&d, w.a.sym)) ||
        !(w.path = malloc(((size_t)d.nblocks + 1) * sizeof *w.path)) ||
        !(m = match(&w, q->site, q->type, q->addr, &n))) {
        fprintf(stderr, "atoll: %s: out of memory\n", path);
        goto out;
    }
    if (!n) {
        struct outbuf o;
        ob_init(&o, stderr);
        ob_str(&o, "atoll why: no block ");
        describe(&o, q, false);
        ob_str(&o, " in ");
        ob_str(&o, path);
        ob_put(&o, "\n", 1);
        ob_flush(&o);
        free(o.buf);
        rc = 1;
        goto out;
    }
    struct outbuf o;
    ob_init(&o, stdout);
    report(&o, &w, q, m, n);
    ob_flush(&o);
    free(o.buf);
    rc = o.failed ? 2 : 0;
    if (rc)
        fprintf(stderr, "atoll: write error\n");
out:
    free(m);
    why_free(&w);
    dump_close(&d);
    return rc;
}

int cmd_why(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"site", required_argument, 0, OPT_SITE},
        {"type", required_argument, 0, OPT_TYPE},
        {"address", required_argument, 0, OPT_ADDRESS},
        {"paths", required_argument, 0, OPT_PATHS},
        {"format", required_argument, 0, OPT_WHY_FORMAT},
        {"help", no_argument, 0, OPT_WHY_HELP},
        {0, 0, 0, 0},
    };
    struct query q = {NULL, NULL, NULL, 0, 5, false};
    int opt, given = 0;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_WHY_HELP:
            fputs(why_help, stdout);
            return 0;
        case OPT_SITE:
            q.site = optarg, given++;
            if (!*optarg)
                return cli_usage_error("why", "--site wants a pattern");
            break;
        case OPT_TYPE:
            q.type = optarg, given++;
            if (!*optarg)
                return cli_usage_error("why", "--type wants a type name");
            break;
        case OPT_ADDRESS: {
            char *end;
            q.address = optarg, given++;
            const char *hex = strncmp(optarg, "0x", 2) && strncmp(optarg, "0X", 2) ? optarg
                                                                                   : optarg + 2;
            q.addr = strtoull(hex, &end, 16);
            if (!*hex || *end || *hex == '-' || *hex == '+' || *hex == ' ')
                return cli_usage_error("why", "--address wants a hexadecimal address, not '%s'",
                                       optarg);
            break;
        }
        case OPT_PATHS:
            if (!cli_parse_uint(optarg, UINT32_MAX, &q.paths) || q.paths == 0)
                return cli_usage_error("why", "--paths wants a positive number, not '%s'",
                                       optarg);
            break;
        case OPT_WHY_FORMAT:
            if (strcmp(optarg, "text") && strcmp(optarg, "json"))
                return cli_usage_error("why", "unknown format '%s' (text or json)", optarg);
            q.json = strcmp(optarg, "json") == 0;
            break;
        case ':':
            return cli_usage_error("why", "option '%s' needs an argument", argv[optind - 1]);
        default:
            return cli_usage_error("why", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (given != 1)
        return cli_usage_error("why", given ? "one of --site, --type and --address only"
                                            : "missing --site, --type or --address");
    if (optind != argc - 1)
        return cli_usage_error("why", optind == argc ? "missing DUMP" : "one DUMP only");
    return answer(argv[optind], &q);
}
