/* The snapshot's scan: every word of the roots and of the live blocks that points into a
 * dumped block (index.c says which). References from roots become ROOTS records; references
 * from dumped blocks become EDGES records, written to the dump as they are found.
 *
 * The heap is scanned in address order, so its words stream in; what does not stream is the
 * target of each reference, anywhere in the heap: its pool's index entry, then its block's
 * 16-byte entry, two dependent cache misses. The scan prefetches each and comes back to the
 * candidate later, so the misses of many candidates overlap instead of adding up. */
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

static void resolve_oldest_pending(struct snap *s, struct ring *q)
{
    struct candidate *c = &q->c[(q->head + q->ready++) % RING];
    if (c->word)
        c->to = snap_slot_block(c->word, c->bit);
    if (c->to != ATOLL_NONE)
        __builtin_prefetch(&s->refs[c->to], 1);
}

/* A reference counts in the target's refcount; it is an edge if its source is dumped too. */
static void settle_oldest(struct snap *s, struct ring *q)
{
    if (!q->ready)
        resolve_oldest_pending(s, q);
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
    if (c->from == ATOLL_NONE) {
        r->external++;
        return;
    }
    /* To a live object, a reference from memory no layout describes is a reference from
     * outside, as CPython's gc counts one from C code. It is still an edge. */
    if ((limit & (SNAP_ROLE_OBJECT | SNAP_ROLE_DEAD)) == SNAP_ROLE_OBJECT &&
        !snap_recognised(s, c->from))
        r->external++;
    else
        r->internal++;
    s->refs[c->from].out++;
    uint32_t *to = cvec_push(&s->to);
    if (to)
        *to = c->to;
    struct atoll_dump_edge e = { .from = c->from, .to = c->to, .offset = c->offset };
    dump_out_put(s->out, &e, sizeof e);
    s->nedges++;
}

static void scan_words(struct snap *s, struct ring *q, const uintptr_t *w, uint64_t k0,
                       uint64_t k1, uint32_t from)
{
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
            settle_oldest(s, q);
        q->c[(q->head + q->len++) % RING] = c;
        if (q->len - q->ready > DIST)
            resolve_oldest_pending(s, q);
    }
    s->words_scanned += k1 - k0;
}

/* A recognised block is scanned up to its layout's end, its non-reference words read as 0. */
static void scan_recognised(struct snap *s, struct ring *q, uintptr_t start, uint64_t size,
                            uint32_t from)
{
    const struct snap_object *o = &((const struct snap_object *)s->objects.data)[s->object_of[from]];
    uint64_t words = (o->scan_bytes < size ? o->scan_bytes : size) / 8;
    const uintptr_t *w = (const uintptr_t *)start;
    uintptr_t head[64];
    uint64_t n = words < 64 ? words : 64;
    for (uint64_t k = 0; k < n; k++)
        head[k] = (o->skip >> k) & 1 ? 0 : w[k];
    scan_words(s, q, head, 0, n, from);
    scan_words(s, q, w, n, words, from);
}

static void scan_block(struct snap *s, struct ring *q, uintptr_t start, uint64_t size,
                       uint32_t from)
{
    if (from != ATOLL_NONE && snap_recognised(s, from))
        scan_recognised(s, q, start, size, from);
    else
        scan_words(s, q, (const uintptr_t *)start, 0, size / 8, from);
}

static void scan_large_range(struct snap *s, struct ring *q, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        scan_block(s, q, s->large[i].address, s->large[i].meta.size, s->large_index[i]);
}

/* Every live block, in the dump's order, so edges come out sorted by (from, offset): the ring
 * settles candidates in the order they were found. */
void snap_scan_blocks(struct snap *s)
{
    struct ring q = { .head = 0, .len = 0, .ready = 0 };
    scan_large_range(s, &q, 0, s->high_large);
    for (size_t i = 0; i < s->npools; i++) {
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
            scan_block(s, &q, addr, m->size, from);
        }
    }
    scan_large_range(s, &q, s->high_large, s->nlarge);
    while (q.len)
        settle_oldest(s, &q);
}
