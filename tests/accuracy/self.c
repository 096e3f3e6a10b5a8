/* One 64-byte block that holds a pointer to itself at offset 8: a cycle of one member. */
#include "acc.h"

#include <stdlib.h>
#include <string.h>

static NOINLINE void leak(void)
{
    void **b = malloc(64);
    memset(b, 0, 64);
    b[1] = b;
    b = NULL;
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
