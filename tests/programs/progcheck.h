/* Helpers shared by the test programs: a content pattern derived from (address, size, seed),
 * alignment and ownership checks, and failure reports that avoid stdio, so a fork child never
 * waits on a stdio lock that a thread of its parent held at the moment of fork. */
#ifndef PROGCHECK_H
#define PROGCHECK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* These read only the address, never the block: without this, gcc warns that freshly
 * allocated (uninitialised) memory is passed to a function taking a const pointer. */
#if defined(__GNUC__) && !defined(__clang__)
#define PC_ADDRESS_ONLY(i) __attribute__((access(none, i)))
#else
#define PC_ADDRESS_ONLY(i)
#endif

/* The pattern of a block: pc_key once per (address, size, seed), then fill or verify. */
uint64_t pc_key(const void *p, size_t size, uint64_t seed) PC_ADDRESS_ONLY(1);
void pc_fill(void *p, size_t size, uint64_t key);
/* Checks the first n bytes against the pattern of key; reports the first wrong byte. */
int pc_verify(const char *what, const void *p, size_t n, uint64_t key);
/* Checks that n bytes are zero; reports the first that is not. */
int pc_verify_zero(const char *what, const void *p, size_t n);
/* Checks that p is a multiple of align. */
int pc_verify_align(const char *what, const void *p, size_t align) PC_ADDRESS_ONLY(2);

/* Ownership, from ATOLL_EXPECT: "1" means atoll must be preloaded (atoll_owns is resolved),
 * "0" means it must not be; unset, ownership is not checked. Call pc_expect_init first. */
void pc_expect_init(void);
int pc_atoll_present(void);
/* When atoll is present: reports a failure unless atoll_owns(p) is nonzero exactly when
 * owned is. */
void pc_verify_owner(const char *what, const void *p, int owned);

/* Counts a failure and prints it on stderr (the first 40 only). */
void pc_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned long pc_failures(void);

/* Waits for child pid up to timeout_s seconds and stores its wait status. A child still running
 * then is taken to be deadlocked: gdb (if installed) prints the call stack of each of its
 * threads on stderr, so a rare hang in CI leaves its evidence in the log, and the child is
 * killed. Returns 0 if the child ended by itself, 1 if it was killed, -1 if waitpid failed. */
int pc_wait_child(int pid, unsigned timeout_s, int *status);

/* xorshift64*: per-thread random numbers for choosing operations and sizes. */
static inline uint64_t pc_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#ifdef __cplusplus
}
#endif

#endif
