/* A block that only a local variable of a thread's function holds: hold_on_stack keeps it in
 * `held` while the main thread collects (atoll_collect(2)). Prints the thread's id. */
#define _GNU_SOURCE
#include <atoll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t ready, collected;

/* Writes over the dead stack below the caller's frame: malloc's frames left words there that
 * the wait's frames may not overwrite, and a copy of the block's address there would be a
 * stack root of its own. */
__attribute__((noinline)) static void scrub(void)
{
    volatile char junk[8192];
    memset((char *)junk, 0, sizeof junk);
}

__attribute__((noinline)) static void hold_on_stack(void)
{
    void *volatile held = malloc(72);
    scrub();
    printf("thread %d\n", gettid());
    fflush(stdout);
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&collected);
    free(held);
}

static void *thread_main(void *arg)
{
    (void)arg;
    hold_on_stack();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&ready, NULL, 2);
    pthread_barrier_init(&collected, NULL, 2);
    if (pthread_create(&t, NULL, thread_main, NULL))
        return 1;
    pthread_barrier_wait(&ready);
    atoll_collect(2);
    pthread_barrier_wait(&collected);
    pthread_join(t, NULL);
    return 0;
}
