/* The merge finished: when what the last collection found was first found, the totals over the
 * union, what only earlier collections found grouped (leaked blocks by site, class and type;
 * cycles by shape, joining the last collection's shapes by hash, which does not depend on the
 * dump), and each list in report order. Ties keep the last analysis's order, so a report on one
 * collection is the same as before there were merges. */
#include "analyzer.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

static const char *sort_base;
static size_t sort_size;
static int (*sort_cmp)(const void *, const void *);

static int by_index(const void *x, const void *y)
{
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    int c = sort_cmp(sort_base + i * sort_size, sort_base + j * sort_size);
    return c ? c : (i > j) - (i < j);
}

/* Sorts n elements of size bytes at base by cmp, ties in their order; rank[i] (if not NULL) is
 * where element i went. */
static int stable_sort(void *base, uint32_t n, size_t size, int (*cmp)(const void *, const void *),
                       uint32_t *rank)
{
    uint32_t *perm = malloc(((size_t)n + 1) * sizeof *perm);
    char *copy = malloc((size_t)n * size + 1);
    if (!perm || !copy) {
        free(perm), free(copy);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    sort_base = base;
    sort_size = size;
    sort_cmp = cmp;
    qsort(perm, n, sizeof *perm, by_index);
    memcpy(copy, base, (size_t)n * size);
    for (uint32_t i = 0; i < n; i++) {
        memcpy((char *)base + (size_t)i * size, copy + (size_t)perm[i] * size, size);
        if (rank)
            rank[perm[i]] = i;
    }
    free(perm), free(copy);
    return 0;
}

static int desc(uint64_t a, uint64_t b)
{
    return (a < b) - (a > b);
}

static int leak_cmp(const void *x, const void *y)
{
    const struct merged_leak *a = x, *b = y;
    int c = desc(a->bytes, b->bytes);
    c = c ? c : desc(a->blocks, b->blocks);
    c = c ? c : (a->cls > b->cls) - (a->cls < b->cls);
    return c ? c : (a->site > b->site) - (a->site < b->site);
}

static int shape_cmp(const void *x, const void *y)
{
    const struct merged_shape *a = x, *b = y;
    int c = desc(a->bytes, b->bytes);
    return c ? c : desc(a->count, b->count);
}

static int cycle_cmp(const void *x, const void *y)
{
    return desc(((const struct merged_cycle *)x)->bytes, ((const struct merged_cycle *)y)->bytes);
}

static uint64_t leak_key(uint32_t site, uint8_t cls, uint32_t type, bool at_last)
{
    return (uint64_t)site << 32 | (uint64_t)type << 3 | (uint64_t)at_last << 2 | cls;
}

static void add(struct totals *t, uint64_t bytes)
{
    t->blocks++;
    t->bytes += bytes;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The first collection that found one of each of the last collection's leak groups and cycles. */
static int first_found(struct merged *m)
{
    struct merge_state *st = m->st;
    const struct analysis *last = m->last;
    const struct dump *d = last->d;
    struct u64map groups = {0};
    bool added;
    int rc = -1;
    for (uint32_t i = 0; i < last->nleaks; i++) {
        uint32_t type = merge_intern(st, m->leaks[i].type);
        uint64_t *g = type == UINT32_MAX ? NULL :
            u64map_put(&groups, leak_key(m->leaks[i].site, m->leaks[i].cls, type, true), &added);
        if (!g)
            goto out;
        *g = i;
    }
    for (uint32_t v = 0; v < d->nblocks; v++) {
        const uint64_t *first = u64map_get(&st->first_block, d->blocks[v].seq);
        if (!first || last->alive[v] || last->suppressed[v])
            continue;
        uint32_t type = merge_intern(st, report_type(d, v));
        if (type == UINT32_MAX)
            goto out;
        uint32_t site = last->site_canon ? last->site_canon[d->blocks[v].site] : d->blocks[v].site;
        uint64_t *g = u64map_get(&groups, leak_key(site, last->cls[v], type, true));
        if (g)
            m->leaks[*g].first = min_u32(m->leaks[*g].first, (uint32_t)*first);
    }
    for (uint32_t i = 0; i < last->ncycles; i++) {
        struct merged_cycle *c = &m->cycles[i];
        const uint64_t *first = u64map_get(&st->first_cycle, st->cycle_keys[i]);
        if (first)
            c->first = (uint32_t)*first;
        m->shapes[c->shape].first = min_u32(m->shapes[c->shape].first, c->first);
    }
    rc = 0;
out:
    u64map_free(&groups);
    return rc;
}

/* Leaked blocks only earlier collections found: in the totals, and grouped. */
static int gone_leaks(struct merged *m)
{
    struct merge_state *st = m->st;
    struct u64map groups = {0};
    bool added;
    int rc = -1;
    struct merged_leak *room = realloc(m->leaks, (m->nleaks + st->ngone + 1) * sizeof *room);
    if (!room)
        return -1;
    m->leaks = room;
    for (size_t i = 0; i < st->ngone; i++) {
        const struct gone_block *b = &st->gone[i];
        add(&m->all, b->size);
        if (b->suppressed) {
            add(&m->suppressed_t, b->size);
            continue;
        }
        add(&m->leaked, b->size);
        add(&m->gone, b->size);
        add(b->cls == CLASS_DEFINITE ? &m->definite : &m->indirect, b->size);
        uint64_t *g = u64map_put(&groups, leak_key(b->site, b->cls, b->type, false), &added);
        if (!g)
            goto out;
        if (added) {
            *g = m->nleaks;
            m->leaks[m->nleaks++] = (struct merged_leak){
                b->site, b->cls, false, b->type ? st->strs[b->type - 1] : NULL, b->first, 0, 0};
        }
        struct merged_leak *l = &m->leaks[*g];
        l->blocks++;
        l->bytes += b->size;
        l->first = min_u32(l->first, b->first);
    }
    rc = 0;
out:
    u64map_free(&groups);
    return rc;
}

/* Cycles only earlier collections found, each to its shape: one of the last collection's, or
 * a new one that the first such cycle stands for. */
static int gone_cycles(struct merged *m)
{
    struct merge_state *st = m->st;
    struct u64map by_hash = {0};
    bool added;
    int rc = -1;
    struct merged_shape *room =
        realloc(m->shapes, ((size_t)m->nshapes + m->ncycles + 1) * sizeof *room);
    if (!room)
        return -1;
    m->shapes = room;
    for (uint32_t i = 0; i < m->nshapes; i++) {
        uint64_t *s = u64map_put(&by_hash, m->shapes[i].hash, &added);
        if (!s)
            goto out;
        *s = i;
    }
    for (uint32_t i = m->last->ncycles; i < m->ncycles; i++) {
        struct merged_cycle *c = &m->cycles[i];
        const struct cycle_view *v = c->ref.view;
        uint64_t *s = u64map_put(&by_hash, st->cycle_hashes[i], &added);
        if (!s)
            goto out;
        if (added) {
            *s = m->nshapes;
            m->shapes[m->nshapes++] = (struct merged_shape){
                c->ref, v->simple, v->nmembers, c->first, 0, 0, 0, 0, 0, 0, st->cycle_hashes[i]};
        }
        struct merged_shape *sh = &m->shapes[*s];
        m->cycle_blocks.blocks += v->nmembers;
        m->cycle_blocks.bytes += v->bytes;
        sh->count++;
        sh->gone++;
        sh->blocks += v->nmembers;
        sh->bytes += v->bytes;
        sh->retained_blocks += v->retained_blocks;
        sh->retained_bytes += v->retained_bytes;
        sh->first = min_u32(sh->first, c->first);
        c->shape = (uint32_t)*s;
        m->gone_cycles++;
    }
    rc = 0;
out:
    u64map_free(&by_hash);
    return rc;
}

/* Every list in report order; the cycles follow their shapes to their new numbers. */
static int order(struct merged *m)
{
    uint32_t *rank = malloc(((size_t)m->nshapes + 1) * sizeof *rank);
    int rc = !rank || stable_sort(m->leaks, m->nleaks, sizeof *m->leaks, leak_cmp, NULL) ||
             stable_sort(m->shapes, m->nshapes, sizeof *m->shapes, shape_cmp, rank) ||
             stable_sort(m->cycles, m->ncycles, sizeof *m->cycles, cycle_cmp, NULL) ? -1 : 0;
    for (uint32_t i = 0; !rc && i < m->ncycles; i++)
        m->cycles[i].shape = rank[m->cycles[i].shape];
    free(rank);
    return rc;
}

int merge_end(struct merged *m)
{
    struct merge_state *st = m->st;
    const struct analysis *last = m->last;
    const struct atoll_dump_process *p = last->d->proc;
    m->collections = malloc(((size_t)st->nearlier + 1) * sizeof *m->collections);
    if (!m->collections)
        return -1;
    if (st->nearlier)
        memcpy(m->collections, st->earlier, st->nearlier * sizeof *st->earlier);
    m->collections[st->nearlier] = (struct merged_collection){p->collection, p->trigger};
    m->ncollections = st->nearlier + 1;
    m->all = last->all;
    m->reachable = last->reachable;
    m->leaked = last->leaked;
    m->definite = last->definite;
    m->indirect = last->indirect;
    m->cycle_blocks = last->cycle_blocks;
    m->suppressed_t = last->suppressed_t;
    if (st->prepared && (first_found(m) || gone_leaks(m) || gone_cycles(m)))
        return -1;
    return order(m);
}
