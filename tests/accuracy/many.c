/* 10,000 rings of two 48-byte blocks: one shape, 10,000 cycles, 20,000 blocks. */
#include "acc.h"

static NOINLINE void leak(void)
{
    for (int i = 0; i < 10000; i++)
        ring(2, 48);
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
