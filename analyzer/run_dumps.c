/* The dumps of one `atoll run`: every process of the run that left one (the program, its
 * children, what they exec), each with all its dumps in collection order, in the order the
 * processes started.
 *
 * A run's processes all write into its output directory (they inherit ATOLL_OUTPUT), named
 * "<name>.<pid>.<seq>.atoll". A dump belongs to the run unless the directory held it, with the
 * same modification time, before the run began: what earlier runs left in a reused --output
 * directory is not this run's. (A time cut-off would not do: file times come from a clock
 * that ticks every few milliseconds, so an earlier run's last dump can bear the same time as
 * the start of the next.) Pids
 * are handed out in increasing order, wrapping at pid_max, so a process started before
 * another of the run has the smaller distance from the program's pid. */
#include "analyzer.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static long pid_max(void)
{
    long max = 4194304;
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    if (f) {
        if (fscanf(f, "%ld", &max) != 1 || max <= 0)
            max = 4194304;
        fclose(f);
    }
    return max;
}

static long start_order_root, start_order_wrap;

static long start_order(long pid)
{
    return ((pid - start_order_root) % start_order_wrap + start_order_wrap) % start_order_wrap;
}

/* One dump file of the run. */
struct found {
    char *path;
    long pid;
    unsigned long long seq;
};

static int by_start(const void *x, const void *y)
{
    const struct found *f = x, *g = y;
    long a = start_order(f->pid), b = start_order(g->pid);
    if (a != b)
        return (a > b) - (a < b);
    return (f->seq > g->seq) - (f->seq < g->seq);
}

struct run_listing {
    char **names;               /* sorted */
    struct timespec *mtimes;
    size_t n;
};

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static bool mtime_of(const char *dir, const char *name, struct timespec *t)
{
    char *path;
    struct stat st;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return false;
    bool ok = stat(path, &st) == 0;
    free(path);
    if (ok)
        *t = st.st_mtim;
    return ok;
}

struct run_listing *run_dumps_before(const char *dir)
{
    struct run_listing *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    DIR *dp = opendir(dir);
    if (!dp)
        return l;
    size_t cap = 0;
    struct dirent *e;
    long pid;
    unsigned long long seq;
    while ((e = readdir(dp))) {
        if (!parse_dump_name(e->d_name, &pid, &seq))
            continue;
        if (l->n == cap) {
            char **names = realloc(l->names, (cap = cap ? 2 * cap : 16) * sizeof *names);
            if (!names)
                goto fail;
            l->names = names;
        }
        if (!(l->names[l->n] = strdup(e->d_name)))
            goto fail;
        l->n++;
    }
    closedir(dp);
    if (l->n)
        qsort(l->names, l->n, sizeof *l->names, by_name);
    if (!(l->mtimes = calloc(l->n + 1, sizeof *l->mtimes))) {
        run_listing_free(l);
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++)
        mtime_of(dir, l->names[i], &l->mtimes[i]);
    return l;
fail:
    closedir(dp);
    run_listing_free(l);
    return NULL;
}

void run_listing_free(struct run_listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->mtimes);
    free(l);
}

/* Whether the directory held this very file before the run. */
static bool was_there(const struct run_listing *before, const char *dir, const char *name)
{
    if (!before || !before->n)
        return false;
    char *const *hit = bsearch(&name, before->names, before->n, sizeof *before->names, by_name);
    struct timespec t;
    if (!hit || !mtime_of(dir, name, &t))
        return false;
    const struct timespec *old = &before->mtimes[hit - before->names];
    return t.tv_sec == old->tv_sec && t.tv_nsec == old->tv_nsec;
}

void run_dumps_free(struct run_dump *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < d[i].npaths; k++)
            free(d[i].paths[k]);
        free(d[i].paths);
    }
    free(d);
}

/* The run's dump files, unsorted; NULL with *n == 0 when there are none, -1 when out of
 * memory. */
static int list_dumps(const char *dir, const struct run_listing *before, struct found **out,
                      size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        struct found f;
        if (!parse_dump_name(e->d_name, &f.pid, &f.seq) || was_there(before, dir, e->d_name))
            continue;
        if (*n == cap) {
            struct found *grown = realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof *grown);
            if (!grown)
                goto fail;
            *out = grown;
        }
        if (asprintf(&f.path, "%s/%s", dir, e->d_name) < 0)
            goto fail;
        (*out)[(*n)++] = f;
    }
    closedir(dp);
    return 0;
fail:
    closedir(dp);
    for (size_t i = 0; i < *n; i++)
        free((*out)[i].path);
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

int run_dumps_find(const char *dir, long root, const struct run_listing *before,
                   struct run_dump **out, size_t *count)
{
    struct found *f;
    size_t nf;
    *out = NULL;
    *count = 0;
    if (list_dumps(dir, before, &f, &nf))
        return -1;
    start_order_root = root;
    start_order_wrap = pid_max();
    if (nf)
        qsort(f, nf, sizeof *f, by_start);
    struct run_dump *d = calloc(nf + 1, sizeof *d);
    size_t n = 0, i = 0;
    for (; d && i < nf; i++) {
        if (!n || d[n - 1].pid != f[i].pid)
            d[n++].pid = f[i].pid;
        char **grown = realloc(d[n - 1].paths, (d[n - 1].npaths + 1) * sizeof *grown);
        if (!grown)
            break;
        d[n - 1].paths = grown;
        grown[d[n - 1].npaths++] = f[i].path;
    }
    int rc = d && i == nf ? 0 : -1;
    for (; i < nf; i++)
        free(f[i].path);
    free(f);
    if (rc) {
        run_dumps_free(d, n);
        return rc;
    }
    *out = d;
    *count = n;
    return 0;
}
