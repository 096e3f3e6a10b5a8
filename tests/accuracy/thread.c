/* A ring of 5 40-byte blocks kept only by a local variable of another thread, which stays
 * parked while the process exits: nothing is lost. With "drop" the thread clears the local
 * before it parks and the ring is a leaked cycle. */
#include "acc.h"

#include <unistd.h>

static int drop;

static NOINLINE void hold(void)
{
    void *volatile kept = ring(5, 40);
    if (drop)
        kept = NULL;
    scrub_stack();
    parked();
    while (kept != (void *)&drop) /* reads kept, which never changes */
        pause();
}

int main(int argc, char **argv)
{
    drop = dropping(argc, argv);
    if (start_parked(hold) != 0)
        return 1;
    scrub_stack();
    return 0;
}
