/* Helpers of the analyzer's Check tests: in-process analysis of synthetic dumps, temporary
 * directories, and running the atoll binary with its output captured. */
#include "support.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void load_dg(struct loaded *l, struct dg *g, const struct suppressions *supp)
{
    memset(l, 0, sizeof *l);
    ck_assert_int_eq(dg_build(g, &l->buf, &l->len), 0);
    dg_free(g);
    char err[256];
    int rc = dump_parse(&l->d, l->buf, l->len, err, sizeof err);
    ck_assert_msg(rc == 0, "dump_parse: %s", err);
    struct analyze_opts o = {.supp = supp, .symbolize = true};
    ck_assert_int_eq(analysis_run(&l->a, &l->d, &o), 0);
}

void load_scenario(struct loaded *l, const char *name)
{
    struct dg *g = scenario(name);
    ck_assert_ptr_nonnull(g);
    load_dg(l, g, NULL);
}

void unload(struct loaded *l)
{
    analysis_free(&l->a);
    dump_close(&l->d);
    free(l->buf);
}

char *temp_dir(void)
{
    char *t = strdup("/tmp/atoll-an-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t));
    return t;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *path_join(const char *dir, const char *name)
{
    char *p;
    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

static char *slurp(int fd)
{
    size_t len = 0, cap = 4096;
    char *s = malloc(cap);
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, s + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2)
            s = realloc(s, cap *= 2);
    }
    s[len] = 0;
    return s;
}

int run_capture(char *const argv[], char **out, char **err)
{
    FILE *fo = tmpfile(), *fe = tmpfile();
    ck_assert(fo && fe);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fileno(fo), 1);
        dup2(fileno(fe), 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (out)
        *out = slurp(fileno(fo));
    if (err)
        *err = slurp(fileno(fe));
    fclose(fo);
    fclose(fe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *atoll_path(void)
{
    const char *p = getenv("ATOLL_BIN");
    ck_assert_msg(p != NULL, "ATOLL_BIN is not set");
    return p;
}

int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

void expect_invalid(struct dg *g, const char *message)
{
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(dg_build(g, &buf, &len), 0);
    dg_free(g);
    struct dump d;
    char err[256];
    ck_assert_int_eq(dump_parse(&d, buf, len, err, sizeof err), -1);
    ck_assert_msg(strstr(err, message), "error '%s' lacks '%s'", err, message);
    free(buf);
}
