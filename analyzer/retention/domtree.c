/* Immediate dominators by semi-NCA (Georgiadis, "Linear-Time Algorithms for Dominators and
 * Related Problems", 2005; the variant LLVM uses). Nodes are renumbered in depth-first
 * preorder from the virtual root (number 0), so every array below is indexed by that number;
 * after the search each edge's target is replaced by its number (independent loads, many in
 * flight at once), so the predecessor lists are built from sequential reads. Semidominators
 * come from Lengauer and Tarjan's eval with path compression over the numbers already
 * processed; then each node's immediate dominator is the nearest ancestor of its tree parent
 * not above its semidominator. The search and the compression keep their own stacks: a list
 * of ten million blocks is ten million levels deep. About 7 u32 and a bit per node, one u32
 * per edge. Nearly all the time goes to cache misses: the search's on each node's edges,
 * eval's on the forest. */
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>

struct dt {
    const struct dom_input *in;
    uint32_t *pre;      /* per node: its number, 0 while unvisited; later the eval stack */
    uint32_t *vert;     /* per number: the node */
    uint32_t *parent;   /* per number: the tree parent's number; at the end the idom's */
    uint32_t *anc;      /* per number: the forest link eval compresses (the search's number
                         * stack first) */
    uint32_t *semi;     /* per number: the semidominator (the search's node stack first) */
    uint32_t *label;    /* per number: the least semidominator on its forest path (the
                         * search's edge cursors first) */
    uint64_t *seen;     /* per node: a bit, set when numbered */
    uint32_t count;     /* numbers handed out, the root's included */
};

/* Numbers w, a child of number parent, and puts it on the search's stack with its number
 * and its first edge; where its targets' edges start is asked for ahead. */
static void visit(struct dt *t, uint32_t *sp, uint32_t w, uint32_t parent)
{
    t->seen[w >> 6] |= 1ull << (w & 63);
    t->pre[w] = t->count;
    t->vert[t->count] = w;
    t->parent[t->count++] = parent;
    const struct dom_input *in = t->in;
    uint32_t lo = in->off[w], hi = in->off[w + 1];
    for (uint32_t k = lo; k < hi && k < lo + 8; k++)
        __builtin_prefetch(&in->off[in->to[k]]);
    t->anc[*sp] = t->count - 1;
    t->semi[*sp] = w;
    t->label[(*sp)++] = lo;
}

/* Depth-first search from r, a child of the virtual root; the stack holds each node, its
 * number and its next edge in semi[], anc[] and label[]. Whether a node was seen is a bit: a
 * bitmap of ten million nodes stays in the cache, pre[] does not. */
static void search(struct dt *t, uint32_t r)
{
    const struct dom_input *in = t->in;
    uint32_t *sv = t->semi, *se = t->label, sp = 0;
    visit(t, &sp, r, 0);
    while (sp) {
        uint32_t v = sv[sp - 1];
        if (se[sp - 1] == in->off[v + 1]) {
            sp--;
            continue;
        }
        uint32_t w = in->to[se[sp - 1]++];
        if (!(t->seen[w >> 6] & (1ull << (w & 63))))
            visit(t, &sp, w, t->anc[sp - 1]);
    }
}

/* The predecessors of each number, as numbers: poff[i]..poff[i+1] index them in plist. The
 * virtual root precedes every entry. The nodes are read in index order, their edges (now
 * the targets' numbers) in turn. */
static int preds(const struct dt *t, uint32_t **poff_out, uint32_t **plist_out)
{
    const struct dom_input *in = t->in;
    uint32_t m = t->count;
    uint32_t *poff = an_calloc((size_t)m + 1, sizeof *poff), *plist = NULL;
    if (!poff)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t v = 0; v < in->n; v++) {
            uint32_t i = t->pre[v];
            if (in->entry[v] && t->parent[i] != 0) {
                if (pass)
                    plist[poff[i]++] = 0;
                else
                    poff[i + 1]++;
            }
            for (uint32_t e = in->off[v]; e < in->off[v + 1]; e++) {
                uint32_t j = in->to[e];
                if (j == i)
                    continue;
                if (pass)
                    plist[poff[j]++] = i;
                else
                    poff[j + 1]++;
            }
        }
        if (pass)
            break;
        for (uint32_t i = 0; i < m; i++)
            poff[i + 1] += poff[i];
        plist = an_malloc(((size_t)poff[m] + 1) * sizeof *plist);
        if (!plist) {
            free(poff);
            return -1;
        }
    }
    /* the fill advanced poff[j] to the end of j's list, the start of j + 1's */
    memmove(poff + 1, poff, (size_t)m * sizeof *poff);
    poff[0] = 0;
    *poff_out = poff;
    *plist_out = plist;
    return 0;
}

/* Lengauer and Tarjan's eval: the least semidominator on v's forest path among the numbers
 * >= last (those processed), compressing the path. Labels hold semidominator values, not
 * nodes, which saves a dependent load per step. */
static uint32_t eval(struct dt *t, uint32_t v, uint32_t last)
{
    uint32_t *anc = t->anc, *label = t->label, *stack = t->pre;
    if (anc[v] < last)
        return label[v];
    uint32_t sp = 0, x = v;
    do {
        stack[sp++] = x;
        x = anc[x];
    } while (anc[x] >= last);
    uint32_t root = anc[x], least = label[x];
    do {
        x = stack[--sp];
        anc[x] = root;
        if (least < label[x])
            label[x] = least;
        else
            least = label[x];
    } while (sp);
    return least;
}

static void dt_free(struct dt *t)
{
    free(t->pre), free(t->vert), free(t->parent), free(t->anc), free(t->semi), free(t->label);
    free(t->seen);
}

int dom_tree(const struct dom_input *in, uint32_t *idom, uint32_t *order)
{
    size_t n = in->n;
    struct dt t = {.in = in, .count = 1};
    t.pre = an_calloc(n + 1, sizeof *t.pre);
    t.vert = an_malloc((n + 1) * sizeof *t.vert);
    t.parent = an_malloc((n + 1) * sizeof *t.parent);
    t.anc = an_malloc((n + 1) * sizeof *t.anc);
    t.semi = an_malloc((n + 1) * sizeof *t.semi);
    t.label = an_malloc((n + 1) * sizeof *t.label);
    t.seen = an_calloc(n / 64 + 1, sizeof *t.seen);
    uint32_t *poff = NULL, *plist = NULL;
    if (!t.pre || !t.vert || !t.parent || !t.anc || !t.semi || !t.label || !t.seen)
        goto oom;
    t.parent[0] = 0;
    for (uint32_t v = 0; v < in->n; v++)
        if (in->entry[v] && !t.pre[v])
            search(&t, v);
    for (uint32_t v = 0; v < in->n; v++)
        if (!t.pre[v])
            search(&t, v);
    free(t.seen);
    t.seen = NULL;
    for (uint32_t e = 0; e < in->off[in->n]; e++)
        in->to[e] = t.pre[in->to[e]];
    if (preds(&t, &poff, &plist))
        goto oom;
    uint32_t m = t.count;
    for (uint32_t i = 0; i < m; i++) {
        t.semi[i] = t.label[i] = i;
        t.anc[i] = t.parent[i];
    }
    /* pre[] becomes eval's stack: numbers and nodes are no longer mapped that way */
    for (uint32_t i = m; i-- > 1;) {
        uint32_t s = t.parent[i];
        for (uint32_t k = poff[i]; k < poff[i + 1]; k++) {
            /* a predecessor numbered before i is unprocessed: its own number, no load */
            uint32_t v = plist[k], u = v < i ? v : eval(&t, v, i + 1);
            if (u < s)
                s = u;
        }
        t.semi[i] = t.label[i] = s;
    }
    for (uint32_t i = 1; i < m; i++) {
        uint32_t d = t.parent[i];
        while (d > t.semi[i])
            d = t.parent[d];
        t.parent[i] = d;
    }
    for (uint32_t i = 1; i < m; i++) {
        uint32_t v = t.vert[i];
        idom[v] = t.parent[i] ? t.vert[t.parent[i]] : DOM_ROOT;
        order[i - 1] = v;
    }
    free(poff), free(plist);
    dt_free(&t);
    return 0;
oom:
    free(poff), free(plist);
    dt_free(&t);
    return -1;
}
