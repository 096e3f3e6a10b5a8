/* atoll tune's interfaces: the runs of the workload, their measures, the table and the
 * recommendation, the files. Each group is implemented by the file named in its comment. */
#ifndef ATOLL_TUNE_H
#define ATOLL_TUNE_H

#include "analyzer.h"

/* ---- run.c: one timed run of the workload. */
struct tune_setting {
    char threshold[48];             /* "" for a baseline without collections */
    char small_max[16];             /* ATOLL_SMALL_MAX, "" for the default */
    bool plain;                     /* without atoll at all */
};

struct tune_run {
    bool failed;
    char why[160];                  /* why it failed */
    double wall_s;
    long peak_rss_kb;
    uint64_t start_ns;              /* CLOCK_REALTIME at the start */
};

/* Runs argv once in setting s (dumps into dir, which must exist), at most timeout_s seconds. */
void tune_run_once(const struct tune_setting *s, const char *preload, const char *dir,
                   char **argv, double timeout_s, struct tune_run *r);

/* ---- measure.c: what one run's collections did, from its collections.jsonl and dumps. */
struct tune_measure {
    uint64_t collections[3];        /* per generation, the exit collection not counted */
    double pause_total_ms, pause_max_ms;
    uint64_t garbage_blocks, garbage_bytes;
    bool from_leaks;                /* latency of leaked blocks found (else: of the intervals) */
    double lat_allocs_median, lat_allocs_max, lat_s_median, lat_s_max;
};

/* -1 with the reason in err when the run left no readable collections.jsonl or dump. */
int tune_measure_dir(const char *dir, uint64_t start_ns, struct tune_measure *m, char *err,
                     size_t errlen);

/* ---- report.c: the table, the Pareto front, the recommendation and the files. */
struct tune_row {
    struct tune_setting s;
    unsigned runs, failed;
    char why[160];                  /* the first failure */
    double wall_s;                  /* medians over the successful runs from here on */
    double overhead_pct;            /* against the chosen baseline */
    double overhead_plain_pct, overhead_atoll_pct;
    long peak_rss_kb;
    struct tune_measure m;
    bool pareto, recommended, within;
};

struct tune_result {
    struct tune_row *rows;
    size_t n;
    double budget_pct;
    const char *baseline;           /* "plain" or "atoll" */
    double plain_s, atoll_s;        /* the baselines' median wall times */
    int recommended;                /* row index, -1 when none is within the budget */
};

/* Marks the Pareto front and the recommendation. */
void tune_decide(struct tune_result *t);
void tune_print(FILE *f, const struct tune_result *t);
/* tune.csv and tune.json in dir; -1 with the reason in err. */
int tune_write_files(const struct tune_result *t, const char *dir, char *err, size_t errlen);

/* ---- ../svg.c: overhead against detection latency as an SVG scatter plot. */
int svg_plot(const struct tune_result *t, const char *path, char *err, size_t errlen);

#endif
