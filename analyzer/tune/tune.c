/* `atoll tune [options] -- PROGRAM [ARGS...]`: the options, and the target they choose. For
 * CPython (pydetect.c) the default target is the interpreter's collector (pytune.c). Otherwise,
 * or with --target atoll, it runs the workload without atoll, under atoll without collections,
 * and under atoll with each setting of a grid of thresholds (and ATOLL_SMALL_MAX values), each
 * --repeat times, interleaved so that a drift of the machine's load touches every setting
 * alike; measures every run (run.c, measure.c), takes the medians, and reports (report.c,
 * ../svg.c). */
#include "tune.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_GRID = 600, OPT_SMALL, OPT_BUDGET, OPT_REPEAT, OPT_TIMEOUT, OPT_OUT, OPT_BASE,
       OPT_TPRELOAD, OPT_TARGET, OPT_OBJECTIVE, OPT_MEMBUDGET };

static const char tune_help[] =
    "usage: atoll tune [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "When PROGRAM is CPython (the interpreter, or a script whose #! line runs it), tune its\n"
    "collector (--target python-gc): run PROGRAM under atoll with each setting of\n"
    "ATOLL_PYTHON_GC and with the interpreter's default; measure wall time, time in gc, the\n"
    "pauses per generation (median, p99, max), peak RSS and objects collected; recommend the\n"
    "setting with the least time in gc (or the shortest worst pause) whose peak RSS is within\n"
    "the memory budget over the default's, as the line for the program and as\n"
    "ATOLL_PYTHON_GC. Exit status 0 with a recommendation, 2 on bad input or when the default\n"
    "setting fails.\n"
    "\n"
    "  --target python-gc|atoll  what to tune (default python-gc for CPython, else atoll)\n"
    "  --grid 'SETTING ...'      settings, separated by spaces or ';': default, off, freeze,\n"
    "                            T0,T1,T2 or freeze+T0,T1,T2 (default 700,10,10 2000,10,10\n"
    "                            5000,10,10 10000,10,10 20000,10,10 50000,10,10\n"
    "                            100000,10,10 1000000,10,10 10000,20,20 10000,50,100 off\n"
    "                            freeze freeze+10000,10,10 freeze+100000,10,10); the default\n"
    "                            setting always runs\n"
    "  --objective time|pause    least time in gc (default) or shortest worst pause\n"
    "  --memory-budget P[%]      peak RSS allowed over the default's (default 10%)\n"
    "\n"
    "With --target atoll (ATOLL_THRESHOLD): run PROGRAM without atoll (the plain baseline),\n"
    "under atoll without collections (the atoll baseline), and under atoll with each\n"
    "threshold setting; measure wall-time overhead, collections per generation, total and\n"
    "worst pause, peak RSS, garbage found and detection latency (allocations and seconds from\n"
    "a leaked block's allocation to the collection that found it); print the table, mark the\n"
    "Pareto front (overhead against latency), and recommend the lowest-latency setting within\n"
    "the overhead budget as an ATOLL_THRESHOLD line. Exit status 0 with a recommendation, 1\n"
    "when no setting is within the budget, 2 on bad input or a failed baseline.\n"
    "\n"
    "  --grid 'T0,T1,T2 ...'   settings, separated by spaces or ';' (default 700,10,10\n"
    "                          2000,10,10 7000,10,10 20000,10,10 70000,10,10 200000,10,10\n"
    "                          700000,10,10 2000000,10,10)\n"
    "  --small-max 'N ...'     also try these ATOLL_SMALL_MAX values (0..512) with each\n"
    "  --budget P[%]           overhead budget in percent (default 10%)\n"
    "  --baseline atoll|plain  what the budget is measured against: PROGRAM under atoll\n"
    "                          without collections (default: a threshold controls\n"
    "                          collections, not the cost of recording stacks) or without atoll\n"
    "\n"
    "Both targets:\n"
    "  --repeat N              runs per setting, medians reported (default 3)\n"
    "  --timeout S             seconds a run may take before it is killed (default 600)\n"
    "  --output DIR            where the files go, created if missing (default the current\n"
    "                          directory); the runs' dumps go to a temporary directory there\n"
    "  --preload LIB           preload LIB instead of the libatoll.so beside atoll\n"
    "  --help                  this text\n";

static const char default_grid[] = "700,10,10 2000,10,10 7000,10,10 20000,10,10 70000,10,10 "
                                   "200000,10,10 700000,10,10 2000000,10,10";

/* Splits list at spaces and ';' into dst[], each checked by ok; returns the count or -1. */
static int split(const char *list, char (*dst)[48], int cap, bool (*ok)(const char *),
                 const char *what)
{
    char buf[4096];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, " ;", &save); t; t = strtok_r(NULL, " ;", &save)) {
        if (!ok(t) || n == cap) {
            cli_usage_error("tune", n == cap ? "too many %s values" : "bad %s value '%s'", what,
                            t);
            return -1;
        }
        snprintf(dst[n++], 48, "%s", t);
    }
    if (!n)
        cli_usage_error("tune", "no %s values", what);
    return n ? n : -1;
}

static bool ok_threshold(const char *s)
{
    unsigned long v[3];
    char tail;
    if (strlen(s) > 32 || sscanf(s, "%lu,%lu,%lu%c", &v[0], &v[1], &v[2], &tail) != 3)
        return false;
    for (const char *p = s; *p; p++)
        if ((*p < '0' || *p > '9') && *p != ',')
            return false;
    return v[0] > 0 && v[0] <= 0x7FFFFFFF && v[1] <= 0x7FFFFFFF && v[2] <= 0x7FFFFFFF;
}

static bool ok_small(const char *s)
{
    unsigned long v;
    return cli_parse_uint(s, 512, &v);
}

/* "P" or "P%" into *v; false when it is no percentage. */
static bool parse_pct(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && (!*end || strcmp(end, "%") == 0) && *v >= 0 && *v <= 1e6;
}

/* An option whose argument is one of two words, into *out; 2 after the usage line if not. */
static int choice(const char *opt, const char *arg, const char *a, const char *b,
                  const char **out)
{
    if (strcmp(arg, a) != 0 && strcmp(arg, b) != 0)
        return cli_usage_error("tune", "%s wants %s or %s, not '%s'", opt, a, b, arg);
    *out = arg;
    return -1;
}

/* The options that belong to one target only, refused with the other. */
static int target_check(struct tune_opts *o, const char *prog)
{
    if (!o->target)
        o->target = tune_is_cpython(prog) ? "python-gc" : "atoll";
    bool py = strcmp(o->target, "python-gc") == 0;
    const char *wrong = py ? (o->small ? "--small-max" : o->baseline ? "--baseline"
                                                       : !isnan(o->budget) ? "--budget" : NULL)
                           : (o->objective ? "--objective"
                              : !isnan(o->memory_budget) ? "--memory-budget" : NULL);
    if (wrong)
        return cli_usage_error("tune", "%s is for --target %s, and %s is tuned here", wrong,
                               py ? "atoll" : "python-gc", o->target);
    if (!o->grid)
        o->grid = py ? pytune_default_grid : default_grid;
    if (isnan(o->budget))
        o->budget = 10;
    if (isnan(o->memory_budget))
        o->memory_budget = 10;
    if (!o->baseline)
        o->baseline = "atoll";
    if (!o->objective)
        o->objective = "time";
    return -1;
}

static int parse(int argc, char **argv, struct tune_opts *o)
{
    static const struct option longopts[] = {
        {"grid", required_argument, 0, OPT_GRID},
        {"small-max", required_argument, 0, OPT_SMALL},
        {"budget", required_argument, 0, OPT_BUDGET},
        {"baseline", required_argument, 0, OPT_BASE},
        {"repeat", required_argument, 0, OPT_REPEAT},
        {"timeout", required_argument, 0, OPT_TIMEOUT},
        {"output", required_argument, 0, OPT_OUT},
        {"preload", required_argument, 0, OPT_TPRELOAD},
        {"target", required_argument, 0, OPT_TARGET},
        {"objective", required_argument, 0, OPT_OBJECTIVE},
        {"memory-budget", required_argument, 0, OPT_MEMBUDGET},
        {"help", no_argument, 0, OPT_HELP},
        {0, 0, 0, 0},
    };
    int opt, rc;
    char *end;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_HELP:
            fputs(tune_help, stdout);
            return 0;
        case '?':
            return cli_usage_error("tune", "unknown option '%s'", argv[optind - 1]);
        case ':':
            return cli_usage_error("tune", "option '%s' needs an argument", argv[optind - 1]);
        case OPT_GRID:
            o->grid = optarg;
            break;
        case OPT_SMALL:
            o->small = optarg;
            break;
        case OPT_BUDGET:
            if (!parse_pct(optarg, &o->budget))
                return cli_usage_error("tune", "--budget wants a percentage, not '%s'", optarg);
            break;
        case OPT_MEMBUDGET:
            if (!parse_pct(optarg, &o->memory_budget))
                return cli_usage_error("tune", "--memory-budget wants a percentage, not '%s'",
                                       optarg);
            break;
        case OPT_TARGET:
            if ((rc = choice("--target", optarg, "python-gc", "atoll", &o->target)) >= 0)
                return rc;
            break;
        case OPT_OBJECTIVE:
            if ((rc = choice("--objective", optarg, "time", "pause", &o->objective)) >= 0)
                return rc;
            break;
        case OPT_BASE:
            if ((rc = choice("--baseline", optarg, "atoll", "plain", &o->baseline)) >= 0)
                return rc;
            break;
        case OPT_REPEAT:
            if (!cli_parse_uint(optarg, 1000, &o->repeat) || !o->repeat)
                return cli_usage_error("tune", "--repeat wants 1..1000, not '%s'", optarg);
            break;
        case OPT_TIMEOUT:
            o->timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(o->timeout > 0) || o->timeout > 86400)
                return cli_usage_error("tune", "--timeout wants seconds, not '%s'", optarg);
            break;
        case OPT_OUT:
            o->output = optarg;
            break;
        case OPT_TPRELOAD:
            o->preload = optarg;
            break;
        }
    }
    if (optind == argc)
        return cli_usage_error("tune", "missing PROGRAM");
    return target_check(o, argv[optind]);
}

/* Removes a run directory (files only). */
static void remove_run(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4400];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%.4100s/%.255s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Every run of one setting: its wall times and measures, for the medians. */
struct samples {
    struct tune_run *runs;
    struct tune_measure *m;
};

static double med(double *v, size_t n)
{
    return stats_median(v, n);
}

/* The row of a setting from its successful runs (medians of each figure). */
static void summarize(struct tune_row *row, const struct samples *s, unsigned n)
{
    double v[9][1024];
    size_t k = 0;
    for (unsigned i = 0; i < n && k < 1024; i++) {
        if (s->runs[i].failed)
            continue;
        const struct tune_measure *m = &s->m[i];
        double vals[9] = {s->runs[i].wall_s, (double)s->runs[i].peak_rss_kb, m->pause_total_ms,
                          m->pause_max_ms, (double)m->garbage_blocks, (double)m->garbage_bytes,
                          (double)m->collections[0], (double)m->collections[1],
                          (double)m->collections[2]};
        for (int j = 0; j < 9; j++)
            v[j][k] = vals[j];
        k++;
    }
    double lat[4][1024];
    size_t nl = 0;
    for (unsigned i = 0; i < n && nl < 1024; i++)
        if (!s->runs[i].failed) {
            lat[0][nl] = s->m[i].lat_allocs_median;
            lat[1][nl] = s->m[i].lat_allocs_max;
            lat[2][nl] = s->m[i].lat_s_median;
            lat[3][nl++] = s->m[i].lat_s_max;
            row->m.from_leaks = s->m[i].from_leaks;
        }
    row->wall_s = med(v[0], k);
    row->peak_rss_kb = (long)med(v[1], k);
    row->m.pause_total_ms = med(v[2], k);
    row->m.pause_max_ms = med(v[3], k);
    row->m.garbage_blocks = (uint64_t)med(v[4], k);
    row->m.garbage_bytes = (uint64_t)med(v[5], k);
    for (int g = 0; g < 3; g++)
        row->m.collections[g] = (uint64_t)med(v[6 + g], k);
    row->m.lat_allocs_median = med(lat[0], nl);
    row->m.lat_allocs_max = med(lat[1], nl);
    row->m.lat_s_median = med(lat[2], nl);
    row->m.lat_s_max = med(lat[3], nl);
}

int tune_one_run(const struct tune_opts *o, const char *base, const struct tune_setting *s,
                 char **prog, unsigned id, struct tune_run *r, tune_measure_fn *measure,
                 void *out)
{
    char dir[4200], err[1200];
    snprintf(dir, sizeof dir, "%.4100s/run-%u", base, id);
    if (mkdir(dir, 0700)) {
        fprintf(stderr, "atoll tune: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    tune_run_once(s, o->preload, dir, prog, o->timeout, r);
    if (!r->failed && !s->plain && measure(dir, r, out, err, sizeof err)) {
        r->failed = true;
        snprintf(r->why, sizeof r->why, "%.150s", err);
    }
    remove_run(dir);
    return 0;
}

static int measure_atoll(const char *dir, const struct tune_run *r, void *out, char *err,
                         size_t errlen)
{
    return tune_measure_dir(dir, r->start_ns, out, err, errlen);
}

static void progress_line(unsigned done, unsigned total, const struct tune_setting *s,
                          unsigned rep, const struct tune_opts *o, const struct tune_run *r,
                          const struct tune_measure *m)
{
    const char *name = s->plain ? "plain (no atoll)" : *s->threshold ? s->threshold
                                                                     : "atoll, no collections";
    fprintf(stderr, "atoll tune: [%u/%u] %s%s%s, run %u/%lu: ", done, total, name,
            *s->small_max ? " small " : "", s->small_max, rep + 1, o->repeat);
    if (r->failed)
        fprintf(stderr, "FAILED: %s\n", r->why);
    else if (s->plain)
        fprintf(stderr, "%.3f s\n", r->wall_s);
    else
        fprintf(stderr, "%.3f s, %llu collections, garbage %llu blocks\n", r->wall_s,
                (unsigned long long)(m->collections[0] + m->collections[1] + m->collections[2]),
                (unsigned long long)m->garbage_blocks);
}

/* The atoll target: the baselines and the grid of thresholds. */
static int tune_atoll(const struct tune_opts *o, const char *base, char **prog)
{
    int rc;
    static char grid[64][48], small[16][48];
    int ng = split(o->grid, grid, 64, ok_threshold, "--grid"), ns = 1;
    if (ng < 0)
        return 2;
    small[0][0] = 0;
    if (o->small && (ns = split(o->small, small, 16, ok_small, "--small-max")) < 0)
        return 2;
    /* settings: 0 plain, 1 atoll without collections, then the grid */
    size_t nset = 2 + (size_t)ng * (size_t)ns;
    struct tune_setting *set = calloc(nset, sizeof *set);
    struct samples *smp = calloc(nset, sizeof *smp);
    struct tune_row *rows = calloc(nset, sizeof *rows);
    rc = 2;
    if (!set || !smp || !rows)
        goto out;
    set[0].plain = true;
    for (int i = 0; i < ng; i++)
        for (int j = 0; j < ns; j++) {
            snprintf(set[2 + i * ns + j].threshold, sizeof set->threshold, "%.47s", grid[i]);
            snprintf(set[2 + i * ns + j].small_max, sizeof set->small_max, "%.15s", small[j]);
        }
    for (size_t i = 0; i < nset; i++) {
        smp[i].runs = calloc(o->repeat, sizeof *smp[i].runs);
        smp[i].m = calloc(o->repeat, sizeof *smp[i].m);
        if (!smp[i].runs || !smp[i].m)
            goto out;
    }
    unsigned total = (unsigned)(nset * o->repeat), done = 0;
    for (unsigned rep = 0; rep < o->repeat; rep++)
        for (size_t i = 0; i < nset; i++) {
            if (tune_one_run(o, base, &set[i], prog, done, &smp[i].runs[rep], measure_atoll,
                             &smp[i].m[rep]))
                goto out;
            progress_line(++done, total, &set[i], rep, o, &smp[i].runs[rep], &smp[i].m[rep]);
            if (i < 2 && smp[i].runs[rep].failed) {
                fprintf(stderr, "atoll tune: the %s baseline failed: %s\n",
                        i ? "atoll" : "plain", smp[i].runs[rep].why);
                goto out;
            }
        }
    for (size_t i = 0; i < nset; i++) {
        rows[i].s = set[i];
        rows[i].runs = (unsigned)o->repeat;
        for (unsigned rep = 0; rep < o->repeat; rep++)
            if (smp[i].runs[rep].failed && !rows[i].failed++)
                snprintf(rows[i].why, sizeof rows[i].why, "%s", smp[i].runs[rep].why);
        summarize(&rows[i], &smp[i], (unsigned)o->repeat);
    }
    struct tune_result t = {rows + 2, nset - 2, o->budget, o->baseline, rows[0].wall_s,
                            rows[1].wall_s, -1};
    double base_s = strcmp(o->baseline, "plain") == 0 ? t.plain_s : t.atoll_s;
    for (size_t i = 0; i < t.n; i++) {
        t.rows[i].overhead_plain_pct = 100 * (t.rows[i].wall_s / t.plain_s - 1);
        t.rows[i].overhead_atoll_pct = 100 * (t.rows[i].wall_s / t.atoll_s - 1);
        t.rows[i].overhead_pct = 100 * (t.rows[i].wall_s / base_s - 1);
    }
    tune_decide(&t);
    tune_print(stdout, &t);
    char err[4400], svg[4300];
    snprintf(svg, sizeof svg, "%.4000s/tune.svg", o->output);
    if (tune_write_files(&t, o->output, err, sizeof err) || svg_plot(&t, svg, err, sizeof err)) {
        fprintf(stderr, "atoll tune: %s\n", err);
        goto out;
    }
    printf("wrote %s/tune.csv, %s/tune.json, %s\n", o->output, o->output, svg);
    rc = t.recommended >= 0 ? 0 : 1;
out:
    for (size_t i = 0; smp && i < nset; i++)
        free(smp[i].runs), free(smp[i].m);
    free(set), free(smp), free(rows);
    return rc;
}

int cmd_tune(int argc, char **argv)
{
    struct tune_opts o = {.output = ".", .budget = NAN, .memory_budget = NAN, .timeout = 600,
                          .repeat = 3};
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    char *found = NULL, base[4200];
    if (!o.preload && !(o.preload = found = run_find_preload("/proc/self/exe"))) {
        fputs("atoll tune: cannot find libatoll.so beside the atoll binary\n", stderr);
        return 2;
    }
    snprintf(base, sizeof base, "%.4000s/.atoll-tune.XXXXXX", o.output);
    if ((mkdir(o.output, 0777) && errno != EEXIST) || !mkdtemp(base)) {
        fprintf(stderr, "atoll tune: cannot create a directory in %s: %s\n", o.output,
                strerror(errno));
        free(found);
        return 2;
    }
    rc = strcmp(o.target, "python-gc") == 0 ? pytune_cmd(&o, base, argv + optind)
                                            : tune_atoll(&o, base, argv + optind);
    rmdir(base);
    free(found);
    return rc;
}
