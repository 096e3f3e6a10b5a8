/* Rings kept only through __thread variables: a ring of 3 by the main thread's (static TLS),
 * and a ring of 4 by a parked thread's (in its stack mapping, above the stack). Nothing is
 * lost. With "drop" both variables are cleared and the rings are two leaked cycles. */
#include "acc.h"

#include <unistd.h>

static __thread void *kept;
static int drop;

static void hold(void)
{
    kept = ring(4, 32);
    if (drop)
        kept = NULL;
    scrub_stack();
    parked();
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    drop = dropping(argc, argv);
    if (start_parked(hold) != 0)
        return 1;
    kept = ring(3, 32);
    if (drop)
        kept = NULL;
    scrub_stack();
    return 0;
}
