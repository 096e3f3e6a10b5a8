/* `atoll run --live`: while the program runs, each new line of collections.jsonl is followed
 * by an analysis of its dump and one line saying what that collection found that no earlier
 * one had: leaked blocks by allocation site, isolated cycles by shape. A block or cycle is
 * known by its process and allocation sequence number (a cycle by its oldest member's), so a
 * leak that every later collection finds again is counted once; a site or shape that gains
 * leaked blocks or cycles after it was first reported is flagged as growing. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

#define SHOWN_MAX 5     /* sites and shapes named per line; the rest are counted */

struct live {
    char *jsonl;
    FILE *out;
    const struct suppressions *supp;
    long offset;
    struct u64map seen_blocks, seen_cycles;
    struct u64map site_bytes;       /* (pid, site) -> leaked bytes found so far */
    struct u64map shape_cycles;     /* (pid, shape hash) -> cycles found so far */
    struct u64map shape_number;     /* (pid, shape hash) -> its number on the lines */
    uint32_t shapes_named;
};

/* The delta of one site or shape in one collection. */
struct delta {
    uint64_t key, blocks, bytes;
    uint32_t example;               /* site index, or shape group index */
    bool first;
};

/* pid and a 42-bit number in one key: sequence numbers stay far below 2^42 (4e12). */
static uint64_t key_of(uint32_t pid, uint64_t n)
{
    return (uint64_t)pid << 42 ^ n;
}

struct live *live_new(const char *dir, FILE *out, const struct suppressions *supp)
{
    struct live *l = calloc(1, sizeof *l);
    if (!l || asprintf(&l->jsonl, "%s/collections.jsonl", dir) < 0) {
        free(l);
        return NULL;
    }
    l->out = out;
    l->supp = supp;
    return l;
}

void live_free(struct live *l)
{
    if (!l)
        return;
    u64map_free(&l->seen_blocks), u64map_free(&l->seen_cycles);
    u64map_free(&l->site_bytes), u64map_free(&l->shape_cycles), u64map_free(&l->shape_number);
    free(l->jsonl);
    free(l);
}

static int by_bytes(const void *x, const void *y)
{
    const struct delta *a = x, *b = y;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return a->key < b->key ? -1 : a->key > b->key;
}

/* Adds a delta for key to ds (one entry per key: idx maps key -> entry + 1). */
static struct delta *delta_at(struct delta **ds, uint32_t *n, uint32_t *cap, struct u64map *idx,
                              uint64_t key)
{
    bool added;
    uint64_t *slot = u64map_put(idx, key, &added);
    if (!slot)
        return NULL;
    if (!added)
        return &(*ds)[*slot - 1];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        struct delta *g = realloc(*ds, *cap * sizeof **ds);
        if (!g)
            return NULL;
        *ds = g;
    }
    (*ds)[*n] = (struct delta){.key = key};
    *slot = ++*n;
    return &(*ds)[*n - 1];
}

/* A site as the reports name it ("function file:line"), hashed: the sites of one line, as the
 * three allocations of a struct's members often are, are one site on the live lines. */
static uint64_t site_key(const struct analysis *a, uint32_t site)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return site;
    struct outbuf o;
    ob_init(&o, f);
    report_site_label(&o, a, site);
    ob_flush(&o);
    free(o.buf);
    fclose(f);
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)text[i]) * 0x100000001B3ull;
    free(text);
    return h;
}

/* The leaked blocks of this dump that no earlier collection found, by site. */
static int new_leaks(struct live *l, const struct analysis *a, struct delta **ds, uint32_t *n)
{
    const struct dump *d = a->d;
    struct u64map idx = {0}, keys = {0};
    uint32_t cap = 0;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        if (a->alive[i] || a->suppressed[i])
            continue;
        bool added;
        if (!u64map_put(&l->seen_blocks, key_of(d->proc->pid, d->blocks[i].seq), &added))
            goto oom;
        if (!added)
            continue;
        uint32_t site = d->blocks[i].site;
        uint64_t *key = u64map_put(&keys, site, &added);
        if (!key)
            goto oom;
        if (added)
            *key = site_key(a, site) ^ key_of(d->proc->pid, 0);
        struct delta *x = delta_at(ds, n, &cap, &idx, *key);
        if (!x)
            goto oom;
        x->example = site;
        x->blocks++;
        x->bytes += d->blocks[i].size;
    }
    u64map_free(&idx);
    u64map_free(&keys);
    return 0;
oom:
    u64map_free(&idx);
    u64map_free(&keys);
    return -1;
}

/* The cycles of this dump that no earlier collection found, by shape. */
static int new_cycles(struct live *l, const struct analysis *a, struct delta **ds, uint32_t *n)
{
    const struct dump *d = a->d;
    struct u64map idx = {0};
    uint32_t cap = 0;
    for (uint32_t i = 0; i < a->ncycles; i++) {
        uint32_t c = a->cycles[i], g = a->comp_shape[c];
        if (g == AN_NONE)
            continue;
        uint64_t key = key_of(d->proc->pid, analysis_cycle_seq(a, c));
        bool added;
        if (!u64map_put(&l->seen_cycles, key, &added))
            goto oom;
        if (!added)
            continue;
        struct delta *x = delta_at(ds, n, &cap, &idx,
                                   a->shapes[g].hash ^ key_of(d->proc->pid, 0));
        if (!x)
            goto oom;
        x->example = g;
        x->blocks++;
        x->bytes += analysis_comp_bytes(a, c);
    }
    u64map_free(&idx);
    return 0;
oom:
    u64map_free(&idx);
    return -1;
}

/* Adds each delta to its running total in totals; marks the ones seen for the first time. */
static int accumulate(struct u64map *totals, struct delta *ds, uint32_t n, bool by_count)
{
    for (uint32_t i = 0; i < n; i++) {
        bool added;
        uint64_t *t = u64map_put(totals, ds[i].key, &added);
        if (!t)
            return -1;
        ds[i].first = added;
        *t += by_count ? ds[i].blocks : ds[i].bytes;
    }
    qsort(ds, n, sizeof *ds, by_bytes);
    return 0;
}

static void print_leaks(struct live *l, struct outbuf *o, const struct analysis *a,
                        const struct delta *ds, uint32_t n)
{
    for (uint32_t i = 0; i < n && i < SHOWN_MAX; i++) {
        ob_str(o, ds[i].first ? "; new leak at " : "; growing leak at ");
        report_site_label(o, a, ds[i].example);
        ob_printf(o, ": +%llu bytes in %llu blocks",
                  (unsigned long long)ds[i].bytes, (unsigned long long)ds[i].blocks);
        if (!ds[i].first)
            ob_printf(o, " (%llu bytes so far)",
                      (unsigned long long)*u64map_get(&l->site_bytes, ds[i].key));
    }
    if (n > SHOWN_MAX)
        ob_printf(o, "; %u more leak sites", n - SHOWN_MAX);
}

static void print_cycles(struct live *l, struct outbuf *o, const struct analysis *a,
                         const struct delta *ds, uint32_t n)
{
    for (uint32_t i = 0; i < n && i < SHOWN_MAX; i++) {
        bool added;
        uint64_t *num = u64map_put(&l->shape_number, ds[i].key, &added);
        if (!num)
            return;
        if (added)
            *num = ++l->shapes_named;
        if (ds[i].first) {
            ob_printf(o, "; new cycle shape #%llu, +%llu %s: ", (unsigned long long)*num,
                      (unsigned long long)ds[i].blocks, ds[i].blocks == 1 ? "cycle" : "cycles");
            report_shape_line(o, a, &a->shapes[ds[i].example]);
        } else {
            ob_printf(o, "; growing cycle shape #%llu: +%llu %s (%llu so far)",
                      (unsigned long long)*num, (unsigned long long)ds[i].blocks,
                      ds[i].blocks == 1 ? "cycle" : "cycles",
                      (unsigned long long)*u64map_get(&l->shape_cycles, ds[i].key));
        }
    }
    if (n > SHOWN_MAX)
        ob_printf(o, "; %u more cycle shapes", n - SHOWN_MAX);
}

/* One collection: its dump analysed, its line printed. */
static void one(struct live *l, const struct collection_rec *r)
{
    struct outbuf o;
    ob_init(&o, l->out);
    ob_printf(&o, "atoll: collection %u (pid %u, generation %u, %s): pause %.3f ms, %llu blocks",
              r->collection, r->pid, r->generation, r->trigger, r->pause_ms,
              (unsigned long long)r->blocks);
    struct dump d;
    struct analysis a;
    char err[512];
    struct analyze_opts opts = {.supp = l->supp, .symbolize = true, .progress = false,
                                .skip_retention = true};
    struct delta *leaks = NULL, *cycles = NULL;
    uint32_t nleaks = 0, ncycles = 0;
    if (dump_open(&d, r->dump, err, sizeof err)) {
        ob_printf(&o, "; dump %s not analysed: %s\n", r->dump, err);
        goto out;
    }
    if (analysis_run(&a, &d, &opts) || new_leaks(l, &a, &leaks, &nleaks) ||
        new_cycles(l, &a, &cycles, &ncycles) ||
        accumulate(&l->site_bytes, leaks, nleaks, false) ||
        accumulate(&l->shape_cycles, cycles, ncycles, true)) {
        ob_str(&o, "; not analysed: out of memory\n");
    } else {
        print_leaks(l, &o, &a, leaks, nleaks);
        print_cycles(l, &o, &a, cycles, ncycles);
        ob_str(&o, nleaks || ncycles ? "\n" : "; nothing new\n");
    }
    analysis_free(&a);
    dump_close(&d);
out:
    ob_flush(&o);
    free(o.buf);
    fflush(l->out);
    free(leaks), free(cycles);
}

void live_poll(struct live *l)
{
    FILE *f = fopen(l->jsonl, "r");
    if (!f)
        return;
    if (fseek(f, l->offset, SEEK_SET)) {
        fclose(f);
        return;
    }
    char *line = NULL, err[256];
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0 && line[len - 1] == '\n') {
        l->offset += len;
        struct collection_rec r;
        if (jsonl_parse(line, &r, err, sizeof err))
            fprintf(l->out, "atoll: %s: unreadable line: %s\n", l->jsonl, err);
        else
            one(l, &r);
    }
    free(line);
    fclose(f);
}
