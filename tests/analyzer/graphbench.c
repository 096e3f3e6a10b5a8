/* graphbench N SEED [dominators]: times the analyzer's graph phases (reachability, SCCs,
 * classification, retained sets, and if asked the dominators) on an N-block random graph
 * built in memory, the same shape as scenario_random() (90% alive in a tree with two random
 * cross edges per block, 10% leaked in rings and chains of 1..8), and checks the answers the
 * generator knows. Exit status 1 on a mismatch. */
#include "analyzer.h"
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

int main(int argc, char **argv)
{
    bool dominators = argc == 4 && strcmp(argv[3], "dominators") == 0;
    if (argc != 3 && !dominators) {
        fputs("usage: graphbench BLOCKS SEED [dominators]\n", stderr);
        return 2;
    }
    uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
    uint64_t s = strtoull(argv[2], NULL, 10);
    double t0 = now();
    uint8_t *leaked = malloc(n), *seed = calloc(n, 1);
    uint32_t *live_idx = malloc((size_t)n * 4), *live = malloc((size_t)n * 4);
    uint32_t *next = malloc((size_t)n * 4);
    struct graph g = {.n = n, .owns_off = true};
    g.off = malloc(((size_t)n + 1) * 4);
    g.to = malloc((size_t)n * 4 * 4);
    if (!leaked || !seed || !live_idx || !live || !next || !g.off || !g.to) {
        fputs("graphbench: out of memory\n", stderr);
        return 1;
    }
    uint32_t nlive = 0;
    uint64_t nleaked = 0, rings = 0;
    for (uint32_t i = 0; i < n; i++) {
        leaked[i] = i > 0 && rnd(&s) % 10 == 0;
        nleaked += leaked[i];
        if (!leaked[i]) {
            live_idx[i] = nlive;
            live[nlive++] = i;
        }
        next[i] = AN_NONE;
    }
    for (uint32_t i = 0; i < n;) {
        if (!leaked[i]) {
            i++;
            continue;
        }
        uint32_t len = 1 + (uint32_t)(rnd(&s) % 8), run[8], k = 0;
        bool ring = rnd(&s) % 10 < 6;
        for (; i < n && k < len; i++)
            if (leaked[i])
                run[k++] = i;
        for (uint32_t j = 0; j + 1 < k; j++)
            next[run[j]] = run[j + 1];
        if (ring) {
            next[run[k - 1]] = run[0];
            rings++;
        }
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        g.off[i] = m;
        if (!leaked[i]) {
            uint64_t c = 2 * (uint64_t)live_idx[i] + 1;
            if (c < nlive)
                g.to[m++] = live[c];
            if (c + 1 < nlive)
                g.to[m++] = live[c + 1];
        } else if (next[i] != AN_NONE) {
            g.to[m++] = next[i];
        }
        g.to[m++] = live[rnd(&s) % nlive];
        g.to[m++] = live[rnd(&s) % nlive];
    }
    g.off[n] = m;
    seed[live[0]] = 1;
    for (int i = 0; i < 1000; i++)
        seed[live[rnd(&s) % nlive]] = 1;
    free(live_idx), free(live), free(next);
    double t1 = now();

    uint8_t *alive = reach_alive(&g, NULL, seed);
    double t2 = now();
    struct sccs sc;
    if (!alive || scc_compute(&sc, &g, alive)) {
        fputs("graphbench: out of memory\n", stderr);
        return 1;
    }
    double t3 = now();
    uint8_t *is_cycle;
    uint8_t *cls = lost_classify(&g, &sc, alive, NULL, &is_cycle);
    double t4 = now();
    struct retain r;
    if (!cls || retain_compute(&r, &g, &sc, NULL)) {
        fputs("graphbench: out of memory\n", stderr);
        return 1;
    }
    double t5 = now(), c5 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    struct dominators dm = {0};
    if (dominators && dominators_compute_from(&dm, &g, NULL, seed, alive, cls)) {
        fputs("graphbench: out of memory\n", stderr);
        return 1;
    }
    double t6 = now(), c6 = clock_s(CLOCK_PROCESS_CPUTIME_ID);

    uint64_t unreachable = 0, cycles = 0, bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        unreachable += !alive[i];
        bad += alive[i] == leaked[i];
    }
    for (uint32_t c = 0; c < sc.count; c++)
        cycles += is_cycle[c];
    printf("blocks %u edges %u unreachable %llu cycles %llu\n", n, m,
           (unsigned long long)unreachable, (unsigned long long)cycles);
    printf("generate %.3f s\nreach %.3f s\nscc %.3f s\nclassify %.3f s\nretain %.3f s\n"
           "reach+scc %.3f s\n",
           t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t3 - t1);
    if (dominators)
        printf("dominators %.3f s (cpu %.3f s)\n", t6 - t5, c6 - c5);
    int rc = 0;
    if (bad || unreachable != nleaked || cycles != rings) {
        printf("MISMATCH: %llu blocks misjudged, %llu unreachable (want %llu), %llu cycles "
               "(want %llu)\n",
               (unsigned long long)bad, (unsigned long long)unreachable,
               (unsigned long long)nleaked, (unsigned long long)cycles,
               (unsigned long long)rings);
        rc = 1;
    }
    /* every block under the virtual root: the tree's top blocks account for all of them */
    uint64_t top = 0;
    for (uint32_t i = 0; dominators && i < n; i++)
        top += dm.idom[i] == DOM_ROOT ? dm.retained_blocks[i] : 0;
    if (dominators && top != n) {
        printf("MISMATCH: the dominator tree holds %llu blocks of %u\n", (unsigned long long)top,
               n);
        rc = 1;
    }
    dominators_free(&dm);
    retain_free(&r);
    free(cls), free(is_cycle), free(alive), free(seed), free(leaked);
    scc_free(&sc);
    graph_free(&g);
    return rc;
}
