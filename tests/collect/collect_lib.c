/* The library the root tests dlopen: a global in the part of .data backed by the file, one far
 * into .bss, and a __thread variable, which a dlopen'ed library gets in dynamic TLS. */
#include "collect_lib.h"

#include <stddef.h>

/* The nonzero initialiser keeps the array out of .bss. */
void *collect_lib_data[2] = { NULL, collect_lib_data };

struct collect_lib_bss collect_lib_bss;

static __thread void *collect_lib_tls;

/* The calling thread's copy, allocated by the loader on first use. */
void **collect_lib_tls_slot(void)
{
    return &collect_lib_tls;
}
