/* early: allocation before main (early_lib's constructor, with threads) and in dynamic TLS
 * (__thread variables of libraries opened with dlopen, used from several threads that then
 * exit and have their TLS freed).
 *
 * Usage: early TLS_LIBRARY... Exit 0 when every block and every TLS block was right. */
#define _GNU_SOURCE
#include "early_lib.h"
#include "progcheck.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIBS 4
#define THREADS 6
#define WAVES 20
#define SMALL_MAX 512 /* atoll's default ATOLL_SMALL_MAX */

struct tls_lib {
    int (*check_fresh)(void);
    void *(*address)(void);
    size_t (*size)(void);
};

static struct tls_lib libs[MAX_LIBS];
static int nlibs;
static pthread_barrier_t all_filled;

static void *free_early_blocks(void *arg)
{
    (void)arg;
    for (int i = 0; i < EARLY_BLOCKS; i++) {
        pc_verify("block allocated before main", early_blocks[i].p, early_blocks[i].size,
                  early_blocks[i].key);
        free(early_blocks[i].p);
    }
    return NULL;
}

/* Each thread sees fresh TLS and keeps what it wrote while it and the others of its wave, all
 * alive at once, allocate. */
static void *tls_thread(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    for (int l = 0; l < nlibs; l++) {
        if (libs[l].check_fresh())
            pc_fail("thread %llu: TLS of library %d is not the initial image",
                    (unsigned long long)seed, l);
        unsigned char *t = libs[l].address();
        size_t n = libs[l].size();
        pc_fill(t, n, pc_key(t, n, seed));
        /* glibc mallocs a module's TLS block on first use, and tls_data sits at its start: so
         * the small block must be atoll's, which shows __tls_get_addr went through atoll. */
        pc_verify_owner("dynamic TLS block", t, n + sizeof(uint64_t[4]) <= SMALL_MAX);
    }
    pthread_barrier_wait(&all_filled);
    uint64_t rng = seed;
    for (int i = 0; i < 2000; i++) {
        size_t size = (size_t)(pc_rand(&rng) % 600);
        void *p = malloc(size);
        if (!p) {
            pc_fail("malloc(%zu) returned NULL", size);
            continue;
        }
        memset(p, 0xEE, size);
        free(p);
    }
    for (int l = 0; l < nlibs; l++) {
        unsigned char *t = libs[l].address();
        size_t n = libs[l].size();
        pc_verify("thread TLS", t, n, pc_key(t, n, seed));
    }
    return libs[0].address();
}

static int open_tls_lib(const char *path)
{
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen(%s): %s\n", path, dlerror());
        return 0;
    }
    struct tls_lib *l = &libs[nlibs++];
    *(void **)&l->check_fresh = dlsym(h, "tls_check_fresh");
    *(void **)&l->address = dlsym(h, "tls_address");
    *(void **)&l->size = dlsym(h, "tls_size");
    if (!l->check_fresh || !l->address || !l->size) {
        fprintf(stderr, "%s: missing symbols\n", path);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc - 1 > MAX_LIBS) {
        fprintf(stderr, "usage: %s TLS_LIBRARY... (at most %d)\n", argv[0], MAX_LIBS);
        return 2;
    }
    early_join();
    pthread_t t;
    if (pthread_create(&t, NULL, free_early_blocks, NULL) == 0)
        pthread_join(t, NULL);
    else
        pc_fail("pthread_create failed");
    for (int i = 1; i < argc; i++)
        if (!open_tls_lib(argv[i]))
            return 1;
    pthread_barrier_init(&all_filled, NULL, THREADS);
    for (int wave = 0; wave < WAVES; wave++) {
        pthread_t th[THREADS];
        void *addr[THREADS];
        for (int i = 0; i < THREADS; i++) {
            if (pthread_create(&th[i], NULL, tls_thread, (void *)(uintptr_t)(wave * 100 + i + 1))) {
                fprintf(stderr, "pthread_create failed\n");
                return 1;
            }
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(th[i], &addr[i]);
        for (int i = 0; i < THREADS; i++)
            for (int j = 0; j < i; j++)
                if (addr[i] == addr[j])
                    pc_fail("threads %d and %d of wave %d share TLS at %p", i, j, wave, addr[i]);
    }
    if (pc_failures()) {
        fprintf(stderr, "early: %lu failures\n", pc_failures());
        return 1;
    }
    printf("early: constructor threads and %d waves of %d threads on %d TLS libraries\n", WAVES,
           THREADS, nlibs);
    return 0;
}
