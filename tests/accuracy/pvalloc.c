/* pvalloc(5000) is a block of 8192 bytes: glibc rounds the size up to whole pages and the
 * program may use all of them. So a reference in its last page holds a block, and a leaked
 * pvalloc(5000) block is 8192 bytes lost. (No Valgrind figures: memcheck aborts at pvalloc.) */
#include "acc.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

void **kept;

static NOINLINE void build(void)
{
    kept = pvalloc(5000);
    memset(kept, 0, 8192);
    void *held = malloc(64);
    memset(held, 0, 64);
    kept[8000 / sizeof(void *)] = held;
    held = NULL;
    void *lost = pvalloc(5000);
    memset(lost, 0, 8192);
    lost = NULL;
}

int main(void)
{
    build();
    scrub_stack();
    return 0;
}
