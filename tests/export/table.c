/* A server's state, for the heap snapshot export: a global table that gains one entry per
 * request (each entry a 48-byte struct holding a 100-byte value), and 50 three-block rings
 * dropped as they are made (isolated cycles). Then a collection through the API.
 *   table [REQUESTS]        default 1000 */
#define ATOLL_WEAK
#include <atoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    long key;
    char *value;
    struct entry *next;
    char pad[24];
};

struct table {
    struct entry **slots;
    size_t nslots, count;
};

static struct table *g_sessions;

static struct entry *entry_new(long key)
{
    struct entry *e = calloc(1, sizeof *e);
    e->key = key;
    e->value = malloc(100);
    memset(e->value, 'v', 100);
    return e;
}

static void table_put(struct table *t, long key)
{
    struct entry *e = entry_new(key);
    size_t k = (size_t)key % t->nslots;
    e->next = t->slots[k];
    t->slots[k] = e;
    t->count++;
}

struct ring {
    struct ring *next;
    long id;
};

static void ring_drop(long id)
{
    struct ring *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b), *c = calloc(1, sizeof *c);
    a->next = b, b->next = c, c->next = a;
    a->id = b->id = c->id = id;
}

int main(int argc, char **argv)
{
    long requests = argc > 1 ? atol(argv[1]) : 1000;
    if (!atoll_collect) {
        fprintf(stderr, "table: run it with libatoll.so preloaded\n");
        return 2;
    }
    g_sessions = calloc(1, sizeof *g_sessions);
    g_sessions->nslots = 256;
    g_sessions->slots = calloc(g_sessions->nslots, sizeof *g_sessions->slots);
    for (long i = 0; i < requests; i++) {
        table_put(g_sessions, i);
        if (i % 20 == 0)
            ring_drop(i);
    }
    atoll_collect(2);
    return 0;
}
