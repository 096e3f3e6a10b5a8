/* What CPython's collector did, in the report: its collections up to the one the report is of
 * (pygc.jsonl, read by report.c into merged.pygc), and the sites of the objects it freed (the
 * last dump's PYGC_SITES), grouped as the report groups sites (a Python site by its Python
 * frames), with the first cycle shape of the report whose example has a member from there. */
#include "python/pygcreport.h"
#include "merge.h"
#include "python/pygc.h"

#include <stdlib.h>
#include <string.h>

struct gc_stats {
    uint64_t count[3], total_ns, collected, uncollectable;
    double median[3], p99[3], max[3], max_ms;
    double share;               /* of the run, in %; negative when unknown */
};

static bool stats(const struct merged *m, struct gc_stats *s)
{
    const struct pygc_run *r = m->pygc;
    memset(s, 0, sizeof *s);
    if (!r)
        return false;
    double *ms = malloc((r->n + 1) * sizeof *ms);
    if (!ms)
        return false;
    for (uint32_t g = 0; g < 3; g++) {
        size_t k = 0;
        for (size_t i = 0; i < r->n; i++)
            if (r->recs[i].gen == g)
                ms[k++] = (double)r->recs[i].duration_ns / 1e6;
        s->count[g] = k;
        s->median[g] = stats_median(ms, k);
        s->p99[g] = stats_p99(ms, k);
        s->max[g] = k ? ms[k - 1] : 0;
        if (s->max[g] > s->max_ms)
            s->max_ms = s->max[g];
    }
    free(ms);
    for (size_t i = 0; i < r->n; i++) {
        s->total_ns += r->recs[i].duration_ns;
        s->collected += r->recs[i].collected;
        s->uncollectable += r->recs[i].uncollectable;
    }
    uint64_t now = m->last->d->proc->time_ns;
    s->share = r->loaded_wall_ns && now > r->loaded_wall_ns
                   ? 100.0 * (double)s->total_ns / (double)(now - r->loaded_wall_ns)
                   : -1;
    return true;
}

void pygc_report_text_summary(struct outbuf *o, const struct merged *m)
{
    struct gc_stats s;
    if (!stats(m, &s))
        return;
    ob_printf(o, "\nPYTHON GC\n  collections: %llu (gen 0: %llu, gen 1: %llu, gen 2: %llu), %.3f ms",
              (unsigned long long)(s.count[0] + s.count[1] + s.count[2]),
              (unsigned long long)s.count[0], (unsigned long long)s.count[1],
              (unsigned long long)s.count[2], (double)s.total_ns / 1e6);
    if (s.share >= 0)
        ob_printf(o, ", %.1f%% of the run", s.share);
    ob_put(o, "\n", 1);
    for (uint32_t g = 0; g < 3; g++)
        if (s.count[g])
            ob_printf(o, "  gen %u: pause median %.3f ms, p99 %.3f ms, max %.3f ms\n", g,
                      s.median[g], s.p99[g], s.max[g]);
    ob_printf(o, "  objects collected: %llu, uncollectable: %llu\n",
              (unsigned long long)s.collected, (unsigned long long)s.uncollectable);
}

void pygc_report_json_summary(struct outbuf *o, const struct merged *m)
{
    struct gc_stats s;
    if (!stats(m, &s))
        return;
    ob_printf(o, ",\n    \"python_gc\": {\"collections\": [%llu, %llu, %llu], \"time_ms\": %.6f, "
              "\"max_pause_ms\": %.6f, \"collected\": %llu, \"uncollectable\": %llu",
              (unsigned long long)s.count[0], (unsigned long long)s.count[1],
              (unsigned long long)s.count[2], (double)s.total_ns / 1e6, s.max_ms,
              (unsigned long long)s.collected, (unsigned long long)s.uncollectable);
    if (s.share >= 0)
        ob_printf(o, ", \"share_pct\": %.3f", s.share);
    ob_put(o, "}", 1);
}

struct row {
    char *label;                /* the site as the report names it (malloc'ed) */
    uint32_t site;              /* the first of its sites */
    const char *type;
    uint64_t objects, bytes;
    uint32_t shape;             /* index into merged.shapes, or AN_NONE */
};

static int by_objects(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->objects != b->objects)
        return a->objects > b->objects ? -1 : 1;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return a->site < b->site ? -1 : a->site > b->site;
}

static uint32_t canon(const struct analysis *a, uint32_t site)
{
    return a->site_canon ? a->site_canon[site] : site;
}

/* The first shape whose example has a member allocated at each canonical site; -1 when out of
 * memory. */
static int shapes_by_site(const struct merged *m, struct u64map *first)
{
    for (uint32_t i = 0; i < m->nshapes; i++) {
        struct cycle_view tmp = {0};
        const struct cycle_view *v = merged_view(m, m->shapes[i].example, false, &tmp);
        if (!v)
            return -1;
        for (uint32_t k = 0; k < v->nmembers; k++) {
            bool added;
            uint64_t *slot = u64map_put(first, canon(m->last, v->members[k].site), &added);
            if (!slot) {
                cycle_view_free(&tmp);
                return -1;
            }
            if (added)
                *slot = i;
        }
        cycle_view_free(&tmp);
    }
    return 0;
}

static void rows_free(struct row *rows, uint32_t n)
{
    for (uint32_t i = 0; rows && i < n; i++)
        free(rows[i].label);
    free(rows);
}

/* One PYGC_SITES record into rows (grouped by label and type); false when out of memory. */
static bool add_record(const struct merged *m, const struct u64map *first,
                       const struct atoll_dump_pygc_site *g, struct row *rows, uint32_t *n)
{
    const struct dump *d = m->last->d;
    const char *type = dump_string(d, g->type);
    char *label = report_site_label_text(m->last, g->site);
    const uint64_t *shape = u64map_get(first, canon(m->last, g->site));
    uint32_t k;
    if (!label)
        return false;
    for (k = 0; k < *n && (strcmp(rows[k].label, label) || strcmp(rows[k].type, type)); k++)
        ;
    if (k == *n)
        rows[(*n)++] = (struct row){ label, g->site, type, 0, 0, AN_NONE };
    else
        free(label);
    rows[k].objects += g->objects;
    rows[k].bytes += g->bytes;
    if (shape && (rows[k].shape == AN_NONE || *shape < rows[k].shape))
        rows[k].shape = (uint32_t)*shape;
    return true;
}

/* The last dump's PYGC_SITES grouped by (site as printed, type), by objects descending. */
static struct row *rows_of(const struct merged *m, uint32_t *n)
{
    const struct dump *d = m->last->d;
    struct row *rows = malloc(((size_t)d->npygc_sites + 1) * sizeof *rows);
    struct u64map first = {0};
    bool ok = rows && shapes_by_site(m, &first) == 0;
    *n = 0;
    for (uint32_t i = 0; ok && i < d->npygc_sites; i++)
        ok = add_record(m, &first, &d->pygc_sites[i], rows, n);
    u64map_free(&first);
    if (!ok) {
        rows_free(rows, *n);
        return NULL;
    }
    qsort(rows, *n, sizeof *rows, by_objects);
    return rows;
}

void pygc_report_text_sites(struct outbuf *o, const struct merged *m, uint32_t top)
{
    if (!m->last->d->npygc_sites)
        return;
    uint32_t n;
    struct row *rows = rows_of(m, &n);
    if (!rows) {
        o->failed = true;
        return;
    }
    uint32_t shown = n < top ? n : top;
    ob_printf(o, "\nCYCLIC GARBAGE BY SITE (%u of %u)\n", shown, n);
    for (uint32_t i = 0; i < shown; i++) {
        ob_printf(o, "#%u %llu %s objects, %llu bytes, freed by Python's gc, allocated at ", i + 1,
                  (unsigned long long)rows[i].objects, rows[i].type,
                  (unsigned long long)rows[i].bytes);
        ob_str(o, rows[i].label);
        ob_put(o, "\n", 1);
        if (rows[i].shape != AN_NONE)
            ob_printf(o, "      in cycle shape #%u\n", rows[i].shape + 1);
    }
    rows_free(rows, n);
}

void pygc_report_json_sites(struct outbuf *o, const struct merged *m, uint8_t *used)
{
    uint32_t n;
    struct row *rows = rows_of(m, &n);
    if (!rows) {
        o->failed = true;
        return;
    }
    ob_str(o, "  \"python_gc_sites\": [");
    for (uint32_t i = 0; i < n; i++) {
        ob_str(o, i ? ",\n    {\"site\": " : "\n    {\"site\": ");
        ob_json_str(o, rows[i].label);
        used[rows[i].site] = 1;
        ob_printf(o, ", \"site_index\": %u, \"type\": ", rows[i].site);
        ob_json_str(o, rows[i].type);
        ob_printf(o, ", \"objects\": %llu, \"bytes\": %llu", (unsigned long long)rows[i].objects,
                  (unsigned long long)rows[i].bytes);
        if (rows[i].shape != AN_NONE)
            ob_printf(o, ", \"shape\": %u", rows[i].shape);
        ob_put(o, "}", 1);
    }
    ob_str(o, n ? "\n  ],\n" : "],\n");
    rows_free(rows, n);
}
