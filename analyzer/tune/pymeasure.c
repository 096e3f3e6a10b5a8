/* What Python's collector did in one run of atoll tune, from the run's pygc.jsonl (one line per
 * collection, every process of the run): collections per generation, the time in them, their
 * pauses per generation (median, p99, max) and the objects they freed. A process's collections
 * count up to its exit collection (atoll's, where its atexit callbacks run): those after it are
 * the interpreter's finalization, which collects whatever the setting (a full collection of the
 * whole heap, the longest pause of many runs), and which no program pays while it works. A run
 * without the file made no collection (the collector off, or thresholds it never reached). */
#include "tune.h"

#include "python/pygc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void pytune_measure_recs(const struct pygc_rec *r, size_t n, struct pytune_measure *m)
{
    memset(m, 0, sizeof *m);
    double *ms = malloc((n ? n : 1) * sizeof *ms);
    for (uint32_t g = 0; g < 3; g++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if ((r[i].gen < 3 ? r[i].gen : 2) == g && ms)
                ms[k++] = (double)r[i].duration_ns / 1e6;
        m->collections[g] = k;
        for (size_t i = 0; i < k; i++)
            m->gc_ms += ms[i];
        m->pause_median_ms[g] = stats_median(ms, k);
        m->pause_p99_ms[g] = stats_p99(ms, k);
        m->pause_max_ms[g] = k ? ms[k - 1] : 0;
        m->worst_ms = fmax(m->worst_ms, m->pause_max_ms[g]);
    }
    for (size_t i = 0; i < n; i++) {
        m->collected += r[i].collected;
        m->uncollectable += r[i].uncollectable;
    }
    free(ms);
}

/* The exit collection of pid in c[0..nc), 0 when it made none (killed, os._exit). */
static uint32_t exit_collection(const struct collection_rec *c, size_t nc, uint32_t pid)
{
    for (size_t i = 0; i < nc; i++)
        if (c[i].pid == pid && strcmp(c[i].trigger, "exit") == 0)
            return c[i].collection;
    return 0;
}

/* Each process's records up to its exit collection: *recs replaced. */
static int before_exit(const char *dir, const char *path, struct pygc_rec **recs, size_t *n,
                       char *err, size_t errlen)
{
    char cpath[4200];
    struct collection_rec *c = NULL;
    size_t nc = 0, kept = 0;
    struct stat st;
    snprintf(cpath, sizeof cpath, "%s/collections.jsonl", dir);
    if (stat(cpath, &st) != 0)
        return 0;
    if (jsonl_read(cpath, &c, &nc, err, errlen))
        return -1;
    const struct pygc_rec *r = *recs;
    struct pygc_rec *out = malloc((*n ? *n : 1) * sizeof *out);
    int rc = out ? 0 : -1;
    if (!out)
        snprintf(err, errlen, "out of memory");
    /* each process once, at its first record */
    for (size_t i = 0; !rc && i < *n; i++) {
        uint32_t pid = r[i].pid, k = exit_collection(c, nc, pid);
        size_t j = 0;
        while (j < i && r[j].pid != pid)
            j++;
        if (j < i)
            continue;
        struct pygc_run run = {0};
        if (k && (rc = pygc_read_run(path, pid, k, &run, err, errlen)))
            break;
        for (j = 0; k && j < run.n && kept < *n; j++)
            out[kept++] = run.recs[j];
        for (j = i; !k && j < *n; j++)
            if (r[j].pid == pid)
                out[kept++] = r[j];
        free(run.recs);
    }
    free(c);
    if (rc) {
        free(out);
        return -1;
    }
    free(*recs);
    *recs = out;
    *n = kept;
    return 0;
}

int pytune_measure_dir(const char *dir, struct pytune_measure *m, bool *recorded, char *err,
                       size_t errlen)
{
    char path[4200];
    struct stat st;
    struct pygc_rec *r = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/pygc.jsonl", dir);
    *recorded = stat(path, &st) == 0;
    if (!*recorded && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (*recorded && (pygc_read(path, &r, &n, err, errlen) ||
                      before_exit(dir, path, &r, &n, err, errlen))) {
        free(r);
        return -1;
    }
    pytune_measure_recs(r, n, m);
    free(r);
    return 0;
}
