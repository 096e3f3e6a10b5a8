/* A ring of three 32-byte nodes kept through a global: nothing is lost. With "drop" the global
 * is cleared before exit and the ring is one leaked cycle. */
#include "acc.h"

void *kept;

int main(int argc, char **argv)
{
    kept = ring(3, 32);
    if (dropping(argc, argv))
        kept = NULL;
    scrub_stack();
    return 0;
}
