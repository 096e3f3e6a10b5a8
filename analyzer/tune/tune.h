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
    bool python_gc;                 /* a setting of Python's collector (below) */
    char pygc[48];                  /* ATOLL_PYTHON_GC, "default" for the interpreter's own */
    bool alloc_mode;                /* python_gc: the memory run (ATOLL_MODE=alloc) */
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

/* tune.svg of the rows that ran (report.c). */
int svg_plot(const struct tune_result *t, const char *path, char *err, size_t errlen);

/* ---- files.c: what both targets' files share. */
/* dir/name created (path gets it), or NULL with the reason in err. */
FILE *tune_file_create(const char *dir, const char *name, char *path, size_t len, char *err,
                       size_t errlen);
/* Closes f: 0, or -1 with "path: write error" in err. */
int tune_file_close(FILE *f, const char *path, char *err, size_t errlen);
/* The first failure's reason as a JSON string, or null when no run failed. */
void tune_json_failure(FILE *f, unsigned failed, const char *why);

/* ---- tune.c: the options of both targets, and one run of either. */
struct tune_opts {
    const char *grid, *small, *output, *baseline, *preload, *target, *objective;
    double budget, memory_budget, timeout;
    unsigned long repeat;
};

/* Measures the run that left its files in dir; -1 with the reason in err fails the run. */
typedef int tune_measure_fn(const char *dir, const struct tune_run *r, void *out, char *err,
                            size_t errlen);
/* One run of setting s in a directory of base made and removed for it, measured by measure
 * (not for a plain run) into out. -1 when the directory cannot be made. */
int tune_one_run(const struct tune_opts *o, const char *base, const struct tune_setting *s,
                 char **prog, unsigned id, struct tune_run *r, tune_measure_fn *measure,
                 void *out);

/* ---- pydetect.c: whether PROGRAM (looked up in PATH, a script's #! followed) is CPython. */
bool tune_is_cpython(const char *prog);

/* ---- pysetting.c: settings of Python's collector in ATOLL_PYTHON_GC's syntax, "default" the
 * interpreter's own. */
extern const char pytune_default_grid[];
bool pytune_setting_ok(const char *s);
/* Splits list at spaces and ';' into out[]: the count, or -1 with the reason in err. */
int pytune_grid_parse(const char *list, char (*out)[48], int cap, char *err, size_t errlen);
/* The line that applies setting s in the program ("gc.set_threshold(10000, 10, 10)"). */
void pytune_line(const char *s, char *buf, size_t len);

/* ---- pymeasure.c: one run's collections of Python's collector, from its pygc.jsonl. */
struct pygc_rec;
struct pytune_measure {
    uint64_t collections[3];
    double gc_ms;                   /* time in collections */
    double pause_median_ms[3], pause_p99_ms[3], pause_max_ms[3];
    double worst_ms;                /* the longest pause of any generation */
    uint64_t collected, uncollectable;
};

void pytune_measure_recs(const struct pygc_rec *r, size_t n, struct pytune_measure *m);
/* *recorded: whether the run wrote a pygc.jsonl; -1 with the reason in err when unreadable. */
int pytune_measure_dir(const char *dir, struct pytune_measure *m, bool *recorded, char *err,
                       size_t errlen);

/* ---- pydecide.c: the Pareto front (time in gc or worst pause against peak RSS) and the
 * recommendation within the memory budget. */
struct pytune_row {
    char setting[48];
    unsigned runs, failed;
    char why[160];                  /* the first failure */
    double wall_s;                  /* medians over the runs from here on */
    long peak_rss_kb;
    double rss_pct;                 /* peak RSS against the default setting's */
    struct pytune_measure m;
    bool within, pareto, recommended;
};

struct pytune_result {
    struct pytune_row *rows;
    size_t n;
    size_t dflt;                    /* the row of "default" */
    double budget_pct;              /* peak RSS over the default's */
    bool by_pause;                  /* --objective pause */
    int recommended;                /* row index; -1 when even the default failed */
};

void pytune_decide(struct pytune_result *t);

/* ---- pyreport.c: the table, the lines for the program, tune.csv, tune.json and tune.svg. */
void pytune_print(FILE *f, const struct pytune_result *t);
int pytune_write_files(const struct pytune_result *t, const char *dir, char *err,
                       size_t errlen);

/* ---- pytune.c: the runs of Python's collector's settings, interleaved, and their rows. */
int pytune_cmd(const struct tune_opts *o, const char *base, char **prog);

#endif
