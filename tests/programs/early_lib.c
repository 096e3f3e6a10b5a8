/* early_lib: allocation before main. Its constructor runs before the program's main (and maybe
 * before atoll's own constructor): it allocates and frees, starts a thread and joins it, leaves
 * blocks of that exited thread for the program to free, and leaves one more thread running
 * into main. */
#define _GNU_SOURCE
#include "early_lib.h"

#include "progcheck.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_MAX 512 /* atoll's default ATOLL_SMALL_MAX */

struct early_block early_blocks[EARLY_BLOCKS];

static pthread_t runner;
static int runner_started;

static void churn(uint64_t seed, int n)
{
    uint64_t rng = seed | 1;
    void *keep[16] = { 0 };
    size_t sizes[16] = { 0 };
    uint64_t keys[16] = { 0 };
    for (int i = 0; i < n; i++) {
        unsigned k = (unsigned)(pc_rand(&rng) % 16);
        if (keep[k]) {
            pc_verify("early churn", keep[k], sizes[k], keys[k]);
            free(keep[k]);
        }
        size_t size = (size_t)(pc_rand(&rng) % 1200);
        void *p = i % 3 ? malloc(size) : calloc(1, size);
        if (!p) {
            pc_fail("early churn: allocation of %zu returned NULL", size);
            keep[k] = NULL;
            continue;
        }
        if (i % 3 == 0)
            pc_verify_zero("early calloc", p, size);
        keys[k] = pc_key(p, size, rng);
        pc_fill(p, size, keys[k]);
        pc_verify_owner("early churn", p, size <= SMALL_MAX);
        if (i % 5 == 0) {
            void *q = realloc(p, size + 300);
            if (!q) {
                pc_fail("early churn: realloc returned NULL");
            } else {
                pc_verify("early realloc", q, size, keys[k]);
                p = q;
                size += 300;
                keys[k] = pc_key(p, size, rng);
                pc_fill(p, size, keys[k]);
            }
        }
        keep[k] = p;
        sizes[k] = size;
    }
    for (unsigned k = 0; k < 16; k++) {
        if (keep[k]) {
            pc_verify("early churn", keep[k], sizes[k], keys[k]);
            free(keep[k]);
        }
    }
}

static void *first_thread(void *arg)
{
    (void)arg;
    churn(11, 5000);
    for (int i = 0; i < EARLY_BLOCKS; i++) {
        size_t size = (size_t)(i * 37 % 700);
        void *p = malloc(size);
        if (!p) {
            pc_fail("early block: malloc(%zu) returned NULL", size);
            continue;
        }
        early_blocks[i].p = p;
        early_blocks[i].size = size;
        early_blocks[i].key = pc_key(p, size, (uint64_t)i);
        pc_fill(p, size, early_blocks[i].key);
    }
    return NULL;
}

static void *running_thread(void *arg)
{
    (void)arg;
    churn(13, 20000);
    return NULL;
}

__attribute__((constructor)) static void early_constructor(void)
{
    pc_expect_init();
    churn(7, 2000);
    pthread_t t;
    int err = pthread_create(&t, NULL, first_thread, NULL);
    if (err)
        pc_fail("constructor: pthread_create: %s", strerror(err));
    else
        pthread_join(t, NULL);
    err = pthread_create(&runner, NULL, running_thread, NULL);
    if (err)
        pc_fail("constructor: pthread_create: %s", strerror(err));
    else
        runner_started = 1;
}

void early_join(void)
{
    if (runner_started)
        pthread_join(runner, NULL);
    runner_started = 0;
}
