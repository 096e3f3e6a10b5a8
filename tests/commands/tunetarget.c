/* A small deterministic workload for atoll tune: argv[1] rounds of churn (a 64-byte buffer
 * allocated and freed) that keep one of every 10 buffers, and every 100th round a 2-block ring
 * that is dropped. The kept buffers make the heap grow, so thresholds are crossed. */
#include <stdio.h>
#include <stdlib.h>

struct pair {
    struct pair *other;
    long value;
};

__attribute__((noinline)) static void leak_ring(long i)
{
    struct pair *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    a->other = b;
    b->other = a;
    a->value = b->value = i;
    __asm__ volatile("" : : "r"(a) : "memory");
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000, kept = 0;
    void **keep = calloc((size_t)rounds / 10 + 1, sizeof *keep);
    for (long i = 0; i < rounds; i++) {
        char *buf = malloc(64);
        __asm__ volatile("" : : "r"(buf) : "memory");
        if (i % 10 == 0)
            keep[kept++] = buf;
        else
            free(buf);
        if (i % 100 == 99)
            leak_ring(i);
    }
    printf("%ld kept\n", kept);
    for (long i = 0; i < kept; i++)
        free(keep[i]);
    free(keep);
    return 0;
}
