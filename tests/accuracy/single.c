/* One block of 100 bytes, leaked: 1 definitely lost, nothing else. */
#include "acc.h"

#include <stdlib.h>
#include <string.h>

static NOINLINE void leak(void)
{
    /* Written whole: an untouched block would keep what the allocator left in it (stale.c). */
    char *volatile p = malloc(100);
    memset(p, 1, 100);
    p = NULL;
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
