/* Dominators and retained sizes (analyzer/retention/) against a brute force on 1000 random
 * dumps: roots, unreachable parts with and without cycles, self-references, several references
 * between the same blocks. The brute force knows nothing of the analyzer: it finds the alive
 * blocks, the unreachable components and their definitely lost members itself, then takes v to
 * dominate w when w is unreachable from the virtual root once v is removed. */
#include "support.h"
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>

#define MAXN 48
#define ROOT MAXN       /* the virtual root's index in the brute force */

struct model {
    uint32_t n;
    bool edge[MAXN + 1][MAXN + 1];  /* kept edges, the virtual root's included */
    uint64_t size[MAXN];
    uint32_t site[MAXN];
};

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Blocks reached from `from` over raw[][] without passing through `cut`. */
static void reach(bool raw[MAXN + 1][MAXN + 1], uint32_t n, uint32_t from, uint32_t cut,
                  bool *seen)
{
    uint32_t stack[MAXN + 1], sp = 0;
    memset(seen, 0, (MAXN + 1) * sizeof *seen);
    if (from == cut)
        return;
    seen[from] = true;
    stack[sp++] = from;
    while (sp) {
        uint32_t v = stack[--sp];
        for (uint32_t w = 0; w <= MAXN; w++)
            if ((w < n || w == ROOT) && raw[v][w] && !seen[w] && w != cut) {
                seen[w] = true;
                stack[sp++] = w;
            }
    }
}

/* The graph dominators see: alive blocks' edges, unreachable blocks' edges among themselves,
 * the virtual root to the roots and to the first block of every unreferenced component. */
static void model_edges(struct model *m, bool raw[MAXN + 1][MAXN + 1], const bool *rooted)
{
    uint32_t n = m->n;
    bool alive[MAXN + 1];
    static bool lost[MAXN + 1][MAXN + 1], reaches[MAXN + 1][MAXN + 1];
    for (uint32_t v = 0; v < n; v++)
        raw[ROOT][v] = rooted[v];
    reach(raw, n, ROOT, AN_NONE, alive);
    memset(lost, 0, sizeof lost);
    for (uint32_t x = 0; x < n; x++)
        for (uint32_t y = 0; y < n; y++)
            lost[x][y] = raw[x][y] && !alive[x] && !alive[y];
    for (uint32_t v = 0; v < n; v++)
        reach(lost, n, v, AN_NONE, reaches[v]);
    memset(m->edge, 0, sizeof m->edge);
    for (uint32_t v = 0; v < n; v++)
        for (uint32_t w = 0; w < n; w++)
            m->edge[v][w] = raw[v][w] && alive[v] == alive[w];
    for (uint32_t v = 0; v < n; v++) {
        m->edge[ROOT][v] = rooted[v];
        if (alive[v])
            continue;
        /* v is its component's first block, and no unreachable block outside the component
         * references a member */
        bool first = true, entered = false;
        for (uint32_t u = 0; u < n; u++) {
            if (!reaches[u][v] || !reaches[v][u])
                continue;
            first = first && u >= v;
            for (uint32_t x = 0; x < n; x++)
                if (lost[x][u] && !(reaches[x][v] && reaches[v][x]))
                    entered = true;
        }
        m->edge[ROOT][v] = first && !entered;
    }
}

/* dom[v][w]: v dominates w (v == ROOT: the virtual root). */
static void brute_dominators(const struct model *m, bool dom[MAXN + 1][MAXN + 1])
{
    bool seen[MAXN + 1], all[MAXN + 1];
    bool (*e)[MAXN + 1] = (bool (*)[MAXN + 1])m->edge;
    reach(e, m->n, ROOT, AN_NONE, all);
    for (uint32_t v = 0; v < m->n; v++) {
        ck_assert_msg(all[v], "block %u is not reached from the virtual root", v);
        reach(e, m->n, ROOT, v, seen);
        for (uint32_t w = 0; w < m->n; w++)
            dom[v][w] = w == v || !seen[w];
    }
    for (uint32_t w = 0; w < m->n; w++)
        dom[ROOT][w] = true;
}

static uint32_t brute_idom(const struct model *m, bool dom[MAXN + 1][MAXN + 1], uint32_t w)
{
    uint32_t best = DOM_ROOT, depth = 0;
    for (uint32_t v = 0; v < m->n; v++) {
        if (v == w || !dom[v][w])
            continue;
        uint32_t k = 0;
        for (uint32_t u = 0; u < m->n; u++)
            k += dom[u][v];
        if (k > depth)
            best = v, depth = k;
    }
    return best;
}

static struct dg *random_dump(struct model *m, uint64_t *s, bool raw[MAXN + 1][MAXN + 1])
{
    struct dg *g = dg_new();
    uint32_t n = 1 + (uint32_t)(rnd(s) % MAXN);
    uint32_t density = (uint32_t)(rnd(s) % 5);     /* 0: sparse ... 4: dense */
    uint32_t nsites = 1 + (uint32_t)(rnd(s) % 4);
    uint64_t frame = 0x401000;
    for (uint32_t k = 1; k < nsites; k++, frame += 0x10)
        dg_site(g, 1, &frame);
    memset(raw, 0, sizeof(bool) * (MAXN + 1) * (MAXN + 1));
    bool rooted[MAXN + 1] = {false};
    m->n = n;
    for (uint32_t v = 0; v < n; v++) {
        m->size[v] = 64 + 8 * (rnd(s) % 64);     /* room for 8 references */
        m->site[v] = (uint32_t)(rnd(s) % nsites);
        dg_block(g, m->size[v], m->site[v]);
    }
    for (uint32_t v = 0; v < n; v++) {
        uint32_t out = (uint32_t)(rnd(s) % (1 + density * 2));
        for (uint32_t k = 0; k < out; k++) {
            uint32_t w = rnd(s) % 8 == 0 ? v : (uint32_t)(rnd(s) % n);
            dg_edge(g, v, w, 8 * k);
            raw[v][w] = true;
        }
    }
    uint32_t roots = (uint32_t)(rnd(s) % 4);
    for (uint32_t k = 0; k < roots; k++) {
        uint32_t v = (uint32_t)(rnd(s) % n);
        rooted[v] = true;
        if (rnd(s) % 2)
            dg_root_stack(g, v);
        else
            dg_external(g, v, 1);
    }
    model_edges(m, raw, rooted);
    return g;
}

START_TEST(dominators_brute_force)
{
    uint64_t s = 20261207;
    static bool raw[MAXN + 1][MAXN + 1], dom[MAXN + 1][MAXN + 1];
    static struct model m;
    uint64_t checked = 0;
    for (int iter = 0; iter < 1000; iter++) {
        struct loaded l;
        load_dg(&l, random_dump(&m, &s, raw), NULL);
        const struct dominators *dm = l.a.dom;
        ck_assert_ptr_nonnull(dm);
        ck_assert_uint_eq(dm->count, m.n);
        brute_dominators(&m, dom);
        for (uint32_t w = 0; w < m.n; w++) {
            uint64_t bytes = 0, blocks = 0;
            for (uint32_t v = 0; v < m.n; v++)
                if (dom[w][v])
                    bytes += m.size[v], blocks++;
            ck_assert_msg(dm->idom[w] == brute_idom(&m, dom, w),
                          "graph %d block %u: idom %u, brute force %u", iter, w, dm->idom[w],
                          brute_idom(&m, dom, w));
            ck_assert_uint_eq(dm->retained_bytes[w], bytes);
            ck_assert_uint_eq(dm->retained_blocks[w], blocks);
            checked++;
        }
        /* per site: the blocks no other block of the site dominates */
        for (uint32_t i = 0; i < l.a.nretainers; i++) {
            const struct retainer *r = &l.a.retainers[i];
            ck_assert_uint_eq(r->type, AN_NONE);
            uint64_t blocks = 0, bytes = 0, rbytes = 0, rblocks = 0;
            for (uint32_t w = 0; w < m.n; w++) {
                if (m.site[w] != r->site)
                    continue;
                blocks++, bytes += m.size[w];
                bool top = true;
                for (uint32_t v = 0; v < m.n; v++)
                    if (v != w && m.site[v] == r->site && dom[v][w])
                        top = false;
                if (top)
                    rbytes += dm->retained_bytes[w], rblocks += dm->retained_blocks[w];
            }
            ck_assert_uint_eq(r->blocks, blocks);
            ck_assert_uint_eq(r->bytes, bytes);
            ck_assert_uint_eq(r->retained_bytes, rbytes);
            ck_assert_uint_eq(r->retained_blocks, rblocks);
            ck_assert(i == 0 || l.a.retainers[i - 1].retained_bytes >= r->retained_bytes);
        }
        unload(&l);
    }
    ck_assert_uint_gt(checked, 20000);
}
END_TEST

/* The API others call without an analysis gives the analysis's answer. */
START_TEST(dominators_standalone)
{
    uint64_t s = 7;
    static bool raw[MAXN + 1][MAXN + 1];
    static struct model m;
    for (int iter = 0; iter < 50; iter++) {
        struct loaded l;
        load_dg(&l, random_dump(&m, &s, raw), NULL);
        struct dominators dm;
        ck_assert_int_eq(dominators_compute(&dm, &l.a.g, &l.d), 0);
        ck_assert_mem_eq(dm.idom, l.a.dom->idom, m.n * sizeof *dm.idom);
        ck_assert_mem_eq(dm.retained_bytes, l.a.dom->retained_bytes,
                         m.n * sizeof *dm.retained_bytes);
        dominators_free(&dm);
        unload(&l);
    }
}
END_TEST

/* A list of a million blocks: no recursion anywhere, and each node retains its suffix. */
START_TEST(dominators_long_chain)
{
    uint32_t n = 1000000;
    struct graph g = {.n = n};
    g.off = malloc(((size_t)n + 1) * sizeof *g.off);
    g.to = malloc((size_t)n * sizeof *g.to);
    uint8_t *entry = calloc(n, 1);
    uint32_t *idom = malloc((size_t)n * sizeof *idom), *order = malloc((size_t)n * 4);
    ck_assert(g.off && g.to && entry && idom && order);
    for (uint32_t i = 0; i < n; i++) {
        g.off[i] = i;
        g.to[i] = (i + 1) % n;     /* a ring: the entry dominates every other block */
    }
    g.off[n] = n;
    entry[0] = 1;
    struct dom_input in = {n, g.off, g.to, entry};
    ck_assert_int_eq(dom_tree(&in, idom, order), 0);
    ck_assert_uint_eq(idom[0], DOM_ROOT);
    for (uint32_t i = 1; i < n; i++)
        ck_assert_uint_eq(idom[i], i - 1);
    free(g.off), free(g.to), free(entry), free(idom), free(order);
}
END_TEST

Suite *dominators_suite(void)
{
    Suite *s = suite_create("dominators");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, dominators_brute_force);
    tcase_add_test(tc, dominators_standalone);
    tcase_add_test(tc, dominators_long_chain);
    suite_add_tcase(s, tc);
    return s;
}
