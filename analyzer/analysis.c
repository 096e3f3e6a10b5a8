/* One analysis of one dump, phase by phase: the graph, reachability, the components of the
 * unreachable subgraph, Valgrind's classes, what cycles retain, suppressions, the totals, and
 * the groupings the reports print. */
#include "analyzer.h"
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>

static const struct analysis *cycle_ctx;

uint64_t analysis_comp_bytes(const struct analysis *a, uint32_t c)
{
    return a->comp_bytes[c];
}

uint64_t analysis_cycle_seq(const struct analysis *a, uint32_t c)
{
    uint64_t oldest = UINT64_MAX;
    for (uint32_t k = a->s.first[c]; k < a->s.first[c + 1]; k++)
        if (a->d->blocks[a->s.members[k]].seq < oldest)
            oldest = a->d->blocks[a->s.members[k]].seq;
    return oldest;
}

static int cycle_cmp(const void *x, const void *y)
{
    uint32_t c1 = *(const uint32_t *)x, c2 = *(const uint32_t *)y;
    uint64_t b1 = analysis_comp_bytes(cycle_ctx, c1), b2 = analysis_comp_bytes(cycle_ctx, c2);
    if (b1 != b2)
        return b1 > b2 ? -1 : 1;
    uint32_t m1 = cycle_ctx->s.members[cycle_ctx->s.first[c1]];
    uint32_t m2 = cycle_ctx->s.members[cycle_ctx->s.first[c2]];
    return m1 < m2 ? -1 : m1 > m2;
}

static int mark_suppressed(struct analysis *a, const struct suppressions *supp)
{
    const struct dump *d = a->d;
    a->suppressed = an_calloc((size_t)d->nblocks + 1, 1);
    a->comp_suppressed = an_calloc((size_t)a->s.count + 1, 1);
    if (!a->suppressed || !a->comp_suppressed)
        return -1;
    if (!suppress_count(supp) || !a->sym)
        return 0;
    uint8_t *site = an_calloc((size_t)d->nsites + 1, 1);      /* 0 unknown, 1 kept, 2 suppressed */
    if (!site)
        return -1;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        if (a->alive[i])
            continue;
        uint32_t st = d->blocks[i].site;
        if (!site[st]) {
            uint32_t n;
            const struct frame_sym *f = symbols_site(a->sym, st, &n);
            site[st] = suppress_match_frames(supp, f, n) ? 2 : 1;
        }
        if (site[st] == 2) {
            a->suppressed[i] = 1;
            if (a->is_cycle[a->s.comp[i]])
                a->comp_suppressed[a->s.comp[i]] = 1;
        }
    }
    free(site);
    /* a suppressed cycle is suppressed whole */
    for (uint32_t c = 0; c < a->s.count; c++)
        if (a->comp_suppressed[c])
            for (uint32_t k = a->s.first[c]; k < a->s.first[c + 1]; k++)
                a->suppressed[a->s.members[k]] = 1;
    return 0;
}

static void add(struct totals *t, uint64_t bytes)
{
    t->blocks++;
    t->bytes += bytes;
}

static int count(struct analysis *a)
{
    const struct dump *d = a->d;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        uint64_t sz = d->blocks[i].size;
        add(&a->all, sz);
        if (a->alive[i])
            add(&a->reachable, sz);
        else if (a->suppressed[i])
            add(&a->suppressed_t, sz);
        else {
            add(&a->leaked, sz);
            add(a->cls[i] == CLASS_DEFINITE ? &a->definite : &a->indirect, sz);
            if (a->is_cycle[a->s.comp[i]])
                add(&a->cycle_blocks, sz);
        }
    }
    a->cycles = an_malloc(((size_t)a->s.count + 1) * sizeof *a->cycles);
    a->comp_bytes = an_calloc((size_t)a->s.count + 1, sizeof *a->comp_bytes);
    if (!a->cycles || !a->comp_bytes)
        return -1;
    for (uint32_t i = 0; i < d->nblocks; i++)
        if (!a->alive[i])
            a->comp_bytes[a->s.comp[i]] += d->blocks[i].size;
    for (uint32_t c = 0; c < a->s.count; c++)
        if (a->is_cycle[c] && !a->comp_suppressed[c])
            a->cycles[a->ncycles++] = c;
    cycle_ctx = a;
    qsort(a->cycles, a->ncycles, sizeof *a->cycles, cycle_cmp);
    return 0;
}

/* How many of a site's first frames are Python frames. */
static uint32_t python_prefix(const struct dump *d, uint32_t site)
{
    const struct atoll_dump_site *st = &d->sites[site];
    uint32_t k = 0;
    while (k < st->depth && (d->frames[st->first_frame + k] & ATOLL_DUMP_FRAME_PYTHON))
        k++;
    return k;
}

static bool same_prefix(const struct dump *d, uint32_t x, uint32_t y, uint32_t k)
{
    return python_prefix(d, y) == k &&
           memcmp(&d->frames[d->sites[x].first_frame], &d->frames[d->sites[y].first_frame],
                  (size_t)k * sizeof *d->frames) == 0;
}

/* A reader knows a Python allocation by its Python frames: the sites that share them count
 * as the first of them. The native frames beneath differ as the interpreter specialises a
 * line's bytecode, or reaches the allocator through another C path. */
static int canon_sites(struct analysis *a)
{
    const struct dump *d = a->d;
    if (!d->npycode)
        return 0;
    size_t cap = 64;
    while (cap < 2 * (size_t)d->nsites)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof *slot);
    a->site_canon = malloc(((size_t)d->nsites + 1) * sizeof *a->site_canon);
    if (!slot || !a->site_canon) {
        free(slot);
        return -1;
    }
    memset(slot, 0xff, cap * sizeof *slot);
    for (uint32_t s = 0; s < d->nsites; s++) {
        uint32_t k = python_prefix(d, s);
        a->site_canon[s] = s;
        if (!k)
            continue;
        uint64_t h = k;
        for (uint32_t i = 0; i < k; i++)
            h = (h ^ d->frames[d->sites[s].first_frame + i]) * 0x9E3779B97F4A7C15ull;
        size_t i = (h >> 17) & (cap - 1);
        while (slot[i] != AN_NONE && !same_prefix(d, s, slot[i], k))
            i = (i + 1) & (cap - 1);
        if (slot[i] == AN_NONE)
            slot[i] = s;
        a->site_canon[s] = slot[i];
    }
    free(slot);
    return 0;
}

int analysis_run(struct analysis *a, const struct dump *d, const struct analyze_opts *o)
{
    memset(a, 0, sizeof *a);
    a->d = d;
    a->native = o->native;
    progress("building the graph");
    if (graph_from_dump(&a->g, d))
        return -1;
    progress("reachability");
    if (!(a->seed = reach_seeds_from_dump(d)) || !(a->alive = reach_alive(&a->g, d, a->seed)))
        return -1;
    progress("strongly connected components");
    if (scc_compute(&a->s, &a->g, a->alive))
        return -1;
    progress("classifying");
    a->cls = lost_classify(&a->g, &a->s, a->alive, d->blocks, &a->is_cycle);
    if (!a->cls)
        return -1;
    progress("retained sets");
    if (retain_compute(&a->r, &a->g, &a->s, d->blocks))
        return -1;
    if (o->sym) {
        a->sym = o->sym;
        a->sym_borrowed = true;
    } else if (o->symbolize || suppress_count(o->supp)) {
        progress("symbols");
        if (!(a->sym = symbols_new(d)))
            return -1;
    }
    progress("suppressions");
    if (mark_suppressed(a, o->supp) || count(a))
        return -1;
    progress("cycle shapes");
    a->comp_shape = an_malloc(((size_t)a->s.count + 1) * sizeof *a->comp_shape);
    if (!a->comp_shape ||
        shape_group_cycles(&a->g, &a->s, d, a->is_cycle, a->comp_suppressed, &a->r,
                           a->comp_shape, &a->shapes, &a->nshapes))
        return -1;
    progress("grouping leaks");
    if ((!o->native && canon_sites(a)) ||
        group_leaks(d, a->cls, a->suppressed, a->site_canon, &a->leaks, &a->nleaks))
        return -1;
    progress("refcount leaks");
    if (refcount_leaks_find(d, &a->refleaks, &a->nrefleaks))
        return -1;
    if (!o->skip_retention) {
        progress("dominators");
        if (!(a->dom = malloc(sizeof *a->dom)) ||
            dominators_compute_from(a->dom, &a->g, d, a->seed, a->alive, a->cls))
            return -1;
        progress("retainers");
        if (retainers_compute(a->dom, d, a->site_canon, &a->retainers, &a->nretainers))
            return -1;
    }
    progress_done();
    return 0;
}

void analysis_free(struct analysis *a)
{
    graph_free(&a->g);
    free(a->alive);
    scc_free(&a->s);
    free(a->cls), free(a->is_cycle);
    retain_free(&a->r);
    free(a->suppressed), free(a->comp_suppressed), free(a->comp_shape);
    free(a->shapes), free(a->leaks), free(a->cycles), free(a->comp_bytes);
    free(a->refleaks);
    free(a->site_canon);
    free(a->seed);
    if (a->dom)
        dominators_free(a->dom);
    free(a->dom), free(a->retainers);
    if (!a->sym_borrowed)
        symbols_free(a->sym);
    memset(a, 0, sizeof *a);
}
