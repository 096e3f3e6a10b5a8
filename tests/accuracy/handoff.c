/* Blocks handed from one thread to another: a worker thread allocates 100 48-byte blocks and a
 * ring of 3 40-byte blocks, then exits; the main thread frees the 100 (into the heap of a
 * thread that is gone: nobody drains those frees) and keeps the ring in a global. Nothing is
 * lost. With "drop" it lets go of the ring too, which becomes a leaked cycle; the freed blocks
 * must still count as freed. The worker's stack, which glibc keeps mapped for its next thread,
 * still holds the ring's addresses from ring()'s frames: a dead thread's stack is no root. */
#include "acc.h"

#include <pthread.h>
#include <stdlib.h>

#define HANDED 100

static void *handed[HANDED];
static void *volatile kept;

static void *produce(void *arg)
{
    (void)arg;
    for (int i = 0; i < HANDED; i++)
        handed[i] = malloc(48);
    kept = ring(3, 40);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    if (pthread_create(&t, NULL, produce, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    for (int i = 0; i < HANDED; i++) {
        free(handed[i]);
        handed[i] = NULL;
    }
    if (dropping(argc, argv))
        kept = NULL;
    scrub_stack();
    return 0;
}
