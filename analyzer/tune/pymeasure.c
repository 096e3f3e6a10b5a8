/* What Python's collector did in one run of atoll tune, from the run's pygc.jsonl (one line per
 * collection, every process of the run): collections per generation, the time in them, their
 * pauses per generation (median, p99, max) and the objects they freed. A run without the file
 * made no collection (the collector off, or thresholds it never reached). */
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
    if (*recorded && pygc_read(path, &r, &n, err, errlen))
        return -1;
    pytune_measure_recs(r, n, m);
    free(r);
    return 0;
}
