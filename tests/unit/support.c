/* Support shared by the test files: capturing stderr, running this program as a child with a
 * chosen environment, and checking that the heap still hands out sound blocks. */
#include "unit.h"

#include <atoll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int mem_file(const char *name)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    return fd;
}

/* Reads the whole in-memory file into buf, NUL-terminated. */
static size_t slurp(int fd, char *buf, size_t size)
{
    size_t len = 0;
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    while (len + 1 < size) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        ck_assert_int_ge(n, 0);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return len;
}

void capture_begin(struct capture *c)
{
    c->mem_fd = mem_file("stderr");
    c->saved_fd = dup(2);
    ck_assert_int_ge(c->saved_fd, 0);
    ck_assert_int_eq(dup2(c->mem_fd, 2), 2);
}

size_t capture_end(struct capture *c, char *buf, size_t size)
{
    ck_assert_int_eq(dup2(c->saved_fd, 2), 2);
    close(c->saved_fd);
    size_t len = slurp(c->mem_fd, buf, size);
    close(c->mem_fd);
    return len;
}

int run_self(const char *mode, char *const envp[], struct child_output *o)
{
    int out_fd = mem_file("stdout");
    int err_fd = mem_file("stderr");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char *const argv[] = { "unit", (char *)mode, NULL };
        /* No exit collection: its one-line summary would join the output under test. */
        char *env[64];
        int n = 0;
        for (; envp[n] && n < 62; n++)
            env[n] = envp[n];
        env[n++] = "ATOLL_AT_EXIT=0";
        env[n] = NULL;
        if (dup2(out_fd, 1) != 1 || dup2(err_fd, 2) != 2)
            _exit(126);
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    o->pid = pid;
    slurp(out_fd, o->out, sizeof o->out);
    slurp(err_fd, o->err, sizeof o->err);
    close(out_fd);
    close(err_fd);
    return status;
}

void tally_check(struct tally *t, int ok, const char *fmt, ...)
{
    if (ok)
        return;
    if (t->bad++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->first, sizeof t->first, fmt, ap);
        va_end(ap);
    }
}

size_t count_ptr(void *const *v, size_t n, const void *p)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += v[i] == p;
    return k;
}

static int ptr_order(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

void assert_distinct(void **v, size_t n)
{
    qsort(v, n, sizeof *v, ptr_order);
    size_t same = 0;
    for (size_t i = 1; i < n; i++)
        same += v[i - 1] == v[i];
    ck_assert_uint_eq(same, 0);
}

#define SOUND_PER_SIZE 400

void assert_heap_sound(void)
{
    static const size_t sizes[] = { 16, 48, 112, 256, 512 };
    enum { NSIZES = sizeof sizes / sizeof sizes[0], TOTAL = NSIZES * SOUND_PER_SIZE };
    void **v = malloc(TOTAL * sizeof *v);
    size_t *len = malloc(TOTAL * sizeof *len);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_nonnull(len);
    size_t bad = 0;
    for (size_t i = 0; i < TOTAL; i++) {
        len[i] = sizes[i % NSIZES];
        v[i] = malloc(len[i]);
        ck_assert_ptr_nonnull(hide(v[i]));
        bad += (uintptr_t)v[i] % 16 != 0 || !atoll_owns(v[i]);
        memset(v[i], (int)(i & 0xff), len[i]);
    }
    /* Overlapping blocks would have overwritten each other's bytes. Check's assertions cost a
     * message each, so loops count and assert once. */
    for (size_t i = 0; i < TOTAL; i++)
        for (size_t j = 0; j < len[i]; j++)
            bad += ((unsigned char *)v[i])[j] != (i & 0xff);
    ck_assert_uint_eq(bad, 0);
    for (size_t i = 0; i < TOTAL; i++)
        free(v[i]);
    assert_distinct(v, TOTAL);
    free(len);
    free(v);
}
