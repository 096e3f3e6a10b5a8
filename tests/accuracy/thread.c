/* A ring of 5 40-byte blocks kept only by a local variable of another thread, which stays
 * parked while the process exits: nothing is lost. With "drop" the thread clears the local
 * before it parks and the ring is a leaked cycle. */
#include "acc.h"

#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static sem_t parked;
static int drop;

static NOINLINE void hold(void)
{
    void *volatile kept = ring(5, 40);
    if (drop)
        kept = NULL;
    scrub_stack();
    sem_post(&parked);
    while (kept != (void *)&parked) /* reads kept, which never changes */
        pause();
}

static void *park(void *arg)
{
    (void)arg;
    hold();
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
    scrub_stack();
    return 0;
}
