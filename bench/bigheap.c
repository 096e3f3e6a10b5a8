/* The collections benchmark's heap: N blocks (default 2,000,000) of 16 to 512 bytes, about
 * 270 MB, forming a random graph with cycles (each block points to up to three random others),
 * all held by one global array, then a full collection through the API. Prints the collection's
 * figures as atoll reports them in collections.jsonl (pause, scan, dump).
 *   bigheap [N]          run under LD_PRELOAD=libatoll.so with ATOLL_OUTPUT set */
#define ATOLL_WEAK
#include <atoll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void **blocks;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    if (!atoll_collect) {
        fprintf(stderr, "bigheap: run it with libatoll.so preloaded\n");
        return 2;
    }
    uint64_t seed = 0x2545F4914F6CDD1Dull, bytes = 0;
    blocks = malloc((size_t)n * sizeof *blocks);
    size_t *sizes = malloc((size_t)n * sizeof *sizes);
    for (long i = 0; i < n; i++) {
        sizes[i] = 16 + (rnd(&seed) % 32) * (rnd(&seed) % 16 + 1);
        if (sizes[i] > 512)
            sizes[i] = 512;
        blocks[i] = calloc(1, sizes[i]);
        bytes += sizes[i];
    }
    for (long i = 0; i < n; i++) {
        void **words = blocks[i];
        size_t nwords = sizes[i] / sizeof(void *);
        for (size_t k = 0; k < 3 && k < nwords; k++)
            words[k] = blocks[rnd(&seed) % (uint64_t)n];
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int unreachable = atoll_collect(2);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("bigheap: %ld blocks, %llu bytes; atoll_collect(2) = %d in %.3f s (see collections.jsonl)\n",
           n, (unsigned long long)bytes, unreachable,
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    free(sizes);
    return 0;
}
