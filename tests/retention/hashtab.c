/* A server's cache with no eviction: every request's entry goes into a global hash table and
 * stays there (issue 16's acceptance program). Collections (atoll_collect(2)) after 1,000
 * requests and after 5,000. Request k (from 1) lives in bucket k * 7 % NBUCKETS, alone there: an
 * entry of 64 bytes whose `value` (at +8) is a 32-byte block, both from remember_request. */
#include <atoll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 8192

struct entry {
    struct entry *next;
    char *value;
    uint64_t key;
    char pad[40];
};

struct entry *g_table[NBUCKETS];

__attribute__((noinline)) static void remember_request(uint64_t key)
{
    struct entry *e = malloc(sizeof *e);
    char *value = malloc(32);
    if (!e || !value)
        exit(1);
    memset(value, 'v', 32);
    e->value = value;
    e->key = key;
    size_t b = key * 7 % NBUCKETS;
    e->next = g_table[b];
    g_table[b] = e;
}

int main(void)
{
    _Static_assert(sizeof(struct entry) == 64, "entry layout");
    for (uint64_t k = 1; k <= 5000; k++) {
        remember_request(k);
        if (k == 1000 || k == 5000)
            atoll_collect(2);
    }
    return 0;
}
