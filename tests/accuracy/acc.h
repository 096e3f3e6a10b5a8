/* Helpers shared by the accuracy programs (acc.c): a node type for rings and lists, and a way
 * to leave no stale pointer to a block on the stack at exit, where both atoll and Valgrind
 * would find it and call the block reachable. */
#ifndef ACC_H
#define ACC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NOINLINE __attribute__((noinline))

struct node {
    struct node *next;
    char payload[24];
};

/* A ring of len zeroed blocks of `size` bytes (at least sizeof(struct node)) linked through
 * their first word; returns the first one allocated. */
void *ring(int len, size_t size);

/* Overwrites 64 KiB of stack below the caller's frame (the frames of the calls that built the
 * blocks were there, and the frames of the collection at exit will be) and clears the
 * caller-saved registers. */
void scrub_stack(void);

/* Starts a thread running body, which must call parked() once it holds what it holds, and
 * returns then. The thread never ends: it stays parked while the process exits. Returns -1 if
 * the thread cannot be started. */
int start_parked(void (*body)(void));
void parked(void);

/* argv[1] == "drop": the program lets go of what it otherwise keeps reachable, so the same
 * blocks turn into a leak of known size (the control that shows the kept run could fail). */
int dropping(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
