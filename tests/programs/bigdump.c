/* A heap big enough that its dump spans many of the writer's 8 MiB chunks (the header is
 * patched into a page written long before, the edges stream out during the scan): N blocks in
 * a known graph, all reachable from one global array, plus CYCLES leaked 2-cycles. atoll_dump
 * must count exactly 2 * CYCLES unreachable blocks; bigdump.sh checks the dump's own numbers. */
#define ATOLL_WEAK
#include <atoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CYCLES 1000

static void **blocks;

static __attribute__((noinline)) void leak_cycles(void)
{
    for (int i = 0; i < CYCLES; i++) {
        void **a = malloc(24), **b = malloc(40);
        a[0] = b;
        b[0] = a;
    }
}

/* The stack below main's frame, where leak_cycles and malloc left the last cycle's addresses:
 * atoll_dump's own frames will lie there, and their unwritten slots are scanned. */
static __attribute__((noinline)) void scrub_stack(void)
{
    char buf[64 * 1024];
    explicit_bzero(buf, sizeof buf);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bigdump N DUMP\n");
        return 2;
    }
    long n = atol(argv[1]);
    if (!atoll_dump) {
        fprintf(stderr, "bigdump: run it with libatoll.so preloaded\n");
        return 2;
    }
    blocks = malloc((size_t)n * sizeof *blocks);
    for (long i = 0; i < n; i++)
        blocks[i] = calloc(1, 16 + (size_t)(i % 31) * 16);
    /* Two references out of every block: its successor, and a far one. */
    for (long i = 0; i < n; i++) {
        void **w = blocks[i];
        w[0] = blocks[(i + 1) % n];
        w[1] = (char *)blocks[(i * 7 + 3) % n] + 8;
    }
    leak_cycles();
    scrub_stack();
    int unreachable = atoll_dump(argv[2]);
    printf("bigdump: %ld blocks, atoll_dump = %d\n", n, unreachable);
    if (unreachable != 2 * CYCLES) {
        fprintf(stderr, "bigdump: atoll_dump found %d unreachable blocks, expected %d\n",
                unreachable, 2 * CYCLES);
        return 1;
    }
    return 0;
}
