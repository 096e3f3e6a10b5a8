/* One run of atoll tune's workload: started in its own process group with the setting's
 * environment, its output kept in the run directory, timed from fork to reaping, killed (the
 * whole group) past the timeout. A run fails when it cannot start, is killed, times out or
 * exits non-zero; the reason is kept with the last line it wrote on stderr. */
#include "tune.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static _Noreturn void child(const struct tune_setting *s, const char *preload, const char *dir,
                            char **argv)
{
    char path[4200];
    setpgid(0, 0);
    snprintf(path, sizeof path, "%s/stdout", dir);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    snprintf(path, sizeof path, "%s/stderr", dir);
    int err = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(126);
    unsetenv("ATOLL_THRESHOLD");
    unsetenv("ATOLL_SMALL_MAX");
    if (!s->plain) {
        const char *old = getenv("LD_PRELOAD");
        snprintf(path, sizeof path, "%s%s%s", preload, old && *old ? ":" : "", old ? old : "");
        setenv("LD_PRELOAD", path, 1);
        setenv("PYTHONMALLOC", "malloc", 1);
        setenv("ATOLL_OUTPUT", dir, 1);
        setenv("ATOLL_THRESHOLD", *s->threshold ? s->threshold : "0,10,10", 1);
        if (*s->small_max)
            setenv("ATOLL_SMALL_MAX", s->small_max, 1);
    }
    if (s->python_gc) {
        unsetenv("ATOLL_PYTHON_GC");
        if (strcmp(s->pygc, "default") != 0)
            setenv("ATOLL_PYTHON_GC", s->pygc, 1);
        /* the memory run: atoll's allocator alone and CPython's own, so that the peak RSS is
         * the program's, not also the stacks profile mode records for each block; the
         * telemetry run keeps its exit collection, which tells the interpreter's
         * finalization apart */
        setenv("ATOLL_MODE", s->alloc_mode ? "alloc" : "profile", 1);
        setenv("ATOLL_AT_EXIT", "1", 1);
        if (s->alloc_mode)
            unsetenv("PYTHONMALLOC");
    }
    execvp(argv[0], argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* The last line of the run's stderr that is not atoll's own (its exit line, statistics), for
 * the failure's reason. */
static void last_line(const char *dir, char *buf, size_t len)
{
    char path[4200], chunk[4096];
    snprintf(path, sizeof path, "%s/stderr", dir);
    *buf = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof chunk - 1 ? size - (off_t)sizeof chunk + 1 : 0;
    ssize_t n = pread(fd, chunk, sizeof chunk - 1, from);
    close(fd);
    if (n <= 0)
        return;
    chunk[n] = 0;
    const char *last = NULL;
    for (char *save = NULL, *l = strtok_r(chunk, "\r\n", &save); l;
         l = strtok_r(NULL, "\r\n", &save))
        if (strncmp(l, "atoll: ", 7) != 0)
            last = l;
    if (last) {
        size_t k = strnlen(last, len - 1);
        memcpy(buf, last, k);
        buf[k] = 0;
    }
}

void tune_run_once(const struct tune_setting *s, const char *preload, const char *dir,
                   char **argv, double timeout_s, struct tune_run *r)
{
    memset(r, 0, sizeof *r);
    fflush(NULL);
    r->start_ns = now_ns(CLOCK_REALTIME);
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid == 0)
        child(s, preload, dir, argv);
    if (pid < 0) {
        r->failed = true;
        snprintf(r->why, sizeof r->why, "fork: %s", strerror(errno));
        return;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    bool timed_out = false;
    if (pidfd >= 0) {
        struct pollfd p = {pidfd, POLLIN, 0};
        int rc;
        while ((rc = poll(&p, 1, (int)(timeout_s * 1000))) < 0 && errno == EINTR)
            ;
        timed_out = rc == 0;
        close(pidfd);
    }
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    r->wall_s = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
    r->peak_rss_kb = ru.ru_maxrss;
    char line[120];
    last_line(dir, line, sizeof line);
    if (timed_out) {
        r->failed = true;
        snprintf(r->why, sizeof r->why, "timed out after %g s", timeout_s);
    } else if (WIFSIGNALED(status)) {
        r->failed = true;
        snprintf(r->why, sizeof r->why, "killed by signal %d (%s)%s%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), *line ? ": " : "", line);
    } else if (WEXITSTATUS(status)) {
        r->failed = true;
        snprintf(r->why, sizeof r->why, "exit status %d%s%s", WEXITSTATUS(status),
                 *line ? ": " : "", line);
    }
}
