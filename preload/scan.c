/* The snapshot's scan: which blocks are live and dumped, and every word that points into one.
 *
 * "Is this word a pointer into a live block, and which one" costs, for atoll's own blocks, a
 * subtraction, a shift, a multiplication and a bit test (the pool's metadata is found by
 * address, and the block index by the pool's reciprocal); for the C library's large blocks, a
 * binary search over their sorted addresses. A reference is a word whose value lies in
 * [start, start + requested size) of a live block (for a block of size 0, its start only). */
#include "snapshot.h"
#include "collect.h"

#include <string.h>

static int dumped_gen(const struct snap *s, uint64_t stamp)
{
    return atoll_generation_of(stamp) <= s->generation;
}

static void sift_down(struct atoll_large_block *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && a[child].address < a[child + 1].address)
            child++;
        if (a[root].address >= a[child].address)
            return;
        struct atoll_large_block t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Heapsort: no recursion, no allocation. */
static void sort_large(struct atoll_large_block *a, size_t n)
{
    for (size_t start = n / 2; start-- > 0;)
        sift_down(a, start, n);
    for (size_t end = n; end-- > 1;) {
        struct atoll_large_block t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

/* The live blocks of a pool, in address order. */
struct live_iter {
    const struct atoll_pool *p;
    unsigned w;
    uint64_t bits;
};

static void live_begin(struct live_iter *it, const struct atoll_pool *p)
{
    it->p = p;
    it->w = 0;
    it->bits = p->live[0];
}

/* The next live block's index, or -1. */
static int live_next(struct live_iter *it)
{
    for (;;) {
        while (!it->bits) {
            if (++it->w >= ATOLL_BITMAP_WORDS)
                return -1;
            it->bits = it->p->live[it->w];
        }
        unsigned b = (unsigned)__builtin_ctzll(it->bits);
        it->bits &= it->bits - 1;
        unsigned idx = it->w * 64 + b;
        if (idx < it->p->carved)
            return (int)idx;
    }
}

static void put_block(struct snap *s, uintptr_t addr, uint64_t size, uint64_t stamp,
                      uint32_t site, uint32_t flags)
{
    struct atoll_dump_block *b = &s->blocks[s->nblocks++];
    memset(b, 0, sizeof *b);
    b->address = addr;
    b->size = size;
    b->seq = stamp >> ATOLL_EPOCH_BITS;
    b->site = site;
    b->generation = atoll_generation_of(stamp);
    b->flags = (uint8_t)flags;
}

static void put_large(struct snap *s, size_t i)
{
    const struct atoll_large_block *l = &s->large[i];
    s->heap_blocks++;
    s->heap_bytes += l->meta.size;
    if (!dumped_gen(s, l->meta.stamp))
        return;
    s->large_index[i] = s->nblocks;
    put_block(s, l->address, l->meta.size, l->meta.stamp, l->meta.site,
              l->meta.flags | ATOLL_DUMP_BLOCK_LARGE);
}

/* Builds the dumped block list in address order: large blocks below the region, atoll's blocks
 * pool by pool, large blocks above. */
int snap_index_blocks(struct snap *s)
{
    s->nlarge = atoll_large_count();
    s->large = cmem_alloc((s->nlarge + 1) * sizeof *s->large);
    s->large_index = cmem_alloc((s->nlarge + 1) * sizeof *s->large_index);
    s->nlarge = atoll_large_collect(s->large, s->nlarge);
    sort_large(s->large, s->nlarge);
    for (size_t i = 0; i < s->nlarge; i++)
        s->large_index[i] = ATOLL_NONE;

    size_t npools = atoll_g.size >> ATOLL_POOL_SHIFT, used = 0;
    for (size_t a = 0; a < npools / ATOLL_POOLS_PER_ARENA; a++)
        if (atoll_g.arenas[a].state != ATOLL_ARENA_UNTOUCHED)
            used = (a + 1) * ATOLL_POOLS_PER_ARENA;
    s->npools = used;
    s->pools = cmem_alloc((used + 1) * sizeof *s->pools);

    size_t max_blocks = s->nlarge;
    for (size_t i = 0; i < used; i++) {
        const struct atoll_pool *p = &atoll_g.pools[i];
        if (p->bsize)
            for (unsigned w = 0; w < ATOLL_BITMAP_WORDS; w++)
                max_blocks += (size_t)__builtin_popcountll(p->live[w]);
    }
    s->blocks = cmem_alloc((max_blocks + 1) * sizeof *s->blocks);
    if (!s->large || !s->large_index || !s->pools || !s->blocks)
        return -1;

    size_t li = 0;
    for (; li < s->nlarge && s->large[li].address < atoll_g.base; li++)
        put_large(s, li);
    s->nlow_large = s->nblocks;
    for (size_t i = 0; i < used; i++) {
        const struct atoll_pool *p = &atoll_g.pools[i];
        struct pool_index *pi = &s->pools[i];
        pi->first = s->nblocks;
        if (!p->bsize)
            continue;
        uintptr_t base = atoll_pool_base(p);
        uint32_t before = 0;
        unsigned word = 0;
        struct live_iter it;
        live_begin(&it, p);
        for (int idx; (idx = live_next(&it)) >= 0;) {
            for (; word <= (unsigned)idx / 64; word++)
                pi->prefix[word] = (uint16_t)before;
            uintptr_t addr = base + (uintptr_t)idx * p->bsize;
            const struct atoll_small_meta *m = atoll_small_meta_of(p, (void *)addr);
            s->heap_blocks++;
            s->heap_bytes += m->size;
            if (!dumped_gen(s, m->stamp))
                continue;
            pi->dumped[idx / 64] |= (uint64_t)1 << (idx % 64);
            put_block(s, addr, m->size, m->stamp, m->site, m->flags);
            before++;
        }
        for (; word < ATOLL_BITMAP_WORDS; word++)
            pi->prefix[word] = (uint16_t)before;
    }
    for (; li < s->nlarge; li++)
        put_large(s, li);
    return 0;
}

static uint32_t lookup_large(const struct snap *s, uintptr_t v)
{
    size_t lo = 0, hi = s->nlarge;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->large[mid].address <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return ATOLL_NONE;
    const struct atoll_large_block *l = &s->large[lo - 1];
    uint64_t size = l->meta.size ? l->meta.size : 1;
    return v - l->address < size ? s->large_index[lo - 1] : ATOLL_NONE;
}

/* The dumped block v points into, or ATOLL_NONE. */
uint32_t snap_lookup(const struct snap *s, uintptr_t v)
{
    uintptr_t off = v - atoll_g.base;
    if (off < atoll_g.size) {
        size_t pi = off >> ATOLL_POOL_SHIFT;
        if (pi >= s->npools)
            return ATOLL_NONE;
        const struct atoll_pool *p = &atoll_g.pools[pi];
        if (!p->bsize)
            return ATOLL_NONE;
        unsigned i = atoll_block_index(p, (void *)v);
        const struct pool_index *x = &s->pools[pi];
        uint64_t bit = (uint64_t)1 << (i & 63);
        if (i >= ATOLL_MAX_BLOCKS || !(x->dumped[i >> 6] & bit))
            return ATOLL_NONE;
        uintptr_t start = atoll_pool_base(p) + (uintptr_t)i * p->bsize;
        const struct atoll_small_meta *m = atoll_small_meta_of(p, (void *)start);
        uintptr_t size = m->size ? m->size : 1;
        if (v - start >= size)
            return ATOLL_NONE;
        return x->first + x->prefix[i >> 6] +
               (uint32_t)__builtin_popcountll(x->dumped[i >> 6] & (bit - 1));
    }
    if (s->nlarge == 0 || v < s->large[0].address)
        return ATOLL_NONE;
    return lookup_large(s, v);
}

static void add_root(struct snap *s, uint32_t kind, uint32_t index, uint64_t where, uint32_t t)
{
    struct atoll_dump_root *r = cvec_push(&s->roots);
    if (!r)
        return;
    r->kind = kind;
    r->index = index;
    r->where = where;
    r->target = t;
    r->reserved = 0;
    s->blocks[t].refcount++;
}

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
        add_root(s, a >= tls_lo && a < tls_hi ? ATOLL_DUMP_ROOT_TLS : kind, index, a, t);
    }
    s->words_scanned += (hi - lo) / 8;
}

void snap_add_register_root(struct snap *s, uint32_t thread, uint32_t dwarf_reg, uintptr_t v)
{
    uint32_t t = snap_lookup(s, v);
    if (t != ATOLL_NONE)
        add_root(s, ATOLL_DUMP_ROOT_REGISTER, thread, dwarf_reg, t);
}

/* A block's words: a reference to a dumped block is an edge if the block is dumped too, and
 * counts in the target's refcount either way. */
static void scan_block(struct snap *s, uintptr_t start, uint64_t size, uint32_t from)
{
    uint64_t words = size / 8;
    const uintptr_t *w = (const uintptr_t *)start;
    for (uint64_t k = 0; k < words; k++) {
        uint32_t t = snap_lookup(s, w[k]);
        if (t == ATOLL_NONE)
            continue;
        s->blocks[t].refcount++;
        if (from == ATOLL_NONE)
            continue;
        struct atoll_dump_edge *e = cvec_push(&s->edges);
        if (e) {
            e->from = from;
            e->to = t;
            e->offset = k * 8;
        }
    }
    s->words_scanned += words;
}

static void scan_large_range(struct snap *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        scan_block(s, s->large[i].address, s->large[i].meta.size, s->large_index[i]);
}

/* Every live block, in the dump's order, so edges come out sorted by (from, offset). */
void snap_scan_blocks(struct snap *s)
{
    size_t li = 0;
    while (li < s->nlarge && s->large[li].address < atoll_g.base)
        li++;
    scan_large_range(s, 0, li);
    for (size_t i = 0; i < s->npools; i++) {
        const struct atoll_pool *p = &atoll_g.pools[i];
        if (!p->bsize)
            continue;
        const struct pool_index *x = &s->pools[i];
        uintptr_t base = atoll_pool_base(p);
        uint32_t next = x->first;
        struct live_iter it;
        live_begin(&it, p);
        for (int idx; (idx = live_next(&it)) >= 0;) {
            uintptr_t addr = base + (uintptr_t)idx * p->bsize;
            const struct atoll_small_meta *m = atoll_small_meta_of(p, (void *)addr);
            uint32_t from = (x->dumped[idx / 64] >> (idx % 64)) & 1 ? next++ : ATOLL_NONE;
            scan_block(s, addr, m->size, from);
        }
    }
    scan_large_range(s, li, s->nlarge);
}

/* Loader bookkeeping and atoll_ignore()d blocks are referenced from outside by definition. */
void snap_synthetic_roots(struct snap *s)
{
    for (uint32_t i = 0; i < s->nblocks; i++) {
        if (s->blocks[i].flags & ATOLL_DUMP_BLOCK_LOADER)
            add_root(s, ATOLL_DUMP_ROOT_LOADER, 0, 0, i);
        if (s->blocks[i].flags & ATOLL_DUMP_BLOCK_IGNORED)
            add_root(s, ATOLL_DUMP_ROOT_IGNORED, 0, 0, i);
    }
}
