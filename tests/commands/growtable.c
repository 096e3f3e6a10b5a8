/* A server's cache that never evicts, for `atoll diff` (diff.sh): every request adds an entry
 * (48 bytes, cache_put) and its value (32 bytes, value_new) to a global hash table.
 * `growtable N1 N2 ...` serves requests up to N1 and collects (atoll_collect), then up to N2
 * and collects, and so on. Between the first collection and the second it also drops 5 rings of
 * two 32-byte nodes (ring_new) and 3 buffers of 100 bytes (lose): new leaks and a new cycle
 * shape. Nothing else allocates between collections. With -w first, it meets another stack
 * before any (a buffer it frees): its sites are numbered differently from a run without. */
#define ATOLL_WEAK
#include <atoll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

struct entry {
    struct entry *next;
    uint64_t key;
    char *value;
    char pad[24];
};

struct node {
    struct node *peer;
    char pad[24];
};

static struct entry *table[BUCKETS];
/* counts the compiler cannot see, so that it does not unroll the loops: one site each */
static volatile int rings = 5, ring_size = 2, lost = 3;

static __attribute__((noinline)) char *value_new(uint64_t key)
{
    char *v = malloc(32);
    if (!v)
        exit(1);
    memset(v, 'a' + (int)(key % 26), 31);
    v[31] = 0;
    return v;
}

static __attribute__((noinline)) void cache_put(uint64_t key)
{
    struct entry *e = malloc(sizeof *e);
    if (!e)
        exit(1);
    e->key = key;
    e->value = value_new(key);
    e->next = table[key % BUCKETS];
    table[key % BUCKETS] = e;
}

static __attribute__((noinline)) struct node *ring_new(void)
{
    struct node *n = malloc(sizeof *n);
    if (!n)
        exit(1);
    return n;
}

static __attribute__((noinline)) void lose(void)
{
    for (int i = 0; i < rings; i++) {
        struct node *first = NULL, *prev = NULL;
        for (int k = 0; k < ring_size; k++) {
            struct node *n = ring_new();
            if (prev)
                prev->peer = n;
            else
                first = n;
            prev = n;
        }
        prev->peer = first;
    }
    for (int i = 0; i < lost; i++) {
        char *volatile p = malloc(100);
        if (!p)
            exit(1);
        p[0] = 0;
    }
}

static __attribute__((noinline)) void warm_up(void)
{
    char *volatile p = malloc(64);
    free(p);
}

int main(int argc, char **argv)
{
    uint64_t served = 0;
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-w") == 0) {
        warm_up();
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        uint64_t upto = strtoull(argv[i], NULL, 10);
        while (served < upto)
            cache_put(served++);
        if (i == first + 1)
            lose();
        if (atoll_collect)
            atoll_collect(2);
    }
    return 0;
}
