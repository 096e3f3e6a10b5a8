/* Graphviz's `dot -Tsvg` run on a drawing of the dot report: the SVG of `--format svg` and the
 * pictures of the HTML report. The drawing goes to dot through a temporary file, which dot
 * reads whole before it writes, so no pipe can fill up both ways; dot's complaints are kept
 * in another one and the first of them explains a failure. */
#include "analyzer.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int temp_file(char *path, size_t size)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, size, "%s/atoll-dot-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

static bool write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w, n -= (size_t)w;
    }
    return lseek(fd, 0, SEEK_SET) == 0;
}

static void close_fd(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* dot's first line on its stderr, for the reason it failed. */
static void first_line(int fd, char *out, size_t size)
{
    ssize_t n = pread(fd, out, size - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

/* dot with its standard input from in, output to the pipe's write end, errors to errfd. */
static int spawn_dot(int in, int out, int errfd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa))
        return ENOMEM;
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    char *argv[] = {"dot", "-Tsvg", NULL};
    int rc = posix_spawnp(pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

int graphviz_svg(const char *dot, size_t n, FILE *out, char *err, size_t errlen)
{
    char inpath[4096], errpath[4096];
    int in = temp_file(inpath, sizeof inpath), errfd = temp_file(errpath, sizeof errpath);
    int p[2] = {-1, -1}, rc = -1;
    if (in < 0 || errfd < 0 || !write_all(in, dot, n) || pipe2(p, O_CLOEXEC)) {
        snprintf(err, errlen, "a temporary file for dot: %s", strerror(errno));
        goto out;
    }
    pid_t pid;
    int sp = spawn_dot(in, p[1], errfd, &pid);
    close(p[1]);
    p[1] = -1;
    if (sp == ENOENT) {
        snprintf(err, errlen, "Graphviz's dot is not on PATH (Debian package graphviz)");
        goto out;
    }
    if (sp) {
        snprintf(err, errlen, "cannot run Graphviz's dot: %s", strerror(sp));
        goto out;
    }
    char buf[1 << 16];
    ssize_t r;
    bool wrote = true;
    while ((r = read(p[0], buf, sizeof buf)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        wrote = wrote && fwrite(buf, 1, (size_t)r, out) == (size_t)r;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        char why[256];
        first_line(errfd, why, sizeof why);
        snprintf(err, errlen, "Graphviz's dot failed: %s", *why ? why : "no reason given");
    } else if (!wrote) {
        snprintf(err, errlen, "write error");
    } else {
        rc = 0;
    }
out:
    close_fd(in), close_fd(errfd), close_fd(p[0]), close_fd(p[1]);
    return rc;
}
