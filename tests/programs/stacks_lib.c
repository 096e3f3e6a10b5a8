/* Loaded by stacks with dlopen, closed and loaded again: its frames must be walked with its
 * own unwind rules each time. */
#include <stdlib.h>

static __attribute__((noinline)) void *inner(int i)
{
    return malloc((size_t)(16 + i % 100));
}

void stacks_lib_work(int n)
{
    for (int i = 0; i < n; i++)
        free(inner(i));
}
