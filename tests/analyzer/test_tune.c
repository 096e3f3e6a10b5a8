/* atoll tune for Python's collector, without running anything: the grid's syntax, the line
 * each setting becomes, the decision (objective, memory budget, `off` only within it, failed
 * settings never) on synthetic rows, one run's figures from pygc.jsonl records, and which
 * programs are CPython. */
#include "support.h"

#include "python/pygc.h"
#include "tune/tune.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(grid_parses_every_form)
{
    char g[8][48], err[200];
    int n = pytune_grid_parse("default off;freeze  700,10,10 freeze+10000,20,30", g, 8, err,
                              sizeof err);
    ck_assert_int_eq(n, 5);
    ck_assert_str_eq(g[0], "default");
    ck_assert_str_eq(g[1], "off");
    ck_assert_str_eq(g[2], "freeze");
    ck_assert_str_eq(g[3], "700,10,10");
    ck_assert_str_eq(g[4], "freeze+10000,20,30");
    /* the default grid parses, from t0 = 700 to 1,000,000, with off and freeze */
    char d[64][48];
    n = pytune_grid_parse(pytune_default_grid, d, 64, err, sizeof err);
    ck_assert_int_ge(n, 10);
    ck_assert_str_eq(d[0], "700,10,10");
    bool off = false, freeze = false, million = false, raised_freeze = false;
    for (int i = 0; i < n; i++) {
        off |= !strcmp(d[i], "off");
        freeze |= !strcmp(d[i], "freeze");
        million |= !strcmp(d[i], "1000000,10,10");
        raised_freeze |= !strncmp(d[i], "freeze+", 7);
    }
    ck_assert(off && freeze && million && raised_freeze);
}
END_TEST

static const char *const bad_settings[] = {
    "0,10,10", "700,10", "700,10,10,10", "700,,10", "-1,10,10", "2147483648,10,10",
    "freeze+", "freeze+0,10,10", "freeze+off", "of", "Off", "700,10,10x", " ", "700;10;10",
    "freeze+700,10", "99999999999,1,1", "default+700,10,10",
};

START_TEST(grid_rejects_bad_settings)
{
    char g[8][48], err[200];
    const char *s = bad_settings[_i];
    int n = pytune_grid_parse(s, g, 8, err, sizeof err);
    ck_assert_msg(n == -1, "'%s' parsed as %d settings", s, n);
    ck_assert_msg(strstr(err, "--grid"), "'%s': %s", s, err);
}
END_TEST

START_TEST(grid_errors_say_why)
{
    char g[2][48], err[200];
    ck_assert_int_eq(pytune_grid_parse("700,10", g, 2, err, sizeof err), -1);
    ck_assert_str_eq(err, "bad --grid value '700,10' (default, off, freeze, T0,T1,T2 or "
                          "freeze+T0,T1,T2, T0 > 0)");
    ck_assert_int_eq(pytune_grid_parse("off off", g, 2, err, sizeof err), -1);
    ck_assert_str_eq(err, "--grid has 'off' twice");
    ck_assert_int_eq(pytune_grid_parse("off freeze 700,1,1", g, 2, err, sizeof err), -1);
    ck_assert_str_eq(err, "--grid has more than 2 settings");
    ck_assert_int_eq(pytune_grid_parse(" ; ", g, 2, err, sizeof err), -1);
    ck_assert_str_eq(err, "--grid has no settings");
}
END_TEST

START_TEST(lines_for_the_program)
{
    char b[120];
    pytune_line("10000,10,10", b, sizeof b);
    ck_assert_str_eq(b, "gc.set_threshold(10000, 10, 10)");
    pytune_line("off", b, sizeof b);
    ck_assert_str_eq(b, "gc.disable()");
    pytune_line("freeze", b, sizeof b);
    ck_assert_str_eq(b, "gc.freeze()");
    pytune_line("freeze+50000,20,30", b, sizeof b);
    ck_assert_str_eq(b, "gc.freeze(); gc.set_threshold(50000, 20, 30)");
}
END_TEST

/* setting, time in gc, worst pause, peak RSS (kB), failed runs */
struct synth {
    const char *s;
    double gc_ms, worst_ms;
    long rss;
    unsigned failed;
};

/* The bullet loop, roughly: the default slow, a raised t0 fast, `off` faster and 15%
 * bigger, freeze with a raised t0 the least time within 10%, one point dominated. */
static const struct synth bullets[] = {
    {"default", 50.8, 8.6, 20000, 0},
    {"10000,10,10", 3.1, 0.7, 21000, 0},
    {"off", 0, 0, 23000, 0},
    {"freeze+10000,10,10", 2.5, 1.0, 21500, 0},
    {"5000,10,10", 10, 2, 22000, 0},
};

static struct pytune_row rows[8];

static struct pytune_result make(const struct synth *s, size_t n, double budget, bool pause)
{
    memset(rows, 0, sizeof rows);
    for (size_t i = 0; i < n; i++) {
        snprintf(rows[i].setting, sizeof rows[i].setting, "%s", s[i].s);
        rows[i].runs = 3;
        rows[i].failed = s[i].failed;
        rows[i].m.gc_ms = s[i].gc_ms;
        rows[i].m.worst_ms = s[i].worst_ms;
        rows[i].peak_rss_kb = s[i].rss;
    }
    struct pytune_result t = {rows, n, 0, budget, pause, -1};
    pytune_decide(&t);
    return t;
}

static const char *recommended(const struct pytune_result *t)
{
    int marked = 0;
    for (size_t i = 0; i < t->n; i++)
        marked += t->rows[i].recommended;
    ck_assert_int_eq(marked, t->recommended >= 0);
    return t->recommended >= 0 ? t->rows[t->recommended].setting : "(none)";
}

START_TEST(least_time_within_the_budget)
{
    struct pytune_result t = make(bullets, 5, 10, false);
    ck_assert_str_eq(recommended(&t), "freeze+10000,10,10");
    ck_assert(!rows[2].within);                         /* off: +15% */
    ck_assert(rows[1].within && rows[3].within && rows[4].within && rows[0].within);
    ck_assert_double_eq_tol(rows[2].rss_pct, 15.0, 1e-9);
    ck_assert_double_eq_tol(rows[3].rss_pct, 7.5, 1e-9);
    /* the front: time in gc against peak RSS; 5000 is beaten by 10000 on both */
    ck_assert(rows[0].pareto && rows[1].pareto && rows[2].pareto && rows[3].pareto);
    ck_assert(!rows[4].pareto);
}
END_TEST

START_TEST(off_only_within_the_budget)
{
    struct pytune_result t = make(bullets, 5, 15, false);
    ck_assert_str_eq(recommended(&t), "off");            /* exactly +15%: within */
    t = make(bullets, 5, 14.99, false);
    ck_assert_str_eq(recommended(&t), "freeze+10000,10,10");
    t = make(bullets, 5, 0, false);
    ck_assert_str_eq(recommended(&t), "default");        /* nothing else fits 0% */
}
END_TEST

START_TEST(pause_objective)
{
    struct pytune_result t = make(bullets, 5, 10, true);
    ck_assert_str_eq(recommended(&t), "10000,10,10");
    /* the front is now worst pause against peak RSS: 5000 (2 ms, 22000) is still beaten */
    ck_assert(!rows[4].pareto);
    ck_assert(!rows[3].pareto);                          /* 1.0 ms at 21500 vs 0.7 at 21000 */
}
END_TEST

START_TEST(failed_and_ties)
{
    struct synth s[] = {
        {"default", 40, 9, 20000, 0},
        {"20000,10,10", 1, 1, 20000, 1},                 /* best, but a run failed */
        {"10000,10,10", 5, 3, 20500, 0},
        {"50000,10,10", 5, 2, 20800, 0},                 /* same time, shorter worst pause */
    };
    struct pytune_result t = make(s, 4, 10, false);
    ck_assert_str_eq(recommended(&t), "50000,10,10");
    ck_assert(!rows[1].pareto && !rows[1].within);
    /* with the default failed nothing is recommended */
    s[0].failed = 1;
    t = make(s, 4, 10, false);
    ck_assert_str_eq(recommended(&t), "(none)");
}
END_TEST

START_TEST(one_run_from_records)
{
    struct pygc_rec r[] = {
        {7, 0, 100, 1000000, 5, 0},  {7, 0, 200, 3000000, 0, 0},  {7, 1, 300, 2000000, 10, 1},
        {7, 0, 400, 2000000, 1, 0},  {7, 2, 500, 9500000, 100, 0}, {8, 0, 600, 500000, 0, 0},
    };
    struct pytune_measure m;
    pytune_measure_recs(r, 6, &m);
    ck_assert_uint_eq(m.collections[0], 4);
    ck_assert_uint_eq(m.collections[1], 1);
    ck_assert_uint_eq(m.collections[2], 1);
    ck_assert_double_eq_tol(m.gc_ms, 18.0, 1e-9);
    ck_assert_double_eq_tol(m.pause_median_ms[0], 1.5, 1e-9);    /* 0.5 1 2 3 */
    ck_assert_double_eq_tol(m.pause_p99_ms[0], 3.0, 1e-9);
    ck_assert_double_eq_tol(m.pause_max_ms[0], 3.0, 1e-9);
    ck_assert_double_eq_tol(m.pause_max_ms[1], 2.0, 1e-9);
    ck_assert_double_eq_tol(m.worst_ms, 9.5, 1e-9);
    ck_assert_uint_eq(m.collected, 116);
    ck_assert_uint_eq(m.uncollectable, 1);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(one_run_from_its_directory)
{
    char *dir = temp_dir(), *path = path_join(dir, "pygc.jsonl");
    char err[300];
    bool recorded = true;
    struct pytune_measure m;
    /* no file: the collector never ran */
    ck_assert_int_eq(pytune_measure_dir(dir, &m, &recorded, err, sizeof err), 0);
    ck_assert(!recorded);
    ck_assert_uint_eq(m.collections[0] + m.collections[1] + m.collections[2], 0);
    write_file(path,
               "{\"pid\":11,\"gen\":0,\"start_ns\":1000,\"duration_ns\":250000,\"collected\":3,"
               "\"uncollectable\":0}\n"
               "{\"pid\":11,\"gen\":2,\"start_ns\":5000,\"duration_ns\":8000000,\"collected\":40,"
               "\"uncollectable\":2}\n");
    ck_assert_int_eq(pytune_measure_dir(dir, &m, &recorded, err, sizeof err), 0);
    ck_assert(recorded);
    ck_assert_uint_eq(m.collections[0], 1);
    ck_assert_uint_eq(m.collections[2], 1);
    ck_assert_double_eq_tol(m.gc_ms, 8.25, 1e-9);
    ck_assert_double_eq_tol(m.worst_ms, 8.0, 1e-9);
    ck_assert_uint_eq(m.collected, 43);
    ck_assert_uint_eq(m.uncollectable, 2);
    /* a file that is not pygc.jsonl fails the run with the reader's reason */
    write_file(path, "not json\n");
    ck_assert_int_eq(pytune_measure_dir(dir, &m, &recorded, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "pygc.jsonl"), "%s", err);
    rm_rf(dir);
    free(dir), free(path);
}
END_TEST

/* Collections after a process's exit collection are its interpreter's finalization: left out;
 * a process without an exit collection (killed) keeps them all. */
START_TEST(one_run_stops_at_the_exit_collection)
{
    char *dir = temp_dir(), *pygc = path_join(dir, "pygc.jsonl");
    char *colls = path_join(dir, "collections.jsonl"), err[300];
    bool recorded;
    struct pytune_measure m;
    write_file(pygc,
               "{\"pid\":5,\"gen\":0,\"start_ns\":1,\"duration_ns\":1000000,\"collected\":1,"
               "\"uncollectable\":0,\"after_collection\":0}\n"
               "{\"pid\":6,\"gen\":0,\"start_ns\":2,\"duration_ns\":2000000,\"collected\":2,"
               "\"uncollectable\":0,\"after_collection\":0}\n"
               "{\"pid\":5,\"gen\":1,\"start_ns\":3,\"duration_ns\":4000000,\"collected\":4,"
               "\"uncollectable\":0,\"after_collection\":0}\n"
               "{\"pid\":5,\"gen\":2,\"start_ns\":4,\"duration_ns\":30000000,\"collected\":300,"
               "\"uncollectable\":0,\"after_collection\":1}\n"
               "{\"pid\":6,\"gen\":2,\"start_ns\":5,\"duration_ns\":8000000,\"collected\":8,"
               "\"uncollectable\":0,\"after_collection\":1}\n");
    write_file(colls,
               "{\"collection\":1,\"pid\":5,\"generation\":2,\"trigger\":\"exit\","
               "\"time_ns\":1,\"pause_ms\":1.0,\"blocks\":10,\"unreachable_blocks\":0,"
               "\"unreachable_bytes\":0,\"dump\":\"x.5.1.atoll\"}\n");
    ck_assert_int_eq(pytune_measure_dir(dir, &m, &recorded, err, sizeof err), 0);
    ck_assert(recorded);
    /* pid 5: its gen 0 and gen 1, not the full collection after its exit; pid 6 (no exit
     * collection): both */
    ck_assert_uint_eq(m.collections[0], 2);
    ck_assert_uint_eq(m.collections[1], 1);
    ck_assert_uint_eq(m.collections[2], 1);
    ck_assert_double_eq_tol(m.gc_ms, 15.0, 1e-9);
    ck_assert_double_eq_tol(m.worst_ms, 8.0, 1e-9);
    ck_assert_uint_eq(m.collected, 15);
    rm_rf(dir);
    free(dir), free(pygc), free(colls);
}
END_TEST

START_TEST(which_programs_are_cpython)
{
    char *dir = temp_dir(), *sh = path_join(dir, "tool"), *py = path_join(dir, "app");
    char *shim = path_join(dir, "python3"), *envpy = path_join(dir, "envapp");
    write_file(sh, "#!/bin/sh\nexit 0\n");
    write_file(py, "#!/usr/bin/python3.11 -u\nprint(1)\n");
    write_file(shim, "#!/bin/sh\nexec /usr/bin/python3.11 \"$@\"\n");
    write_file(envpy, "#!/usr/bin/env python3.11\nprint(1)\n");
    ck_assert_int_eq(chmod(sh, 0755) | chmod(py, 0755) | chmod(shim, 0755) | chmod(envpy, 0755),
                     0);
    ck_assert(!tune_is_cpython(sh));
    ck_assert(!tune_is_cpython("/bin/true"));
    ck_assert(!tune_is_cpython(atoll_path()));
    ck_assert(!tune_is_cpython("no-such-program-here"));
    ck_assert(tune_is_cpython(shim));                    /* a wrapper named python3 */
    if (access("/usr/bin/python3.11", X_OK) == 0) {      /* exports Py_BytesMain */
        ck_assert(tune_is_cpython("/usr/bin/python3.11"));
        ck_assert(tune_is_cpython(py));
        ck_assert(tune_is_cpython(envpy));
    }
    /* pyenv's builds need libpython3.N.so */
    const char *pyenv = "/root/.pyenv/versions/3.12.1/bin/python3.12";
    if (access(pyenv, X_OK) == 0)
        ck_assert(tune_is_cpython(pyenv));
    rm_rf(dir);
    free(dir), free(sh), free(py), free(shim), free(envpy);
}
END_TEST

Suite *tune_suite(void)
{
    Suite *s = suite_create("tune");
    TCase *tc = tcase_create("python-gc");
    tcase_add_test(tc, grid_parses_every_form);
    tcase_add_loop_test(tc, grid_rejects_bad_settings, 0,
                        (int)(sizeof bad_settings / sizeof *bad_settings));
    tcase_add_test(tc, grid_errors_say_why);
    tcase_add_test(tc, lines_for_the_program);
    tcase_add_test(tc, least_time_within_the_budget);
    tcase_add_test(tc, off_only_within_the_budget);
    tcase_add_test(tc, pause_objective);
    tcase_add_test(tc, failed_and_ties);
    tcase_add_test(tc, one_run_from_records);
    tcase_add_test(tc, one_run_from_its_directory);
    tcase_add_test(tc, one_run_stops_at_the_exit_collection);
    tcase_add_test(tc, which_programs_are_cpython);
    suite_add_tcase(s, tc);
    return s;
}
