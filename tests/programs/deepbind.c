/* deepbind: the program and a library opened with RTLD_DEEPBIND free and realloc each other's
 * blocks. With atoll preloaded that works only because atoll drops the flag, so the library's
 * malloc is atoll's too: its small blocks must be atoll's. The library is opened twice; the
 * wrapper deepbind.sh checks that atoll's warning appears exactly once.
 *
 * Usage: deepbind LIBRARY. Exit 0 when every block came back intact. */
#define _GNU_SOURCE
#include "progcheck.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 20000
#define SMALL_MAX 512 /* atoll's default ATOLL_SMALL_MAX */

static void *(*lib_malloc)(size_t);
static void *(*lib_calloc)(size_t, size_t);
static void *(*lib_realloc)(void *, size_t);
static void (*lib_free)(void *);

static void *open_lib(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_DEEPBIND);
    if (!h) {
        fprintf(stderr, "dlopen(%s): %s\n", path, dlerror());
        exit(1);
    }
    return h;
}

static void *sym(void *h, const char *name)
{
    void *f = dlsym(h, name);
    if (!f) {
        fprintf(stderr, "dlsym(%s): %s\n", name, dlerror());
        exit(1);
    }
    return f;
}

static size_t pick(uint64_t *rng)
{
    uint64_t r = pc_rand(rng);
    return r % 8 == 0 ? 513 + (size_t)(r >> 8) % 4000 : (size_t)(r >> 8) % 513;
}

/* Allocated on one side, grown or shrunk on the other, freed on the first. */
static void round_trip(uint64_t *rng, int lib_first)
{
    size_t n = pick(rng), m = pick(rng) + 1;
    int zeroed = pc_rand(rng) % 4 == 0;
    void *p = zeroed ? (lib_first ? lib_calloc(1, n) : calloc(n, 1))
                     : (lib_first ? lib_malloc(n) : malloc(n));
    if (!p) {
        pc_fail("allocation of %zu bytes returned NULL", n);
        return;
    }
    const char *who = lib_first ? "library block" : "program block";
    if (zeroed)
        pc_verify_zero(who, p, n);
    uint64_t key = pc_key(p, n, 1);
    pc_fill(p, n, key);
    pc_verify_align(who, p, 16);
    pc_verify_owner(who, p, n <= SMALL_MAX);
    void *q = lib_first ? realloc(p, m) : lib_realloc(p, m);
    if (!q) {
        pc_fail("realloc(%p, %zu) returned NULL", p, m);
        return;
    }
    pc_verify(lib_first ? "library block after realloc" : "program block after realloc", q,
              n < m ? n : m, key);
    pc_fill(q, m, pc_key(q, m, 2));
    pc_verify("before free", q, m, pc_key(q, m, 2));
    if (lib_first)
        lib_free(q);
    else
        free(q);
}

/* Freed by the side that did not allocate it. */
static void cross_free(uint64_t *rng)
{
    size_t n = pick(rng);
    void *a = lib_malloc(n), *b = malloc(n);
    if (!a || !b) {
        pc_fail("allocation of %zu bytes returned NULL", n);
        return;
    }
    pc_fill(a, n, pc_key(a, n, 3));
    pc_fill(b, n, pc_key(b, n, 3));
    pc_verify("library block", a, n, pc_key(a, n, 3));
    pc_verify("program block", b, n, pc_key(b, n, 3));
    free(a);
    lib_free(b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
        return 2;
    }
    pc_expect_init();
    void *h1 = open_lib(argv[1]);
    void *h2 = open_lib(argv[1]);
    lib_malloc = sym(h1, "lib_malloc");
    lib_calloc = sym(h2, "lib_calloc");
    lib_realloc = sym(h1, "lib_realloc");
    lib_free = sym(h2, "lib_free");
    uint64_t rng = 42;
    for (int i = 0; i < ROUNDS; i++) {
        round_trip(&rng, 1);
        round_trip(&rng, 0);
        cross_free(&rng);
    }
    dlclose(h2);
    dlclose(h1);
    if (pc_failures()) {
        fprintf(stderr, "deepbind: %lu failures\n", pc_failures());
        return 1;
    }
    printf("deepbind: %d rounds\n", ROUNDS);
    return 0;
}
