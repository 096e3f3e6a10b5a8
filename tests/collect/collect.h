/* What the collection tests share (support.c): taking and reading dumps, asserting a shape
 * exactly, pointers kept out of sight, and threads parked holding references.
 *
 * The program links the allocator (atoll_core) and runs in profile mode; Check forks before
 * every test, so each test has a heap and a collection count of its own. An exact refcount
 * needs a tested block's address to be nowhere but where the test put it: builders are
 * noinline and hand their blocks back hidden (XOR with HIDE_MASK gives a non-canonical address,
 * never a reference), tests reveal them only after their last collection or inside a noinline
 * checker, and the stack below the test is zeroed before each collection, so the dead frames
 * of malloc, the unwinder and the builders hold no stale copy. The executable's own globals are
 * not roots here (they are atoll's module, which a collection skips), which is why the tests
 * use a dlopen'ed library for globals. */
#ifndef COLLECT_H
#define COLLECT_H

#include "analyzer.h"

#include <atoll.h>
#include <check.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define NOINLINE __attribute__((noinline))
#define N(a) (sizeof(a) / sizeof *(a))
#define HIDE_MASK 0xa5a5a5a5a5a5a5a5ull

Suite *graph_suite(void);
Suite *roots_suite(void);
Suite *generations_suite(void);
Suite *bigheap_suite(void);
Suite *signals_suite(void);

static inline uintptr_t hide(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    __asm__ volatile("xor %[m], %[v]" : [v] "+r"(v) : [m] "r"((uintptr_t)HIDE_MASK));
    return v;
}

/* The XOR is inside the asm, and the memory clobber keeps the asm after any call before it:
 * the compiler can neither compute a revealed pointer early nor hold it in a callee-saved
 * register across a collection, which would spill it into the collection's frames. */
static inline void *reveal(uintptr_t h)
{
    __asm__ volatile("xor %[m], %[v]" : [v] "+r"(h) : [m] "r"((uintptr_t)HIDE_MASK) : "memory");
    return (void *)h;
}

/* Writes the pointer hidden in h to *slot; no register keeps it afterwards. */
static inline void store_revealed(void *slot, uintptr_t h)
{
    __asm__ volatile("xor %[m], %[v]\n\t"
                     "mov %[v], (%[s])\n\t"
                     "xor %[v], %[v]"
                     : [v] "+&r"(h)
                     : [m] "r"((uintptr_t)HIDE_MASK), [s] "r"(slot)
                     : "memory");
}

/* calloc that fails the test when it fails. */
void *zalloc(size_t size);

/* A dump taken by a test, open, with the analyzer's verdict per block. */
struct taken {
    struct dump d;
    char path[640];
    int unreachable;            /* what atoll_dump or atoll_collect returned */
    uint8_t *alive;             /* CPython's rule, by the analyzer (reach.c) */
};

/* Zeroes 64 KiB of stack below the caller's frame. */
void scrub_stack(void);

/* Each test runs on scrubbed stack: its body's frame is laid where scrub_stack's zeroes just
 * were, one call below check's. Slots of that frame the body never writes (padding between its
 * locals) would otherwise keep whatever check's own calls left there, such as the address of a
 * block check freed, which a test's fresh block can take again. */
#undef START_TEST
#define START_TEST(name)                                                                         static NOINLINE void name##_body(int _i CK_ATTRIBUTE_UNUSED);                                static void name##_fn(int _i)                                                                {                                                                                                scrub_stack();                                                                               name##_body(_i);                                                                         }                                                                                            static const TTest name##_ttest = {"" #name, name##_fn, __FILE__, __LINE__};                 static const TTest *name = &name##_ttest;                                                    static NOINLINE void name##_body(int _i CK_ATTRIBUTE_UNUSED)

/* A full collection through atoll_dump(path), or one of `generation` through atoll_collect;
 * either checks the PROCESS record and that the count returned is the analyzer's. Macros, so
 * that the stack is scrubbed from the test's own frame down and nothing runs between the scrub
 * and the collection: a function scrubbing below its own frame would keep that frame's stale
 * slots (where a builder's frame just was), and any call after the scrub (an assertion, a
 * snprintf, a malloc) leaves values of its own where the collection's frames will be. */
void dump_prepare(struct taken *t);
void dump_finish(struct taken *t, int unreachable);
void collect_prepare(struct taken *t);
void collect_finish(struct taken *t, int generation, int unreachable);
#define take_dump(t) (dump_prepare(t), scrub_stack(), dump_finish((t), atoll_dump((t)->path)))
#define take_collect(t, generation)                                                          \
    (collect_prepare(t), scrub_stack(),                                                      \
     collect_finish((t), (generation), atoll_collect(generation)))

/* Closes the dump and deletes the file (a failed test keeps it, for `atoll info`). */
void drop_dump(struct taken *t);

/* The block starting at addr, or AN_NONE. */
uint32_t block_at(const struct dump *d, const void *addr);
/* The block containing addr; asserts there is one. */
uint32_t block_containing(const struct dump *d, const void *addr);
/* The THREADS record of tid; asserts there is exactly one. */
uint32_t thread_of(const struct dump *d, uint32_t tid);
/* The MODULES record whose path ends in suffix; asserts there is exactly one. */
uint32_t module_of(const struct dump *d, const char *suffix);
int block_alive(const struct taken *t, const void *addr);

struct want_block {
    const void *addr;
    uint64_t size;
    uint32_t refcount;
    uint8_t flags, generation;
};

struct want_edge {
    const void *from, *to;
    uint64_t offset;
};

struct want_root {
    uint32_t kind, index;
    uint64_t where;
    const void *target;
};

/* Asserts each block is in the dump with exactly its size, refcount, flags and generation; that
 * the edges from or into them are exactly `edges` (a multiset); and that the roots into them
 * are exactly `roots`. */
void expect_shape(const struct dump *d, const struct want_block *blocks, size_t nblocks,
                  const struct want_edge *edges, size_t nedges,
                  const struct want_root *roots, size_t nroots);

/* A thread that runs body, which announces itself with park_until_go (or on its own) and
 * then waits until park_finish. hidden[] are the blocks it is to hold; where[] says where. */
struct parked {
    pthread_t thread;
    uint32_t tid;
    uint32_t ready, go;         /* futex words */
    uintptr_t hidden[2];
    uintptr_t where[2];
    void (*body)(struct parked *);
};

void park_start(struct parked *p, void (*body)(struct parked *));
void park_until_go(struct parked *p);
void park_finish(struct parked *p);

#endif
