/* Many kinds of call stacks, each allocating: for ATOLL_UNWIND_CHECK=1, which compares every
 * stack atoll's walker records with libunwind's (stacks.sh reads the verdict). Deep recursion;
 * code built with and without frame pointers (stacks_o0.c is -O0); alloca; qsort's callbacks
 * (frames of libc between the program's); C++ with exceptions and std::function
 * (stacks_cxx.cpp); two builds of one library (-O2, and -O0 with frame pointers: other unwind
 * rules at the same offsets), each opened and closed in turn, so that one is likely to be
 * loaded where the other was; signal handlers that
 * allocate, on the thread's stack and on an alternate one, interrupting code anywhere (a
 * thread sends them every 20 us); and all of it on several threads at once. */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stacks.h"

#define WORKERS 4

static int in_handler_allocs;
static const char *lib_paths[2];
static pthread_t workers[WORKERS];
static int done;

/* The handler allocates through a short chain of its own. */
static __attribute__((noinline)) void *handler_alloc(size_t n)
{
    void *p = malloc(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

static void on_signal(int sig)
{
    (void)sig;
    free(handler_alloc(24));
    __atomic_fetch_add(&in_handler_allocs, 1, __ATOMIC_RELAXED);
}

static __attribute__((noinline)) void *recurse(int depth, size_t n)
{
    if (depth == 0)
        return malloc(n);
    void *p = recurse(depth - 1, n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

static __attribute__((noinline)) void *with_alloca(size_t n)
{
    char *buf = __builtin_alloca(n + 16);
    memset(buf, 1, n + 16);
    __asm__ volatile("" : : "r"(buf) : "memory");
    return malloc(n + (size_t)buf[3]);
}

static int compare_allocating(const void *a, const void *b)
{
    free(malloc(16));
    return *(const int *)a - *(const int *)b;
}

static void sort_allocating(void)
{
    int v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (i * 37) % 64;
    qsort(v, 64, sizeof v[0], compare_allocating);
}

static void library_round(const char *lib_path)
{
    void *h = dlopen(lib_path, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "stacks: dlopen %s: %s\n", lib_path, dlerror());
        exit(1);
    }
    void (*work)(int) = (void (*)(int))(uintptr_t)dlsym(h, "stacks_lib_work");
    work(200);
    dlclose(h);
}

static void one_round(int round)
{
    free(recurse(round % 300, 32));
    free(with_alloca((size_t)(round % 200)));
    free(stacks_o0_chain(round % 20, 48));
    stacks_cxx_work(round);
    if (round % 50 == 0)
        sort_allocating();
    if (round % 200 == 0)
        raise(SIGUSR1);
}

static void *thread_main(void *arg)
{
    int rounds = (int)(intptr_t)arg;
    for (int r = 0; r < rounds; r++)
        one_round(r);
    return NULL;
}

/* Interrupts the workers wherever they are: in the program, in libc, in atoll's malloc. */
static void *pest(void *arg)
{
    (void)arg;
    struct timespec pause = { 0, 20000 };
    for (unsigned i = 0; !__atomic_load_n(&done, __ATOMIC_ACQUIRE); i++) {
        pthread_kill(workers[i % WORKERS], SIGPROF);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stacks LIBRARY LIBRARY_O0\n");
        return 2;
    }
    lib_paths[0] = argv[1];
    lib_paths[1] = argv[2];

    static char altstack[1 << 16];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGPROF, &sa, NULL);
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);

    workers[0] = pthread_self();
    for (int i = 1; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, thread_main, (void *)(intptr_t)1500);
    pthread_t pester;
    pthread_create(&pester, NULL, pest, NULL);
    for (int i = 0; i < 6; i++)
        library_round(lib_paths[i % 2]);
    thread_main((void *)(intptr_t)1500);
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    pthread_join(pester, NULL);
    for (int i = 1; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    printf("stacks: %d allocations in signal handlers\n", in_handler_allocs);
    return 0;
}
