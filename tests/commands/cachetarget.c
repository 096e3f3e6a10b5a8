/* A server's cache that nobody evicts: every request's entry (24 bytes), with its key (16) and
 * value (100), goes into a global hash table (1024 buckets, 8192 bytes) and stays there. Nothing
 * leaks; `atoll run` must rank the table's site first in TOP RETAINERS, retaining the whole
 * cache: 8192 + 5000 * 140 = 708192 bytes in 15001 blocks (run-retainers.sh). */
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

int main(void)
{
    table = table_new();
    for (int i = 0; i < 5000; i++)
        handle(i);
    return 0;
}
