/* `atoll why DUMP (--site PATTERN | --type NAME | --address ADDR) [--paths N] [--format
 * text|json]`: its options, the dump's analysis, and the blocks asked about, heaviest first;
 * whyshow.c prints each with the shortest path from a named root to it (docs/report-format.md,
 * "atoll why"). */
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

/* What a block weighs for the order of the answers: what it retains. */
static uint64_t weight(const struct why *w, uint32_t v)
{
    return w->a->dom->retained_bytes[v];
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
        const struct frame_sym *f = symbols_site(w->a->sym, s, &nf);
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

int why_open(struct why *w, const struct analysis *a)
{
    memset(w, 0, sizeof *w);
    w->a = a;
    w->d = a->d;
    if (!a->sym || !a->dom || pymodules_find(&w->pm, a->d, &a->g) ||
        why_tree_build(&w->t, a->d, &a->g, &w->pm, a->alive, a->cls) ||
        !(w->rn = root_namer_new(a->d, a->sym)) ||
        !(w->path = malloc(((size_t)a->d->nblocks + 1) * sizeof *w->path)))
        return -1;
    return 0;
}

void why_close(struct why *w)
{
    root_namer_free(w->rn);
    why_tree_free(&w->t);
    pymodules_free(&w->pm);
    free(w->path);
    memset(w, 0, sizeof *w);
}

/* The answer for a dump; 0, 1 when nothing matched, 2 after a line saying what failed. */
static int answer(const char *path, const struct why_query *q)
{
    struct dump d;
    char err[1024];
    if (dump_open(&d, path, err, sizeof err)) {
        fprintf(stderr, "atoll: %s: %s\n", path, err);
        return 2;
    }
    struct why w = {0};
    struct analysis a;
    memset(&a, 0, sizeof a);
    struct analyze_opts ao = {NULL, NULL, true, false, false, false};
    int rc = 2;
    uint32_t n = 0, *m = NULL;
    if (analysis_run(&a, &d, &ao) || why_open(&w, &a) ||
        !(m = match(&w, q->site, q->type, q->addr, &n))) {
        fprintf(stderr, "atoll: %s: out of memory\n", path);
        goto out;
    }
    if (!n) {
        struct outbuf o;
        ob_init(&o, stderr);
        ob_str(&o, "atoll why: no block ");
        why_describe(&o, q, false);
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
    why_report(&o, &w, q, m, n);
    ob_flush(&o);
    free(o.buf);
    rc = o.failed ? 2 : 0;
    if (rc)
        fprintf(stderr, "atoll: write error\n");
out:
    free(m);
    why_close(&w);
    analysis_free(&a);
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
    struct why_query q = {NULL, NULL, NULL, 0, 5, false};
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
