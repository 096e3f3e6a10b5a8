/* Synthetic heaps with known answers, shared by the Check tests, the report checks and the
 * benchmark generator. Sites 1..k have one fake frame each, outside every module. */
#include "dumpgen.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void sites(struct dg *g, uint32_t k)
{
    for (uint32_t i = 1; i <= k; i++) {
        uint64_t frame = 0x400000 + 0x1000 * (uint64_t)i;
        dg_site(g, 1, &frame);
    }
}

/* A ring of n blocks of the given sizes and sites, each pointing to the next at offset off. */
static uint32_t ring(struct dg *g, uint32_t n, const uint64_t *size, const uint32_t *site,
                     uint64_t off)
{
    uint32_t first = dg_nblocks(g);
    for (uint32_t i = 0; i < n; i++)
        dg_block(g, size[i], site[i]);
    for (uint32_t i = 0; i < n; i++)
        dg_edge(g, first + i, first + (i + 1) % n, off);
    return first;
}

static struct dg *single(void)
{
    struct dg *g = dg_new();
    sites(g, 2);
    uint32_t r = dg_block(g, 32, 1);
    dg_block(g, 48, 2);
    dg_root_stack(g, r);
    return g;
}

static struct dg *list(void)
{
    struct dg *g = dg_new();
    sites(g, 2);
    for (uint32_t i = 0; i < 5; i++)
        dg_block(g, 32, 1);
    for (uint32_t i = 0; i < 4; i++)
        dg_edge(g, i, i + 1, 8);
    uint32_t r = dg_block(g, 16, 2);
    dg_root_stack(g, r);
    return g;
}

static struct dg *dlist(void)
{
    struct dg *g = dg_new();
    sites(g, 1);
    for (uint32_t i = 0; i < 4; i++)
        dg_block(g, 40, 1);
    for (uint32_t i = 0; i < 4; i++) {
        if (i < 3)
            dg_edge(g, i, i + 1, 0);
        if (i > 0)
            dg_edge(g, i, i - 1, 8);
    }
    return g;
}

static struct dg *self(void)
{
    struct dg *g = dg_new();
    sites(g, 1);
    dg_block(g, 24, 1);
    dg_edge(g, 0, 0, 16);
    return g;
}

static struct dg *cycles(void)
{
    struct dg *g = dg_new();
    sites(g, 3);
    uint64_t s16[] = {16, 16}, s32[] = {32, 32, 32}, s64[] = {64, 64, 64, 64, 64};
    uint32_t t1[] = {1, 1}, t2[] = {2, 2, 2}, t3[] = {3, 3, 3, 3, 3};
    ring(g, 2, s16, t1, 0);
    ring(g, 3, s32, t2, 0);
    ring(g, 5, s64, t3, 0);
    return g;
}

/* A <-> B, A -> T1 -> {T2, T3}; X -> T4 <- A: the cycle retains T1, T2, T3 but not T4. */
static struct dg *tree(void)
{
    struct dg *g = dg_new();
    sites(g, 4);
    uint32_t a = dg_block(g, 48, 1), b = dg_block(g, 48, 1);
    uint32_t t1 = dg_block(g, 32, 2), t2 = dg_block(g, 16, 3), t3 = dg_block(g, 16, 3);
    uint32_t x = dg_block(g, 64, 4), t4 = dg_block(g, 16, 3);
    dg_edge(g, a, b, 0);
    dg_edge(g, b, a, 0);
    dg_edge(g, a, t1, 8);
    dg_edge(g, a, t4, 16);
    dg_edge(g, t1, t2, 0);
    dg_edge(g, t1, t3, 8);
    dg_edge(g, x, t4, 0);
    return g;
}

static struct dg *rooted(void)
{
    struct dg *g = dg_new();
    sites(g, 1);
    uint64_t sz[] = {32, 32, 32};
    uint32_t st[] = {1, 1, 1};
    uint32_t first = ring(g, 3, sz, st, 8);
    dg_root_stack(g, first + 1);
    return g;
}

/* 10,000 rings (48 B, site 1) -> +8 -> (64 B, site 2) -> +0 -> back; every other ring is
 * allocated the other way round, so the shape must not depend on which member came first. */
static struct dg *tenk(void)
{
    struct dg *g = dg_new();
    sites(g, 2);
    for (uint32_t i = 0; i < 10000; i++) {
        uint32_t a, b;
        if (i % 2) {
            b = dg_block(g, 64, 2);
            a = dg_block(g, 48, 1);
        } else {
            a = dg_block(g, 48, 1);
            b = dg_block(g, 64, 2);
        }
        dg_edge(g, a, b, 8);
        dg_edge(g, b, a, 0);
    }
    return g;
}

/* A generation-0 dump: Y is referenced from an older generation (refcount above its
 * in-edges), so Y and Z are alive; the ring P <-> Q is not. */
static struct dg *young(void)
{
    struct dg *g = dg_new();
    dg_process(g)->generation = 0;
    dg_process(g)->trigger = ATOLL_DUMP_TRIGGER_THRESHOLD;
    dg_process(g)->threshold[0] = 700;
    dg_process(g)->threshold[1] = 10;
    dg_process(g)->threshold[2] = 10;
    sites(g, 3);
    uint32_t y = dg_block(g, 32, 1), z = dg_block(g, 16, 2);
    uint32_t p = dg_block(g, 16, 3), q = dg_block(g, 16, 3);
    dg_edge(g, y, z, 0);
    dg_edge(g, p, q, 0);
    dg_edge(g, q, p, 0);
    dg_external(g, y, 1);
    return g;
}

/* Ignored and loader blocks are alive, with or without their synthetic roots. */
static struct dg *flags(void)
{
    struct dg *g = dg_new();
    sites(g, 2);
    uint32_t i = dg_block_full(g, 0x1000, 32, 1, 1, 2, ATOLL_DUMP_BLOCK_IGNORED);
    uint32_t l = dg_block_full(g, 0x2000, 32, 2, 1, 2, ATOLL_DUMP_BLOCK_LOADER);
    uint32_t f = dg_block_full(g, 0x3000, 16, 3, 2, 2, ATOLL_DUMP_BLOCK_IGNORED);
    uint32_t c = dg_block_full(g, 0x4000, 16, 4, 2, 2, 0);
    dg_root(g, ATOLL_DUMP_ROOT_IGNORED, 0, 0, i);
    dg_root(g, ATOLL_DUMP_ROOT_LOADER, 0, 0, l);
    dg_edge(g, f, c, 0);
    return g;
}

/* Two rings with the same shape allocated from different members, and its mirror image. */
static struct dg *shapes(void)
{
    struct dg *g = dg_new();
    sites(g, 3);
    uint64_t z1[] = {48, 32, 16}, z2[] = {32, 16, 48}, z3[] = {48, 16, 32};
    uint32_t s1[] = {1, 2, 3}, s2[] = {2, 3, 1}, s3[] = {1, 3, 2};
    ring(g, 3, z1, s1, 0);
    ring(g, 3, z2, s2, 0);
    ring(g, 3, z3, s3, 0);
    return g;
}

/* A Python ring: Customer -.orders-> list -[0]-> Order -.customer-> Customer, each made at a
 * line of app.py (3.11 location table: one entry of 4 code units per line from line 5). */
static struct dg *python(void)
{
    static const uint8_t table[] = {0xf3, 0x0a, 0xf3, 0x02, 0xf3, 0x02, 0xf3, 0x02};
    struct dg *g = dg_new();
    uint64_t init = dg_pycode(g, "app.py", "Customer.__init__", 4, 0x030b, table, sizeof table);
    uint64_t handle = dg_pycode(g, "app.py", "handle", 4, 0x030b, table, sizeof table);
    uint64_t s_list[] = {init | 8, handle | 0, 0x401000}, s_cust[] = {handle | 0, 0x401000};
    uint64_t s_order[] = {handle | 16, 0x401000};
    uint32_t c = dg_block(g, 56, dg_site(g, 2, s_cust)), l = dg_block(g, 56, dg_site(g, 3, s_list));
    uint32_t items = dg_block(g, 32, 0), o = dg_block(g, 56, dg_site(g, 2, s_order));
    dg_edge(g, c, l, 40);
    dg_edge(g, l, items, 40);
    dg_edge(g, items, o, 0);
    dg_edge(g, o, c, 40);
    dg_object(g, c, c, "Customer", 1, 0);
    dg_object(g, l, l, "list", 1, 0);
    dg_object(g, items, l, "", 0, 0);
    dg_object(g, o, o, "Order", 1, 0);
    dg_label(g, c, 40, ATOLL_DUMP_LABEL_ATTRIBUTE, "orders", 0);
    dg_label(g, items, 0, ATOLL_DUMP_LABEL_INDEX, NULL, 0);
    dg_label(g, o, 40, ATOLL_DUMP_LABEL_ATTRIBUTE, "customer", 0);
    return g;
}

/* What retains what (docs/report-format.md, Retained sizes): a rooted table (4096 B, site 1)
 * of 4 entries (48 B, site 2) each holding a value (30 B, site 3), the first two sharing a
 * block (16 B, site 4); a rooted chain of 3 nodes (24 B, site 5); a leaked ring of 3 (40 B,
 * site 6) whose second member holds a block (8 B, site 4). */
static struct dg *retainers(void)
{
    struct dg *g = dg_new();
    sites(g, 6);
    uint32_t t = dg_block(g, 4096, 1), e[4], v[4];
    for (uint32_t i = 0; i < 4; i++) {
        e[i] = dg_block(g, 48, 2);
        v[i] = dg_block(g, 30, 3);
        dg_edge(g, t, e[i], 8 * i);
        dg_edge(g, e[i], v[i], 0);
    }
    uint32_t x = dg_block(g, 16, 4);
    dg_edge(g, e[0], x, 8);
    dg_edge(g, e[1], x, 8);
    uint32_t n1 = dg_block(g, 24, 5), n2 = dg_block(g, 24, 5), n3 = dg_block(g, 24, 5);
    dg_edge(g, n1, n2, 0);
    dg_edge(g, n2, n3, 0);
    dg_root_stack(g, t);
    dg_root_stack(g, n1);
    uint64_t sz[] = {40, 40, 40};
    uint32_t st[] = {6, 6, 6};
    uint32_t r = ring(g, 3, sz, st, 0);
    dg_edge(g, r + 1, dg_block(g, 8, 4), 8);
    return g;
}

/* A module's dict (site 1) held from outside the dump, its keys table (site 2, owned) holding
 * three Session objects (site 3); each Session's values (site 4, owned) hold a list (site 5)
 * whose items (site 6, owned) hold a bytes object (site 7); the first Session's values also
 * hold a fourth Session (site 3). Owned blocks count under their object's type. */
static struct dg *pyretainers(void)
{
    struct dg *g = dg_new();
    sites(g, 7);
    uint32_t d = dg_block(g, 64, 1), dk = dg_block(g, 200, 2), s[4], vals[3], l[3], it[3], b[3];
    dg_edge(g, d, dk, 40);
    for (uint32_t i = 0; i < 3; i++) {
        s[i] = dg_block(g, 56, 3);
        vals[i] = dg_block(g, 40, 4);
        l[i] = dg_block(g, 56, 5);
        it[i] = dg_block(g, 32, 6);
        b[i] = dg_block(g, 100, 7);
    }
    s[3] = dg_block(g, 56, 3);
    for (uint32_t i = 0; i < 3; i++) {
        dg_edge(g, dk, s[i], 8 * i);
        dg_edge(g, s[i], vals[i], 24);
        dg_edge(g, vals[i], l[i], 0);
        dg_edge(g, l[i], it[i], 40);
        dg_edge(g, it[i], b[i], 0);
    }
    dg_edge(g, vals[0], s[3], 8);
    dg_external(g, d, 1);
    dg_object(g, d, d, "dict", 1, 0);
    dg_object(g, dk, d, "", 0, 0);
    for (uint32_t i = 0; i < 3; i++) {
        dg_object(g, s[i], s[i], "Session", 1, 0);
        dg_object(g, vals[i], s[i], "", 0, 0);
        dg_object(g, l[i], l[i], "list", 1, 0);
        dg_object(g, it[i], l[i], "", 0, 0);
        dg_object(g, b[i], b[i], "bytes", 1, 0);
    }
    dg_object(g, s[3], s[3], "Session", 1, 0);
    return g;
}

/* 100,000 leak sites, each 8 frames deep in a module whose file is missing, each leaking one
 * block (16 to 79 bytes), and 100 rings of two blocks: the HTML report's scale. */
static struct dg *sites100k(void)
{
    struct dg *g = dg_new();
    dg_module(g, "/nonexistent/big-program", 0, 0x400000, 0x4000000, NULL, 0);
    for (uint32_t i = 0; i < 100000; i++) {
        uint64_t f[8];
        for (uint32_t k = 0; k < 8; k++)
            f[k] = 0x400000 + 0x100 * (uint64_t)(i * 8 + k);
        dg_block(g, 16 + i % 64, dg_site(g, 8, f));
    }
    for (uint32_t i = 0; i < 100; i++) {
        uint32_t a = dg_block(g, 48, 1), b = dg_block(g, 64, 2);
        dg_edge(g, a, b, 8);
        dg_edge(g, b, a, 0);
    }
    return g;
}

/* A graph that is empty but valid. */
static struct dg *empty(void)
{
    return dg_new();
}

struct dg *scenario(const char *name)
{
    static const struct {
        const char *name;
        struct dg *(*make)(void);
    } all[] = {
        {"single", single}, {"list", list},     {"dlist", dlist}, {"self", self},
        {"cycles", cycles}, {"tree", tree},     {"rooted", rooted}, {"tenk", tenk},
        {"young", young},   {"flags", flags},   {"shapes", shapes}, {"empty", empty},
        {"python", python}, {"retainers", retainers}, {"pyretainers", pyretainers},
        {"sites100k", sites100k},
    };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i].name, name) == 0)
            return all[i].make();
    return NULL;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* About 90% of the blocks are alive: live block k points to live blocks 2k+1 and 2k+2 (so all
 * are reachable from live block 0) and two random live blocks. The rest are leaked in runs of
 * 1..8: rings (60%) or chains, each also pointing at two random live blocks. A block holds at
 * most size/8 references, so small blocks get fewer. */
struct dg *scenario_random(uint32_t n, uint64_t seed)
{
    struct dg *g = dg_new();
    uint64_t s = seed;
    const uint32_t nsites = 1000;
    dg_module(g, "/nonexistent/bench-program", 0, 0x400000, 0x800000, NULL, 0);
    for (uint32_t i = 0; i < nsites; i++) {
        uint64_t f[4];
        for (int k = 0; k < 4; k++)
            f[k] = 0x400000 + rnd(&s) % 0x400000;
        dg_site(g, 4, f);
    }
    uint8_t *leaked = malloc(n);
    uint32_t *live_idx = malloc((size_t)n * sizeof *live_idx);   /* block -> live number */
    uint32_t *live = malloc((size_t)n * sizeof *live);            /* live number -> block */
    uint32_t *next = malloc((size_t)n * sizeof *next);            /* leaked: next in its run */
    if (!leaked || !live_idx || !live || !next)
        abort();
    uint32_t nlive = 0;
    for (uint32_t i = 0; i < n; i++) {
        leaked[i] = i > 0 && rnd(&s) % 10 == 0;
        if (!leaked[i]) {
            live_idx[i] = nlive;
            live[nlive++] = i;
        }
        next[i] = UINT32_MAX;
    }
    for (uint32_t i = 0; i < n;) {
        if (!leaked[i]) {
            i++;
            continue;
        }
        uint32_t len = 1 + (uint32_t)(rnd(&s) % 8), run[8], k = 0;
        bool is_ring = rnd(&s) % 10 < 6;
        for (; i < n && k < len; i++)
            if (leaked[i])
                run[k++] = i;
        for (uint32_t j = 0; j + 1 < k; j++)
            next[run[j]] = run[j + 1];
        if (is_ring)
            next[run[k - 1]] = run[0];
    }
    for (uint32_t i = 0; i < n; i++) {
        double u = (double)(rnd(&s) >> 11) / 9007199254740992.0;
        uint64_t size = 16 + (uint64_t)(496.0 * u * u * u);
        dg_block(g, size, 1 + (uint32_t)(rnd(&s) % nsites));
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t targets[4], k = 0;
        if (!leaked[i]) {
            uint64_t c = 2 * (uint64_t)live_idx[i] + 1;
            if (c < nlive)
                targets[k++] = live[c];
            if (c + 1 < nlive)
                targets[k++] = live[c + 1];
        } else if (next[i] != UINT32_MAX) {
            targets[k++] = next[i];
        }
        targets[k++] = live[rnd(&s) % nlive];
        targets[k++] = live[rnd(&s) % nlive];
        uint32_t cap = (uint32_t)(dg_block_size(g, i) / 8);
        for (uint32_t j = 0; j < k && j < cap; j++)
            dg_edge(g, i, targets[j], 8 * j);
    }
    dg_root_stack(g, live[0]);
    for (uint32_t i = 0; i < 1000; i++)
        dg_root_stack(g, live[rnd(&s) % nlive]);
    free(leaked), free(live_idx), free(live), free(next);
    return g;
}
