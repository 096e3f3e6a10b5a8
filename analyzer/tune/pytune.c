/* atoll tune's target python-gc: PROGRAM run under atoll with the interpreter's default
 * collector and with each setting of the grid through ATOLL_PYTHON_GC, each --repeat times,
 * interleaved so that a drift of the machine's load touches every setting alike. A sample is
 * two runs: one in profile mode (no atoll collection but the exit one) whose pygc.jsonl gives
 * the collector's figures (pymeasure.c), and one in alloc mode with CPython's own allocator
 * for the wall time and the peak RSS, which profile mode inflates with the stacks it records
 * for each block (a fixed cost that would hide the garbage a setting keeps). The medians are
 * taken per setting, then the decision (pydecide.c) and the report (pyreport.c). */
#include "tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pysample {
    struct tune_run run;            /* profile mode: the collector's figures */
    struct tune_run mem;            /* alloc mode: wall time and peak RSS */
    struct pytune_measure m;
    bool recorded;                  /* the run wrote a pygc.jsonl */
};

static const struct tune_run *failed(const struct pysample *p)
{
    return p->run.failed ? &p->run : p->mem.failed ? &p->mem : NULL;
}

static int measure(const char *dir, const struct tune_run *r, void *out, char *err,
                   size_t errlen)
{
    struct pysample *p = out;
    (void)r;
    return pytune_measure_dir(dir, &p->m, &p->recorded, err, errlen);
}

/* The default setting's first run also keeps its exit dump (the process with the most blocks:
 * the program rather than a helper it started) as base/garbage.atoll, for the sites of its
 * cyclic garbage. */
struct keep {
    struct pysample *p;
    const char *dest;
};

static int measure_keep(const char *dir, const struct tune_run *r, void *out, char *err,
                        size_t errlen)
{
    struct keep *k = out;
    char path[4200];
    struct collection_rec *c;
    size_t n, best = 0;
    if (measure(dir, r, k->p, err, errlen))
        return -1;
    snprintf(path, sizeof path, "%s/collections.jsonl", dir);
    if (jsonl_read(path, &c, &n, err, errlen))
        return 0;               /* no sites to show, the figures stand */
    for (size_t i = 1; i < n; i++)
        if (strcmp(c[i].trigger, "exit") == 0 &&
            (strcmp(c[best].trigger, "exit") != 0 || c[i].blocks > c[best].blocks))
            best = i;
    if (n && strcmp(c[best].trigger, "exit") == 0)
        rename(c[best].dump, k->dest);
    free(c);
    return 0;
}

/* The report's CYCLIC GARBAGE BY SITE rows of the kept dump: removing those cycles beats any
 * threshold. Nothing when the dump or the section is missing. */
static void print_sites(FILE *f, const char *dump)
{
    struct report_opts ro = {.format = FORMAT_TEXT, .top = 5, .error_exitcode = -1};
    char *text = NULL, err[600];
    size_t len = 0;
    bool leaked;
    FILE *mem = open_memstream(&text, &len);
    char *const paths[] = {(char *)dump};
    int rc = mem ? cli_report(&ro, paths, 1, mem, false, &leaked, err, sizeof err) : -1;
    if (mem)
        fclose(mem);
    const char *sec = rc == 0 && text ? strstr(text, "\nCYCLIC GARBAGE BY SITE") : NULL;
    if (sec) {
        const char *end = strstr(sec + 1, "\n\n");
        fprintf(f, "where the default setting's cyclic garbage was made (removing those cycles "
                   "beats any threshold; atoll run shows their shapes):\n");
        for (const char *l = sec + 1; l && (!end || l < end);) {
            if (*l == '#')
                fprintf(f, "  %.*s\n", (int)strcspn(l, "\n"), l);
            if ((l = strchr(l, '\n')))
                l++;
        }
    }
    free(text);
}

static int measure_nothing(const char *dir, const struct tune_run *r, void *out, char *err,
                           size_t errlen)
{
    (void)dir, (void)r, (void)out, (void)err, (void)errlen;
    return 0;
}

static void progress_line(unsigned done, unsigned total, const char *setting, unsigned rep,
                          unsigned long repeat, const struct pysample *p)
{
    fprintf(stderr, "atoll tune: [%u/%u] %s, run %u/%lu: ", done, total, setting, rep + 1,
            repeat);
    if (failed(p))
        fprintf(stderr, "FAILED: %s\n", failed(p)->why);
    else
        fprintf(stderr, "%.2f ms in gc (%llu/%llu/%llu collections), worst pause %.2f ms; "
                        "without profiling %.3f s, peak RSS %.1f MiB\n",
                p->m.gc_ms, (unsigned long long)p->m.collections[0],
                (unsigned long long)p->m.collections[1], (unsigned long long)p->m.collections[2],
                p->m.worst_ms, p->mem.wall_s, (double)p->mem.peak_rss_kb / 1024);
}

/* Medians over the setting's successful runs, figure by figure. */
static void summarize(struct pytune_row *row, const struct pysample *s, unsigned n)
{
    enum { F = 15 };
    double *v = malloc((size_t)F * (n ? n : 1) * sizeof *v);
    size_t k = 0;
    if (!v)
        return;
    for (unsigned i = 0; i < n; i++) {
        if (failed(&s[i]))
            continue;
        const struct pytune_measure *m = &s[i].m;
        double vals[F] = {s[i].mem.wall_s, (double)s[i].mem.peak_rss_kb, m->gc_ms, m->worst_ms,
                          (double)m->collected, (double)m->uncollectable};
        for (int g = 0; g < 3; g++) {
            vals[6 + g] = (double)m->collections[g];
            vals[9 + g] = m->pause_median_ms[g];
            vals[12 + g] = m->pause_p99_ms[g];
        }
        for (int j = 0; j < F; j++)
            v[(size_t)j * n + k] = vals[j];
        k++;
    }
#define MED(j) stats_median(v + (size_t)(j) * n, k)
    row->wall_s = MED(0);
    row->peak_rss_kb = (long)MED(1);
    row->m.gc_ms = MED(2);
    row->m.worst_ms = MED(3);
    row->m.collected = (uint64_t)MED(4);
    row->m.uncollectable = (uint64_t)MED(5);
    for (int g = 0; g < 3; g++) {
        row->m.collections[g] = (uint64_t)MED(6 + g);
        row->m.pause_median_ms[g] = MED(9 + g);
        row->m.pause_p99_ms[g] = MED(12 + g);
    }
#undef MED
    /* the max per generation: the median of the runs' maxima */
    for (int g = 0; g < 3; g++) {
        size_t c = 0;
        for (unsigned i = 0; i < n; i++)
            if (!failed(&s[i]))
                v[c++] = s[i].m.pause_max_ms[g];
        row->m.pause_max_ms[g] = stats_median(v, c);
    }
    free(v);
}

int pytune_cmd(const struct tune_opts *o, const char *base, char **prog)
{
    static char grid[65][48];
    char err[300];
    int ng = pytune_grid_parse(o->grid, grid + 1, 64, err, sizeof err);
    if (ng < 0)
        return cli_usage_error("tune", "%s", err);
    /* the default first, once, whether the grid names it or not */
    snprintf(grid[0], sizeof grid[0], "default");
    size_t nset = 1;
    for (int i = 1; i <= ng; i++)
        if (strcmp(grid[i], "default") != 0)
            memcpy(grid[nset++], grid[i], sizeof grid[i]);
    char garbage[4300];
    snprintf(garbage, sizeof garbage, "%.4200s/garbage.atoll", base);
    struct tune_setting *set = calloc(nset, sizeof *set);
    struct pysample *smp = calloc(nset * o->repeat, sizeof *smp);
    struct pytune_row *rows = calloc(nset, sizeof *rows);
    int rc = 2;
    if (!set || !smp || !rows) {
        fputs("atoll tune: out of memory\n", stderr);
        goto out;
    }
    for (size_t i = 0; i < nset; i++) {
        set[i].python_gc = true;
        memcpy(set[i].pygc, grid[i], sizeof set[i].pygc);
    }
    unsigned total = (unsigned)(nset * o->repeat), done = 0;
    for (unsigned rep = 0; rep < o->repeat; rep++)
        for (size_t i = 0; i < nset; i++) {
            struct pysample *p = &smp[i * o->repeat + rep];
            struct tune_setting mem = set[i];
            mem.alloc_mode = true;
            struct keep k = {p, garbage};
            bool keep = i == 0 && rep == 0;
            if (tune_one_run(o, base, &set[i], prog, 2 * done, &p->run,
                             keep ? measure_keep : measure, keep ? (void *)&k : p) ||
                tune_one_run(o, base, &mem, prog, 2 * done + 1, &p->mem, measure_nothing, NULL))
                goto out;
            progress_line(++done, total, set[i].pygc, rep, o->repeat, p);
            if (i == 0 && failed(p)) {
                fprintf(stderr, "atoll tune: the default setting failed: %s\n", failed(p)->why);
                goto out;
            }
        }
    bool recorded = false;
    for (unsigned rep = 0; rep < o->repeat; rep++)
        recorded |= smp[rep].recorded;
    if (!recorded) {
        fprintf(stderr, "atoll tune: %s recorded no collection of Python's collector with its "
                        "default setting (no pygc.jsonl): not a CPython 3.8 to 3.13 program, or "
                        "one too short to collect; --target atoll tunes atoll's collections\n",
                prog[0]);
        goto out;
    }
    for (size_t i = 0; i < nset; i++) {
        struct pytune_row *r = &rows[i];
        snprintf(r->setting, sizeof r->setting, "%s", set[i].pygc);
        r->runs = (unsigned)o->repeat;
        for (unsigned rep = 0; rep < o->repeat; rep++) {
            const struct tune_run *bad = failed(&smp[i * o->repeat + rep]);
            if (bad && !r->failed++)
                snprintf(r->why, sizeof r->why, "%s", bad->why);
        }
        summarize(r, &smp[i * o->repeat], (unsigned)o->repeat);
    }
    struct pytune_result t = {rows, nset, 0, o->memory_budget,
                              strcmp(o->objective, "pause") == 0, -1};
    pytune_decide(&t);
    pytune_print(stdout, &t);
    print_sites(stdout, garbage);
    if (pytune_write_files(&t, o->output, err, sizeof err)) {
        fprintf(stderr, "atoll tune: %s\n", err);
        goto out;
    }
    printf("wrote %s/tune.csv, %s/tune.json, %s/tune.svg\n", o->output, o->output, o->output);
    rc = t.recommended >= 0 ? 0 : 2;
out:
    unlink(garbage);
    free(set), free(smp), free(rows);
    return rc;
}
