// One leaked block from every allocation call of the malloc family and of C++, each from its
// own function and of its own size, so that every call is one leak site of known bytes; three
// more go to glibc's allocator (past 512 bytes, an alignment past 512), as valloc and pvalloc
// always do. Every block is written whole, so none holds a stale pointer to another (see
// stale.c). pvalloc's size is a whole page because its rounding is pvalloc.c's subject; with
// "no-pvalloc" it is skipped, since Valgrind's memcheck aborts the program at a call to pvalloc.
#include "acc.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

struct Obj {
    long a, b, c;
};

struct Counted {
    long v = 0;
    ~Counted() { v = -1; }
};

static void fill(void *p, size_t n)
{
    memset(p, 0x5a, n);
    sink = p;
}

static NOINLINE void by_malloc() { fill(malloc(11), 11); }
static NOINLINE void by_calloc() { sink = calloc(3, 7); }
static NOINLINE void by_realloc() { fill(realloc(malloc(5), 131), 131); }
static NOINLINE void by_reallocarray() { fill(reallocarray(malloc(8), 6, 9), 54); }
static NOINLINE void by_strdup() { sink = strdup("0123456789abcdefghi"); }
static NOINLINE void by_strndup() { sink = strndup("0123456789abcdefghi", 9); }
static NOINLINE void by_aligned_alloc() { fill(aligned_alloc(64, 192), 192); }
static NOINLINE void by_posix_memalign()
{
    void *p = nullptr;
    if (posix_memalign(&p, 32, 72) == 0)
        fill(p, 72);
}
static NOINLINE void by_memalign() { fill(memalign(128, 100), 100); }
static NOINLINE void by_valloc() { fill(valloc(300), 300); }
static NOINLINE void by_new() { sink = new Obj(); }
static NOINLINE void by_new_array() { sink = new int[25](); }
// A type with a destructor: new[] asks for 3 * 8 bytes plus an 8-byte count in front.
static NOINLINE void by_new_array_cookie() { sink = new Counted[3]; }
static NOINLINE void by_calloc_large() { sink = calloc(1, 700); }
static NOINLINE void by_realloc_large() { fill(realloc(malloc(40), 2000), 2000); }
static NOINLINE void by_memalign_large() { fill(memalign(4096, 64), 64); }
static NOINLINE void by_pvalloc() { fill(pvalloc(8192), 8192); }

int main(int argc, char **argv)
{
    by_malloc();
    by_calloc();
    by_realloc();
    by_reallocarray();
    by_strdup();
    by_strndup();
    by_aligned_alloc();
    by_posix_memalign();
    by_memalign();
    by_valloc();
    by_new();
    by_new_array();
    by_new_array_cookie();
    by_calloc_large();
    by_realloc_large();
    by_memalign_large();
    if (argc < 2 || strcmp(argv[1], "no-pvalloc") != 0)
        by_pvalloc();
    sink = nullptr;
    scrub_stack();
    return 0;
}
