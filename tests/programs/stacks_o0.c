/* Built with -O0: every frame keeps rbp as its frame pointer, and the CFA is rbp-based. */
#include <stdlib.h>

#include "stacks.h"

static void *leaf(size_t n)
{
    char vla[n % 64 + 1];
    vla[0] = 0;
    return malloc(n + (size_t)vla[0]);
}

void *stacks_o0_chain(int depth, size_t n)
{
    if (depth <= 0)
        return leaf(n);
    return stacks_o0_chain(depth - 1, n);
}
