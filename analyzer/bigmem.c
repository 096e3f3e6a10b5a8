/* Allocation of the analyzer's per-block arrays. A 2-million-block dump needs some 150 MB of
 * them, and faulting that in 4 KiB pages costs more than the algorithms themselves; asking for
 * transparent huge pages (the kernel's default mode is "madvise") before the first touch cuts
 * the page faults by 512x. The memory is ordinary malloc memory, released with free(). */
#include "analyzer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_FROM (4u << 20)

void *an_malloc(size_t size)
{
    void *p = malloc(size);
    if (p && size >= HUGE_FROM) {
        uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
        uintptr_t hi = ((uintptr_t)p + size) & ~(uintptr_t)4095;
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
    return p;
}

void *an_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = an_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}
