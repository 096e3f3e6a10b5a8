/* fork_threads: fork, again and again, while 8 threads allocate and free. Each child checks the
 * blocks the parent's threads handed to the forking thread, then allocates and frees 100k
 * blocks in its main thread and in 2 new threads (which get heaps of their own: the heaps of
 * the parent's threads may have been copied mid-change), and exits 0. A child still running
 * after 20 s counts as deadlocked: the parent prints its threads' stacks (gdb) and kills it;
 * alarm() ends it at 30 s if the parent cannot.
 *
 * Exit 0 when every child exited 0 and no block was damaged. */
#define _GNU_SOURCE
#include "progcheck.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PARENT_THREADS 8
#define FORKS 50
#define CHILD_THREADS 2
#define CHILD_BLOCKS 100000
#define WINDOW 64
#define CHILD_TIMEOUT 20
#define CHILD_ALARM 30
#define SMALL_MAX 512 /* atoll's default ATOLL_SMALL_MAX */

struct gift {
    struct gift *next;
    size_t size;
    uint64_t key;
    unsigned char data[];
};

static struct gift *gifts;  /* lock-free stack: parent threads push, the forking thread takes */
static int stop;

static size_t pick_size(uint64_t *rng)
{
    uint64_t r = pc_rand(rng);
    return r % 16 == 0 ? 513 + (size_t)(r >> 8) % 8000 : (size_t)(r >> 8) % 513;
}

/* Allocates and frees n blocks, WINDOW of them alive at a time, checking each. */
static void churn(uint64_t seed, long n, const int *stop_flag)
{
    struct {
        void *p;
        size_t size;
        uint64_t key;
    } win[WINDOW] = { { 0 } };
    uint64_t rng = seed | 1;
    for (long i = 0; i < n && !(stop_flag && __atomic_load_n(stop_flag, __ATOMIC_RELAXED)); i++) {
        unsigned k = (unsigned)(pc_rand(&rng) % WINDOW);
        if (win[k].p) {
            pc_verify("churn", win[k].p, win[k].size, win[k].key);
            free(win[k].p);
        }
        size_t size = pick_size(&rng);
        void *p = malloc(size);
        if (!p) {
            pc_fail("malloc(%zu) returned NULL", size);
            win[k].p = NULL;
            continue;
        }
        win[k].key = pc_key(p, size, rng);
        pc_fill(p, size, win[k].key);
        pc_verify_align("churn", p, 16);
        pc_verify_owner("churn", p, size <= SMALL_MAX);
        win[k].p = p;
        win[k].size = size;
    }
    for (unsigned k = 0; k < WINDOW; k++) {
        if (win[k].p) {
            pc_verify("churn", win[k].p, win[k].size, win[k].key);
            free(win[k].p);
        }
    }
}

static void give(uint64_t *rng)
{
    size_t size = (size_t)(pc_rand(rng) % 400);
    struct gift *g = malloc(sizeof *g + size);
    if (!g) {
        pc_fail("malloc for a gift returned NULL");
        return;
    }
    g->size = size;
    g->key = pc_key(g->data, size, *rng);
    pc_fill(g->data, size, g->key);
    struct gift *head = __atomic_load_n(&gifts, __ATOMIC_RELAXED);
    do
        g->next = head;
    while (!__atomic_compare_exchange_n(&gifts, &head, g, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static void free_gifts(struct gift *g, const char *who)
{
    for (struct gift *next; g; g = next) {
        next = g->next;
        pc_verify(who, g->data, g->size, g->key);
        free(g);
    }
}

static void *parent_thread(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ULL + 1;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        churn(pc_rand(&rng), 2000, &stop);
        give(&rng);
    }
    return NULL;
}

static void *child_thread(void *arg)
{
    churn((uint64_t)(uintptr_t)arg, CHILD_BLOCKS, NULL);
    return NULL;
}

static void child(int n, struct gift *held)
{
    alarm(CHILD_ALARM);
    unsigned long inherited = pc_failures();     /* the parent's, counted before the fork */
    free_gifts(held, "child: block handed over before fork");
    pthread_t t[CHILD_THREADS];
    int started = 0;
    for (; started < CHILD_THREADS; started++) {
        int err = pthread_create(&t[started], NULL, child_thread,
                                 (void *)(uintptr_t)(n * 100 + started + 1));
        if (err) {
            pc_fail("child %d: pthread_create: %s", n, strerror(err));
            break;
        }
    }
    churn((uint64_t)n * 100, CHILD_BLOCKS, NULL);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    _exit(pc_failures() > inherited ? 1 : 0);
}

int main(void)
{
    pc_expect_init();
    pthread_t t[PARENT_THREADS];
    for (int i = 0; i < PARENT_THREADS; i++) {
        int err = pthread_create(&t[i], NULL, parent_thread, (void *)(uintptr_t)(i + 1));
        if (err) {
            fprintf(stderr, "pthread_create: %s\n", strerror(err));
            return 1;
        }
    }
    int ok = 0;
    for (int n = 1; n <= FORKS; n++) {
        struct gift *held = __atomic_exchange_n(&gifts, NULL, __ATOMIC_ACQUIRE);
        pid_t pid = fork();
        if (pid < 0) {
            pc_fail("fork %d: %s", n, strerror(errno));
            break;
        }
        if (pid == 0)
            child(n, held);
        int st;
        int waited = pc_wait_child(pid, CHILD_TIMEOUT, &st);
        if (waited < 0)
            pc_fail("waitpid: %s", strerror(errno));
        else if (waited > 0)
            pc_fail("child %d deadlocked: still running after %d s", n, CHILD_TIMEOUT);
        else if (WIFSIGNALED(st))
            pc_fail("child %d killed by signal %d%s", n, WTERMSIG(st),
                    WTERMSIG(st) == SIGALRM ? " (deadlocked: alarm)" : "");
        else if (WEXITSTATUS(st) != 0)
            pc_fail("child %d exited with status %d", n, WEXITSTATUS(st));
        else
            ok++;
        free_gifts(held, "parent: block handed over before fork");
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < PARENT_THREADS; i++)
        pthread_join(t[i], NULL);
    free_gifts(__atomic_exchange_n(&gifts, NULL, __ATOMIC_ACQUIRE), "parent: last blocks");
    if (pc_failures()) {
        fprintf(stderr, "fork_threads: %lu failures, %d of %d children exited 0\n",
                pc_failures(), ok, FORKS);
        return 1;
    }
    printf("fork_threads: %d children exited 0\n", ok);
    return 0;
}
