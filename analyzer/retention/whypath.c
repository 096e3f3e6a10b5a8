/* The shortest-path tree of `atoll why`: a breadth-first search from all roots at once leaves
 * each block the block before it on a shortest path (memlab's way), so a question about any
 * block walks back to its root. Python's modules are searched first, then the ROOTS records. The search follows the references reachability follows
 * (reach_carries): a path never goes through a pointer the analysis took for stale. */
#include "why.h"

#include <stdlib.h>
#include <string.h>

/* Globals first: their names are the program's own; then TLS, stacks, registers (a word there
 * may be a local's or a stale one), other mappings, and the synthetic roots. */
static const uint8_t kind_rank[8] = {7, 2, 3, 0, 1, 4, 5, 6};

struct search {
    const struct dump *d;
    const struct graph *g;
    struct why_tree *t;
    uint32_t *queue, head, tail;
};

static void seed(struct search *s, uint32_t v, uint8_t start, uint32_t via)
{
    if (s->t->start[v] != WHY_UNREACHED)
        return;
    s->t->start[v] = start;
    s->t->from[v] = AN_NONE;
    s->t->via[v] = via;
    s->queue[s->tail++] = v;
}

static void sweep(struct search *s)
{
    while (s->head < s->tail) {
        uint32_t v = s->queue[s->head++];
        for (uint32_t e = s->g->off[v]; e < s->g->off[v + 1]; e++) {
            uint32_t w = s->g->to[e];
            if (s->t->start[w] != WHY_UNREACHED || !reach_carries(s->d, v, w))
                continue;
            s->t->start[w] = WHY_HOP;
            s->t->from[w] = v;
            s->t->via[w] = e;
            s->queue[s->tail++] = w;
        }
    }
}

int why_tree_build(struct why_tree *t, const struct dump *d, const struct graph *g,
                   const struct pymodules *pm, const uint8_t *alive, const uint8_t *cls)
{
    size_t n = (size_t)g->n + 1;
    t->start = an_calloc(n, 1);
    t->from = an_malloc(n * sizeof *t->from);
    t->via = an_malloc(n * sizeof *t->via);
    struct search s = {d, g, t, an_malloc(n * sizeof *s.queue), 0, 0};
    if (!t->start || !t->from || !t->via || !s.queue) {
        free(s.queue);
        why_tree_free(t);
        return -1;
    }
    /* a module's globals are named by it, however the dict holding them is reached */
    for (uint32_t k = 0; k < pm->n; k++) {
        seed(&s, pm->block[k], WHY_MODULE, k);
        if (pm->dict[k] != AN_NONE)
            seed(&s, pm->dict[k], WHY_MODULE, k);
    }
    /* what Python's modules hold is named from them before anything else: a stack word or a
     * register that points to an object is one conservative copy among the interpreter's, where a
     * reader looks for the module's name */
    sweep(&s);
    for (uint8_t rank = 0; rank < 8; rank++)
        for (uint32_t r = 0; r < d->nroots; r++)
            if (d->roots[r].kind < 8 && kind_rank[d->roots[r].kind] == rank)
                seed(&s, dump_owner(d, d->roots[r].target), WHY_ROOT, r);
    sweep(&s);
    uint8_t *outside = reach_seeds_from_dump(d);
    if (!outside) {
        free(s.queue);
        why_tree_free(t);
        return -1;
    }
    /* what the dump's references explain cannot be known from outside: the seeds of reach.c
     * first, then anything alive they do not reach */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t v = 0; v < g->n; v++)
            if ((pass ? alive[v] : outside[v]) && dump_owner(d, v) == v)
                seed(&s, v, WHY_OUTSIDE, 0);
        sweep(&s);
    }
    free(outside);
    /* a leaked block that no lost block reaches through a reference reachability follows is
     * shown alone */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t v = 0; v < g->n; v++)
            if (pass || cls[v] == CLASS_DEFINITE)
                seed(&s, v, WHY_LOST, 0);
        sweep(&s);
    }
    free(s.queue);
    return 0;
}

void why_tree_free(struct why_tree *t)
{
    free(t->start);
    free(t->from);
    free(t->via);
    memset(t, 0, sizeof *t);
}

uint32_t why_tree_path(const struct why_tree *t, uint32_t v, uint32_t *path, uint32_t n)
{
    uint32_t len = 0;
    for (uint32_t x = v; x != AN_NONE && t->start[x] != WHY_UNREACHED; x = t->from[x])
        len++;
    if (len > n)
        return 0;
    uint32_t k = len;
    for (uint32_t x = v; k > 0; x = t->from[x])
        path[--k] = x;
    return len;
}
