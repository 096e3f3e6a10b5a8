/* Block-to-block references: lists, cycles and self-references, what counts as a reference
 * (interior pointers, the start of a 0-byte block) and what does not (one past the end, an
 * unaligned word, a stale word past the requested size), and the C library's large blocks as
 * sources and targets. No test keeps a reference outside the heap, so every refcount here is
 * the number of edges into the block. */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

/* 24 bytes with the link in the middle word, so a link is never a block's first word (where a
 * free block keeps its free-list pointer). */
struct node {
    long key;
    struct node *next;
    long value;
};

static NOINLINE void build_list(uintptr_t *h, int n)
{
    struct node *prev = NULL;
    for (int i = 0; i < n; i++) {
        struct node *b = zalloc(sizeof *b);
        if (prev)
            prev->next = b;
        prev = b;
        h[i] = hide(b);
    }
}

static void expect_seq_ascending(const struct dump *d, const uintptr_t *h, int n)
{
    for (int i = 1; i < n; i++)
        ck_assert_uint_lt(d->blocks[block_at(d, reveal(h[i - 1]))].seq,
                          d->blocks[block_at(d, reveal(h[i]))].seq);
}

START_TEST(singly_linked_list)
{
    uintptr_t h[4];
    build_list(h, 4);
    struct taken t;
    take_dump(&t);
    void *n0 = reveal(h[0]), *n1 = reveal(h[1]), *n2 = reveal(h[2]), *n3 = reveal(h[3]);
    struct want_block b[] = { { n0, 24, 0, 0, 0 }, { n1, 24, 1, 0, 0 }, { n2, 24, 1, 0, 0 },
                              { n3, 24, 1, 0, 0 } };
    struct want_edge e[] = { { n0, n1, 8 }, { n1, n2, 8 }, { n2, n3, 8 } };
    expect_shape(&t.d, b, N(b), e, N(e), NULL, 0);
    expect_seq_ascending(&t.d, h, 4);
    for (int i = 0; i < 4; i++)
        ck_assert(!block_alive(&t, reveal(h[i])));
    drop_dump(&t);
}
END_TEST

/* A ring of n blocks of `size` bytes, block i pointing to block i+1 from offset 8 * i. */
/* Leaves copies of the block hidden in h in 4 KiB of stack below the caller's frame, where the
 * frames of a call made next will lie. */
static NOINLINE void spill_below(uintptr_t h)
{
    volatile uintptr_t words[512];
    for (size_t i = 0; i < N(words); i++)
        store_revealed((void *)&words[i], h);
}

/* No scrub before the collection: the dead words below the test's frame hold the block's
 * address, under the frames of atoll_dump itself. The API scans the caller's stack from its
 * frame up, with the registers it called with, so none of those words is a root. */
START_TEST(stale_words_below_the_caller)
{
    uintptr_t h[1];
    build_list(h, 1);
    struct taken t;
    dump_prepare(&t);
    spill_below(h[0]);
    dump_finish(&t, atoll_dump(t.path));
    void *a = reveal(h[0]);
    struct want_block b[] = { { a, 24, 0, 0, 0 } };
    expect_shape(&t.d, b, N(b), NULL, 0, NULL, 0);
    ck_assert(!block_alive(&t, a));
    drop_dump(&t);
}
END_TEST

static NOINLINE void build_ring(uintptr_t *h, int n, size_t size)
{
    void **first = zalloc(size), **prev = first;
    h[0] = hide(first);
    for (int i = 1; i < n; i++) {
        void **b = zalloc(size);
        prev[i - 1] = b;
        prev = b;
        h[i] = hide(b);
    }
    prev[n - 1] = first;
}

START_TEST(two_cycle)
{
    uintptr_t h[2];
    build_ring(h, 2, 32);
    struct taken t;
    take_dump(&t);
    void *a = reveal(h[0]), *b = reveal(h[1]);
    struct want_block w[] = { { a, 32, 1, 0, 0 }, { b, 32, 1, 0, 0 } };
    struct want_edge e[] = { { a, b, 0 }, { b, a, 8 } };
    expect_shape(&t.d, w, N(w), e, N(e), NULL, 0);
    ck_assert(!block_alive(&t, a));
    ck_assert(!block_alive(&t, b));
    drop_dump(&t);
}
END_TEST

START_TEST(three_cycle)
{
    uintptr_t h[3];
    build_ring(h, 3, 48);
    struct taken t;
    take_dump(&t);
    void *a = reveal(h[0]), *b = reveal(h[1]), *c = reveal(h[2]);
    struct want_block w[] = { { a, 48, 1, 0, 0 }, { b, 48, 1, 0, 0 }, { c, 48, 1, 0, 0 } };
    struct want_edge e[] = { { a, b, 0 }, { b, c, 8 }, { c, a, 16 } };
    expect_shape(&t.d, w, N(w), e, N(e), NULL, 0);
    expect_seq_ascending(&t.d, h, 3);
    for (int i = 0; i < 3; i++)
        ck_assert(!block_alive(&t, reveal(h[i])));
    drop_dump(&t);
}
END_TEST

/* One block pointing to itself once, one twice (two edges, counted twice), and a third
 * reached from the second. */
static NOINLINE void build_selves(uintptr_t *h)
{
    void **once = zalloc(16), **twice = zalloc(40), **tail = zalloc(8);
    once[1] = once;
    twice[0] = twice;
    twice[2] = (char *)twice + 39;
    twice[4] = tail;
    h[0] = hide(once);
    h[1] = hide(twice);
    h[2] = hide(tail);
}

START_TEST(self_references)
{
    uintptr_t h[3];
    build_selves(h);
    struct taken t;
    take_dump(&t);
    void *once = reveal(h[0]), *twice = reveal(h[1]), *tail = reveal(h[2]);
    struct want_block w[] = { { once, 16, 1, 0, 0 }, { twice, 40, 2, 0, 0 },
                              { tail, 8, 1, 0, 0 } };
    struct want_edge e[] = { { once, once, 8 }, { twice, twice, 0 }, { twice, twice, 16 },
                             { twice, tail, 32 } };
    expect_shape(&t.d, w, N(w), e, N(e), NULL, 0);
    ck_assert(!block_alive(&t, once));
    ck_assert(!block_alive(&t, twice));
    ck_assert(!block_alive(&t, tail));
    drop_dump(&t);
}
END_TEST

/* A 40-byte target (its size class is 48: the slot has 8 spare bytes) and a 0-byte one, and
 * a source holding pointers to their starts, insides and ends. */
static NOINLINE void build_pointer_forms(uintptr_t *h)
{
    char *target = zalloc(40), *empty = malloc(0);
    if (!empty)
        ck_abort_msg("malloc(0) failed");
    char **src = zalloc(64);
    src[0] = target;            /* start */
    src[1] = target + 8;        /* inside */
    src[2] = target + 39;       /* last byte */
    src[3] = target + 40;       /* one past the end: not a reference */
    src[4] = empty;             /* a 0-byte block's start */
    src[5] = empty + 1;         /* past it */
    src[6] = (char *)src + 63;  /* the source's own last byte */
    h[0] = hide(src);
    h[1] = hide(target);
    h[2] = hide(empty);
}

START_TEST(interior_and_end_pointers)
{
    uintptr_t h[3];
    build_pointer_forms(h);
    struct taken t;
    take_dump(&t);
    void *src = reveal(h[0]), *target = reveal(h[1]), *empty = reveal(h[2]);
    struct want_block w[] = { { src, 64, 1, 0, 0 }, { target, 40, 3, 0, 0 },
                              { empty, 0, 1, 0, 0 } };
    struct want_edge e[] = { { src, target, 0 }, { src, target, 8 }, { src, target, 16 },
                             { src, empty, 32 }, { src, src, 48 } };
    expect_shape(&t.d, w, N(w), e, N(e), NULL, 0);
    drop_dump(&t);
}
END_TEST

/* A 48-byte source with a pointer stored at an unaligned offset, one in its last word, and one
 * at offset 40, before realloc shrinks it in place to 36 bytes: the word at 40 is still there,
 * but past the requested size. */
static NOINLINE void build_word_forms(uintptr_t *h)
{
    char *src = zalloc(48);
    void *unaligned = zalloc(8), *last = zalloc(8), *stale = zalloc(8);
    /* Bytes 1..8: the aligned words around it read as unaligned << 8 (above any user address)
     * and 0, so neither can pass for a reference by chance. */
    memcpy(src + 1, &unaligned, sizeof unaligned);
    memcpy(src + 24, &last, sizeof last);
    memcpy(src + 40, &stale, sizeof stale);
    uintptr_t before = (uintptr_t)src;
    char *shrunk = realloc(src, 36);
    if ((uintptr_t)shrunk != before)
        ck_abort_msg("realloc(48 -> 36) moved the block");
    h[0] = hide(shrunk);
    h[1] = hide(unaligned);
    h[2] = hide(last);
    h[3] = hide(stale);
}

START_TEST(unaligned_and_stale_words)
{
    uintptr_t h[4];
    build_word_forms(h);
    struct taken t;
    take_dump(&t);
    void *src = reveal(h[0]), *unaligned = reveal(h[1]), *last = reveal(h[2]);
    void *stale = reveal(h[3]);
    struct want_block w[] = { { src, 36, 0, 0, 0 }, { unaligned, 8, 0, 0, 0 },
                              { last, 8, 1, 0, 0 }, { stale, 8, 0, 0, 0 } };
    struct want_edge e[] = { { src, last, 24 } };
    expect_shape(&t.d, w, N(w), e, N(e), NULL, 0);
    drop_dump(&t);
}
END_TEST

#define HUGE_SIZE ((size_t)256 << 10)   /* past glibc's mmap threshold: a mapping of its own */

/* Large blocks from the C library pointing to small ones and to each other, and a small block
 * pointing into them. Their sizes are multiples of 16: see large_block_before_top_chunk. */
static NOINLINE void build_large(uintptr_t *h)
{
    void **big = zalloc(1024), **huge = zalloc(HUGE_SIZE), **other = zalloc(4000);
    void **s1 = zalloc(16), **s2 = zalloc(16);
    char **small = zalloc(32);
    big[0] = s1;
    big[63] = other;                        /* offset 504 */
    big[127] = s2;                          /* offset 1016: the last word */
    huge[HUGE_SIZE / 8 - 1] = s1;
    small[0] = (char *)big;
    small[1] = (char *)big + 1023;          /* its last byte */
    small[2] = (char *)big + 1024;          /* one past its end: not a reference */
    small[3] = (char *)huge;
    h[0] = hide(big);
    h[1] = hide(huge);
    h[2] = hide(other);
    h[3] = hide(s1);
    h[4] = hide(s2);
    h[5] = hide(small);
}

START_TEST(large_blocks)
{
    uintptr_t h[6];
    build_large(h);
    struct taken t;
    take_dump(&t);
    void *big = reveal(h[0]), *huge = reveal(h[1]), *other = reveal(h[2]);
    void *s1 = reveal(h[3]), *s2 = reveal(h[4]), *small = reveal(h[5]);
    struct want_block w[] = {
        { big, 1024, 2, ATOLL_DUMP_BLOCK_LARGE, 0 },
        { huge, HUGE_SIZE, 1, ATOLL_DUMP_BLOCK_LARGE, 0 },
        { other, 4000, 1, ATOLL_DUMP_BLOCK_LARGE, 0 },
        { s1, 16, 2, 0, 0 },
        { s2, 16, 1, 0, 0 },
        { small, 32, 0, 0, 0 },
    };
    struct want_edge e[] = {
        { big, s1, 0 }, { big, other, 504 }, { big, s2, 1016 },
        { huge, s1, HUGE_SIZE - 8 },
        { small, big, 0 }, { small, big, 8 }, { small, huge, 24 },
    };
    expect_shape(&t.d, w, N(w), e, N(e), NULL, 0);
    for (size_t i = 0; i < N(w); i++)
        ck_assert(!block_alive(&t, w[i].addr));
    drop_dump(&t);
}
END_TEST

/* glibc's chunk for a 1000-byte request is 1008 bytes and lends the block the next chunk's
 * first 8 bytes: the next chunk's header lies at block + 992, inside the requested size. When
 * that next chunk is the top chunk, libc's main_arena.top points there; the recorder counted it
 * as an interior reference (refcount 1 from a global of libc.so.6), so a leak of the block was
 * reported reachable. Every glibc block 1 to 8 bytes over a multiple of 16 was exposed, to the
 * top pointer and to glibc's bin pointers to a free chunk after it. */
START_TEST(large_block_before_top_chunk)
{
    uintptr_t h[1];
    h[0] = hide(zalloc(1000));
    struct taken t;
    take_dump(&t);
    void *big = reveal(h[0]);
    struct want_block w[] = { { big, 1000, 0, ATOLL_DUMP_BLOCK_LARGE, 0 } };
    expect_shape(&t.d, w, N(w), NULL, 0, NULL, 0);
    ck_assert(!block_alive(&t, big));
    drop_dump(&t);
}
END_TEST

Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_add_test(tc, singly_linked_list);
    tcase_add_test(tc, two_cycle);
    tcase_add_test(tc, three_cycle);
    tcase_add_test(tc, self_references);
    tcase_add_test(tc, interior_and_end_pointers);
    tcase_add_test(tc, unaligned_and_stale_words);
    tcase_add_test(tc, large_blocks);
    tcase_add_test(tc, large_block_before_top_chunk);
    tcase_add_test(tc, stale_words_below_the_caller);
    suite_add_tcase(s, tc);
    return s;
}
