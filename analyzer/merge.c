/* What the collections of one process found, gathered: the last collection's analysis as it
 * is, then each earlier one in collection order, of which only what is new is kept: the first
 * collection to find each leaked block (by seq) and each cycle (by its oldest member's seq),
 * and, for those the last collection did not dump (freed since, by the program or its
 * collector), the block as that collection saw it, or a view of the cycle. So an earlier dump
 * costs one analysis and a lookup per unreachable block, and is closed before the next. */
#include "analyzer.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

int merge_begin(struct merged *m, const struct analysis *last, bool draw)
{
    memset(m, 0, sizeof *m);
    m->last = last;
    const struct dump *d = last->d;
    struct merge_state *st = m->st = calloc(1, sizeof *st);
    if (!st || !(st->viewer = viewer_new(last)))
        return -1;
    st->draw = draw;
    m->leaks = malloc(((size_t)last->nleaks + 1) * sizeof *m->leaks);
    m->shapes = malloc(((size_t)last->nshapes + 1) * sizeof *m->shapes);
    m->cycles = malloc(((size_t)last->ncycles + 1) * sizeof *m->cycles);
    if (!m->leaks || !m->shapes || !m->cycles)
        return -1;
    uint32_t number = d->proc->collection;
    for (uint32_t i = 0; i < last->nleaks; i++) {
        const struct leak_group *l = &last->leaks[i];
        m->leaks[i] = (struct merged_leak){l->site, l->cls, true,
                                           l->type != AN_NONE ? dump_string(d, l->type) : NULL,
                                           number, l->blocks, l->bytes};
    }
    for (uint32_t i = 0; i < last->nshapes; i++) {
        const struct shape_group *g = &last->shapes[i];
        uint32_t c = g->first_comp;
        m->shapes[i] = (struct merged_shape){
            {c, NULL}, g->simple, last->s.first[c + 1] - last->s.first[c], number, g->count, 0,
            g->blocks, g->bytes, g->retained_blocks, g->retained_bytes, g->hash};
    }
    for (uint32_t i = 0; i < last->ncycles; i++) {
        uint32_t c = last->cycles[i];
        m->cycles[i] = (struct merged_cycle){{c, NULL}, true, last->comp_shape[c], number,
                                             analysis_comp_bytes(last, c)};
    }
    m->nleaks = last->nleaks;
    m->nshapes = last->nshapes;
    m->ncycles = last->ncycles;
    st->cycle_cap = last->ncycles + 1;
    return 0;
}

/* What is known of the last collection before the first earlier one is merged: every block it
 * dumped (its verdict on those stands), and its cycles' keys. */
static int prepare(struct merged *m)
{
    struct merge_state *st = m->st;
    const struct analysis *last = m->last;
    bool added;
    for (uint32_t i = 0; i < last->d->nblocks; i++)
        if (!u64map_put(&st->last_blocks, last->d->blocks[i].seq, &added))
            return -1;
    st->cycle_keys = malloc((size_t)st->cycle_cap * sizeof *st->cycle_keys);
    st->cycle_hashes = malloc((size_t)st->cycle_cap * sizeof *st->cycle_hashes);
    if (!st->cycle_keys || !st->cycle_hashes)
        return -1;
    for (uint32_t i = 0; i < m->ncycles; i++)
        st->cycle_keys[i] = analysis_cycle_seq(last, m->cycles[i].ref.comp);
    st->prepared = true;
    return 0;
}

/* A process's site table only grows, so the dumps of one image share their sites: an earlier
 * dump whose SITES and FRAMES are not a prefix of the last one's is of an image that exec
 * replaced. */
static bool same_image(const struct dump *last, const struct dump *d)
{
    return d->proc->pid == last->proc->pid && d->proc->collection < last->proc->collection &&
           d->nsites <= last->nsites && d->nframes <= last->nframes &&
           (!d->nsites || !memcmp(d->sites, last->sites, d->nsites * sizeof *d->sites)) &&
           (!d->nframes || !memcmp(d->frames, last->frames, d->nframes * sizeof *d->frames));
}

/* s copied once for the whole merge (types outlive their dumps). */
uint32_t merge_intern(struct merge_state *st, const char *s)
{
    if (!s)
        return 0;
    uint64_t h = u64map_hash_string(s);
    const uint64_t *known = u64map_get(&st->strings, h);
    if (known)
        return (uint32_t)*known;
    if (st->nstrs == st->strs_cap) {
        size_t cap = st->strs_cap ? 2 * st->strs_cap : 16;
        char **g = realloc(st->strs, cap * sizeof *g);
        if (!g)
            return UINT32_MAX;
        st->strs = g;
        st->strs_cap = cap;
    }
    bool added;
    uint64_t *slot;
    if (!(st->strs[st->nstrs] = strdup(s)) || !(slot = u64map_put(&st->strings, h, &added))) {
        free(st->strs[st->nstrs]);
        return UINT32_MAX;
    }
    return (uint32_t)(*slot = ++st->nstrs);
}

/* *s pointed into a dump: now to the merge's copy. */
static int intern_at(struct merge_state *st, const char **s)
{
    uint32_t id = merge_intern(st, *s);
    if (id == UINT32_MAX)
        return -1;
    *s = id ? st->strs[id - 1] : NULL;
    return 0;
}

/* The strings of a view (types, labels) outlive its dump. */
static int intern_view(struct merge_state *st, struct cycle_view *v)
{
    for (uint32_t i = 0; i < v->nmembers; i++)
        if (intern_at(st, &v->members[i].type))
            return -1;
    for (uint32_t i = 0; i < v->nedges; i++)
        if (intern_at(st, &v->edges[i].label_text))
            return -1;
    for (uint32_t i = 0; i < v->ndraw; i++)
        if (intern_at(st, &v->draw[i].node.type) || intern_at(st, &v->draw[i].e.label_text))
            return -1;
    return 0;
}

static int gone_block(struct merge_state *st, const struct analysis *a, uint32_t i,
                      uint32_t number)
{
    const struct atoll_dump_block *b = &a->d->blocks[i];
    uint32_t type = merge_intern(st, report_type(a->d, i));
    if (type == UINT32_MAX)
        return -1;
    if (st->ngone == st->gone_cap) {
        size_t cap = st->gone_cap ? 2 * st->gone_cap : 256;
        struct gone_block *g = realloc(st->gone, cap * sizeof *g);
        if (!g)
            return -1;
        st->gone = g;
        st->gone_cap = cap;
    }
    uint32_t site = a->site_canon ? a->site_canon[b->site] : b->site;
    st->gone[st->ngone++] = (struct gone_block){
        b->size, site, type, number, a->cls[i], a->suppressed[i] != 0};
    return 0;
}

static int gone_cycle(struct merged *m, const struct analysis *a, struct viewer *vw, uint32_t c,
                      uint64_t key, uint32_t number)
{
    struct merge_state *st = m->st;
    if (m->ncycles == st->cycle_cap) {
        uint32_t cap = st->cycle_cap * 2;
        struct merged_cycle *g = realloc(m->cycles, (size_t)cap * sizeof *g);
        if (g)
            m->cycles = g;
        uint64_t *k = g ? realloc(st->cycle_keys, (size_t)cap * sizeof *k) : NULL;
        if (k)
            st->cycle_keys = k;
        uint64_t *h = k ? realloc(st->cycle_hashes, (size_t)cap * sizeof *h) : NULL;
        if (!h)
            return -1;
        st->cycle_hashes = h;
        st->cycle_cap = cap;
    }
    struct cycle_view *v = malloc(sizeof *v);
    if (!v || viewer_build(vw, c, st->draw, v)) {
        free(v);
        return -1;
    }
    m->cycles[m->ncycles] = (struct merged_cycle){{AN_NONE, v}, false, AN_NONE, number, v->bytes};
    st->cycle_keys[m->ncycles] = key;
    st->cycle_hashes[m->ncycles] = a->shapes[a->comp_shape[c]].hash;
    m->ncycles++;
    return intern_view(st, v);
}

/* Whether the last collection dumped a member of cycle c: then its verdict on that block
 * stands, and the cycle is not reported as gone (its members it did not dump are, as blocks). */
static bool dumped_last(const struct merge_state *st, const struct analysis *a, uint32_t c)
{
    for (uint32_t k = a->s.first[c]; k < a->s.first[c + 1]; k++)
        if (u64map_get(&st->last_blocks, a->d->blocks[a->s.members[k]].seq))
            return true;
    return false;
}

/* Unreachable blocks and cycles no earlier collection found: when, and, for those the last
 * collection did not dump, what they were. */
static int add_new(struct merged *m, const struct analysis *a, struct viewer *vw)
{
    struct merge_state *st = m->st;
    const struct dump *d = a->d;
    uint32_t number = d->proc->collection;
    bool added;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        if (a->alive[i])
            continue;
        uint64_t *first = u64map_put(&st->first_block, d->blocks[i].seq, &added);
        if (!first)
            return -1;
        if (!added)
            continue;
        *first = number;
        if (!u64map_get(&st->last_blocks, d->blocks[i].seq) && gone_block(st, a, i, number))
            return -1;
    }
    for (uint32_t i = 0; i < a->ncycles; i++) {
        uint32_t c = a->cycles[i];
        uint64_t key = analysis_cycle_seq(a, c);
        uint64_t *first = u64map_put(&st->first_cycle, key, &added);
        if (!first)
            return -1;
        if (!added)
            continue;
        *first = number;
        if (!dumped_last(st, a, c) && gone_cycle(m, a, vw, c, key, number))
            return -1;
    }
    return 0;
}

int merge_add(struct merged *m, const struct analysis *a)
{
    struct merge_state *st = m->st;
    if (!same_image(m->last->d, a->d))
        return 0;
    if (!st->prepared && prepare(m))
        return -1;
    struct merged_collection *g =
        realloc(st->earlier, ((size_t)st->nearlier + 1) * sizeof *g);
    if (!g)
        return -1;
    st->earlier = g;
    st->earlier[st->nearlier++] = (struct merged_collection){a->d->proc->collection,
                                                              a->d->proc->trigger};
    struct viewer *vw = viewer_new(a);
    int rc = vw ? add_new(m, a, vw) : -1;
    viewer_free(vw);
    return rc ? -1 : 1;
}

const struct cycle_view *merged_view(const struct merged *m, struct cycle_ref r, bool draw,
                                     struct cycle_view *tmp)
{
    if (r.view)
        return r.view;
    return viewer_build(m->st->viewer, r.comp, draw, tmp) ? NULL : tmp;
}

uint32_t merged_trigger(const struct merged *m, uint32_t number)
{
    for (uint32_t i = 0; i < m->ncollections; i++)
        if (m->collections[i].number == number)
            return m->collections[i].trigger;
    return UINT32_MAX;
}

void merge_free(struct merged *m)
{
    struct merge_state *st = m->st;
    for (uint32_t i = 0; i < m->ncycles; i++)
        if (m->cycles[i].ref.view) {
            cycle_view_free(m->cycles[i].ref.view);
            free(m->cycles[i].ref.view);
        }
    if (st) {
        viewer_free(st->viewer);
        u64map_free(&st->last_blocks);
        u64map_free(&st->first_block), u64map_free(&st->first_cycle);
        u64map_free(&st->strings);
        for (size_t i = 0; i < st->nstrs; i++)
            free(st->strs[i]);
        free(st->strs), free(st->gone), free(st->cycle_keys), free(st->cycle_hashes);
        free(st->earlier);
        free(st);
    }
    free(m->collections), free(m->leaks), free(m->shapes), free(m->cycles);
    memset(m, 0, sizeof *m);
}
