/* The OS layer: anonymous mappings, never the C library's allocator. */
#include "internal.h"

#include <sys/mman.h>

/* Address space for later use: readable and writable, but no memory and no swap is committed
 * until a page is touched. */
void *atoll_os_reserve(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Gives the pages back; the range stays mapped and reads as zeros when touched again. */
void atoll_os_release(void *p, size_t size)
{
    madvise(p, size, MADV_DONTNEED);
}

void *atoll_os_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
