/* The malloc family behaves as glibc 2.36's does: sizes, alignments, errno, realloc's corner
 * cases, malloc_usable_size, and which requests atoll serves itself (ATOLL_SMALL_MAX). */
#include "unit.h"
#include "internal.h"

#include <atoll.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const size_t sample_sizes[] = { 1,   2,   7,   8,   15,  16,  17,  24,  31,  32,
                                       33,  48,  63,  64,  65,  100, 127, 128, 129, 255,
                                       256, 257, 300, 500, 511, 512, 513, 600, 777, 1000 };
#define NSAMPLES (sizeof sample_sizes / sizeof sample_sizes[0])

static size_t class_size(size_t n)
{
    return n <= 16 ? 16 : (n + 15) / 16 * 16;
}

static void fill(void *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        ((unsigned char *)p)[i] = (unsigned char)(seed + i * 7);
}

static int filled(const void *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (((const unsigned char *)p)[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

START_TEST(malloc_zero_unique)
{
    enum { N = 1000 };
    static void *v[N];
    struct tally t = { 0 };
    for (int i = 0; i < N; i++) {
        v[i] = malloc(0);
        tally_check(&t, v[i] != NULL && atoll_owns(v[i]) && malloc_usable_size(v[i]) == 16,
                    "malloc(0) #%d = %p", i, v[i]);
    }
    assert_tally(&t);
    for (int i = 0; i < N; i++)
        free(v[i]);
    assert_distinct(v, N);
}
END_TEST

START_TEST(calloc_overflow)
{
    const size_t cases[][2] = {
        { SIZE_MAX / 2 + 1, 2 },
        { 2, SIZE_MAX / 2 + 1 },
        { SIZE_MAX, SIZE_MAX },
        { (size_t)PTRDIFF_MAX + 1, 1 },
        { 1, (size_t)PTRDIFF_MAX + 1 },
        { (size_t)PTRDIFF_MAX / 2 + 1, 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        errno = 0;
        void *p = calloc(opaque_size(cases[i][0]), opaque_size(cases[i][1]));
        ck_assert_ptr_null(p);
        ck_assert_int_eq(errno, ENOMEM);
    }
}
END_TEST

START_TEST(reallocarray_overflow_keeps_block)
{
    unsigned char *p = malloc(40);
    ck_assert_ptr_nonnull(p);
    fill(p, 40, 3);
    const size_t cases[][2] = {
        { SIZE_MAX / 2 + 1, 2 },
        { (size_t)PTRDIFF_MAX / 2 + 1, 2 },
    };
    for (size_t i = 0; i < 2; i++) {
        errno = 0;
        void *q = reallocarray(hide(p), opaque_size(cases[i][0]), opaque_size(cases[i][1]));
        ck_assert_ptr_null(q);
        ck_assert_int_eq(errno, ENOMEM);
        ck_assert_int_ne(atoll_owns(p), 0);
        ck_assert(filled(p, 40, 3));
    }
    unsigned char *q = reallocarray(p, 10, 30);
    ck_assert_ptr_nonnull(q);
    ck_assert(filled(q, 40, 3));
    free(q);
}
END_TEST

START_TEST(posix_memalign_bad_alignment)
{
    static const size_t bad[] = { 0, 1, 2, 3, 4, 12, 24, 8 * 3, 48, 100, 4097,
                                  SIZE_MAX, (size_t)1 << 63 | 8 };
    void *const sentinel = (void *)0x5a5a5a5a;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = sentinel;
        errno = 1234;
        ck_assert_int_eq(posix_memalign(&p, opaque_size(bad[i]), 64), EINVAL);
        ck_assert_ptr_eq(p, sentinel);
        ck_assert_int_eq(errno, 1234);
    }
}
END_TEST

/* Whether atoll serves an aligned request itself: the size rounded up to the alignment must
 * fit a class (the rounded size is then the block size, a multiple of the alignment). */
static size_t aligned_block(size_t align, size_t n)
{
    if (align <= 16)
        return n <= 512 ? class_size(n) : 0;
    size_t rounded = (n + align - 1) & ~(align - 1);
    return rounded <= 512 ? rounded : 0;
}

enum aligner { POSIX_MEMALIGN, ALIGNED_ALLOC, MEMALIGN };
static const char *const aligner_name[] = { "posix_memalign", "aligned_alloc", "memalign" };

static void *aligned(enum aligner how, size_t align, size_t n)
{
    void *p = NULL;
    switch (how) {
    case POSIX_MEMALIGN:
        if (posix_memalign(&p, align, n) != 0)
            return NULL;
        return p;
    case ALIGNED_ALLOC:
        return aligned_alloc(align, n);
    case MEMALIGN:
        return memalign(align, n);
    }
    return NULL;
}

START_TEST(aligned_allocations)
{
    struct tally t = { 0 };
    for (int how = POSIX_MEMALIGN; how <= MEMALIGN; how++) {
        for (size_t align = how == POSIX_MEMALIGN ? sizeof(void *) : 1; align <= 65536;
             align <<= 1) {
            for (size_t s = 0; s < NSAMPLES; s++) {
                size_t n = sample_sizes[s];
                void *p = aligned((enum aligner)how, align, n);
                if (!p) {
                    tally_check(&t, 0, "%s(%zu, %zu) = NULL", aligner_name[how], align, n);
                    continue;
                }
                memset(p, 0xee, n);
                size_t block = aligned_block(align, n);
                size_t usable = malloc_usable_size(p);
                tally_check(&t, (uintptr_t)p % align == 0, "%s(%zu, %zu) = %p: misaligned",
                            aligner_name[how], align, n, p);
                tally_check(&t, !!atoll_owns(p) == (block != 0), "%s(%zu, %zu): atoll_owns %d",
                            aligner_name[how], align, n, atoll_owns(p));
                tally_check(&t, block ? usable == block : usable >= n,
                            "%s(%zu, %zu): usable size %zu", aligner_name[how], align, n, usable);
                free(p);
            }
        }
    }
    assert_tally(&t);
}
END_TEST

/* glibc 2.36 rounds a non-power-of-two alignment up to the next power of two in memalign and
 * in aligned_alloc (an alias of it there); many blocks, so a 16-aligned class cannot pass. */
START_TEST(memalign_rounds_alignment_up)
{
    static const size_t cases[][2] = { { 24, 32 }, { 48, 64 }, { 100, 128 }, { 200, 256 },
                                       { 1000, 1024 }, { 5000, 8192 } };
    struct tally t = { 0 };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        enum { N = 64 };
        void *v[2 * N];
        for (int i = 0; i < N; i++) {
            v[i] = memalign(opaque_size(cases[c][0]), 10);
            v[N + i] = aligned_alloc(opaque_size(cases[c][0]), 10);
        }
        for (int i = 0; i < 2 * N; i++) {
            tally_check(&t, v[i] && (uintptr_t)v[i] % cases[c][1] == 0,
                        "%s(%zu, 10) = %p, not %zu-aligned", i < N ? "memalign" : "aligned_alloc",
                        cases[c][0], v[i], cases[c][1]);
            free(v[i]);
        }
    }
    assert_tally(&t);
    errno = 0;
    ck_assert_ptr_null(memalign(opaque_size(SIZE_MAX / 2 + 2), 10));
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(valloc_pvalloc_page_aligned)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *a = valloc(100), *b = pvalloc(100);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq((uintptr_t)a % page, 0);
    ck_assert_uint_eq((uintptr_t)b % page, 0);
    ck_assert_uint_ge(malloc_usable_size(b), page);
    ck_assert_int_eq(atoll_owns(a), 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(realloc_null_is_malloc)
{
    void *p = realloc(NULL, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_ne(atoll_owns(p), 0);
    ck_assert_uint_eq(malloc_usable_size(p), 112);
    void *q = realloc(NULL, 1000);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(atoll_owns(q), 0);
    ck_assert_uint_ge(malloc_usable_size(q), 1000);
    free(p);
    free(q);
}
END_TEST

START_TEST(realloc_zero_frees)
{
    void *p = malloc(200);
    ck_assert_ptr_nonnull(p);
    uintptr_t addr = (uintptr_t)p;
    ck_assert_ptr_null(realloc(p, 0));
    ck_assert_int_eq(atoll_owns((void *)addr), 0);
    void *again = malloc(200);
    ck_assert_uint_eq((uintptr_t)again, addr);
    ck_assert_int_ne(atoll_owns(again), 0);
    free(again);

    void *big = malloc(5000);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_null(realloc(big, 0));
}
END_TEST

START_TEST(realloc_failure_keeps_block)
{
    static const size_t huge[] = { (size_t)PTRDIFF_MAX + 1, SIZE_MAX, SIZE_MAX - 4096 };
    unsigned char *small = malloc(100), *large = malloc(3000);
    ck_assert_ptr_nonnull(small);
    ck_assert_ptr_nonnull(large);
    fill(small, 100, 11);
    fill(large, 3000, 13);
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        errno = 0;
        ck_assert_ptr_null(realloc(hide(small), opaque_size(huge[i])));
        ck_assert_int_eq(errno, ENOMEM);
        errno = 0;
        ck_assert_ptr_null(realloc(hide(large), opaque_size(huge[i])));
        ck_assert_int_eq(errno, ENOMEM);
    }
    ck_assert_int_ne(atoll_owns(small), 0);
    ck_assert(filled(small, 100, 11));
    ck_assert(filled(large, 3000, 13));
    free(small);
    free(large);
}
END_TEST

START_TEST(free_null)
{
    errno = 77;
    free(NULL);
    ck_assert_int_eq(errno, 77);
}
END_TEST

/* free must not change errno, on its slow paths least of all: a full pool getting room back,
 * and an empty pool going back to its arena. In a new thread, so the heap is fresh: 496-byte
 * blocks, 33 to a pool. Whole pools of blocks are freed first to fill the thread's cache of
 * freed blocks (a cached block keeps its pool from emptying); then 12 pools' worth is freed
 * round-robin, so all 12 are listed again before any empties and the heap has more empty
 * pools than it keeps. */
#define EBSIZE 496
#define EPER_POOL ((int)(ATOLL_POOL_SIZE / EBSIZE))
#define EFILL ((ATOLL_CACHE_MAX + EPER_POOL) / EPER_POOL * EPER_POOL)
#define EPOOLS 12

struct errno_case {
    unsigned changed;
    int first_errno_seen;
    int layout_ok;
    unsigned released;
};

static void *free_with_errno_set(void *arg)
{
    struct errno_case *c = arg;
    static void *fill[EFILL], *v[EPOOLS][EPER_POOL];
    struct atoll_pool *pool[EPOOLS];
    for (int i = 0; i < EFILL; i++)
        fill[i] = malloc(EBSIZE);
    c->layout_ok = 1;
    for (int k = 0; k < EPOOLS; k++) {
        for (int j = 0; j < EPER_POOL; j++) {
            v[k][j] = malloc(EBSIZE);
            c->layout_ok &= atoll_pool_of(v[k][j]) == atoll_pool_of(v[k][0]);
        }
        pool[k] = atoll_pool_of(v[k][0]);
        c->layout_ok &= pool[k] != NULL && (k == 0 || pool[k] != pool[k - 1]);
    }
    for (int i = 0; i < ATOLL_CACHE_MAX; i++)
        free(fill[i]);
    for (int j = 0; j < EPER_POOL; j++) {
        for (int k = 0; k < EPOOLS; k++) {
            errno = EDOM;
            free(v[k][j]);
            if (errno != EDOM && c->changed++ == 0)
                c->first_errno_seen = errno;
        }
    }
    for (int k = 0; k < EPOOLS; k++)
        c->released += pool[k]->owner == NULL;
    for (int i = ATOLL_CACHE_MAX; i < EFILL; i++)
        free(fill[i]);
    return NULL;
}

START_TEST(free_preserves_errno)
{
    struct errno_case c = { 0, 0, 0, 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, free_with_errno_set, &c), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_ne(c.layout_ok, 0);
    ck_assert_msg(c.changed == 0, "%u frees changed errno, first to %d", c.changed,
                  c.first_errno_seen);
    /* The slow path did give pools back to their arenas. */
    ck_assert_uint_ge(c.released, 1);
}
END_TEST

START_TEST(blocks_16_aligned)
{
    enum { LO = 16, HI = 600 };
    static void *v[HI + 1];
    struct tally t = { 0 };
    for (size_t n = LO; n <= HI; n++) {
        v[n] = malloc(n);
        tally_check(&t, v[n] && (uintptr_t)v[n] % 16 == 0, "malloc(%zu) = %p", n, v[n]);
        tally_check(&t, !!atoll_owns(v[n]) == (n <= 512), "malloc(%zu): atoll_owns %d", n,
                    atoll_owns(v[n]));
    }
    assert_tally(&t);
    for (size_t n = LO; n <= HI; n++)
        free(v[n]);
}
END_TEST

START_TEST(calloc_zeroes_reused_block)
{
    struct tally t = { 0 };
    for (size_t n = 1; n <= 512; n++) {
        unsigned char *p = malloc(n);
        ck_assert_ptr_nonnull(p);
        memset(hide(p), 0xab, class_size(n));
        uintptr_t addr = (uintptr_t)p;
        free(p);
        unsigned char *q = calloc(1, n);
        tally_check(&t, (uintptr_t)q == addr, "calloc(1, %zu) did not reuse the freed block", n);
        for (size_t i = 0; q && i < n; i++)
            tally_check(&t, q[i] == 0, "calloc(1, %zu)[%zu] = %#x", n, i, q[i]);
        free(q);
    }
    assert_tally(&t);
    unsigned char *big = malloc(4000);
    ck_assert_ptr_nonnull(big);
    memset(big, 0xab, 4000);
    free(big);
    unsigned char *z = calloc(40, 100);
    ck_assert_ptr_nonnull(z);
    size_t nonzero = 0;
    for (size_t i = 0; i < 4000; i++)
        nonzero += z[i] != 0;
    ck_assert_uint_eq(nonzero, 0);
    free(z);
}
END_TEST

START_TEST(realloc_preserves_content)
{
    unsigned char *p = malloc(500);
    ck_assert_ptr_nonnull(p);
    fill(p, 500, 5);
    unsigned char *q = realloc(p, 600);            /* atoll -> C library */
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(atoll_owns(q), 0);
    ck_assert(filled(q, 500, 5));
    fill(q, 600, 6);
    unsigned char *r = realloc(q, 300);            /* stays with the C library */
    ck_assert_ptr_nonnull(r);
    ck_assert(filled(r, 300, 6));
    free(r);

    p = malloc(700);
    ck_assert_ptr_nonnull(p);
    fill(p, 700, 7);
    q = realloc(p, 100);
    ck_assert_ptr_nonnull(q);
    ck_assert(filled(q, 100, 7));
    free(q);

    p = malloc(100);                               /* 112-byte block */
    ck_assert_ptr_nonnull(p);
    fill(p, 100, 8);
    q = realloc(p, 400);                           /* grows within atoll */
    ck_assert_ptr_nonnull(q);
    ck_assert_int_ne(atoll_owns(q), 0);
    ck_assert_uint_eq(malloc_usable_size(q), 400);
    ck_assert(filled(q, 100, 8));
    fill(q, 400, 9);
    r = realloc(q, 512);                           /* the largest class */
    ck_assert_ptr_nonnull(r);
    ck_assert(filled(r, 400, 9));
    unsigned char *s = realloc(r, 513);            /* just past it */
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(atoll_owns(s), 0);
    ck_assert(filled(s, 400, 9));
    free(s);
}
END_TEST

/* A shrink that still fills more than half of the block keeps it; one that would waste more
 * moves to a smaller class. */
START_TEST(realloc_in_place)
{
    unsigned char *p = malloc(100);                /* 112-byte block */
    ck_assert_ptr_nonnull(p);
    uintptr_t addr = (uintptr_t)p;
    fill(p, 100, 1);
    p = realloc(p, 110);
    ck_assert_uint_eq((uintptr_t)p, addr);
    p = realloc(p, 112);
    ck_assert_uint_eq((uintptr_t)p, addr);
    p = realloc(p, 57);
    ck_assert_uint_eq((uintptr_t)p, addr);
    ck_assert(filled(p, 57, 1));
    unsigned char *q = realloc(p, 56);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_ne((uintptr_t)q, addr);
    ck_assert_uint_eq(malloc_usable_size(q), 64);
    ck_assert(filled(q, 56, 1));
    free(q);
}
END_TEST

START_TEST(usable_size)
{
    ck_assert_uint_eq(malloc_usable_size(NULL), 0);
    struct tally t = { 0 };
    for (size_t n = 0; n <= 512; n++) {
        void *p = malloc(n);
        size_t u = malloc_usable_size(p);
        tally_check(&t, u == class_size(n), "malloc_usable_size(malloc(%zu)) = %zu", n, u);
        free(p);
    }
    for (size_t n = 513; n <= 5000; n += 97) {
        void *p = malloc(n);
        size_t u = malloc_usable_size(p);
        tally_check(&t, p && !atoll_owns(p) && u >= n, "malloc_usable_size(malloc(%zu)) = %zu",
                    n, u);
        free(p);
    }
    assert_tally(&t);
}
END_TEST

/* As ATOLL_SMALL_MAX would: the fast paths' limit follows small_limit. */
static void set_small_limit(size_t limit)
{
    atoll_g.small_limit = limit;
    atoll_fast_paths_update();
}

/* ATOLL_SMALL_MAX=0: atoll serves nothing. */
START_TEST(small_max_zero)
{
    void *before = malloc(32);
    ck_assert_int_ne(atoll_owns(before), 0);
    set_small_limit(0);
    struct tally t = { 0 };
    for (size_t n = 0; n <= 600; n++) {
        void *a = malloc(n), *b = calloc(1, n), *c = memalign(32, n), *d = realloc(NULL, n);
        tally_check(&t, a && b && c && d, "size %zu: NULL", n);
        tally_check(&t, !atoll_owns(a) && !atoll_owns(b) && !atoll_owns(c) && !atoll_owns(d),
                    "size %zu: served by atoll", n);
        free(a);
        free(b);
        free(c);
        free(d);
    }
    assert_tally(&t);
    /* A block from before still goes back to atoll. */
    uintptr_t addr = (uintptr_t)before;
    free(before);
    ck_assert_int_eq(atoll_owns((void *)addr), 0);
    set_small_limit(ATOLL_SMALL_LIMIT + 1);
}
END_TEST

/* ATOLL_SMALL_MAX=64: 64 bytes is atoll's, 65 is not. */
START_TEST(small_max_64)
{
    set_small_limit(65);
    void *a = malloc(64), *b = malloc(65), *c = calloc(1, 64), *d = calloc(1, 65);
    void *e = memalign(64, 64), *f = memalign(64, 65), *g = malloc(1);
    ck_assert_int_ne(atoll_owns(a), 0);
    ck_assert_int_eq(atoll_owns(b), 0);
    ck_assert_int_ne(atoll_owns(c), 0);
    ck_assert_int_eq(atoll_owns(d), 0);
    ck_assert_int_ne(atoll_owns(e), 0);
    ck_assert_int_eq(atoll_owns(f), 0);
    ck_assert_int_ne(atoll_owns(g), 0);
    fill(a, 64, 2);
    void *h = realloc(a, 65);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(atoll_owns(h), 0);
    ck_assert(filled(h, 64, 2));
    free(b);
    free(c);
    free(d);
    free(e);
    free(f);
    free(g);
    free(h);
    set_small_limit(ATOLL_SMALL_LIMIT + 1);
}
END_TEST

Suite *semantics_suite(void)
{
    Suite *s = suite_create("semantics");
    TCase *tc = tcase_create("glibc");
    tcase_add_test(tc, malloc_zero_unique);
    tcase_add_test(tc, calloc_overflow);
    tcase_add_test(tc, reallocarray_overflow_keeps_block);
    tcase_add_test(tc, posix_memalign_bad_alignment);
    tcase_add_test(tc, aligned_allocations);
    tcase_add_test(tc, memalign_rounds_alignment_up);
    tcase_add_test(tc, valloc_pvalloc_page_aligned);
    tcase_add_test(tc, realloc_null_is_malloc);
    tcase_add_test(tc, realloc_zero_frees);
    tcase_add_test(tc, realloc_failure_keeps_block);
    tcase_add_test(tc, free_null);
    tcase_add_test(tc, free_preserves_errno);
    tcase_add_test(tc, blocks_16_aligned);
    tcase_add_test(tc, calloc_zeroes_reused_block);
    tcase_add_test(tc, realloc_preserves_content);
    tcase_add_test(tc, realloc_in_place);
    tcase_add_test(tc, usable_size);
    suite_add_tcase(s, tc);
    TCase *limit = tcase_create("small_max");
    tcase_add_test(limit, small_max_zero);
    tcase_add_test(limit, small_max_64);
    suite_add_tcase(s, limit);
    return s;
}
