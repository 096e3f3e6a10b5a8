/* Two 100-byte blocks: one kept by a global and never written, one leaked. The program never
 * stored a pointer anywhere in the kept block, so whatever the allocator left in it must not
 * count as a reference: the other block is definitely lost, as Valgrind says. */
#include "acc.h"

#include <stdlib.h>
#include <string.h>

void *kept;

static NOINLINE void build(void)
{
    kept = malloc(100);
    char *volatile lost = malloc(100);
    memset(lost, 'x', 100);
    lost = NULL;
}

int main(void)
{
    build();
    scrub_stack();
    return 0;
}
