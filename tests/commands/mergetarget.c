/* Leaks that only some collections see, for `atoll run`'s report over every collection
 * (run-merge.sh; run it with --threshold 1000,1000,1000). Three phases:
 *  1. drops 3 rings of 48-byte nodes for good, and makes 4 rings of 32-byte nodes whose only
 *     pointers it keeps disguised (XORed), so a collection takes them for leaks; then allocates
 *     until collection 1 (threshold) comes;
 *  2. frees those 4 rings (so the exit collection never sees them), drops 2 rings of 80-byte
 *     nodes, and allocates until collection 2 (threshold) comes;
 *  3. exits: collection 3 (exit).
 * Every ring has 3 nodes. After each threshold crossing it waits for the collection's line in
 * $ATOLL_OUTPUT/collections.jsonl, so a collection never sees two phases at once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MASK ((uintptr_t)0x5a5a5a5a5a5a5a5aull)
#define FILLER 1100     /* blocks kept per phase: one threshold crossing (1000) each */

struct node {
    struct node *next;
};

static void *filler[2 * FILLER];
/* One block of each ring size, kept (volatile: though never read), so that no ring's block is
 * the first of a fresh arena: a collection run inside malloc has found stack words holding
 * such an arena's address, which is that block's too, and its ring looked referenced. */
static void *volatile anchor[3];
/* Counts the compiler cannot see, so that it does not unroll the loops: each ring of a kind is
 * then made from the same call sites, and all are of one shape. */
static volatile int n48 = 3, n32 = 4, n80 = 2;

static struct node *ring(size_t size)
{
    struct node *a = malloc(size), *b = malloc(size), *c = malloc(size);
    if (!a || !b || !c)
        exit(1);
    a->next = b;
    b->next = c;
    c->next = a;
    return a;
}

/* Three sites, so three shapes. noinline: no pointer to a ring outlives these frames. */
__attribute__((noinline)) static void drop_48(void)
{
    __asm__ volatile("" : : "r"(ring(48)) : "memory");
}

__attribute__((noinline)) static void drop_80(void)
{
    __asm__ volatile("" : : "r"(ring(80)) : "memory");
}

__attribute__((noinline)) static uintptr_t hide_32(void)
{
    return (uintptr_t)ring(32) ^ MASK;
}

__attribute__((noinline)) static void free_hidden(uintptr_t h)
{
    struct node *a = (struct node *)(h ^ MASK), *b = a->next, *c = b->next;
    free(a), free(b), free(c);
}

/* Overwrites the dead frames below the caller's, where copies of the rings' pointers are left. */
__attribute__((noinline)) static void scrub_stack(void)
{
    char buf[16384];
    memset(buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

static int lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, ch;
    if (!f)
        return 0;
    while ((ch = getc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* Allocates (and keeps) until a threshold collection comes, then waits for its line. */
static void collect(void **keep, const char *jsonl, int want)
{
    for (int i = 0; i < FILLER; i++)
        if (!(keep[i] = malloc(16)))
            exit(1);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 1000 && lines(jsonl) < want; i++)
        nanosleep(&tick, NULL);
    if (lines(jsonl) != want) {
        fprintf(stderr, "mergetarget: collection %d did not come\n", want);
        exit(1);
    }
}

int main(void)
{
    const char *out = getenv("ATOLL_OUTPUT");
    char jsonl[4096];
    if (!out || snprintf(jsonl, sizeof jsonl, "%s/collections.jsonl", out) >= (int)sizeof jsonl) {
        fprintf(stderr, "mergetarget: run me with atoll run --threshold 1000,1000,1000\n");
        return 2;
    }
    uintptr_t hidden[4];
    if (!(anchor[0] = malloc(48)) || !(anchor[1] = malloc(32)) || !(anchor[2] = malloc(80)))
        return 1;
    for (int i = 0; i < n48; i++)
        drop_48();
    for (int i = 0; i < n32; i++)
        hidden[i] = hide_32();
    scrub_stack();
    collect(filler, jsonl, 1);
    for (int i = 0; i < n32; i++)
        free_hidden(hidden[i]);
    for (int i = 0; i < n80; i++)
        drop_80();
    scrub_stack();
    collect(filler + FILLER, jsonl, 2);
    return 0;
}
