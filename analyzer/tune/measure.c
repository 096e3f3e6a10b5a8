/* What a run's collections cost and found, for atoll tune: per generation counts and pauses
 * from collections.jsonl (the exit collection, which every setting has, left out), and every collection's dump analysed for the garbage it found first
 * (a leaked block is known by its process and sequence number, so what later collections find
 * again counts once) and how long that garbage had waited: the allocations between its own
 * and the collection's (last_seq), and the seconds, its birth time interpolated between the
 * (last_seq, time) points of the collections around it, the run's start being (0, start).
 * A run whose collections find no garbage gets the latency a leak would have had: for an
 * allocation at a random point, the wait until the next collection. */
#include "tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct point {
    double seq, t;                  /* allocation number, seconds since the start */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The time of allocation seq, between the points around it (pts sorted by seq). */
static double birth_time(const struct point *pts, size_t n, double seq)
{
    size_t lo = 0, hi = n - 1;
    if (seq >= pts[hi].seq)
        return pts[hi].t;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (pts[mid].seq <= seq)
            lo = mid;
        else
            hi = mid;
    }
    double span = pts[hi].seq - pts[lo].seq;
    return span > 0 ? pts[lo].t + (pts[hi].t - pts[lo].t) * (seq - pts[lo].seq) / span
                    : pts[lo].t;
}

/* Median of the wait until the next collection of a uniformly random allocation, when the
 * collections split the run into intervals d[0..n): the w with sum(min(w, d)) = sum(d) / 2. */
static double interval_median(double *d, size_t n)
{
    double total = 0, lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        total += d[i];
        hi = d[i] > hi ? d[i] : hi;
    }
    for (int it = 0; it < 100; it++) {
        double w = (lo + hi) / 2, covered = 0;
        for (size_t i = 0; i < n; i++)
            covered += d[i] < w ? d[i] : w;
        if (covered < total / 2)
            lo = w;
        else
            hi = w;
    }
    return (lo + hi) / 2;
}

struct latencies {
    double *allocs, *secs;
    size_t n, cap;
};

static int push(struct latencies *l, double allocs, double secs)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        double *a = realloc(l->allocs, l->cap * sizeof *a);
        if (a)
            l->allocs = a;
        double *s = realloc(l->secs, l->cap * sizeof *s);
        if (s)
            l->secs = s;
        if (!a || !s)
            return -1;
    }
    l->allocs[l->n] = allocs;
    l->secs[l->n++] = secs;
    return 0;
}

/* The garbage of one dump that no earlier collection found, with its latencies. */
static int found(const struct collection_rec *r, const struct point *pts, size_t npts,
                 double at, struct u64map *seen, struct tune_measure *m, struct latencies *lat,
                 char *err, size_t errlen)
{
    struct dump d;
    struct analysis a;
    struct analyze_opts opts = {.supp = NULL, .symbolize = false, .progress = false,
                                .skip_retention = true};
    if (dump_open(&d, r->dump, err, errlen))
        return -1;
    int rc = analysis_run(&a, &d, &opts);
    for (uint32_t i = 0; !rc && i < d.nblocks; i++) {
        if (a.alive[i])
            continue;
        bool added;
        const struct atoll_dump_block *b = &d.blocks[i];
        if (!u64map_put(seen, (uint64_t)r->pid << 42 ^ b->seq, &added)) {
            rc = -1;
            break;
        }
        if (!added)
            continue;
        m->garbage_blocks++;
        m->garbage_bytes += b->size;
        if (r->has_last_seq && r->last_seq >= b->seq)
            rc = push(lat, (double)(r->last_seq - b->seq),
                      at - birth_time(pts, npts, (double)b->seq));
    }
    if (rc)
        snprintf(err, errlen, "%s: out of memory", r->dump);
    analysis_free(&a);
    dump_close(&d);
    return rc;
}

static int by_pid_collection(const void *x, const void *y)
{
    const struct collection_rec *a = x, *b = y;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    return a->collection < b->collection ? -1 : a->collection > b->collection;
}

static void summarize(double *v, size_t n, double *median, double *max)
{
    *median = stats_median(v, n);
    *max = n ? v[n - 1] : 0;
}

/* Latency from the collection intervals of the first process (the workload itself). */
static void from_intervals(const struct point *pts, size_t n, struct tune_measure *m)
{
    double *da = malloc(n * sizeof *da), *ds = malloc(n * sizeof *ds);
    if (da && ds && n > 1) {
        for (size_t i = 1; i < n; i++) {
            da[i - 1] = pts[i].seq - pts[i - 1].seq;
            ds[i - 1] = pts[i].t - pts[i - 1].t;
        }
        m->lat_allocs_median = interval_median(da, n - 1);
        m->lat_s_median = interval_median(ds, n - 1);
        qsort(da, n - 1, sizeof *da, cmp_double);
        qsort(ds, n - 1, sizeof *ds, cmp_double);
        m->lat_allocs_max = da[n - 2];
        m->lat_s_max = ds[n - 2];
    }
    free(da), free(ds);
}

int tune_measure_dir(const char *dir, uint64_t start_ns, struct tune_measure *m, char *err,
                     size_t errlen)
{
    char path[4200];
    struct collection_rec *r;
    size_t n;
    memset(m, 0, sizeof *m);
    snprintf(path, sizeof path, "%s/collections.jsonl", dir);
    if (jsonl_read(path, &r, &n, err, errlen))
        return -1;
    if (!n) {
        snprintf(err, errlen, "%s: no collections", path);
        free(r);
        return -1;
    }
    qsort(r, n, sizeof *r, by_pid_collection);
    struct point *pts = malloc((n + 1) * sizeof *pts);
    struct u64map seen = {0};
    struct latencies lat = {0};
    int rc = pts ? 0 : -1;
    for (size_t i = 0, end; !rc && i < n; i = end) {
        size_t npts = 0;
        pts[npts++] = (struct point){0, 0};
        for (end = i; end < n && r[end].pid == r[i].pid; end++)
            if (r[end].has_last_seq)
                pts[npts++] = (struct point){(double)r[end].last_seq,
                                             ((double)r[end].time_ns - (double)start_ns) / 1e9};
        for (size_t k = i; !rc && k < end; k++) {
            const struct collection_rec *c = &r[k];
            if (strcmp(c->trigger, "exit") != 0) {
                m->collections[c->generation]++;
                m->pause_total_ms += c->pause_ms;
                m->pause_max_ms = fmax(m->pause_max_ms, c->pause_ms);
            }
            rc = found(c, pts, npts, ((double)c->time_ns - (double)start_ns) / 1e9, &seen, m,
                       &lat, err, errlen);
        }
        if (i == 0 && !rc)
            from_intervals(pts, npts, m);
    }
    if (!rc && lat.n) {
        m->from_leaks = true;
        summarize(lat.allocs, lat.n, &m->lat_allocs_median, &m->lat_allocs_max);
        summarize(lat.secs, lat.n, &m->lat_s_median, &m->lat_s_max);
    }
    if (!pts)
        snprintf(err, errlen, "out of memory");
    free(lat.allocs), free(lat.secs), free(pts), free(r);
    u64map_free(&seen);
    return rc;
}
