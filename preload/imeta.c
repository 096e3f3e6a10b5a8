/* atoll's own memory for its metadata: the site table, the large-block table, heap structs.
 * Never the program's malloc (that would recurse, and the profiler would see its own tables
 * as the program's blocks). One reserved range, so the scanner can skip it as atoll's: blocks
 * of power-of-two sizes from 16 bytes, bump-allocated, with a free list per size. */
#include "internal.h"

#define IMETA_RESERVE ((size_t)16 << 30) /* reserved through os.c, which remembers it */
#define IMETA_MIN_SHIFT 4
#define IMETA_CLASSES 40

static char *base, *bump, *limit;
static void *free_lists[IMETA_CLASSES];

static unsigned class_of(size_t n)
{
    unsigned c = 0;
    while (((size_t)1 << (c + IMETA_MIN_SHIFT)) < n)
        c++;
    return c;
}

void *atoll_imeta_alloc(size_t n)
{
    unsigned c = class_of(n);
    size_t size = (size_t)1 << (c + IMETA_MIN_SHIFT);
    void *p = NULL;
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_IMETA);
    if (!base) {
        base = bump = atoll_os_reserve(IMETA_RESERVE);
        limit = base ? base + IMETA_RESERVE : NULL;
    }
    if (free_lists[c]) {
        p = free_lists[c];
        free_lists[c] = *(void **)p;
    } else if (base && (size_t)(limit - bump) >= size + 4096) {
        /* Naturally aligned, so a big block's pages can be given back on its own. */
        uintptr_t align = size < 4096 ? size : 4096;
        bump = (char *)(((uintptr_t)bump + align - 1) & ~(align - 1));
        p = bump;
        bump += size;
    }
    atoll_lock_drop(ATOLL_LOCK_IMETA);
    atoll_critical_exit();
    return p;
}

/* Zeroed memory, as uthash expects of its bucket arrays. */
void *atoll_imeta_calloc(size_t n)
{
    char *p = atoll_imeta_alloc(n);
    if (p)
        for (size_t i = 0; i < n; i++)
            p[i] = 0;
    return p;
}

void atoll_imeta_free(void *p, size_t n)
{
    if (!p)
        return;
    unsigned c = class_of(n);
    if (((size_t)1 << (c + IMETA_MIN_SHIFT)) >= 65536)
        atoll_os_release(p, (size_t)1 << (c + IMETA_MIN_SHIFT));
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_IMETA);
    *(void **)p = free_lists[c];
    free_lists[c] = p;
    atoll_lock_drop(ATOLL_LOCK_IMETA);
    atoll_critical_exit();
}
