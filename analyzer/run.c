/* `atoll run`: start a program with libatoll.so preloaded and atoll's settings in its
 * environment, wait for it and for every process it started, and report on each process of
 * the run that left a dump (all its collections merged: report.c), in the order they started.
 * atoll run is their subreaper, so a process whose parent is gone is still waited for: no
 * report is read while a dump is still being written, and atoll run never returns before a
 * process of the run has said its last line. The exit status is the program's, unless
 * --error-exitcode asks otherwise; when no process left a report (no dump, or none that can
 * be read) it is 2, so that a run that checked nothing never passes for a clean one; when the
 * program could not be started, 127 or 126 as in the shell. Each failure is one line on
 * stderr. */
#include "analyzer.h"
#include "html/html.h"
#include "python/pygcsetting.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { OPT_OUTPUT = 512, OPT_THRESHOLD, OPT_SIGNAL, OPT_STACK_DEPTH, OPT_PRELOAD, OPT_LIVE,
       OPT_PYTHON_GC };

static const char run_help[] =
    "usage: atoll run [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "Run PROGRAM with libatoll.so preloaded, wait for it and every process it started,\n"
    "then report the leaks and cycles of each process that left a dump, in the order they\n"
    "started, on standard error: what all its collections found, each block once, what the\n"
    "last one no longer had marked. The exit status is PROGRAM's (128+N if killed by\n"
    "signal N); 2 if no process left a report (no dump, or none can be read);\n"
    "127 or 126 if PROGRAM cannot be run.\n"
    "\n"
    "  --output DIR            where the dumps go (default ./atoll.PID)\n"
    "  --threshold T0,T1,T2    collection thresholds (ATOLL_THRESHOLD)\n"
    "  --signal SIG            collect on this signal (ATOLL_SIGNAL)\n"
    "  --stack-depth N         frames recorded per allocation (ATOLL_STACK_DEPTH)\n"
    "  --preload LIB           preload LIB instead of the libatoll.so beside atoll\n"
    "  --python-gc SETTING     set CPython's collector: t0,t1,t2, off, freeze or\n"
    "                          freeze+t0,t1,t2 (ATOLL_PYTHON_GC)\n"
    "  --live                  while PROGRAM runs, one line per collection on standard error:\n"
    "                          its generation, pause and blocks, and the leaks (by site) and\n"
    "                          cycles (by shape) no earlier collection found; growing ones\n"
    "                          are flagged (set --threshold or --signal for collections)\n"
    "  --format FORMAT         text, json, dot, svg (dot drawn by Graphviz) or html (one\n"
    "                          page, a section per process) (default text); json with\n"
    "                          several processes: one report per line (JSON Lines)\n"
    "  --report FILE           write the reports to FILE (default standard error)\n"
    "  --suppressions FILE     LeakSanitizer-style leak:PATTERN lines (repeatable)\n"
    "  --top N                 leak sites, cycle shapes and retainers shown (default 10)\n"
    "  --native                Python allocations by their whole stacks: native frames shown\n"
    "                          under the Python ones, sites told apart by them too\n"
    "  --error-exitcode N      exit with N if any process leaked\n"
    "  --help                  this text\n";

char *run_find_preload(const char *self)
{
    static const char *const rel[] = {
        "../preload/libatoll.so",
        "../lib/x86_64-linux-gnu/libatoll.so",
        "../lib/libatoll.so",
    };
    char *real = realpath(self, NULL);
    if (!real)
        return NULL;
    char *slash = strrchr(real, '/');
    if (slash)
        *slash = 0;
    char *found = NULL;
    for (size_t i = 0; i < sizeof rel / sizeof *rel && !found; i++) {
        size_t len = strlen(real) + strlen(rel[i]) + 2;
        char *path = malloc(len);
        if (!path)
            break;
        snprintf(path, len, "%s/%s", real, rel[i]);
        char *canon = realpath(path, NULL);
        free(path);
        if (canon && access(canon, R_OK) == 0)
            found = canon;
        else
            free(canon);
    }
    free(real);
    return found;
}

struct run_env {
    const char *output, *threshold, *signal, *stack_depth, *preload, *python_gc;
    bool live;
    const struct suppressions *supp;
};

/* The output directory of the run of pid (buf holds it when it is the default). */
static const char *run_dir(const struct run_env *env, pid_t pid, char *buf, size_t len)
{
    if (env->output)
        return env->output;
    snprintf(buf, len, "atoll.%ld", (long)pid);
    return buf;
}

static bool valid_threshold(const char *s)
{
    unsigned long v;
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    int parts = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!cli_parse_uint(t, UINT32_MAX, &v))
            return false;
        parts++;
    }
    return parts >= 1 && parts <= 3 && s[strlen(s) - 1] != ',' && !strstr(s, ",,");
}

/* Why the child did not become the program, sent to the parent through a close-on-exec pipe
 * (nothing arrives when the exec succeeds). */
struct child_failure {
    int exec;                   /* 0: creating the output directory, 1: the exec */
    int err;
};

static void child(const struct run_env *env, const char *preload, char **argv, int fd)
{
    char dir[64];
    const char *out = env->output;
    if (!out) {
        snprintf(dir, sizeof dir, "atoll.%ld", (long)getpid());
        out = dir;
    }
    struct child_failure cf = {0, 0};
    if (mkdir(out, 0777) && errno != EEXIST) {
        cf.err = errno;
        (void)!write(fd, &cf, sizeof cf);
        _exit(127);
    }
    setenv("LD_PRELOAD", preload, 1);
    setenv("PYTHONMALLOC", "malloc", 1);
    setenv("G_SLICE", "always-malloc", 1);
    setenv("ATOLL_OUTPUT", out, 1);
    /* The report after the run covers every process's dumps: their own lines would repeat it,
     * mixed into the program's stderr. */
    setenv("ATOLL_EXIT_LINE", "0", 1);
    if (env->threshold)
        setenv("ATOLL_THRESHOLD", env->threshold, 1);
    if (env->signal)
        setenv("ATOLL_SIGNAL", env->signal, 1);
    if (env->stack_depth)
        setenv("ATOLL_STACK_DEPTH", env->stack_depth, 1);
    if (env->python_gc)
        setenv("ATOLL_PYTHON_GC", env->python_gc, 1);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[0], argv);
    cf = (struct child_failure){1, errno};
    (void)!write(fd, &cf, sizeof cf);
    _exit(cf.err == ENOENT ? 127 : 126);
}

static int parse(int argc, char **argv, struct run_env *env, struct report_opts *ro)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, OPT_OUTPUT},
        {"threshold", required_argument, 0, OPT_THRESHOLD},
        {"signal", required_argument, 0, OPT_SIGNAL},
        {"stack-depth", required_argument, 0, OPT_STACK_DEPTH},
        {"preload", required_argument, 0, OPT_PRELOAD},
        {"live", no_argument, 0, OPT_LIVE},
        {"python-gc", required_argument, 0, OPT_PYTHON_GC},
        CLI_REPORT_LONGOPTS,
        {0, 0, 0, 0},
    };
    unsigned long v;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_HELP:
            fputs(run_help, stdout);
            return 0;
        case '?':
            return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        case ':':
            return cli_usage_error("run", "option '%s' needs an argument", argv[optind - 1]);
        case OPT_OUTPUT:
            env->output = optarg;
            break;
        case OPT_PYTHON_GC:
            if (!pygc_setting_valid(optarg))
                return cli_usage_error("run", "--python-gc wants t0,t1,t2, off, freeze or "
                                              "freeze+t0,t1,t2, not '%s'", optarg);
            env->python_gc = optarg;
            break;
        case OPT_THRESHOLD:
            if (!valid_threshold(optarg))
                return cli_usage_error("run", "--threshold wants T0[,T1[,T2]], not '%s'", optarg);
            env->threshold = optarg;
            break;
        case OPT_SIGNAL:
            if (!*optarg)
                return cli_usage_error("run", "--signal wants a signal name or number");
            env->signal = optarg;
            break;
        case OPT_STACK_DEPTH:
            if (!cli_parse_uint(optarg, 1024, &v) || v == 0)
                return cli_usage_error("run", "--stack-depth wants 1..1024, not '%s'", optarg);
            env->stack_depth = optarg;
            break;
        case OPT_PRELOAD:
            env->preload = optarg;
            break;
        case OPT_LIVE:
            env->live = true;
            break;
        default:
            if (cli_report_option(ro, "run", opt, optarg) < 0)
                return 2;
        }
    }
    if (optind == argc)
        return cli_usage_error("run", "missing PROGRAM");
    return -1;
}

/* Waits for pid, then for the processes it left running (atoll run is their subreaper); with
 * --live, reports each collection meanwhile. -1 with errno if the wait failed. */
static int await_exit(const struct run_env *env, pid_t pid, const char *name, int *status)
{
    char buf[64];
    struct live *l = env->live ? live_new(run_dir(env, pid, buf, sizeof buf), stderr, env->supp)
                               : NULL;
    struct timespec tick = {0, 10 * 1000 * 1000};
    bool program_done = false, said = false;
    unsigned ticks = 0, ended_ticks = 0;
    int st, rc = 0;
    for (;;) {
        bool poll = l || program_done;
        pid_t r = waitpid(-1, &st, poll ? WNOHANG : 0);
        if (r > 0) {
            /* the program's status; a descendant left to us needs nothing more */
            if (r == pid) {
                *status = st;
                program_done = true;
            }
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = errno == ECHILD && program_done ? 0 : -1;
            break;
        }
        if (l && ++ticks % 10 == 0)
            live_poll(l);
        if (program_done && !said && ++ended_ticks == 100) {
            fprintf(stderr, "atoll run: %s (pid %ld) has ended; waiting for the processes it "
                    "started\n", name, (long)pid);
            said = true;
        }
        nanosleep(&tick, NULL);
    }
    int err = errno;
    if (l)
        live_poll(l);
    live_free(l);
    errno = err;
    return rc;
}

/* Starts the program and waits for it. Returns 1 with its wait status, 0 if it could not be
 * started (cf says why), or -1 after a one-line error. */
static int spawn(const struct run_env *env, const char *preload, char **prog, pid_t *pid,
                 int *status, struct child_failure *cf)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC)) {
        fprintf(stderr, "atoll run: pipe: %s\n", strerror(errno));
        return -1;
    }
    /* like system(): the terminal's ^C and ^\ are for the program; atoll reports after it */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    fflush(NULL);
    /* Orphans of the run come to us, so that each is waited for before the reports. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if ((*pid = fork()) == 0) {
        close(pipefd[0]);
        child(env, preload, prog, pipefd[1]);
    }
    const char *failed = *pid < 0 ? "fork" : NULL;
    int err = errno;
    close(pipefd[1]);
    ssize_t got = 0;
    if (!failed) {
        while ((got = read(pipefd[0], cf, sizeof *cf)) < 0 && errno == EINTR)
            ;
        if (await_exit(env, *pid, prog[0], status)) {
            failed = "waitpid";
            err = errno;
        }
    }
    close(pipefd[0]);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (failed) {
        fprintf(stderr, "atoll run: %s: %s\n", failed, strerror(err));
        return -1;
    }
    return got != (ssize_t)sizeof *cf;
}

/* "exited with status N" or "was killed by signal N (name)" */
static void fate(char *buf, size_t len, int status)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
}

/* Reports on each dump in turn, each headed by its process; *reported counts the readable
 * ones. Returns 0, or 2 when the report stream fails. */
static int report_all(const struct report_opts *ro, const struct run_dump *dumps, size_t n,
                      const char *prog, pid_t pid, const char *what, bool *leaked,
                      size_t *reported)
{
    char err[1024];
    FILE *f = cli_report_open(ro, stderr, err, sizeof err);
    if (!f) {
        fprintf(stderr, "atoll run: no report: %s\n", err);
        return 2;
    }
    bool html = ro->format == FORMAT_HTML;
    if (html && !html_file_begin(f, prog))
        fprintf(stderr, "atoll run: %s: write error\n", ro->report ? ro->report : "stderr");
    for (size_t i = 0; i < n; i++) {
        bool one = false;
        if (*reported && ro->format == FORMAT_TEXT)
            fputc('\n', f);
        if (cli_report(ro, dumps[i].paths, dumps[i].npaths, f, n > 1, &one, err, sizeof err)) {
            if (dumps[i].pid == pid)
                fprintf(stderr, "atoll run: no report: %s (%s (pid %ld) %s)\n", err, prog,
                        (long)pid, what);
            else
                fprintf(stderr, "atoll run: no report: %s (pid %ld, a process %s started)\n",
                        err, dumps[i].pid, prog);
            continue;
        }
        *leaked |= one;
        ++*reported;
    }
    if (html && !html_file_end(f))
        fprintf(stderr, "atoll run: %s: write error\n", ro->report ? ro->report : "stderr");
    if (cli_report_close(ro, f, stderr, err, sizeof err)) {
        fprintf(stderr, "atoll run: %s\n", err);
        return 2;
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    struct run_env env = {0};
    struct report_opts ro = {FORMAT_TEXT, NULL, suppress_new(), 10, -1, false};
    char *found = NULL, *preload = NULL;
    struct run_dump *dumps = NULL;
    size_t ndumps = 0;
    struct run_listing *before = NULL;
    int rc = parse(argc, argv, &env, &ro);
    if (rc >= 0)
        goto out;
    env.supp = ro.supp;
    rc = 2;
    if (!env.preload) {
        if (!(found = run_find_preload("/proc/self/exe"))) {
            fputs("atoll run: cannot find libatoll.so beside the atoll binary\n", stderr);
            goto out;
        }
        env.preload = found;
    }
    const char *old = getenv("LD_PRELOAD");
    if (asprintf(&preload, "%s%s%s", env.preload, old && *old ? ":" : "", old ? old : "") < 0) {
        preload = NULL;
        fputs("atoll run: out of memory\n", stderr);
        goto out;
    }
    char **prog = argv + optind;
    pid_t pid;
    int status;
    struct child_failure cf;
    /* The default directory is new, named for the program's pid. */
    if (env.output && !(before = run_dumps_before(env.output))) {
        fputs("atoll run: out of memory\n", stderr);
        goto out;
    }
    int started = spawn(&env, preload, prog, &pid, &status, &cf);
    if (started < 0)
        goto out;
    char dirbuf[64];
    const char *dir = run_dir(&env, pid, dirbuf, sizeof dirbuf);
    if (!started) {
        if (cf.exec) {
            fprintf(stderr, "atoll run: cannot run %s: %s\n", prog[0], strerror(cf.err));
            rc = cf.err == ENOENT ? 127 : 126;
        } else {
            fprintf(stderr, "atoll run: cannot create %s: %s\n", dir, strerror(cf.err));
        }
        goto out;
    }
    char what[96];
    fate(what, sizeof what, status);
    if (run_dumps_find(dir, pid, before, &dumps, &ndumps)) {
        fputs("atoll run: out of memory\n", stderr);
        goto out;
    }
    if (!ndumps) {
        fprintf(stderr, "atoll run: no report: %s (pid %ld) %s and no process of the run left "
                "a dump in %s%s\n", prog[0], (long)pid, what, dir,
                WIFEXITED(status) ? " (no collection at exit: it called _exit, or libatoll.so "
                                    "was not loaded)" : "");
        goto out;
    }
    bool leaked = false;
    size_t reported = 0;
    if (report_all(&ro, dumps, ndumps, prog[0], pid, what, &leaked, &reported) || !reported)
        goto out;
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (leaked && ro.error_exitcode >= 0)
        rc = ro.error_exitcode;
out:
    run_dumps_free(dumps, ndumps);
    run_listing_free(before);
    free(preload);
    free(found);
    suppress_free(ro.supp);
    return rc;
}
