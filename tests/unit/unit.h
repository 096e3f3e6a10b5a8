/* What the unit test files share: their suites, and the support in support.c.
 *
 * The test program links the allocator itself (atoll_core), so its own malloc is atoll's and
 * the tests can look at the internals. Check forks before every test, so each test starts from
 * the runner's heap and may change global state (atoll_g) freely. */
#ifndef ATOLL_UNIT_H
#define ATOLL_UNIT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

Suite *semantics_suite(void);
Suite *bad_free_suite(void);
Suite *threads_suite(void);
Suite *fork_suite(void);
Suite *arena_suite(void);
Suite *fmt_suite(void);
Suite *mangled_suite(void);
Suite *options_suite(void);

/* Child modes of this program, run by the options tests; -1 when argv names none. */
int unit_child_main(int argc, char **argv);

/* Values the compiler cannot see through: huge constant sizes would draw
 * -Walloc-size-larger-than, and a pointer freed twice on purpose -Wuse-after-free. */
static inline size_t opaque_size(size_t v)
{
    __asm__ volatile("" : "+r"(v));
    return v;
}

static inline void *hide(void *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

/* stderr (fd 2) diverted into an in-memory file between capture_begin and capture_end. */
struct capture {
    int saved_fd;
    int mem_fd;
};
void capture_begin(struct capture *c);
/* Restores fd 2 and copies what was written (NUL-terminated, truncated to size). */
size_t capture_end(struct capture *c, char *buf, size_t size);

/* Runs this program with argv[1] = mode and exactly the environment envp; returns the wait
 * status, and the child's pid and what it wrote on stdout and stderr. */
struct child_output {
    int pid;
    char out[4096];
    char err[4096];
};
int run_self(const char *mode, char *const envp[], struct child_output *o);

/* Allocates and frees many blocks of several classes and asserts they are distinct, 16-byte
 * aligned, atoll's, and do not overlap: what a corrupted free list or bitmap would break. */
void assert_heap_sound(void);

/* Failures counted in a loop and asserted once after it: every passing Check assertion costs
 * a message to the runner, too slow for loops of thousands. The first failure is kept. */
struct tally {
    size_t bad;
    char first[256];
};
void tally_check(struct tally *t, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define assert_tally(t) ck_assert_msg((t)->bad == 0, "%zu failures, first: %s", (t)->bad, (t)->first)

/* How many of the n pointers equal p. */
size_t count_ptr(void *const *v, size_t n, const void *p);

/* Asserts the n pointers are pairwise distinct (sorts v). */
void assert_distinct(void **v, size_t n);

#endif
