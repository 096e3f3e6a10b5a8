/* The command line: usage errors (exit 2, one line), --version, info, analyze's outputs and
 * exit statuses, and run's option parsing, dump finding, failure lines and exit statuses. */
#include "support.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int atoll_run(const char *a1, const char *a2, const char *a3, const char *a4, char **out,
                     char **err)
{
    char *argv[] = {(char *)atoll_path(), (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    return run_capture(argv, out, err);
}

static const char *const usage_errors[][4] = {
    {NULL},
    {"bogus"},
    {"analyze"},
    {"analyze", "--format", "xml", "x.atoll"},
    {"analyze", "--top", "0", "x.atoll"},
    {"analyze", "--top"},
    {"analyze", "--nope", "x.atoll"},
    {"analyze", "a.atoll", "b.atoll"},
    {"analyze", "--error-exitcode", "300", "x.atoll"},
    {"info"},
    {"info", "a", "b"},
    {"run"},
    {"run", "--threshold", "1,x", "true"},
    {"run", "--stack-depth", "0", "true"},
    {"run", "--bogus", "--", "true"},
    {"run", "--output"},
    {"run", "--format", "pdf", "true"},
};

START_TEST(usage_error)
{
    const char *const *a = usage_errors[_i];
    char *out, *err;
    ck_assert_int_eq(atoll_run(a[0], a[1], a[2], a[3], &out, &err), 2);
    ck_assert_str_eq(out, "");
    ck_assert_msg(count_lines(err) == 1 && strncmp(err, "atoll", 5) == 0, "'%s'", err);
    free(out), free(err);
}
END_TEST

START_TEST(version_and_help)
{
    char *out, *err;
    ck_assert_int_eq(atoll_run("--version", NULL, NULL, NULL, &out, &err), 0);
    ck_assert_str_eq(out, "atoll 0.1.0\n");
    free(out), free(err);
    const char *helps[][2] = {{"--help", NULL}, {"analyze", "--help"}, {"info", "--help"},
                              {"run", "--help"}};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(atoll_run(helps[i][0], helps[i][1], NULL, NULL, &out, &err), 0);
        ck_assert_msg(strncmp(out, "usage: atoll", 12) == 0, "%s", out);
        ck_assert_str_eq(err, "");
        free(out), free(err);
    }
}
END_TEST

static char *write_scenario(const char *dir, const char *name)
{
    char *path = path_join(dir, name);
    struct dg *g = scenario(name);
    ck_assert_int_eq(dg_write(g, path), 0);
    dg_free(g);
    return path;
}

START_TEST(info_prints_header_facts)
{
    char *dir = temp_dir(), *path = write_scenario(dir, "young"), *out, *err;
    ck_assert_int_eq(atoll_run("info", path, NULL, NULL, &out, &err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_msg(strstr(out, "\npid:         4242 (parent 1)\n"), "%s", out);
    ck_assert_msg(strstr(out, "\nexe:         /usr/bin/test-program\n"), "%s", out);
    ck_assert_msg(strstr(out, "\nargv:        test-program --flag\n"), "%s", out);
    ck_assert_msg(strstr(out, "\ntime:        2023-11-14 22:13:20.123456789 UTC"), "%s", out);
    ck_assert_msg(strstr(out, "\ntrigger:     threshold (3)\n"), "%s", out);
    ck_assert_msg(strstr(out, "\ngeneration:  0\n"), "%s", out);
    ck_assert_msg(strstr(out, "\nthresholds:  700,10,10\n"), "%s", out);
    ck_assert_msg(strstr(out, "\nblocks:      4 (80 bytes)\n"), "%s", out);
    ck_assert_msg(strstr(out, "\nedges:       3\n"), "%s", out);
    ck_assert_msg(strstr(out, "\nsites:       4\n"), "%s", out);
    free(out), free(err);
    rm_rf(dir);
    free(path), free(dir);
}
END_TEST

START_TEST(analyze_text_and_exit_codes)
{
    char *dir = temp_dir(), *tree = write_scenario(dir, "tree"), *rooted = write_scenario(dir, "rooted");
    char *out, *err;
    ck_assert_int_eq(atoll_run("analyze", tree, NULL, NULL, &out, &err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_msg(strstr(out, "\n  definitely lost: 112 bytes in 2 blocks\n"), "%s", out);
    ck_assert_msg(strstr(out, "\n  indirectly lost: 128 bytes in 5 blocks\n"), "%s", out);
    ck_assert_msg(strstr(out, "\n  still reachable: 0 bytes in 0 blocks\n"), "%s", out);
    ck_assert_msg(strstr(out, "\n  isolated cycles: 1 cycles, 2 blocks, 96 bytes\n"), "%s", out);
    ck_assert_msg(strstr(out, "#1 1 cycle of 96 bytes in 2 blocks, retaining 64 bytes in 3 blocks:\n"
                              "      A (48 B, 0x401000) -> +0 -> B (48 B, 0x401000) -> +0 -> A\n"),
                  "%s", out);
    free(out), free(err);
    ck_assert_int_eq(atoll_run("analyze", "--error-exitcode", "9", tree, &out, &err), 9);
    free(out), free(err);
    ck_assert_int_eq(atoll_run("analyze", "--error-exitcode", "9", rooted, &out, &err), 0);
    free(out), free(err);
    char *report = path_join(dir, "r.txt");
    ck_assert_int_eq(atoll_run("analyze", "--report", report, tree, &out, &err), 0);
    ck_assert_str_eq(out, "");
    struct stat st;
    ck_assert_int_eq(stat(report, &st), 0);
    ck_assert_int_gt(st.st_size, 100);
    free(out), free(err);
    ck_assert_int_eq(atoll_run("analyze", "/nonexistent/x.atoll", NULL, NULL, &out, &err), 2);
    ck_assert_str_eq(err, "atoll: /nonexistent/x.atoll: No such file or directory\n");
    free(out), free(err);
    rm_rf(dir);
    free(tree), free(rooted), free(report), free(dir);
}
END_TEST

static void touch(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    free(p);
}

/* The dump paths found, as "pid:name,name..." joined by spaces. */
static void found_dumps(const char *dir, long root, const struct run_listing *before, char *buf,
                        size_t len)
{
    struct run_dump *d;
    size_t n;
    ck_assert_int_eq(run_dumps_find(dir, root, before, &d, &n), 0);
    buf[0] = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d[i].npaths; k++) {
            size_t used = strlen(buf);
            const char *name = strrchr(d[i].paths[k], '/') + 1;
            if (k)
                snprintf(buf + used, len - used, ",%s", name);
            else
                snprintf(buf + used, len - used, "%s%ld:%s", i ? " " : "", d[i].pid, name);
        }
    run_dumps_free(d, n);
}

START_TEST(finds_each_process_dumps)
{
    char *dir = temp_dir(), got[512];
    found_dumps(dir, 100, NULL, got, sizeof got);
    ck_assert_str_eq(got, "");
    touch(dir, "prog.100.1.atoll");
    touch(dir, "prog.100.3.atoll");
    touch(dir, "prog.100.2.atoll");
    touch(dir, "sh.1000.9.atoll");
    touch(dir, "prog.10.11.atoll");         /* started after a wrap of the pids */
    touch(dir, "prog.100.x.atoll");
    touch(dir, "prog.100.12.atoll.tmp");
    touch(dir, "100.13.atoll");
    touch(dir, "my.prog.v2.101.10.atoll");  /* names may hold dots */
    found_dumps(dir, 100, NULL, got, sizeof got);
    ck_assert_str_eq(got, "100:prog.100.1.atoll,prog.100.2.atoll,prog.100.3.atoll "
                          "101:my.prog.v2.101.10.atoll 1000:sh.1000.9.atoll 10:prog.10.11.atoll");
    found_dumps("/nonexistent", 100, NULL, got, sizeof got);
    ck_assert_str_eq(got, "");

    /* What an earlier run left in a reused directory is not this run's, unless rewritten. */
    struct run_listing *before = run_dumps_before(dir);
    ck_assert_ptr_nonnull(before);
    found_dumps(dir, 100, before, got, sizeof got);
    ck_assert_str_eq(got, "");
    touch(dir, "prog.100.4.atoll");
    char *old = path_join(dir, "sh.1000.9.atoll");
    struct timespec times[2] = {{0, UTIME_OMIT}, {1, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, old, times, 0), 0);
    found_dumps(dir, 100, before, got, sizeof got);
    ck_assert_str_eq(got, "100:prog.100.4.atoll 1000:sh.1000.9.atoll");
    run_listing_free(before);
    free(old);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(finds_the_preload)
{
    char *dir = temp_dir(), *bin = path_join(dir, "bin"), *lib = path_join(dir, "lib");
    mkdir(bin, 0777);
    mkdir(lib, 0777);
    touch(bin, "atoll");
    char *self = path_join(bin, "atoll");
    ck_assert_ptr_null(run_find_preload(self));
    touch(lib, "libatoll.so");
    char *found = run_find_preload(self), *want = path_join(lib, "libatoll.so");
    ck_assert_str_eq(found, want);
    free(found), free(want);
    char *multi = path_join(lib, "x86_64-linux-gnu");
    mkdir(multi, 0777);
    touch(multi, "libatoll.so");
    found = run_find_preload(self);
    want = path_join(multi, "libatoll.so");
    ck_assert_str_eq(found, want);
    free(found), free(want);
    rm_rf(dir);
    free(dir), free(bin), free(lib), free(self), free(multi);
}
END_TEST

/* Preloading the C library itself is harmless, so run's exit-status rules are tested the same
 * way with or without a working libatoll.so (and in sanitizer builds). */
static const char *libc_path(void)
{
    Dl_info info;
    ck_assert(dladdr((void *)printf, &info));
    return info.dli_fname;
}

/* `atoll run --output OUT --preload LIBC [--error-exitcode N] -- PROGRAM [ARGS...]`, the
 * program and its arguments listed up to a NULL; the exit status, and the standard output and
 * error in *out and *err. */
__attribute__((sentinel)) static int run_prog(char **out, char **err, const char *out_dir,
                                              const char *exitcode, ...)
{
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)atoll_path();
    argv[n++] = "run";
    argv[n++] = "--output";
    argv[n++] = (char *)out_dir;
    argv[n++] = "--preload";
    argv[n++] = (char *)libc_path();
    if (exitcode) {
        argv[n++] = "--error-exitcode";
        argv[n++] = (char *)exitcode;
    }
    argv[n++] = "--";
    va_list ap;
    va_start(ap, exitcode);
    for (const char *a; (a = va_arg(ap, const char *));) {
        ck_assert_int_lt(n, 15);
        argv[n++] = (char *)a;
    }
    va_end(ap);
    argv[n] = NULL;
    return run_capture(argv, out, err);
}

/* The program's pid, as the line of a failed run names it after "(pid ". */
static long pid_in(const char *err)
{
    const char *p = strstr(err, "(pid ");
    ck_assert_msg(p != NULL, "no pid in '%s'", err);
    return strtol(p + 5, NULL, 10);
}

/* A program that ends without a dump: `atoll run` says so in one line and exits with 2 (it
 * reported nothing), whatever the program's status and --error-exitcode. */
START_TEST(run_without_dump)
{
    char *dir = temp_dir(), *out_dir = path_join(dir, "out"), *out, *err, *want;
    ck_assert_int_eq(run_prog(&out, &err, out_dir, "7", "/bin/sh", "-c", "exit 3", NULL), 2);
    ck_assert_str_eq(out, "");
    ck_assert_int_ge(asprintf(&want, "atoll run: no report: /bin/sh (pid %ld) exited with status "
                                     "3 and no process of the run left a dump in %s (no collection "
                                     "at exit: it called "
                                     "_exit, or libatoll.so was not loaded)\n",
                              pid_in(err), out_dir), 0);
    ck_assert_str_eq(err, want);
    struct stat st;
    ck_assert_int_eq(stat(out_dir, &st), 0);   /* the output directory was made for it */
    free(want), free(out), free(err);

    ck_assert_int_eq(run_prog(&out, &err, out_dir, NULL, "/bin/sh", "-c", "kill -9 $$", NULL), 2);
    ck_assert_int_ge(asprintf(&want, "atoll run: no report: /bin/sh (pid %ld) was killed by "
                                     "signal 9 (Killed) and no process of the run left a dump in "
                                     "%s\n",
                              pid_in(err), out_dir), 0);
    ck_assert_str_eq(err, want);
    free(want), free(out), free(err);
    rm_rf(dir);
    free(out_dir), free(dir);
}
END_TEST

/* A program that cannot be started: one line, and the shell's 127 (not found) or 126; an
 * output directory that cannot be made: one line and 2. */
START_TEST(run_cannot_start)
{
    char *dir = temp_dir(), *out_dir = path_join(dir, "out"), *out, *err, *want;
    ck_assert_int_eq(run_prog(&out, &err, out_dir, "7", "/nonexistent/program", NULL), 127);
    ck_assert_str_eq(err, "atoll run: cannot run /nonexistent/program: No such file or "
                          "directory\n");
    free(out), free(err);

    ck_assert_int_eq(run_prog(&out, &err, out_dir, "7", dir, NULL), 126);
    ck_assert_int_ge(asprintf(&want, "atoll run: cannot run %s: Permission denied\n", dir), 0);
    ck_assert_str_eq(err, want);
    free(want), free(out), free(err);

    ck_assert_int_eq(run_prog(&out, &err, "/nonexistent/out", "7", "/bin/true", NULL), 2);
    ck_assert_str_eq(err, "atoll run: cannot create /nonexistent/out: No such file or "
                          "directory\n");
    free(out), free(err);
    rm_rf(dir);
    free(out_dir), free(dir);
}
END_TEST

/* The program puts a dump ($0) where `atoll run` looks for its own ($1/NAME.PID.SEQ.atoll). */
static const char copy_exit3[] = "cp \"$0\" \"$1/sh.$$.1.atoll\"; exit 3";
static const char copy_kill9[] = "cp \"$0\" \"$1/sh.$$.1.atoll\"; kill -9 $$";

START_TEST(run_reports_the_dump)
{
    char *dir = temp_dir(), *out_dir = path_join(dir, "out"), *out, *err, *want;
    char *tree = write_scenario(dir, "tree"), *rooted = write_scenario(dir, "rooted");
    const char *sh = "/bin/sh";
    mkdir(out_dir, 0777);
    ck_assert_int_eq(run_prog(&out, &err, out_dir, NULL, sh, "-c", copy_exit3, tree, out_dir,
                              NULL), 3);
    ck_assert_msg(strstr(err, "\n  definitely lost: 112 bytes in 2 blocks\n"), "%s", err);
    free(out), free(err);
    ck_assert_int_eq(run_prog(&out, &err, out_dir, "7", sh, "-c", copy_exit3, tree, out_dir,
                              NULL), 7);
    free(out), free(err);
    ck_assert_int_eq(run_prog(&out, &err, out_dir, "7", sh, "-c", copy_exit3, rooted, out_dir,
                              NULL), 3);
    ck_assert_msg(strstr(err, "\n  definitely lost: 0 bytes in 0 blocks\n"), "%s", err);
    free(out), free(err);
    /* a program killed after a collection: the report of that dump, and 128 + the signal */
    ck_assert_int_eq(run_prog(&out, &err, out_dir, NULL, sh, "-c", copy_kill9, tree, out_dir,
                              NULL), 128 + 9);
    ck_assert_msg(strstr(err, "\n  definitely lost: 112 bytes in 2 blocks\n"), "%s", err);
    free(out), free(err);

    /* a dump that cannot be read: no report, one line naming it and what is wrong, and 2 */
    ck_assert_int_eq(run_prog(&out, &err, out_dir, "7", sh, "-c",
                              "echo junk > \"$0/sh.$$.1.atoll\"", out_dir, NULL), 2);
    long pid = pid_in(err);
    ck_assert_int_ge(asprintf(&want, "atoll run: no report: %s/sh.%ld.1.atoll: truncated: 5 "
                                     "bytes, smaller than the 64-byte header (/bin/sh (pid %ld) "
                                     "exited with status 0)\n", out_dir, pid, pid), 0);
    ck_assert_str_eq(err, want);
    free(want), free(out), free(err);
    rm_rf(dir);
    free(tree), free(rooted), free(out_dir), free(dir);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, usage_error, 0, sizeof usage_errors / sizeof *usage_errors);
    tcase_add_test(tc, version_and_help);
    tcase_add_test(tc, info_prints_header_facts);
    tcase_add_test(tc, analyze_text_and_exit_codes);
    tcase_add_test(tc, finds_each_process_dumps);
    tcase_add_test(tc, finds_the_preload);
    tcase_add_test(tc, run_without_dump);
    tcase_add_test(tc, run_cannot_start);
    tcase_add_test(tc, run_reports_the_dump);
    suite_add_tcase(s, tc);
    return s;
}
