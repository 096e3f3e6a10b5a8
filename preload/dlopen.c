/* dlopen without RTLD_DEEPBIND. A deep-bound library would bind malloc and free to the C
 * library's and free our blocks there (and we would get its blocks): heap corruption. Like
 * heaptrack, we drop the flag and say so once.
 *
 * dlclose tells the stack walker (modules.c) before and after: the unwind rules of a module
 * that may be unmapped must not serve another loaded at its address. */
#include "internal.h"
#include "unwind.h"

#include <dlfcn.h>

ATOLL_EXPORT void *dlopen(const char *file, int mode)
{
    static void *(*real_dlopen)(const char *, int);
    static int warned;
    void *(*fn)(const char *, int) = __atomic_load_n(&real_dlopen, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
        __atomic_store_n(&real_dlopen, fn, __ATOMIC_RELEASE);
    }
    if (mode & RTLD_DEEPBIND) {
        mode &= ~RTLD_DEEPBIND;
        if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
            atoll_log("dlopen(%s): ignoring RTLD_DEEPBIND, which would split malloc and free "
                      "between atoll and the C library", file ? file : "NULL");
    }
    return fn(file, mode);
}

ATOLL_EXPORT int dlclose(void *handle)
{
    static int (*real_dlclose)(void *);
    int (*fn)(void *) = __atomic_load_n(&real_dlclose, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
        __atomic_store_n(&real_dlclose, fn, __ATOMIC_RELEASE);
    }
    atoll_modules_unload_begin();
    int r = fn(handle);
    atoll_modules_unload_end();
    return r;
}
