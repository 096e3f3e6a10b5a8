/* `atoll run`: start a program with libatoll.so preloaded and atoll's settings in its
 * environment, wait for it, find its last dump (the exit collection) and report on it. The
 * exit status is the program's, unless --error-exitcode asks otherwise. */
#include "analyzer.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OPT_OUTPUT = 512, OPT_THRESHOLD, OPT_SIGNAL, OPT_STACK_DEPTH, OPT_PRELOAD };

static const char run_help[] =
    "usage: atoll run [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "Run PROGRAM with libatoll.so preloaded, then report the leaks and cycles of its last\n"
    "dump on standard error. The exit status is PROGRAM's (128+N if killed by signal N).\n"
    "\n"
    "  --output DIR            where the dumps go (default ./atoll.PID)\n"
    "  --threshold T0,T1,T2    collection thresholds (ATOLL_THRESHOLD)\n"
    "  --signal SIG            collect on this signal (ATOLL_SIGNAL)\n"
    "  --stack-depth N         frames recorded per allocation (ATOLL_STACK_DEPTH)\n"
    "  --preload LIB           preload LIB instead of the libatoll.so beside atoll\n"
    "  --format text|json|dot  report format (default text)\n"
    "  --report FILE           write the report to FILE (default standard error)\n"
    "  --suppressions FILE     LeakSanitizer-style leak:PATTERN lines (repeatable)\n"
    "  --top N                 leak sites and cycle shapes shown (default 10)\n"
    "  --error-exitcode N      exit with N if leaks or cycles are reported\n"
    "  --help                  this text\n";

/* Parses "<name>.<pid>.<seq>.atoll" from the end, since name may hold dots itself. */
static bool parse_dump_name(const char *name, long *pid, unsigned long long *seq)
{
    size_t n = strlen(name);
    if (n < 6 || strcmp(name + n - 6, ".atoll") != 0)
        return false;
    const char *end = name + n - 6, *p = end;
    while (p > name && p[-1] >= '0' && p[-1] <= '9')
        p--;
    if (p == end || p == name || p[-1] != '.' || end - p > 18)
        return false;
    *seq = strtoull(p, NULL, 10);
    const char *pend = p - 1, *q = pend;
    while (q > name && q[-1] >= '0' && q[-1] <= '9')
        q--;
    if (q == pend || q == name || q[-1] != '.' || pend - q > 9)
        return false;
    *pid = strtol(q, NULL, 10);
    return true;
}

char *run_find_dump(const char *dir, long pid)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return NULL;
    char *best = NULL;
    unsigned long long best_seq = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        long p;
        unsigned long long seq;
        if (!parse_dump_name(e->d_name, &p, &seq) || p != pid || (best && seq <= best_seq))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path)
            break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        free(best);
        best = path;
        best_seq = seq;
    }
    closedir(dp);
    return best;
}

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
    const char *output, *threshold, *signal, *stack_depth, *preload;
};

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

static void child(const struct run_env *env, char **argv)
{
    char dir[64];
    const char *out = env->output;
    if (!out) {
        snprintf(dir, sizeof dir, "atoll.%ld", (long)getpid());
        out = dir;
    }
    if (mkdir(out, 0777) && errno != EEXIST) {
        fprintf(stderr, "atoll run: cannot create %s: %s\n", out, strerror(errno));
        _exit(127);
    }
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(env->preload) + (old ? strlen(old) : 0) + 2;
    char *pre = malloc(len);
    if (!pre)
        _exit(127);
    snprintf(pre, len, "%s%s%s", env->preload, old && *old ? ":" : "", old ? old : "");
    setenv("LD_PRELOAD", pre, 1);
    setenv("PYTHONMALLOC", "malloc", 1);
    setenv("ATOLL_OUTPUT", out, 1);
    if (env->threshold)
        setenv("ATOLL_THRESHOLD", env->threshold, 1);
    if (env->signal)
        setenv("ATOLL_SIGNAL", env->signal, 1);
    if (env->stack_depth)
        setenv("ATOLL_STACK_DEPTH", env->stack_depth, 1);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[0], argv);
    fprintf(stderr, "atoll run: %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

static int parse(int argc, char **argv, struct run_env *env, struct report_opts *ro)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, OPT_OUTPUT},
        {"threshold", required_argument, 0, OPT_THRESHOLD},
        {"signal", required_argument, 0, OPT_SIGNAL},
        {"stack-depth", required_argument, 0, OPT_STACK_DEPTH},
        {"preload", required_argument, 0, OPT_PRELOAD},
        {"format", required_argument, 0, OPT_FORMAT},
        {"report", required_argument, 0, OPT_REPORT},
        {"suppressions", required_argument, 0, OPT_SUPP},
        {"top", required_argument, 0, OPT_TOP},
        {"error-exitcode", required_argument, 0, OPT_ERROR_EXITCODE},
        {"help", no_argument, 0, OPT_HELP},
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
        default:
            if (cli_report_option(ro, "run", opt, optarg) < 0)
                return 2;
        }
    }
    if (optind == argc)
        return cli_usage_error("run", "missing PROGRAM");
    return -1;
}

int cmd_run(int argc, char **argv)
{
    struct run_env env = {0};
    struct report_opts ro = {FORMAT_TEXT, NULL, suppress_new(), 10, -1};
    char *preload = NULL;
    int rc = parse(argc, argv, &env, &ro);
    if (rc >= 0)
        goto out;
    rc = 2;
    if (!env.preload) {
        if (!(preload = run_find_preload("/proc/self/exe"))) {
            fputs("atoll run: cannot find libatoll.so beside the atoll binary\n", stderr);
            goto out;
        }
        env.preload = preload;
    }
    /* like system(): the terminal's ^C and ^\ are for the program; atoll reports after it */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "atoll run: fork: %s\n", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child(&env, argv + optind);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    char dirbuf[64];
    const char *dir = env.output;
    if (!dir) {
        snprintf(dirbuf, sizeof dirbuf, "atoll.%ld", (long)pid);
        dir = dirbuf;
    }
    char *dump = run_find_dump(dir, pid);
    if (!dump) {
        fprintf(stderr, "atoll run: no dump from pid %ld in %s\n", (long)pid, dir);
        goto out;
    }
    bool leaked = false;
    if (cli_report(&ro, dump, stderr, &leaked) == 0 && leaked && ro.error_exitcode >= 0)
        rc = ro.error_exitcode;
    free(dump);
out:
    free(preload);
    suppress_free(ro.supp);
    return rc;
}
