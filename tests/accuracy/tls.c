/* Rings kept only through __thread variables: a ring of 3 by the main thread's (static TLS),
 * and a ring of 4 by a parked thread's (in its stack mapping, above the stack). Nothing is
 * lost. With "drop" both variables are cleared and the rings are two leaked cycles. */
#include "acc.h"

#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static __thread void *kept;
static sem_t parked;
static int drop;

static void *park(void *arg)
{
    (void)arg;
    kept = ring(4, 32);
    if (drop)
        kept = NULL;
    scrub_stack();
    sem_post(&parked);
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    drop = dropping(argc, argv);
    sem_init(&parked, 0, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, park, NULL) != 0)
        return 1;
    while (sem_wait(&parked) != 0)
        ;
    kept = ring(3, 32);
    if (drop)
        kept = NULL;
    scrub_stack();
    return 0;
}
