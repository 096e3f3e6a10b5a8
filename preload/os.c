/* The OS layer: anonymous mappings, never the C library's allocator. Every mapping made here
 * is remembered, so a collection can tell atoll's memory from the program's. */
#include "internal.h"

#include <sys/mman.h>

#define MAX_RANGES 1024

static struct {
    uintptr_t start, end;
} ranges[MAX_RANGES];
static unsigned nranges;

static void *remember(void *p, size_t size)
{
    if (p == MAP_FAILED)
        return NULL;
    unsigned i = __atomic_fetch_add(&nranges, 1, __ATOMIC_ACQ_REL);
    if (i < MAX_RANGES) {
        ranges[i].start = (uintptr_t)p;
        ranges[i].end = (uintptr_t)p + size;
    }
    return p;
}

/* The first range of atoll's own memory that ends after `from` and starts before `to`
 * (the kernel merges neighbouring mappings, so one line of /proc/self/maps may hold atoll's
 * memory and the program's side by side). False if there is none. */
bool atoll_os_next_owned(uintptr_t from, uintptr_t to, uintptr_t *start, uintptr_t *end)
{
    unsigned n = __atomic_load_n(&nranges, __ATOMIC_ACQUIRE);
    bool found = false;
    for (unsigned i = 0; i < n && i < MAX_RANGES; i++) {
        if (ranges[i].end <= from || ranges[i].start >= to)
            continue;
        if (!found || ranges[i].start < *start) {
            *start = ranges[i].start;
            *end = ranges[i].end;
            found = true;
        }
    }
    return found;
}

/* A mapping made elsewhere (the snapshot child's working memory) that collections must not
 * scan either. */
void *atoll_os_track(void *p, size_t size)
{
    return remember(p, size);
}

/* Address space for later use: readable and writable, but no memory and no swap is committed
 * until a page is touched. */
void *atoll_os_reserve(size_t size)
{
    return remember(mmap(NULL, size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                    size);
}

/* Unmaps a reservation made here and forgets it: the address range may later hold the
 * program's memory, which a collection must then scan. */
void atoll_os_unreserve(void *p, size_t size)
{
    unsigned n = __atomic_load_n(&nranges, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n && i < MAX_RANGES; i++)
        if (ranges[i].start == (uintptr_t)p && ranges[i].end == (uintptr_t)p + size)
            ranges[i].start = ranges[i].end = 0;
    munmap(p, size);
}

/* Gives the pages back; the range stays mapped and reads as zeros when touched again. */
void atoll_os_release(void *p, size_t size)
{
    madvise(p, size, MADV_DONTNEED);
}

void *atoll_os_alloc(size_t size)
{
    return remember(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                    size);
}
