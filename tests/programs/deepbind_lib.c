/* deepbind_lib: a library whose every allocation call is its own, so when it is opened with
 * RTLD_DEEPBIND its references to malloc and free bind within its own scope (the C library's)
 * unless the preloaded allocator drops the flag. */
#include <stdlib.h>

void *lib_malloc(size_t n)
{
    return malloc(n);
}

void *lib_calloc(size_t n, size_t m)
{
    return calloc(n, m);
}

void *lib_realloc(void *p, size_t n)
{
    return realloc(p, n);
}

void lib_free(void *p)
{
    free(p);
}
