/* The counts a collection reports at once (atoll_collect's return value, the exit line):
 * unreachable blocks by CPython's rule on the dumped set, how many isolated cycles they form,
 * and the refcount leaks (the analyzer's rule, refleak.c); and how many of each the exit line
 * counts: in a forked child those of its own making (a block it allocated itself is in them),
 * and not the garbage Python's collector frees. The full analysis (classification, retention, grouping) is the analyzer's. */
#include "snapshot.h"

#include <string.h>

/* Iterative Tarjan over the unreachable blocks: the number of strongly connected components
 * with a cycle (two or more blocks, or one with an edge to itself). */
static uint64_t count_cycles(const struct snap *s, const uint32_t *first, const uint8_t *dead,
                             const uint8_t *own, uint64_t *own_cycles)
{
    uint32_t n = s->nblocks;
    uint32_t *index = cmem_alloc((size_t)n * 4), *low = cmem_alloc((size_t)n * 4);
    uint32_t *stack = cmem_alloc((size_t)n * 4), *calls = cmem_alloc((size_t)n * 4);
    uint32_t *next_edge = cmem_alloc((size_t)n * 4);
    uint8_t *on_stack = cmem_alloc(n);
    uint64_t cycles = 0;
    if (!index || !low || !stack || !calls || !next_edge || !on_stack)
        return 0;
    uint32_t counter = 1, sp = 0;
    for (uint32_t root = 0; root < n; root++) {
        if (!dead[root] || index[root])
            continue;
        uint32_t depth = 0;
        calls[depth++] = root;
        index[root] = low[root] = counter++;
        next_edge[root] = first[root];
        stack[sp++] = root;
        on_stack[root] = 1;
        while (depth) {
            uint32_t v = calls[depth - 1];
            if (next_edge[v] < first[v + 1]) {
                uint32_t w = snap_edge_target(s, next_edge[v]++);
                if (!dead[w])
                    continue;
                if (!index[w]) {
                    index[w] = low[w] = counter++;
                    next_edge[w] = first[w];
                    stack[sp++] = w;
                    on_stack[w] = 1;
                    calls[depth++] = w;
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            depth--;
            if (depth && low[v] < low[calls[depth - 1]])
                low[calls[depth - 1]] = low[v];
            if (low[v] != index[v])
                continue;
            uint32_t size = 0, w;
            int self_loop = 0, owned = 0;
            do {
                w = stack[--sp];
                on_stack[w] = 0;
                owned |= own && own[w];
                size++;
            } while (w != v);
            for (uint32_t k = first[v]; k < first[v + 1]; k++)
                self_loop |= snap_edge_target(s, k) == v;
            cycles += size > 1 || self_loop;
            *own_cycles += (size > 1 || self_loop) && owned;
        }
    }
    return cycles;
}

/* Objects whose own count exceeds every reference found to them. */
static uint64_t count_refcount_leaks(const struct snap *s, const uint8_t *own, uint64_t *owned)
{
    const struct snap_object *o = s->objects.data;
    uint64_t leaks = 0;
    *owned = 0;
    for (size_t k = 0; k < s->objects.len; k++)
        if (o[k].owner == o[k].block &&
            o[k].refcount > (uint64_t)s->refs[o[k].block].external + s->refs[o[k].block].internal) {
            leaks++;
            *owned += !own || own[o[k].block];
        }
    return leaks;
}

/* CPython's rule: an object is referenced from outside when its own count exceeds the
 * references the recognised blocks hold to it, and a reference from outside them was found (a
 * count above every reference found is a surplus that nothing holds). Any other block, or an
 * object whose count is 0 (a dead one on a free list, or stale words that look like one): when
 * a root or a block this collection does not dump references it. */
static int snap_has_outside_refs(const struct snap *s, uint32_t v)
{
    if (!(s->refs[v].limit & SNAP_ROLE_OBJECT) || !s->refs[v].external)
        return s->refs[v].external != 0;
    const struct snap_object *o = &((const struct snap_object *)s->objects.data)[s->object_of[v]];
    return !(o->refcount + o->weak) || o->refcount + o->weak > s->refs[v].internal;
}

static void mark_own(struct snap *s, const struct snap_block *b, void *arg)
{
    (void)s;
    ((uint8_t *)arg)[b->t] = (b->stamp >> ATOLL_EPOCH_BITS) > atoll_fork_seq;
}

/* In a forked child, the blocks it allocated itself (NULL elsewhere, or out of memory). */
static uint8_t *own_blocks(struct snap *s)
{
    if (!atoll_fork_seq)
        return NULL;
    uint8_t *own = cmem_alloc((size_t)s->nblocks + 1);
    if (own)
        snap_each_block(s, mark_own, own);
    return own;
}

static int python_block(const struct snap *s, uint32_t v)
{
    if (!s->object_of || s->object_of[v] == ATOLL_NONE)
        return 0;
    const struct snap_object *o = s->objects.data;
    return o[s->object_of[v]].runtime == ATOLL_DUMP_RUNTIME_CPYTHON;
}

/* The blocks the exit line counts, NULL for all: a forked child's own blocks, less CPython's
 * garbage. A dead Python object, and whatever dead block it reaches, is what Python's own
 * collector frees at finalization: cycles a Python program leaves at exit are that, not leaks
 * (atoll run and analyze report them all the same). queue is free for use. */
static uint8_t *counted_blocks(struct snap *s, const uint8_t *dead, const uint32_t *first,
                               uint32_t *queue)
{
    uint32_t n = s->nblocks, tail = 0;
    uint8_t *counted = own_blocks(s);
    for (uint32_t v = 0; v < n; v++) {
        if (!dead[v] || !python_block(s, v))
            continue;
        if (!counted && (counted = cmem_alloc((size_t)n + 1)))
            memset(counted, 1, (size_t)n + 1);
        if (!counted)
            return NULL;
        if (counted[v]) {
            counted[v] = 0;
            queue[tail++] = v;
        }
    }
    for (uint32_t head = 0; head < tail;) {
        uint32_t v = queue[head++];
        for (uint32_t k = first[v]; k < first[v + 1]; k++) {
            uint32_t w = snap_edge_target(s, k);
            if (dead[w] && counted[w]) {
                counted[w] = 0;
                queue[tail++] = w;
            }
        }
    }
    return counted;
}

/* Returns -1 when the snapshot is out of memory for the counts. */
int snap_count_unreachable(struct snap *s, struct snap_counts *c)
{
    uint32_t n = s->nblocks;
    uint32_t *first = cmem_reuse(((size_t)n + 1) * 4), *queue = cmem_reuse((size_t)n * 4);
    uint8_t *dead = cmem_reuse((size_t)n + 1);
    memset(c, 0, sizeof *c);
    if (!first || !queue || !dead || s->to.len + s->ntail != s->nedges)
        return -1;
    uint32_t head = 0, tail = 0;
    for (uint32_t v = 0; v < n; v++) {
        first[v + 1] = first[v] + s->refs[v].out;
        dead[v] = 1;
        if (snap_has_outside_refs(s, v)) {
            dead[v] = 0;
            queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t k = first[v]; k < first[v + 1]; k++) {
            uint32_t w = snap_edge_target(s, k);
            if (dead[w]) {
                dead[w] = 0;
                queue[tail++] = w;
            }
        }
    }
    uint8_t *own = counted_blocks(s, dead, first, queue);
    for (uint32_t v = 0; v < n; v++) {
        c->blocks += dead[v];
        c->own_blocks += dead[v] && (!own || own[v]);
    }
    s->dead = dead;
    c->cycles = count_cycles(s, first, dead, own, &c->own_cycles);
    if (!own)
        c->own_cycles = c->cycles;
    c->refcount_leaks = count_refcount_leaks(s, own, &c->own_refcount_leaks);
    return 0;
}

