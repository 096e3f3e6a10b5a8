/* atoll tune's conclusions: the Pareto front of overhead against detection latency (median,
 * in allocations: deterministic where seconds are noisy), the recommendation (the lowest
 * latency within the overhead budget, the lower overhead on a tie), the table on the terminal,
 * and the same table as tune.csv and tune.json. */
#include "tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool dominates(const struct tune_row *a, const struct tune_row *b)
{
    double la = a->m.lat_allocs_median, lb = b->m.lat_allocs_median;
    return a->overhead_pct <= b->overhead_pct && la <= lb &&
           (a->overhead_pct < b->overhead_pct || la < lb);
}

void tune_decide(struct tune_result *t)
{
    t->recommended = -1;
    for (size_t i = 0; i < t->n; i++) {
        struct tune_row *r = &t->rows[i];
        r->pareto = r->recommended = false;
        if (r->failed)
            continue;
        r->within = r->overhead_pct <= t->budget_pct;
        r->pareto = true;
        for (size_t j = 0; j < t->n && r->pareto; j++)
            if (j != i && !t->rows[j].failed && dominates(&t->rows[j], r))
                r->pareto = false;
        if (!r->within)
            continue;
        const struct tune_row *best = t->recommended < 0 ? NULL : &t->rows[t->recommended];
        if (!best || r->m.lat_allocs_median < best->m.lat_allocs_median ||
            (r->m.lat_allocs_median == best->m.lat_allocs_median &&
             r->overhead_pct < best->overhead_pct))
            t->recommended = (int)i;
    }
    if (t->recommended >= 0)
        t->rows[t->recommended].recommended = true;
}

/* "ATOLL_THRESHOLD=t0,t1,t2" and " ATOLL_SMALL_MAX=n" when set. */
static void setting_env(char *buf, size_t len, const struct tune_setting *s)
{
    snprintf(buf, len, "ATOLL_THRESHOLD=%s%s%s", s->threshold, *s->small_max ? " ATOLL_SMALL_MAX=" : "",
             s->small_max);
}

void tune_print(FILE *f, const struct tune_result *t)
{
    fprintf(f, "baselines: plain %.3f s, atoll without collections %.3f s (%+.1f%%)\n",
            t->plain_s, t->atoll_s, 100 * (t->atoll_s / t->plain_s - 1));
    fprintf(f, "%-22s %8s %9s %9s %15s %10s %9s %9s %14s %12s %12s %9s %9s  %s\n", "threshold",
            "wall_s", "overhead", "vs_atoll", "collections", "pause_ms", "worst_ms", "rss_kb",
            "garbage", "lat_allocs", "max_allocs", "lat_s", "max_s", "");
    for (size_t i = 0; i < t->n; i++) {
        const struct tune_row *r = &t->rows[i];
        char name[80], counts[48], garbage[48];
        snprintf(name, sizeof name, "%s%s%s", r->s.threshold, *r->s.small_max ? " small " : "",
                 r->s.small_max);
        if (r->failed == r->runs && r->runs) {
            fprintf(f, "%-22s failed %u of %u runs: %s\n", name, r->failed, r->runs, r->why);
            continue;
        }
        snprintf(counts, sizeof counts, "%llu/%llu/%llu",
                 (unsigned long long)r->m.collections[0], (unsigned long long)r->m.collections[1],
                 (unsigned long long)r->m.collections[2]);
        snprintf(garbage, sizeof garbage, "%llu/%llu", (unsigned long long)r->m.garbage_blocks,
                 (unsigned long long)r->m.garbage_bytes);
        fprintf(f, "%-22s %8.3f %+8.1f%% %+8.1f%% %15s %10.1f %9.1f %9ld %14s %12.0f %12.0f "
                   "%9.3f %9.3f  %s%s%s%s\n",
                name, r->wall_s, r->overhead_pct, r->overhead_atoll_pct, counts,
                r->m.pause_total_ms, r->m.pause_max_ms, r->peak_rss_kb, garbage,
                r->m.lat_allocs_median, r->m.lat_allocs_max, r->m.lat_s_median, r->m.lat_s_max,
                r->m.from_leaks ? "" : "(intervals) ", r->pareto ? "pareto " : "",
                r->recommended ? "recommended " : "", r->failed ? "(some runs failed)" : "");
        if (r->failed)
            fprintf(f, "%-22s   failed %u of %u runs: %s\n", "", r->failed, r->runs, r->why);
    }
    fprintf(f, "(overhead: median wall time against the %s baseline; collections per generation "
               "0/1/2, the exit one not counted; garbage: blocks/bytes; latency: median and max, "
               "in allocations and seconds, of the garbage found, or (intervals) of a leak born at "
               "a random moment)\n",
            strcmp(t->baseline, "plain") == 0 ? "plain (no atoll)" : "atoll without collections");
    char env[120];
    if (t->recommended >= 0) {
        const struct tune_row *r = &t->rows[t->recommended];
        setting_env(env, sizeof env, &r->s);
        fprintf(f, "recommended (lowest latency within %.1f%% of the %s baseline, at %+.1f%%):\n%s\n",
                t->budget_pct, t->baseline, r->overhead_pct, env);
        return;
    }
    int lowest = -1;
    for (size_t i = 0; i < t->n; i++)
        if (!t->rows[i].failed &&
            (lowest < 0 || t->rows[i].overhead_pct < t->rows[lowest].overhead_pct))
            lowest = (int)i;
    fprintf(f, "no setting is within %.1f%% of the %s baseline", t->budget_pct, t->baseline);
    if (lowest >= 0) {
        setting_env(env, sizeof env, &t->rows[lowest].s);
        fprintf(f, "; the lowest overhead is %+.1f%%, %s", t->rows[lowest].overhead_pct, env);
    }
    fputs("\n", f);
}

static void csv_row(FILE *f, const struct tune_row *r)
{
    fprintf(f, "\"%s\",%s,%u,%u,%.6f,%.3f,%.3f,%.3f,%llu,%llu,%llu,%.3f,%.3f,%ld,%llu,%llu,%s,"
               "%.0f,%.0f,%.6f,%.6f,%d,%d\n",
            r->s.threshold, r->s.small_max, r->runs, r->failed, r->wall_s, r->overhead_pct,
            r->overhead_plain_pct, r->overhead_atoll_pct,
            (unsigned long long)r->m.collections[0], (unsigned long long)r->m.collections[1],
            (unsigned long long)r->m.collections[2], r->m.pause_total_ms, r->m.pause_max_ms,
            r->peak_rss_kb, (unsigned long long)r->m.garbage_blocks,
            (unsigned long long)r->m.garbage_bytes, r->m.from_leaks ? "leaks" : "intervals",
            r->m.lat_allocs_median, r->m.lat_allocs_max, r->m.lat_s_median, r->m.lat_s_max,
            r->pareto, r->recommended);
}

static void json_row(FILE *f, const struct tune_row *r, bool last)
{
    fprintf(f, "  {\"threshold\": \"%s\", \"small_max\": \"%s\", \"runs\": %u, \"failed\": %u, "
               "\"failure\": ", r->s.threshold, r->s.small_max, r->runs, r->failed);
    tune_json_failure(f, r->failed, r->why);
    fprintf(f, ", \"wall_s\": %.6f, \"overhead_pct\": %.3f, \"overhead_plain_pct\": %.3f, "
               "\"overhead_atoll_pct\": %.3f, \"collections\": [%llu, %llu, %llu], "
               "\"pause_total_ms\": %.3f, \"pause_max_ms\": %.3f, \"peak_rss_kb\": %ld, "
               "\"garbage_blocks\": %llu, \"garbage_bytes\": %llu, \"latency_from\": \"%s\", "
               "\"latency_allocs_median\": %.0f, \"latency_allocs_max\": %.0f, "
               "\"latency_s_median\": %.6f, \"latency_s_max\": %.6f, \"pareto\": %s, "
               "\"recommended\": %s}%s\n",
            r->wall_s, r->overhead_pct, r->overhead_plain_pct, r->overhead_atoll_pct,
            (unsigned long long)r->m.collections[0], (unsigned long long)r->m.collections[1],
            (unsigned long long)r->m.collections[2], r->m.pause_total_ms, r->m.pause_max_ms,
            r->peak_rss_kb, (unsigned long long)r->m.garbage_blocks,
            (unsigned long long)r->m.garbage_bytes, r->m.from_leaks ? "leaks" : "intervals",
            r->m.lat_allocs_median, r->m.lat_allocs_max, r->m.lat_s_median, r->m.lat_s_max,
            r->pareto ? "true" : "false", r->recommended ? "true" : "false", last ? "" : ",");
}

int tune_write_files(const struct tune_result *t, const char *dir, char *err, size_t errlen)
{
    char path[4200];
    FILE *f = tune_file_create(dir, "tune.csv", path, sizeof path, err, errlen);
    if (!f)
        return -1;
    fputs("threshold,small_max,runs,failed,wall_s,overhead_pct,overhead_plain_pct,"
          "overhead_atoll_pct,collections_gen0,collections_gen1,collections_gen2,pause_total_ms,"
          "pause_max_ms,peak_rss_kb,garbage_blocks,garbage_bytes,latency_from,"
          "latency_allocs_median,latency_allocs_max,latency_s_median,latency_s_max,pareto,"
          "recommended\n", f);
    for (size_t i = 0; i < t->n; i++)
        csv_row(f, &t->rows[i]);
    if (tune_file_close(f, path, err, errlen) ||
        !(f = tune_file_create(dir, "tune.json", path, sizeof path, err, errlen)))
        return -1;
    fprintf(f, "{\"baseline\": \"%s\", \"budget_pct\": %.3f, \"plain_s\": %.6f, \"atoll_s\": %.6f, "
               "\"recommended\": ", t->baseline, t->budget_pct, t->plain_s, t->atoll_s);
    if (t->recommended >= 0) {
        char env[120];
        setting_env(env, sizeof env, &t->rows[t->recommended].s);
        fprintf(f, "\"%s\"", env);
    } else {
        fputs("null", f);
    }
    fputs(", \"settings\": [\n", f);
    for (size_t i = 0; i < t->n; i++)
        json_row(f, &t->rows[i], i + 1 == t->n);
    fputs("]}\n", f);
    return tune_file_close(f, path, err, errlen);
}

int svg_plot(const struct tune_result *t, const char *path, char *err, size_t errlen)
{
    struct svg_point *pts = calloc(t->n + 1, sizeof *pts);
    char (*labels)[80] = calloc(t->n + 1, sizeof *labels);
    char title[200];
    size_t n = 0;
    for (size_t i = 0; pts && labels && i < t->n; i++) {
        const struct tune_row *r = &t->rows[i];
        if (r->failed)
            continue;
        snprintf(labels[n], sizeof *labels, "%s%s%s", r->s.threshold,
                 *r->s.small_max ? " small " : "", r->s.small_max);
        pts[n] = (struct svg_point){r->overhead_pct, r->m.lat_allocs_median, labels[n],
                                    r->pareto, r->recommended};
        n++;
    }
    snprintf(title, sizeof title, "atoll tune: overhead against detection latency (budget "
             "%.1f%%, %s baseline)", t->budget_pct, t->baseline);
    struct svg_chart c = {title, "overhead (wall time)", "median detection latency "
                          "(allocations)", "%", t->budget_pct, NAN, pts, n};
    int rc = pts && labels ? svg_chart_write(&c, path, err, errlen) : -1;
    if (!pts || !labels)
        snprintf(err, errlen, "out of memory");
    free(pts), free(labels);
    return rc;
}
