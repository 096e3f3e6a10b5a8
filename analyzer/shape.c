/* Cycle shapes: 10,000 copies of one bug are one finding. A simple cycle (every member has
 * one internal reference out and one in) is the sequence of (site, size, offset of the
 * reference to the next member) in cycle order, rotated to start at its smallest tuple (the
 * least rotation, found in linear time). Any other component is described by the sorted
 * multiset of its members' (site, size) and the sorted multiset of its internal edges as
 * (site, size, offset, site, size). Equal descriptions are one shape. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

struct tuple {
    uint64_t site, size, offset;
};

static bool is_object(const struct dump *d, uint32_t v)
{
    uint32_t k = d->object_of ? d->object_of[v] : AN_NONE;
    return k != AN_NONE && d->objects[k].owner == v;
}

/* What a member contributes to a shape: its allocation site, or for an object its type (the
 * interpreter's C stack for one Python line changes as it specialises the bytecode, the type
 * does not), by name, since where STRINGS holds it differs from dump to dump: a shape's hash
 * is the same in every dump of a process. */
static uint64_t member_key(const struct dump *d, const uint64_t *site_keys, uint32_t v)
{
    if (is_object(d, v))
        return u64map_hash_string(dump_string(d, d->objects[d->object_of[v]].type)) | 1ull << 63;
    return site_keys ? site_keys[d->blocks[v].site] : d->blocks[v].site;
}

/* And its size, but for an object: a tuple's length, or the room 3.13 makes in an instance
 * for the attributes its type had when it was made, is no part of the shape. */
static uint64_t member_size(const struct dump *d, uint32_t v)
{
    return is_object(d, v) ? 0 : d->blocks[v].size;
}

/* An edge's label (label.c says what of it counts); else its offset, and for a reference held
 * in a block the member owns, where the member holds that block, marked (which item of a list,
 * or where an instance's value array keeps an attribute, which changes as its type's keys
 * grow, is no part of the shape). */
static uint64_t edge_key(const struct graph *g, const struct dump *d, uint32_t e)
{
    uint64_t label = label_shape_key(d, graph_eid(g, e));
    if (label)
        return label;
    const struct atoll_dump_edge *de = &d->edges[graph_eid(g, e)];
    uint32_t owner = dump_owner(d, de->from);
    if (owner == de->from)
        return de->offset;
    return graph_owned_at(g, d, owner, de->from) | 1ull << 62;
}

struct buf {
    uint64_t *w;
    size_t n, cap;
};

static int put(struct buf *b, uint64_t v)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        uint64_t *w = realloc(b->w, cap * sizeof *w);
        if (!w)
            return -1;
        b->w = w;
        b->cap = cap;
    }
    b->w[b->n++] = v;
    return 0;
}

static int tuple_cmp(const struct tuple *a, const struct tuple *b)
{
    if (a->site != b->site)
        return a->site < b->site ? -1 : 1;
    if (a->size != b->size)
        return a->size < b->size ? -1 : 1;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return 0;
}

static int qtuple(const void *a, const void *b)
{
    return tuple_cmp(a, b);
}

static int q5(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    for (int i = 0; i < 5; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static uint32_t least_rotation(const struct tuple *t, uint32_t k)
{
    uint32_t i = 0, j = 1, l = 0;
    while (i < k && j < k && l < k) {
        int c = tuple_cmp(&t[(i + l) % k], &t[(j + l) % k]);
        if (c == 0) {
            l++;
            continue;
        }
        if (c > 0)
            i += l + 1;
        else
            j += l + 1;
        if (i == j)
            j++;
        l = 0;
    }
    return i < j ? i : j;
}

/* The one internal edge of v, or AN_NONE if v has zero or several. */
static uint32_t only_internal_edge(const struct graph *g, const struct sccs *s, uint32_t v)
{
    uint32_t found = AN_NONE;
    for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++)
        if (s->comp[g->to[e]] == s->comp[v]) {
            if (found != AN_NONE)
                return AN_NONE;
            found = e;
        }
    return found;
}

static bool is_simple(const struct graph *g, const struct sccs *s, uint32_t c)
{
    for (uint32_t k = s->first[c]; k < s->first[c + 1]; k++)
        if (only_internal_edge(g, s, s->members[k]) == AN_NONE)
            return false;
    return true;
}

uint32_t shape_next_edge(const struct graph *g, const struct sccs *s, uint32_t v)
{
    return only_internal_edge(g, s, v);
}

/* Simple cycle: tuples in cycle order from an arbitrary member into t[] and the members into
 * order[]; returns the start of the least rotation. */
static uint32_t simple_order(const struct graph *g, const struct sccs *s,
                             const struct dump *d, const uint64_t *site_keys, uint32_t c,
                             struct tuple *t, uint32_t *order)
{
    uint32_t k = s->first[c + 1] - s->first[c];
    uint32_t v = s->members[s->first[c]];
    for (uint32_t i = 0; i < k; i++) {
        uint32_t e = only_internal_edge(g, s, v);
        order[i] = v;
        t[i] = (struct tuple){member_key(d, site_keys, v), member_size(d, v), edge_key(g, d, e)};
        v = g->to[e];
    }
    return least_rotation(t, k);
}

uint32_t shape_cycle_order(const struct graph *g, const struct sccs *s, const struct dump *d,
                           uint32_t c, uint32_t *out)
{
    uint32_t k = s->first[c + 1] - s->first[c];
    struct tuple *t = is_simple(g, s, c) ? malloc(k * sizeof *t) : NULL;
    uint32_t *tmp = t ? malloc(k * sizeof *tmp) : NULL;
    if (!tmp) {
        memcpy(out, &s->members[s->first[c]], k * sizeof *out);
    } else {
        uint32_t r = simple_order(g, s, d, NULL, c, t, tmp);
        for (uint32_t i = 0; i < k; i++)
            out[i] = tmp[(r + i) % k];
    }
    free(t);
    free(tmp);
    return k;
}

/* The local index of block v among the members of component c (sorted by block). */
static uint32_t local_index(const struct sccs *s, uint32_t c, uint32_t v)
{
    uint32_t lo = s->first[c], hi = s->first[c + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->members[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - s->first[c];
}

uint32_t shape_path(const struct graph *g, const struct sccs *s, uint32_t c, uint32_t start,
                    uint32_t end, uint32_t *edges)
{
    uint32_t k = s->first[c + 1] - s->first[c];
    /* per member: the edge it was reached by and the member that edge leaves */
    uint32_t *via = malloc(k * sizeof *via), *parent = malloc(k * sizeof *parent);
    uint32_t *queue = malloc(k * sizeof *queue);
    uint32_t n = 0, head = 0, tail = 0, last = AN_NONE, v = start;
    if (!via || !parent || !queue)
        goto out;
    for (uint32_t i = 0; i < k; i++)
        via[i] = AN_NONE;
    queue[tail++] = start;
    while (head < tail && last == AN_NONE) {
        v = queue[head++];
        for (uint32_t e = g->off[v]; e < g->off[v + 1] && last == AN_NONE; e++) {
            uint32_t w = g->to[e], iw = local_index(s, c, w);
            if (s->comp[w] != c)
                continue;
            if (w == end) {
                last = e;
            } else if (via[iw] == AN_NONE) {
                via[iw] = e;
                parent[iw] = v;
                queue[tail++] = w;
            }
        }
    }
    /* from the edge that reaches end back to start, then reversed */
    for (uint32_t e = last; e != AN_NONE; n++) {
        edges[n] = e;
        e = v == start ? AN_NONE : via[local_index(s, c, v)];
        if (e != AN_NONE)
            v = parent[local_index(s, c, v)];
    }
    for (uint32_t i = 0; i < n / 2; i++) {
        uint32_t x = edges[i];
        edges[i] = edges[n - 1 - i];
        edges[n - 1 - i] = x;
    }
out:
    free(via), free(parent), free(queue);
    return n;
}

/* The canonical description of component c into b; *simple tells which kind it is. */
static int describe(const struct graph *g, const struct sccs *s, const struct dump *d,
                    const uint64_t *site_keys, uint32_t c, struct buf *b, struct tuple **tp, uint32_t **op, size_t *tcap,
                    bool *simple)
{
    uint32_t k = s->first[c + 1] - s->first[c];
    b->n = 0;
    if (k > *tcap) {
        free(*tp), free(*op);
        *tp = malloc(k * sizeof **tp);
        *op = malloc(k * sizeof **op);
        *tcap = k;
        if (!*tp || !*op) {
            *tcap = 0;
            return -1;
        }
    }
    struct tuple *t = *tp;
    *simple = is_simple(g, s, c);
    if (*simple) {
        uint32_t r = simple_order(g, s, d, site_keys, c, t, *op);
        if (put(b, 1) || put(b, k))
            return -1;
        for (uint32_t i = 0; i < k; i++) {
            const struct tuple *x = &t[(r + i) % k];
            if (put(b, x->site) || put(b, x->size) || put(b, x->offset))
                return -1;
        }
        return 0;
    }
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v = s->members[s->first[c] + i];
        t[i] = (struct tuple){member_key(d, site_keys, v), member_size(d, v), 0};
    }
    qsort(t, k, sizeof *t, qtuple);
    if (put(b, 2) || put(b, k))
        return -1;
    for (uint32_t i = 0; i < k; i++)
        if (put(b, t[i].site) || put(b, t[i].size))
            return -1;
    size_t estart = b->n;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v = s->members[s->first[c] + i];
        for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
            uint32_t w = g->to[e];
            if (s->comp[w] != c)
                continue;
            if (put(b, member_key(d, site_keys, v)) || put(b, member_size(d, v)) ||
                put(b, edge_key(g, d, e)) || put(b, member_key(d, site_keys, w)) ||
                put(b, member_size(d, w)))
                return -1;
        }
    }
    qsort(b->w + estart, (b->n - estart) / 5, 5 * sizeof *b->w, q5);
    return 0;
}

static uint64_t hash_words(const uint64_t *w, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= w[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return h;
}

uint64_t shape_key(const struct graph *g, const struct sccs *s, const struct dump *d,
                   uint32_t c, const uint64_t *site_keys)
{
    struct buf b = {0};
    struct tuple *t = NULL;
    uint32_t *order = NULL;
    size_t tcap = 0;
    bool simple;
    uint64_t h = describe(g, s, d, site_keys, c, &b, &t, &order, &tcap, &simple)
                     ? 0 : hash_words(b.w, b.n) | 1;
    free(b.w), free(t), free(order);
    return h;
}

struct slot {
    uint64_t hash;
    uint32_t group;
};

static const struct shape_group *sort_groups;

static int group_cmp(const void *a, const void *b)
{
    const struct shape_group *x = &sort_groups[*(const uint32_t *)a];
    const struct shape_group *y = &sort_groups[*(const uint32_t *)b];
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->first_comp < y->first_comp ? -1 : x->first_comp > y->first_comp;
}

int shape_group_cycles(const struct graph *g, const struct sccs *s, const struct dump *d,
                       const uint8_t *is_cycle, const uint8_t *skip, const struct retain *r,
                       uint32_t *comp_shape, struct shape_group **groups, uint32_t *ngroups)
{
    struct buf b = {0}, store = {0};
    struct tuple *t = NULL;
    uint32_t *order = NULL;
    size_t tcap = 0, nslots = 1024, ng = 0, gcap = 0;
    struct slot *slots = calloc(nslots, sizeof *slots);
    size_t *gstart = NULL;
    struct shape_group *gs = NULL;
    int rc = -1;
    if (!slots)
        goto out;
    for (uint32_t c = 0; c < s->count; c++) {
        comp_shape[c] = AN_NONE;
        if (!is_cycle[c] || (skip && skip[c]))
            continue;
        bool simple;
        if (describe(g, s, d, NULL, c, &b, &t, &order, &tcap, &simple))
            goto out;
        uint64_t h = hash_words(b.w, b.n);
        size_t i = h & (nslots - 1);
        uint32_t found = AN_NONE;
        for (; slots[i].group; i = (i + 1) & (nslots - 1)) {
            uint32_t gi = slots[i].group - 1;
            size_t len = (gi + 1 < ng ? gstart[gi + 1] : store.n) - gstart[gi];
            if (slots[i].hash == h && len == b.n &&
                memcmp(store.w + gstart[gi], b.w, b.n * sizeof *b.w) == 0) {
                found = gi;
                break;
            }
        }
        if (found == AN_NONE) {
            if (ng == gcap) {
                gcap = gcap ? gcap * 2 : 64;
                void *ngs = realloc(gs, gcap * sizeof *gs);
                void *nst = ngs ? realloc(gstart, gcap * sizeof *gstart) : NULL;
                if (ngs)
                    gs = ngs;
                if (nst)
                    gstart = nst;
                if (!ngs || !nst)
                    goto out;
            }
            found = (uint32_t)ng;
            gs[ng] = (struct shape_group){.first_comp = c, .simple = simple, .hash = h};
            gstart[ng++] = store.n;
            for (size_t k = 0; k < b.n; k++)
                if (put(&store, b.w[k]))
                    goto out;
            slots[i] = (struct slot){h, found + 1};
            if (ng * 2 > nslots) {
                size_t nn = nslots * 2;
                struct slot *ns = calloc(nn, sizeof *ns);
                if (!ns)
                    goto out;
                for (size_t j = 0; j < nslots; j++) {
                    if (!slots[j].group)
                        continue;
                    size_t p = slots[j].hash & (nn - 1);
                    while (ns[p].group)
                        p = (p + 1) & (nn - 1);
                    ns[p] = slots[j];
                }
                free(slots);
                slots = ns;
                nslots = nn;
            }
        }
        struct shape_group *sg = &gs[found];
        sg->count++;
        for (uint32_t k = s->first[c]; k < s->first[c + 1]; k++) {
            sg->blocks++;
            sg->bytes += d->blocks[s->members[k]].size;
        }
        sg->retained_blocks += r->ret_blocks[c];
        sg->retained_bytes += r->ret_bytes[c];
        comp_shape[c] = found;
    }
    /* renumber the groups by bytes, descending */
    uint32_t *perm = malloc((ng + 1) * sizeof *perm), *rank = malloc((ng + 1) * sizeof *rank);
    struct shape_group *sorted = malloc((ng + 1) * sizeof *sorted);
    if (!perm || !rank || !sorted) {
        free(perm), free(rank), free(sorted);
        goto out;
    }
    for (uint32_t i = 0; i < ng; i++)
        perm[i] = i;
    sort_groups = gs;
    qsort(perm, ng, sizeof *perm, group_cmp);
    for (uint32_t i = 0; i < ng; i++) {
        rank[perm[i]] = i;
        sorted[i] = gs[perm[i]];
    }
    for (uint32_t c = 0; c < s->count; c++)
        if (comp_shape[c] != AN_NONE)
            comp_shape[c] = rank[comp_shape[c]];
    free(perm), free(rank);
    free(gs);
    gs = sorted;
    *groups = gs;
    *ngroups = (uint32_t)ng;
    gs = NULL;
    rc = 0;
out:
    free(b.w), free(store.w), free(t), free(order), free(slots), free(gstart), free(gs);
    return rc;
}
