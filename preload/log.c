/* Where the library's lines go. A preloaded library is a guest: it writes on the program's
 * stderr only what it has to report, and ATOLL_LOG=PATH sends every line to PATH.<pid> instead,
 * one file per process, as LeakSanitizer's log_path and Valgrind's --log-file do. The file is
 * opened at the first line, so a process with nothing to say leaves no file. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

static char log_path[600];              /* ATOLL_LOG made absolute; empty: stderr */
static int log_fd = -1;                 /* -1: not opened yet */
static int log_pid;                     /* the process whose file it is; a snapshot child keeps its parent's */
int atoll_verbose;

const char *atoll_error_text(int err)
{
    switch (err) {
    case ENOSPC: return "no space left on device";
    case EACCES: return "permission denied";
    case EROFS: return "read-only file system";
    case ENOENT: return "no such file or directory";
    case EEXIST: return "file exists";
    case ELOOP: return "is a symbolic link";
    case ENOTDIR: return "not a directory";
    case EDQUOT: return "disk quota exceeded";
    case ENOMEM: return "out of memory";
    default: return "I/O error";
    }
}

void atoll_log_configure(const char *path, const char *cwd)
{
    log_pid = getpid();
    if (!path || !*path)
        log_path[0] = 0;
    else if (path[0] == '/')
        atoll_fmt(log_path, sizeof log_path, "%s", path);
    else
        atoll_fmt(log_path, sizeof log_path, "%s/%s", cwd, path);
}

/* A forked child writes to a file of its own. */
void atoll_log_after_fork_child(void)
{
    if (log_fd > 2)
        close(log_fd);
    log_fd = -1;
    log_pid = getpid();
}

static void write_all(int fd, const char *s, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, s + done, n - done);
        if (w <= 0 && errno != EINTR)
            break;
        if (w > 0)
            done += (size_t)w;
    }
}

/* O_NOFOLLOW: a symbolic link planted at the path must not redirect the program's writes. */
static int log_open(void)
{
    int fd = __atomic_load_n(&log_fd, __ATOMIC_ACQUIRE);
    if (fd >= 0)
        return fd;
    if (!log_path[0])
        return 2;
    char path[640];
    atoll_fmt(path, sizeof path, "%s.%d", log_path, log_pid);
    int opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (opened < 0) {
        char line[768];
        size_t n = atoll_fmt(line, sizeof line, "atoll: cannot open the log %s: %s; logging to "
                             "stderr\n", path, atoll_error_text(errno));
        write_all(2, line, n < sizeof line ? n : sizeof line - 1);
        opened = 2;
    }
    int expected = -1;
    if (!__atomic_compare_exchange_n(&log_fd, &expected, opened, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (opened > 2)
            close(opened);
        return expected;
    }
    return opened;
}

/* One line, prefixed "atoll: ". */
void atoll_log(const char *fmt, ...)
{
    char line[512];
    int saved_errno = errno;
    size_t n = atoll_fmt(line, sizeof line, "%s", "atoll: ");
    va_list ap;
    va_start(ap, fmt);
    n += atoll_vfmt(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    write_all(log_open(), line, n);
    errno = saved_errno;
}
