/* uthash, with its memory from atoll's own metadata allocator (never the program's malloc). */
#ifndef ATOLL_UTCONF_H
#define ATOLL_UTCONF_H

#include "internal.h"

#define uthash_malloc(sz) atoll_imeta_calloc(sz)
#define uthash_free(ptr, sz) atoll_imeta_free((ptr), (sz))
#define uthash_nonfatal_oom(obj) ((void)0)
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#endif
