/* A server's cache that nobody evicts: every request's entry (24 bytes), with its key (16) and
 * value (100), goes into a global hash table (1024 buckets, 8192 bytes) and stays there. Nothing
 * leaks; `atoll run` must rank the table's site first in TOP RETAINERS, retaining the whole
 * cache: 8192 + 5000 * 140 = 708192 bytes in 15001 blocks (run-retainers.sh).
 * `cachetarget N1 N2 ...`: a collection (atoll_collect) after N1 requests, then after N2, ... */
#define ATOLL_WEAK
#include <atoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *next;
    char *key;
    char *value;
};

static struct entry **table;

static struct entry **table_new(void)
{
    return calloc(1024, sizeof *table);
}

static void handle(int request)
{
    struct entry *e = malloc(sizeof *e);
    e->key = malloc(16);
    snprintf(e->key, 16, "req%d", request);
    e->value = malloc(100);
    memset(e->value, 'v', 100);
    e->next = table[request % 1024];
    table[request % 1024] = e;
}

int main(int argc, char **argv)
{
    table = table_new();
    int served = 0;
    for (int k = 1; k < argc; k++) {
        for (int n = atoi(argv[k]); served < n; served++)
            handle(served);
        if (atoll_collect)
            atoll_collect(2);
    }
    for (; served < 5000; served++)
        handle(served);
    return 0;
}
