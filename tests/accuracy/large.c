/* A ring through blocks larger than 512 bytes, which atoll hands to glibc's allocator and
 * tracks as large blocks: 32 B -> 1000 B -> 4000 B -> 32 B. The large blocks hold their
 * reference in their last word, so the scan must cover them up to the requested size. */
#include "acc.h"

#include <stdlib.h>
#include <string.h>

static NOINLINE void *zeroed(size_t n)
{
    void *p = malloc(n);
    memset(p, 0, n);
    return p;
}

static NOINLINE void leak(void)
{
    void **small = zeroed(32);
    void **mid = zeroed(1000);
    void **big = zeroed(4000);
    small[0] = mid;
    mid[1000 / sizeof(void *) - 1] = big;
    big[4000 / sizeof(void *) - 1] = small;
    small = mid = big = NULL;
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
