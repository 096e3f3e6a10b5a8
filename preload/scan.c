/* The snapshot's scan: every word of the roots and of the live blocks that points into a
 * dumped block (index.c says which). References from roots become ROOTS records; references
 * from dumped blocks become EDGES records, written to the dump as they are found.
 *
 * The heap is scanned in address order, so its words stream in; what does not stream is the
 * target of each reference, anywhere in the heap: its pool's index entry, then its block's
 * 16-byte entry, two dependent cache misses. The scan prefetches each and comes back to the
 * candidate later, so the misses of many candidates overlap instead of adding up.
 *
 * With a second CPU, a big heap's upper half is scanned by a helper thread (cthread.c) at the
 * same time. Its counts and edges stay apart until the join: the child then adds the counts
 * in, and the helper's edges follow its own in EDGES, sorted as one. On bigheap (2 million
 * blocks) the two halves take about half the time of the whole. */
#include "snapshot.h"

/* Scans a root range: words in [tls_lo, tls_hi) count as TLS of thread `index`. */
void snap_scan_range(struct snap *s, uintptr_t lo, uintptr_t hi, uint32_t kind, uint32_t index,
                     uintptr_t tls_lo, uintptr_t tls_hi)
{
    lo = (lo + 7) & ~(uintptr_t)7;
    if (hi <= lo)
        return;
    s->root_bytes += hi - lo;
    for (uintptr_t a = lo; a + 8 <= hi; a += 8) {
        uint32_t t = snap_lookup(s, *(const uintptr_t *)a);
        if (t == ATOLL_NONE)
            continue;
        snap_add_root(s, a >= tls_lo && a < tls_hi ? ATOLL_DUMP_ROOT_TLS : kind, index, a, t);
    }
    s->words_scanned += (hi - lo) / 8;
}

void snap_add_register_root(struct snap *s, uint32_t thread, uint32_t dwarf_reg, uintptr_t v)
{
    uint32_t t = snap_lookup(s, v);
    if (t != ATOLL_NONE)
        snap_add_root(s, ATOLL_DUMP_ROOT_REGISTER, thread, dwarf_reg, t);
}

/* A candidate is a word that may point into a dumped block. It waits in the ring twice: DIST
 * candidates for the line saying whether its slot is dumped, then DIST more for its block's
 * entry. */
#define DIST 8
#define RING (2 * DIST)

struct candidate {
    const struct dumped_word *word;   /* NULL: a large block, already resolved */
    uint64_t bit;
    uint64_t offset;
    uint32_t from, to, delta;
};

struct ring {
    struct candidate c[RING];
    unsigned head, len;
    unsigned ready;                   /* the oldest `ready` candidates are resolved */
};

/* A helper's counts of the references it found to each block. */
struct part_counts {
    uint32_t external, internal;
};

/* One scanning thread's state. The child's own scanner counts into the blocks' entries and
 * writes edges to the dump. A helper's would race with it there: it keeps its edges and counts
 * of its own, which the child adds in after the join. */
struct scanner {
    struct snap *s;
    struct ring q;
    struct snap_tail_edge *edges;     /* NULL: the child's own scanner */
    struct part_counts *counts;       /* per block */
    size_t nedges, cap;               /* cap: room for an edge per word of the part */
    uint64_t words;
    size_t pool_lo, pool_hi, large_lo, large_hi;
};

static void resolve_oldest_pending(const struct scanner *sc, struct ring *q)
{
    struct candidate *c = &q->c[(q->head + q->ready++) % RING];
    if (c->word)
        c->to = snap_slot_block(c->word, c->bit);
    if (c->to == ATOLL_NONE)
        return;
    __builtin_prefetch(&sc->s->refs[c->to], 1);
    if (sc->counts)
        __builtin_prefetch(&sc->counts[c->to], 1);
}

/* A reference counts in the target's refcount; it is an edge if its source is dumped too. */
static void settle_oldest(struct scanner *sc)
{
    struct snap *s = sc->s;
    struct ring *q = &sc->q;
    if (!q->ready)
        resolve_oldest_pending(sc, q);
    const struct candidate *c = &q->c[q->head];
    q->head = (q->head + 1) % RING;
    q->len--;
    q->ready--;
    if (c->to == ATOLL_NONE)
        return;
    struct block_refs *r = &s->refs[c->to];
    uint32_t limit = r->limit;
    if (c->delta >= limit ||
        (limit > SNAP_LIMIT_MASK && !snap_role_accepts(s, c->from, c->to, c->delta, limit)))
        return;
    uint32_t *external = sc->counts ? &sc->counts[c->to].external : &r->external;
    uint32_t *internal = sc->counts ? &sc->counts[c->to].internal : &r->internal;
    if (c->from == ATOLL_NONE) {
        (*external)++;
        return;
    }
    s->refs[c->from].out++;
    /* To a live object, a reference from memory no layout describes is a reference from
     * outside, as CPython's gc counts one from C code. It is still an edge. */
    if ((limit & (SNAP_ROLE_OBJECT | SNAP_ROLE_DEAD)) == SNAP_ROLE_OBJECT &&
        !snap_recognised(s, c->from))
        (*external)++;
    else
        (*internal)++;
    if (sc->edges) {
        sc->edges[sc->nedges++] = (struct snap_tail_edge){ .to = c->to,
                                                      .word = (uint32_t)(c->offset / 8) };
        return;
    }
    uint32_t *to = cvec_push(&s->to);
    if (to)
        *to = c->to;
    struct atoll_dump_edge e = { .from = c->from, .to = c->to, .offset = c->offset };
    dump_out_put(s->out, &e, sizeof e);
    s->nedges++;
}

static void scan_words(struct scanner *sc, const uintptr_t *w, uint64_t k0, uint64_t k1,
                       uint32_t from)
{
    const struct snap *s = sc->s;
    struct ring *q = &sc->q;
    for (uint64_t k = k0; k < k1; k++) {
        struct candidate c = { .offset = k * 8, .from = from };
        if (snap_slot(s, w[k], &c.word, &c.bit, &c.delta)) {
            __builtin_prefetch(c.word);
        } else if (w[k] - s->large_lo < s->large_span) {
            c.to = snap_lookup_large(s, w[k], &c.delta);
            if (c.to == ATOLL_NONE)
                continue;
        } else {
            continue;
        }
        if (q->len == RING)
            settle_oldest(sc);
        q->c[(q->head + q->len++) % RING] = c;
        if (q->len - q->ready > DIST)
            resolve_oldest_pending(sc, q);
    }
    sc->words += k1 - k0;
}

/* A recognised block is scanned up to its layout's end, its non-reference words read as 0. */
static void scan_recognised(struct scanner *sc, uintptr_t start, uint64_t size, uint32_t from)
{
    const struct snap *s = sc->s;
    const struct snap_object *o = &((const struct snap_object *)s->objects.data)[s->object_of[from]];
    uint64_t words = (o->scan_bytes < size ? o->scan_bytes : size) / 8;
    const uintptr_t *w = (const uintptr_t *)start;
    uintptr_t head[64];
    uint64_t n = words < 64 ? words : 64;
    for (uint64_t k = 0; k < n; k++)
        head[k] = (o->skip >> k) & 1 ? 0 : w[k];
    scan_words(sc, head, 0, n, from);
    scan_words(sc, w, n, words, from);
}

static void scan_block(struct scanner *sc, uintptr_t start, uint64_t size, uint32_t from)
{
    if (from != ATOLL_NONE && snap_recognised(sc->s, from))
        scan_recognised(sc, start, size, from);
    else
        scan_words(sc, (const uintptr_t *)start, 0, size / 8, from);
}

static void scan_large_range(struct scanner *sc, size_t from, size_t to)
{
    const struct snap *s = sc->s;
    for (size_t i = from; i < to; i++)
        scan_block(sc, s->large[i].address, s->large[i].meta.size, s->large_index[i]);
}

static void scan_pools(struct scanner *sc, size_t lo, size_t hi)
{
    const struct snap *s = sc->s;
    for (size_t i = lo; i < hi; i++) {
        const struct atoll_pool *p = &atoll_g.pools[i];
        if (!p->bsize)
            continue;
        const struct dumped_word *dw = &s->words[i * ATOLL_BITMAP_WORDS];
        uintptr_t base = atoll_pool_base(p);
        struct live_iter it;
        live_begin(&it, p);
        for (int idx; (idx = live_next(&it)) >= 0;) {
            uintptr_t addr = base + (uintptr_t)idx * p->bsize;
            const struct atoll_small_meta *m = atoll_small_meta_of(p, (void *)addr);
            uint32_t from = snap_slot_block(&dw[idx / 64], (uint64_t)1 << (idx % 64));
            scan_block(sc, addr, m->size, from);
        }
    }
}

/* The scanner's part: large blocks below the region, pools, large blocks above it. */
static int scan_part(void *arg)
{
    struct scanner *sc = arg;
    scan_large_range(sc, sc->large_lo, sc->s->high_large < sc->large_hi ? sc->s->high_large
                                                                         : sc->large_hi);
    scan_pools(sc, sc->pool_lo, sc->pool_hi);
    scan_large_range(sc, sc->s->high_large > sc->large_lo ? sc->s->high_large : sc->large_lo,
                     sc->large_hi);
    while (sc->q.len)
        settle_oldest(sc);
    return 0;
}

static uint64_t pool_bytes(const struct atoll_pool *p)
{
    uint64_t n = 0;
    for (unsigned w = 0; w < ATOLL_BITMAP_WORDS; w++)
        n += snap_popcount(p->live[w]);
    return n * p->bsize;
}

/* Smaller heaps (a helper's part under 8 MB) are scanned by the child alone: in milliseconds. */
#define PART_MIN_WORDS ((uint64_t)1 << 20)

/* Gives the upper half of the heap (by bytes: pools from some point on, then the large blocks
 * above the region) to a helper, with room for an edge per word it scans. Returns 0 if the
 * heap is scanned by the child alone. */
static int split(struct snap *s, struct scanner *helper, uint32_t *first_block)
{
    if (!cthread_useful())
        return 0;
    uint64_t low = 0, high = 0, total = 0;
    for (size_t i = 0; i < s->high_large; i++)
        low += s->large[i].meta.size;
    for (size_t i = s->high_large; i < s->nlarge; i++) {
        if (s->large[i].meta.size >= (uint64_t)UINT32_MAX * 8)
            return 0;
        high += s->large[i].meta.size;
    }
    for (size_t i = 0; i < s->npools; i++)
        total += pool_bytes(&atoll_g.pools[i]);
    total += low + high;
    uint64_t upper = high;
    size_t mid = s->npools;
    while (mid > 0 && upper < total / 2)
        upper += pool_bytes(&atoll_g.pools[--mid]);
    while (mid < s->npools && !atoll_g.pools[mid].bsize)
        mid++;
    uint64_t bound = upper / 8;
    if (mid >= s->npools || bound < PART_MIN_WORDS)
        return 0;
    helper->cap = bound;
    helper->edges = cmem_alloc(bound * sizeof *helper->edges);
    helper->counts = cmem_alloc((size_t)s->nblocks * sizeof *helper->counts);
    if (!helper->edges || !helper->counts)
        return 0;
    helper->pool_lo = mid;
    helper->pool_hi = s->npools;
    helper->large_lo = s->high_large;
    helper->large_hi = s->nlarge;
    *first_block = s->words[mid * ATOLL_BITMAP_WORDS].first;
    return 1;
}

/* The helper's counts go into the blocks' entries, and its edges become the tail of the
 * targets, where they are. */
static void merge(struct snap *s, const struct scanner *h, uint32_t first_block)
{
    for (uint32_t t = 0; t < s->nblocks; t++) {
        s->refs[t].external += h->counts[t].external;
        s->refs[t].internal += h->counts[t].internal;
    }
    s->tail = h->edges;
    s->ntail = h->nedges;
    s->tail_first = first_block;
    s->nedges += h->nedges;
    s->words_scanned += h->words;
}

/* The helper's edges, after the child's in EDGES, their sources restored: the part's blocks in
 * order, each with as many edges as its `out`. Apart from the scan, so that the count can run
 * beside it. */
void snap_write_tail(struct snap *s)
{
    uint32_t from = s->tail_first, left = s->ntail ? s->refs[from].out : 0;
    for (size_t i = 0; i < s->ntail; i++) {
        while (!left)
            left = s->refs[++from].out;
        left--;
        struct atoll_dump_edge e = { .from = from, .to = s->tail[i].to,
                                     .offset = (uint64_t)s->tail[i].word * 8 };
        dump_out_put(s->out, &e, sizeof e);
    }
}

/* Every live block, in the dump's order, so edges come out sorted by (from, offset): each
 * scanner settles candidates in the order they were found, and the helper's part follows the
 * child's. */
void snap_scan_blocks(struct snap *s)
{
    struct scanner own = { .s = s, .pool_hi = s->npools, .large_hi = s->nlarge };
    struct scanner helper = { .s = s };
    struct cthread thread = { 0, NULL };
    uint32_t first_block = 0;
    int parted = split(s, &helper, &first_block) &&
                 cthread_start(&thread, scan_part, &helper) == 0;
    if (parted) {
        own.pool_hi = helper.pool_lo;
        own.large_hi = s->high_large;
    }
    scan_part(&own);
    s->words_scanned += own.words;
    if (parted) {
        cthread_join(&thread);
        merge(s, &helper, first_block);
    } else {
        cmem_free(helper.edges, helper.cap * sizeof *helper.edges);
    }
    if (helper.counts)
        cmem_recycle(helper.counts, (size_t)s->nblocks * sizeof *helper.counts);
}
