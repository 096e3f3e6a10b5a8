/* The snapshot's block index: which live blocks are dumped, in what order (address order:
 * large blocks below the region, atoll's blocks pool by pool, large blocks above), and which
 * dumped block a word points into.
 *
 * "Is this word a pointer into a live block, and which one" costs, for atoll's own blocks, a
 * subtraction, a shift, a multiplication and a bit test in the pool's index; for the C
 * library's large blocks, a binary search over their sorted addresses. A reference is a word
 * whose value lies in [start, start + requested size) of a live block (for a block of size 0,
 * its start only).
 *
 * Block records are not kept: they are rebuilt from the allocator's metadata when the dump is
 * written, so a collection of a big heap touches 16 bytes of fresh memory per block, not 56. */
#include "snapshot.h"
#include "collect.h"

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

void snap_add_root(struct snap *s, uint32_t kind, uint32_t index, uint64_t where, uint32_t t)
{
    struct atoll_dump_root *r = cvec_push(&s->roots);
    if (!r)
        return;
    r->kind = kind;
    r->index = index;
    r->where = where;
    r->target = t;
    r->reserved = 0;
    s->refs[t].external++;
}

/* A new dumped block. Loader bookkeeping and atoll_ignore()d blocks are referenced from
 * outside by definition. */
static void index_block(struct snap *s, uint64_t size, uint32_t flags)
{
    uint32_t t = s->nblocks++;
    /* A larger block is a large one, whose lookup checks the whole size itself. */
    s->refs[t].limit = size == 0 ? 1 : size > SNAP_LIMIT_MASK ? SNAP_LIMIT_MASK : (uint32_t)size;
    s->bytes += size;
    if (flags & ATOLL_DUMP_BLOCK_LOADER)
        snap_add_root(s, ATOLL_DUMP_ROOT_LOADER, 0, 0, t);
    if (flags & ATOLL_DUMP_BLOCK_IGNORED)
        snap_add_root(s, ATOLL_DUMP_ROOT_IGNORED, 0, 0, t);
}

static void index_large(struct snap *s, size_t i)
{
    const struct atoll_large_block *l = &s->large[i];
    s->heap_blocks++;
    s->heap_bytes += l->meta.size;
    if (!dumped_gen(s, l->meta.stamp))
        return;
    s->large_index[i] = s->nblocks;
    index_block(s, l->meta.size, l->meta.flags);
}

/* A block another thread freed stays live until its pool's owner drains the remote bitmap,
 * which an owner that has exited, or no longer allocates in that class, may never do. Here those
 * frees count as done: the snapshot's pools are its own copy. */
static void settle_remote_frees(size_t npools)
{
    for (size_t i = 0; i < npools; i++) {
        struct atoll_pool *p = &atoll_g.pools[i];
        if (p->bsize && p->remote_seen)
            for (unsigned w = 0; w < ATOLL_BITMAP_WORDS; w++)
                p->live[w] &= ~p->remote[w];
    }
}

int snap_index_blocks(struct snap *s)
{
    s->nlarge = atoll_large_count();
    s->large = cmem_alloc((s->nlarge + 1) * sizeof *s->large);
    s->large_index = cmem_alloc((s->nlarge + 1) * sizeof *s->large_index);
    s->nlarge = atoll_large_collect(s->large, s->nlarge);
    sort_large(s->large, s->nlarge);
    uintptr_t hi = 0;
    for (size_t i = 0; i < s->nlarge; i++) {
        s->large_index[i] = ATOLL_NONE;
        uintptr_t end = s->large[i].address + (s->large[i].meta.size ? s->large[i].meta.size : 1);
        hi = end > hi ? end : hi;
    }
    s->large_lo = s->nlarge ? s->large[0].address : 0;
    s->large_span = hi - s->large_lo;

    /* Not a pass over every arena of the reservation: reading the untouched part of its table
     * faults in a page of zeros per 64 arenas (21 ms for a 64 GiB reservation). */
    size_t used = atoll_arenas_touched() * ATOLL_POOLS_PER_ARENA;
    settle_remote_frees(used);
    s->npools = used;
    s->geom = cmem_alloc((used + 1) * sizeof *s->geom);
    s->words = cmem_alloc((used + 1) * ATOLL_BITMAP_WORDS * sizeof *s->words);

    size_t max_blocks = s->nlarge;
    for (size_t i = 0; i < used; i++) {
        const struct atoll_pool *p = &atoll_g.pools[i];
        if (p->bsize)
            for (unsigned w = 0; w < ATOLL_BITMAP_WORDS; w++)
                max_blocks += snap_popcount(p->live[w]);
    }
    s->refs = cmem_alloc((max_blocks + 1) * sizeof *s->refs);
    if (!s->large || !s->large_index || !s->geom || !s->words || !s->refs)
        return -1;

    while (s->high_large < s->nlarge && s->large[s->high_large].address < atoll_g.base)
        s->high_large++;
    for (size_t i = 0; i < s->high_large; i++)
        index_large(s, i);
    for (size_t i = 0; i < used; i++) {
        const struct atoll_pool *p = &atoll_g.pools[i];
        struct dumped_word *words = &s->words[i * ATOLL_BITMAP_WORDS];
        s->geom[i].bsize = p->bsize;
        s->geom[i].inv = p->inv;
        uint32_t first = s->nblocks;
        if (p->bsize) {
            uintptr_t base = atoll_pool_base(p);
            struct live_iter it;
            live_begin(&it, p);
            for (int idx; (idx = live_next(&it)) >= 0;) {
                const struct atoll_small_meta *m =
                    atoll_small_meta_of(p, (void *)(base + (uintptr_t)idx * p->bsize));
                s->heap_blocks++;
                s->heap_bytes += m->size;
                if (!dumped_gen(s, m->stamp))
                    continue;
                words[idx / 64].bits |= (uint64_t)1 << (idx % 64);
                index_block(s, m->size, m->flags);
            }
        }
        for (unsigned w = 0; w < ATOLL_BITMAP_WORDS; w++) {
            words[w].first = first;
            first += snap_popcount(words[w].bits);
        }
    }
    for (size_t i = s->high_large; i < s->nlarge; i++)
        index_large(s, i);
    return 0;
}

/* Where glibc's next chunk starts after the block at address: a request 1 to 8 bytes over a
 * multiple of 16 ends past that point (the next chunk's prev_size field is the block's while it
 * is in use), and glibc's own pointers to that chunk (its top chunk, its bins) are no reference
 * to this block. 0 for a chunk mapped by itself, which has no next chunk. */
static uintptr_t next_chunk(uintptr_t address)
{
    uint64_t size_field = ((const uint64_t *)address)[-1];
    return size_field & 2 ? 0 : address - 16 + (size_field & ~(uint64_t)7);
}

/* The dumped large block containing v, or ATOLL_NONE; how far into it in *delta (clamped below
 * the limit of a block's size). */
uint32_t snap_lookup_large(const struct snap *s, uintptr_t v, uint32_t *delta)
{
    size_t lo = 0, hi = s->nlarge;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->large[mid].address <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct atoll_large_block *l = &s->large[lo - 1];
    uint64_t size = l->meta.size ? l->meta.size : 1;
    if (v - l->address >= size || v == next_chunk(l->address))
        return ATOLL_NONE;
    *delta = v - l->address < SNAP_LIMIT_MASK ? (uint32_t)(v - l->address) : SNAP_LIMIT_MASK - 1;
    return s->large_index[lo - 1];
}

/* The dumped block v points into and how far (*delta), before any size or role check. */
static uint32_t block_at(const struct snap *s, uintptr_t v, uint32_t *delta)
{
    const struct dumped_word *word;
    uint64_t bit;
    if (snap_slot(s, v, &word, &bit, delta))
        return snap_slot_block(word, bit);
    if (v - s->large_lo < s->large_span)
        return snap_lookup_large(s, v, delta);
    return ATOLL_NONE;
}

uint32_t snap_find_block(const struct snap *s, uintptr_t v, uint64_t *delta)
{
    uint32_t d, t = block_at(s, v, &d);
    if (t == ATOLL_NONE || d >= (s->refs[t].limit & SNAP_LIMIT_MASK))
        return ATOLL_NONE;
    *delta = d;
    return t;
}

uint32_t snap_reference(const struct snap *s, uint32_t from, uintptr_t v)
{
    uint32_t delta, t = block_at(s, v, &delta);
    if (t == ATOLL_NONE)
        return ATOLL_NONE;
    uint32_t limit = s->refs[t].limit;
    if (delta >= limit || (limit > SNAP_LIMIT_MASK &&
                           !snap_role_accepts(s, from, t, delta, limit)))
        return ATOLL_NONE;
    return t;
}

/* The dumped block a root word v references, or ATOLL_NONE. */
uint32_t snap_lookup(const struct snap *s, uintptr_t v)
{
    return snap_reference(s, ATOLL_NONE, v);
}

static void each_large(struct snap *s, size_t from, size_t to, snap_block_fn *fn, void *arg)
{
    for (size_t i = from; i < to; i++) {
        const struct atoll_large_block *l = &s->large[i];
        if (s->large_index[i] == ATOLL_NONE)
            continue;
        struct snap_block b = { .t = s->large_index[i], .address = l->address,
                                .size = l->meta.size, .stamp = l->meta.stamp,
                                .site = l->meta.site,
                                .flags = l->meta.flags | ATOLL_DUMP_BLOCK_LARGE };
        fn(s, &b, arg);
    }
}

void snap_each_block(struct snap *s, snap_block_fn *fn, void *arg)
{
    each_large(s, 0, s->high_large, fn, arg);
    for (size_t i = 0; i < s->npools; i++) {
        const struct atoll_pool *p = &atoll_g.pools[i];
        const struct dumped_word *words = &s->words[i * ATOLL_BITMAP_WORDS];
        if (!s->geom[i].bsize)
            continue;
        uintptr_t base = atoll_pool_base(p);
        for (unsigned wd = 0; wd < ATOLL_BITMAP_WORDS; wd++) {
            uint32_t t = words[wd].first;
            for (uint64_t bits = words[wd].bits; bits; bits &= bits - 1) {
                unsigned idx = wd * 64 + (unsigned)__builtin_ctzll(bits);
                uintptr_t addr = base + (uintptr_t)idx * p->bsize;
                const struct atoll_small_meta *m = atoll_small_meta_of(p, (void *)addr);
                struct snap_block b = { .t = t++, .address = addr, .size = m->size,
                                        .stamp = m->stamp, .site = m->site, .flags = m->flags };
                fn(s, &b, arg);
            }
        }
    }
    each_large(s, s->high_large, s->nlarge, fn, arg);
}

static void write_block(struct snap *s, const struct snap_block *blk, void *arg)
{
    const struct block_refs *r = &s->refs[blk->t];
    struct atoll_dump_block b = {
        .address = blk->address,
        .size = blk->size,
        .seq = blk->stamp >> ATOLL_EPOCH_BITS,
        .site = blk->site,
        .refcount = r->external + r->internal,
        .generation = (uint8_t)atoll_generation_of(blk->stamp),
        .flags = (uint8_t)blk->flags,
    };
    dump_out_put(arg, &b, sizeof b);
}

static void add_dead(struct snap *s, const struct snap_block *blk, void *arg)
{
    if (s->dead[blk->t])
        *(uint64_t *)arg += blk->size;
}

/* The bytes of the blocks the count found unreachable: a pass of its own, since the count runs
 * while BLOCKS is written, and only when there are some. */
uint64_t snap_dead_bytes(struct snap *s, uint64_t dead_blocks)
{
    uint64_t bytes = 0;
    if (s->dead && dead_blocks)
        snap_each_block(s, add_dead, &bytes);
    return bytes;
}

/* The BLOCKS section's records, in the index's order, rebuilt from the metadata. */
void snap_write_blocks(struct snap *s, struct dump_out *w)
{
    snap_each_block(s, write_block, w);
}
