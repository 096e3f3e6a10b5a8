/* `atoll collect PID`: ask a running program for a collection now. The program must run under
 * atoll with a collection signal (ATOLL_SIGNAL, `atoll run --signal`): the signal is read from
 * its environment and sent. With --wait, the collection's line of collections.jsonl is awaited
 * and summed up. */
#include "analyzer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char collect_help[] =
    "usage: atoll collect [--wait] PID\n"
    "\n"
    "Ask process PID, running under atoll with a collection signal (atoll run --signal SIG,\n"
    "or ATOLL_SIGNAL), for a full collection now, by sending it that signal.\n"
    "\n"
    "  --wait   wait (up to 60 s) for the collection's line in collections.jsonl and print it\n"
    "  --help   this text\n";

/* The whole of a /proc file (NUL-separated for environ); NULL with errno. */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    ssize_t got;
    while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap) {
            char *g = realloc(buf, (cap *= 2) + 1);
            if (!g)
                free(buf);
            buf = g;
        }
    }
    int err = errno;
    close(fd);
    if (buf)
        buf[n] = 0;
    *len = n;
    errno = err;
    return buf;
}

/* The value of NAME in a NUL-separated environment block, or NULL. */
static const char *env_value(const char *env, size_t len, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len; i += strlen(env + i) + 1)
        if (strncmp(env + i, name, nl) == 0 && env[i + nl] == '=')
            return env + i + nl + 1;
    return NULL;
}

/* The preload's ATOLL_SIGNAL syntax (preload/options.c); -1 if it is not a signal. */
static int signal_number(const char *v)
{
    static const struct {
        const char *name;
        int sig;
    } names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},
                 {"PROF", SIGPROF}, {"URG", SIGURG},   {"WINCH", SIGWINCH}};
    unsigned long n;
    if (strncmp(v, "SIG", 3) == 0)
        v += 3;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(v, names[i].name) == 0)
            return names[i].sig;
    if (strncmp(v, "RTMIN+", 6) == 0)
        return cli_parse_uint(v + 6, 8, &n) ? SIGRTMIN + (int)n : -1;
    if (!cli_parse_uint(v, 64, &n) || n == 0 || n == SIGKILL || n == SIGSTOP)
        return -1;
    return (int)n;
}

/* Whether libatoll.so is mapped into pid. */
static bool runs_atoll(long pid)
{
    char path[64];
    size_t len;
    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    char *maps = slurp(path, &len);
    bool yes = maps && strstr(maps, "/libatoll.so\n");
    free(maps);
    return yes;
}

/* Lines of path (0 if it does not exist). */
static size_t count_lines(const char *path, char **last)
{
    size_t len, n = 0;
    char *text = slurp(path, &len);
    if (!text)
        return 0;
    char *start = text;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n') {
            n++;
            if (last && i + 1 < len)
                start = text + i + 1;
        }
    if (last)
        *last = strdup(start);
    free(text);
    return n;
}

/* Waits for a new line of the program's collections.jsonl; 0 when it came, printed. */
static int await_line(const char *jsonl, size_t before, long pid)
{
    struct timespec tick = {0, 50 * 1000 * 1000};
    for (int i = 0; i < 1200; i++) {
        char *last = NULL;
        if (count_lines(jsonl, &last) > before) {
            struct collection_rec r;
            char err[256];
            int bad = jsonl_parse(last, &r, err, sizeof err);
            if (!bad)
                printf("collection %u of pid %u: generation %u, pause %.3f ms, %llu blocks, "
                       "%llu unreachable (%llu bytes), dump %s\n",
                       r.collection, r.pid, r.generation, r.pause_ms,
                       (unsigned long long)r.blocks, (unsigned long long)r.unreachable_blocks,
                       (unsigned long long)r.unreachable_bytes, r.dump);
            else
                fprintf(stderr, "atoll collect: %s: %s\n", jsonl, err);
            free(last);
            return bad ? 2 : 0;
        }
        free(last);
        if (kill((pid_t)pid, 0) && errno == ESRCH) {
            fprintf(stderr, "atoll collect: process %ld exited before its collection was "
                            "recorded\n", pid);
            return 1;
        }
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "atoll collect: no collection recorded in %s within 60 s\n", jsonl);
    return 1;
}

int cmd_collect(int argc, char **argv)
{
    bool wait = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(collect_help, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--wait") != 0)
            return cli_usage_error("collect", "unknown option '%s'", argv[i]);
        wait = true;
    }
    if (i != argc - 1)
        return cli_usage_error("collect", i == argc ? "missing PID" : "one PID only");
    unsigned long pid;
    if (!cli_parse_uint(argv[i], 0x3FFFFFFF, &pid) || pid == 0)
        return cli_usage_error("collect", "PID must be a process id, not '%s'", argv[i]);
    char path[64];
    size_t len;
    snprintf(path, sizeof path, "/proc/%lu/environ", pid);
    char *env = slurp(path, &len);
    if (!env) {
        if (errno == ENOENT)
            fprintf(stderr, "atoll collect: no process %lu\n", pid);
        else
            fprintf(stderr, "atoll collect: cannot read the environment of process %lu: %s\n",
                    pid, strerror(errno));
        return 2;
    }
    int rc = 2;
    char *jsonl = NULL;
    const char *sigv = env_value(env, len, "ATOLL_SIGNAL");
    int sig;
    if (!runs_atoll((long)pid)) {
        fprintf(stderr, "atoll collect: process %lu does not run under atoll (no libatoll.so "
                        "mapped)\n", pid);
    } else if (!sigv || !*sigv) {
        fprintf(stderr, "atoll collect: process %lu has no collection signal (start it with "
                        "atoll run --signal SIG, or ATOLL_SIGNAL)\n", pid);
    } else if ((sig = signal_number(sigv)) < 0) {
        fprintf(stderr, "atoll collect: process %lu has ATOLL_SIGNAL=%s, which is not a "
                        "signal\n", pid, sigv);
    } else {
        const char *out = env_value(env, len, "ATOLL_OUTPUT");
        int made = out && *out == '/'
                       ? asprintf(&jsonl, "%s/collections.jsonl", out)
                       : out ? asprintf(&jsonl, "/proc/%lu/cwd/%s/collections.jsonl", pid, out)
                             : asprintf(&jsonl, "/proc/%lu/cwd/atoll.%lu/collections.jsonl",
                                        pid, pid);
        if (made < 0) {
            jsonl = NULL;
            fputs("atoll collect: out of memory\n", stderr);
            goto out;
        }
        size_t before = count_lines(jsonl, NULL);
        if (kill((pid_t)pid, sig)) {
            fprintf(stderr, "atoll collect: cannot signal process %lu: %s\n", pid,
                    strerror(errno));
            goto out;
        }
        rc = wait ? await_line(jsonl, before, (long)pid) : 0;
        if (!wait)
            printf("sent SIG%s to process %lu\n", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
                   pid);
    }
out:
    free(jsonl);
    free(env);
    return rc;
}
