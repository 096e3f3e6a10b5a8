/* Content patterns, alignment and ownership checks, and failure reports for the test programs
 * (see progcheck.h). */
#define _GNU_SOURCE
#define ATOLL_WEAK
#include "progcheck.h"

#include <atoll.h>

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_REPORTS 40
#define WORD_STEP 0x9E3779B97F4A7C15ULL

static unsigned long failures;
static int expect = -1;

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t pc_key(const void *p, size_t size, uint64_t seed)
{
    return mix((uint64_t)(uintptr_t)p ^ mix(size ^ (seed << 20)));
}

static uint8_t pattern_byte(uint64_t key, size_t i)
{
    uint64_t w = key + (uint64_t)(i / 8) * WORD_STEP;
    return (uint8_t)(w >> (8 * (i % 8)));
}

void pc_fill(void *p, size_t size, uint64_t key)
{
    unsigned char *b = p;
    size_t words = size / 8;
    for (size_t k = 0; k < words; k++) {
        uint64_t w = key + (uint64_t)k * WORD_STEP;
        memcpy(b + 8 * k, &w, 8);
    }
    for (size_t i = words * 8; i < size; i++)
        b[i] = pattern_byte(key, i);
}

int pc_verify(const char *what, const void *p, size_t n, uint64_t key)
{
    const unsigned char *b = p;
    size_t words = n / 8;
    size_t k = 0;
    for (; k < words; k++) {
        uint64_t w = key + (uint64_t)k * WORD_STEP, got;
        memcpy(&got, b + 8 * k, 8);
        if (got != w)
            break;
    }
    for (size_t i = k * 8; i < n; i++) {
        if (b[i] != pattern_byte(key, i)) {
            pc_fail("%s: block %p (%zu bytes checked): byte %zu is 0x%02x, expected 0x%02x", what,
                    p, n, i, b[i], pattern_byte(key, i));
            return 0;
        }
    }
    return 1;
}

int pc_verify_zero(const char *what, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            pc_fail("%s: block %p of %zu bytes: byte %zu is 0x%02x, expected 0", what, p, n, i,
                    b[i]);
            return 0;
        }
    }
    return 1;
}

int pc_verify_align(const char *what, const void *p, size_t align)
{
    if ((uintptr_t)p % align == 0)
        return 1;
    pc_fail("%s: block %p is not %zu-aligned", what, p, align);
    return 0;
}

void pc_expect_init(void)
{
    const char *v = getenv("ATOLL_EXPECT");
    expect = v ? atoi(v) : -1;
    int present = atoll_owns != NULL;
    if (expect == 1 && !present)
        pc_fail("ATOLL_EXPECT=1 but atoll_owns is NULL: atoll is not preloaded");
    if (expect == 0 && present)
        pc_fail("ATOLL_EXPECT=0 but atoll_owns is resolved: atoll is preloaded");
}

int pc_atoll_present(void)
{
    return atoll_owns != NULL;
}

void pc_verify_owner(const char *what, const void *p, int owned)
{
    if (atoll_owns && !atoll_owns(p) != !owned)
        pc_fail("%s: atoll_owns(%p) is %d, expected %s", what, p, atoll_owns(p),
                owned ? "nonzero" : "0");
}

void pc_fail(const char *fmt, ...)
{
    unsigned long n = __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
    if (n >= MAX_REPORTS)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    if ((size_t)len > sizeof line - 2)
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    for (int done = 0; done < len;) {
        ssize_t w = write(2, line + done, (size_t)(len - done));
        if (w <= 0)
            break;
        done += (int)w;
    }
}

unsigned long pc_failures(void)
{
    return __atomic_load_n(&failures, __ATOMIC_RELAXED);
}

static void print_stacks(int pid)
{
    char target[16];
    snprintf(target, sizeof target, "%d", pid);
    char *argv[] = { "gdb", "-batch", "-nx", "-p", target, "-ex", "thread apply all bt", NULL };
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
    pid_t gdb;
    int err = posix_spawnp(&gdb, "gdb", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err) {
        pc_fail("cannot run gdb for the stacks of %d: %s", pid, strerror(err));
        return;
    }
    int st;
    while (waitpid(gdb, &st, 0) < 0 && errno == EINTR)
        ;
}

int pc_wait_child(int pid, unsigned timeout_s, int *status)
{
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    for (unsigned long waited = 0; waited < timeout_s * 100ul; waited++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        nanosleep(&tick, NULL);
    }
    char line[96];
    int len = snprintf(line, sizeof line, "child %d still running after %u s; its threads:\n",
                       pid, timeout_s);
    if (write(2, line, (size_t)len) < 0)
        return -1;
    print_stacks(pid);
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return 1;
}
