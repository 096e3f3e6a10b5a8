/* atoll tune's conclusions for Python's collector: the table on the terminal, the
 * recommendation as the line to put in the program and as ATOLL_PYTHON_GC, and the same table
 * as tune.csv, tune.json and tune.svg (time in gc against peak RSS). */
#include "tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "med/p99/max" of generation g's pauses, "-" without collections. */
static void pauses(char *buf, size_t len, const struct pytune_measure *m, int g)
{
    if (m->collections[g])
        snprintf(buf, len, "%.2f/%.2f/%.2f", m->pause_median_ms[g], m->pause_p99_ms[g],
                 m->pause_max_ms[g]);
    else
        snprintf(buf, len, "-");
}

/* Where a setting's line goes and what it costs, beyond the line itself. */
static const char *placement(const struct pytune_row *r)
{
    const char *s = r->setting;
    const uint64_t *c = r->m.collections;
    if (strcmp(s, "off") && !c[0] && !c[1] && !c[2])
        return "at the program's start; it made no collection in these runs, so like "
               "gc.disable() it kept all the cyclic garbage: that fitted the budget on this "
               "input, not necessarily with a longer run";
    if (!strcmp(s, "off"))
        return "at the program's start; cyclic garbage is then never freed: it fitted the "
               "budget in these runs, not necessarily with other input";
    if (!strncmp(s, "freeze", 6))
        return "at the program's start, where ATOLL_PYTHON_GC applied it (after the "
               "interpreter's startup); placed once the program has built its long-lived "
               "objects, gc.freeze() keeps those out of every collection too";
    return "at the program's start";
}

void pytune_print(FILE *f, const struct pytune_result *t)
{
    const struct pytune_row *d = &t->rows[t->dflt];
    fprintf(f, "%-22s %8s %9s %13s %17s %17s %17s %9s %9s %8s %10s  %s\n", "setting",
            "wall_s", "gc_ms", "collections", "gen0_ms_med/p99/max",
            "gen1_ms_med/p99/max", "gen2_ms_med/p99/max", "worst_ms", "rss_kb", "rss_vs_d",
            "collected", "");
    for (size_t i = 0; i < t->n; i++) {
        const struct pytune_row *r = &t->rows[i];
        if (r->failed) {
            fprintf(f, "%-22s failed %u of %u runs: %s\n", r->setting, r->failed, r->runs,
                    r->why);
            continue;
        }
        char counts[64], p[3][48];
        snprintf(counts, sizeof counts, "%llu/%llu/%llu",
                 (unsigned long long)r->m.collections[0], (unsigned long long)r->m.collections[1],
                 (unsigned long long)r->m.collections[2]);
        for (int g = 0; g < 3; g++)
            pauses(p[g], sizeof p[g], &r->m, g);
        fprintf(f, "%-22s %8.3f %9.2f %13s %17s %17s %17s %9.2f %9ld %+7.1f%% %10llu  "
                   "%s%s%s\n",
                r->setting, r->wall_s, r->m.gc_ms, counts, p[0], p[1], p[2],
                r->m.worst_ms, r->peak_rss_kb, r->rss_pct, (unsigned long long)r->m.collected,
                r->within ? "" : "over-budget ", r->pareto ? "pareto " : "",
                r->recommended ? "recommended" : "");
    }
    fprintf(f, "(medians over the runs; wall_s and rss_kb: wall time and peak RSS without "
               "profiling; gc_ms: time in Python's collector; collections per generation 0/1/2 "
               "and their pauses in ms, up to the exit (finalization left out); rss_vs_d: peak "
               "RSS against the default setting's)\n");
    if (t->recommended < 0) {
        fprintf(f, "no recommendation: the default setting failed: %s\n", d->why);
        return;
    }
    const struct pytune_row *r = &t->rows[t->recommended];
    char line[120];
    pytune_line(r->setting, line, sizeof line);
    fprintf(f, "recommended (%s within %.1f%% of the default's peak RSS): %s\n",
            t->by_pause ? "the shortest worst pause" : "the least time in gc", t->budget_pct,
            r->setting);
    if (t->recommended == (int)t->dflt) {
        fprintf(f, "  no setting did better than the interpreter's default: nothing to change\n");
        return;
    }
    fprintf(f, "  time in gc %.2f ms (default %.2f ms), worst pause %.2f ms (default %.2f ms), "
               "peak RSS %+.1f%%\n",
            r->m.gc_ms, d->m.gc_ms, r->m.worst_ms, d->m.worst_ms, r->rss_pct);
    fprintf(f, "  in the program (%s):\n    import gc; %s\n", placement(r), line);
    fprintf(f, "  without changing it:\n    ATOLL_PYTHON_GC=%s\n", r->setting);
}

static int write_csv(const struct pytune_result *t, const char *dir, char *err, size_t errlen)
{
    char path[4200];
    FILE *f = tune_file_create(dir, "tune.csv", path, sizeof path, err, errlen);
    if (!f)
        return -1;
    fputs("setting,runs,failed,wall_s,gc_ms,collections_gen0,collections_gen1,collections_gen2,"
          "pause_median_ms_gen0,pause_p99_ms_gen0,pause_max_ms_gen0,pause_median_ms_gen1,"
          "pause_p99_ms_gen1,pause_max_ms_gen1,pause_median_ms_gen2,pause_p99_ms_gen2,"
          "pause_max_ms_gen2,worst_pause_ms,peak_rss_kb,rss_vs_default_pct,collected,"
          "uncollectable,within_budget,pareto,recommended\n", f);
    for (size_t i = 0; i < t->n; i++) {
        const struct pytune_row *r = &t->rows[i];
        const struct pytune_measure *m = &r->m;
        fprintf(f, "\"%s\",%u,%u,%.6f,%.3f,%llu,%llu,%llu", r->setting, r->runs, r->failed,
                r->wall_s, m->gc_ms, (unsigned long long)m->collections[0],
                (unsigned long long)m->collections[1], (unsigned long long)m->collections[2]);
        for (int g = 0; g < 3; g++)
            fprintf(f, ",%.3f,%.3f,%.3f", m->pause_median_ms[g], m->pause_p99_ms[g],
                    m->pause_max_ms[g]);
        fprintf(f, ",%.3f,%ld,%.3f,%llu,%llu,%d,%d,%d\n", m->worst_ms, r->peak_rss_kb,
                r->rss_pct, (unsigned long long)m->collected,
                (unsigned long long)m->uncollectable, r->within, r->pareto, r->recommended);
    }
    return tune_file_close(f, path, err, errlen);
}

static void json_row(FILE *f, const struct pytune_row *r, bool last)
{
    const struct pytune_measure *m = &r->m;
    fprintf(f, "  {\"setting\": \"%s\", \"runs\": %u, \"failed\": %u, \"failure\": ", r->setting,
            r->runs, r->failed);
    tune_json_failure(f, r->failed, r->why);
    fprintf(f, ", \"wall_s\": %.6f, \"gc_ms\": %.3f, \"collections\": [%llu, %llu, %llu], "
               "\"pauses_ms\": [", r->wall_s, m->gc_ms, (unsigned long long)m->collections[0],
            (unsigned long long)m->collections[1], (unsigned long long)m->collections[2]);
    for (int g = 0; g < 3; g++)
        fprintf(f, "%s{\"median\": %.3f, \"p99\": %.3f, \"max\": %.3f}", g ? ", " : "",
                m->pause_median_ms[g], m->pause_p99_ms[g], m->pause_max_ms[g]);
    fprintf(f, "], \"worst_pause_ms\": %.3f, \"peak_rss_kb\": %ld, \"rss_vs_default_pct\": %.3f, "
               "\"collected\": %llu, \"uncollectable\": %llu, \"within_budget\": %s, "
               "\"pareto\": %s, \"recommended\": %s}%s\n",
            m->worst_ms, r->peak_rss_kb, r->rss_pct, (unsigned long long)m->collected,
            (unsigned long long)m->uncollectable, r->within ? "true" : "false",
            r->pareto ? "true" : "false", r->recommended ? "true" : "false", last ? "" : ",");
}

static int write_json(const struct pytune_result *t, const char *dir, char *err, size_t errlen)
{
    char path[4200];
    FILE *f = tune_file_create(dir, "tune.json", path, sizeof path, err, errlen);
    if (!f)
        return -1;
    fprintf(f, "{\"target\": \"python-gc\", \"objective\": \"%s\", \"memory_budget_pct\": %.3f, "
               "\"default_peak_rss_kb\": %ld, \"recommendation\": ",
            t->by_pause ? "pause" : "time", t->budget_pct, t->rows[t->dflt].peak_rss_kb);
    if (t->recommended >= 0) {
        const char *s = t->rows[t->recommended].setting;
        char line[120];
        pytune_line(s, line, sizeof line);
        fprintf(f, "{\"setting\": \"%s\", \"line\": \"%s\", \"env\": \"ATOLL_PYTHON_GC=%s\"}", s,
                line, s);
    } else {
        fputs("null", f);
    }
    fputs(", \"settings\": [\n", f);
    for (size_t i = 0; i < t->n; i++)
        json_row(f, &t->rows[i], i + 1 == t->n);
    fputs("]}\n", f);
    return tune_file_close(f, path, err, errlen);
}

static int write_svg(const struct pytune_result *t, const char *dir, char *err, size_t errlen)
{
    char path[4200], title[200];
    struct svg_point *pts = calloc(t->n + 1, sizeof *pts);
    size_t n = 0;
    for (size_t i = 0; pts && i < t->n; i++) {
        const struct pytune_row *r = &t->rows[i];
        if (!r->failed)
            pts[n++] = (struct svg_point){t->by_pause ? r->m.worst_ms : r->m.gc_ms,
                                          (double)r->peak_rss_kb / 1024, r->setting, r->pareto,
                                          r->recommended};
    }
    snprintf(path, sizeof path, "%s/tune.svg", dir);
    snprintf(title, sizeof title, "atoll tune: Python's collector, %s against peak RSS (budget "
             "%.1f%% over the default)", t->by_pause ? "worst pause" : "time in gc",
             t->budget_pct);
    double budget = (double)t->rows[t->dflt].peak_rss_kb / 1024 * (1 + t->budget_pct / 100);
    struct svg_chart c = {title, t->by_pause ? "worst pause (median of the runs)"
                                             : "time in gc (median of the runs)",
                          "peak RSS (MiB)", " ms", NAN,
                          t->rows[t->dflt].failed ? NAN : budget, pts, n};
    int rc = pts ? svg_chart_write(&c, path, err, errlen) : -1;
    if (!pts)
        snprintf(err, errlen, "out of memory");
    free(pts);
    return rc;
}

int pytune_write_files(const struct pytune_result *t, const char *dir, char *err,
                       size_t errlen)
{
    if (write_csv(t, dir, err, errlen) || write_json(t, dir, err, errlen))
        return -1;
    return write_svg(t, dir, err, errlen);
}
