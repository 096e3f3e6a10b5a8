/* One cycle as the reports draw it, copied out of its analysis: its members in cycle order, its
 * internal references (with their labels), the one to break, a cycle of objects as a path of
 * types and, for the dot report, the blocks it retains. A
 * report on several collections keeps the cycles that only an earlier collection found this
 * way, after that collection's dump is closed; the reports draw every cycle from a view, so a
 * cycle looks the same whichever collection it comes from. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

#define DRAWN_MEMBERS_MAX 128   /* members a dot cluster draws */
#define DRAWN_RETAINED_MAX 32   /* blocks it retains that it draws, breadth first */

struct viewer {
    const struct analysis *a;
    uint32_t *pos;              /* per block: its position among the members of the cycle */
    uint32_t *order;
    uint32_t *queue;
    uint8_t *drawn;             /* per block, for the drawing; cleared after each */
};

struct viewer *viewer_new(const struct analysis *a)
{
    struct viewer *vw = calloc(1, sizeof *vw);
    if (!vw)
        return NULL;
    size_t n = (size_t)a->d->nblocks + 1;
    vw->a = a;
    vw->pos = an_malloc(n * sizeof *vw->pos);
    vw->order = an_malloc(n * sizeof *vw->order);
    vw->queue = malloc((DRAWN_MEMBERS_MAX + DRAWN_RETAINED_MAX + 1) * sizeof *vw->queue);
    vw->drawn = an_calloc(n, 1);
    if (!vw->pos || !vw->order || !vw->queue || !vw->drawn) {
        viewer_free(vw);
        return NULL;
    }
    return vw;
}

void viewer_free(struct viewer *vw)
{
    if (!vw)
        return;
    free(vw->pos), free(vw->order), free(vw->queue), free(vw->drawn);
    free(vw);
}

void cycle_view_free(struct cycle_view *v)
{
    free(v->members), free(v->edges), free(v->draw), free(v->path);
    memset(v, 0, sizeof *v);
}

static struct view_member member_of(const struct analysis *a, uint32_t v)
{
    const struct dump *d = a->d;
    const struct atoll_dump_block *b = &d->blocks[v];
    struct view_member m = {.address = b->address, .size = b->size, .seq = b->seq,
                            .type = report_type(d, v), .block = v, .site = b->site,
                            .cls = a->cls[v]};
    if (m.type)
        m.object = b->address + d->objects[d->object_of[v]].offset;
    return m;
}

/* Graph edge e of block v; from and to are filled in by the caller. */
static struct view_edge edge_of(const struct analysis *a, uint32_t v, uint32_t e)
{
    const struct atoll_dump_edge *de = &a->d->edges[graph_eid(&a->g, e)];
    const struct atoll_dump_label *l = label_of_edge(a->d, graph_eid(&a->g, e));
    struct view_edge x = {0, 0, AN_NONE, de->offset, 0, 0, 0, NULL};
    if (de->from != v) {
        x.via = de->from;
        x.owned_at = graph_owned_at(&a->g, a->d, v, de->from);
    }
    if (l) {
        x.label_kind = l->kind;
        x.label_index = l->index;
        x.label_text = dump_string(a->d, l->text);
    }
    return x;
}

static int draw_put(struct cycle_view *v, uint32_t *cap, struct view_draw item)
{
    if (v->ndraw == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        struct view_draw *g = realloc(v->draw, *cap * sizeof *g);
        if (!g)
            return -1;
        v->draw = g;
    }
    v->draw[v->ndraw++] = item;
    return 0;
}

/* Whether graph edge e of block b goes to a block b owns that an earlier edge of b reached
 * already (the owner's reference to it counts once). */
static bool owned_again(const struct analysis *a, uint32_t b, uint32_t e)
{
    for (uint32_t k = a->g.off[b]; k < e; k++)
        if (a->g.to[k] == a->g.to[e])
            return true;
    return false;
}

/* A node of the drawing: an object with the blocks it owns folded into it, as objgraph draws
 * one object (a list with its item array, an instance with its __dict__); they are retained
 * blocks drawn. */
static struct view_draw draw_node(const struct analysis *a, uint32_t b, bool retained,
                                  struct cycle_view *v)
{
    struct view_draw x = {.node = member_of(a, b), .retained = retained};
    for (uint32_t e = a->g.off[b]; e < a->g.off[b + 1]; e++) {
        uint32_t w = a->g.to[e];
        if (w != b && dump_owner(a->d, w) == b && !owned_again(a, b, e)) {
            x.node.owned_bytes += a->d->blocks[w].size;
            x.node.owned_blocks++;
        }
    }
    v->drawn_retained += x.node.owned_blocks;
    return x;
}

/* The dot drawing: the members (by block index), then breadth first the blocks the cycle
 * dominates, each reference drawn once both its ends are. A block an object owns is no node
 * of its own: the only reference to it is its owner's, whose node it is folded into. */
static int drawing(struct viewer *vw, uint32_t c, struct cycle_view *v)
{
    const struct analysis *a = vw->a;
    uint32_t head = 0, tail = 0, cap = 0, retained = 0;
    int rc = 0;
    for (uint32_t k = a->s.first[c]; k < a->s.first[c + 1] && tail < DRAWN_MEMBERS_MAX; k++) {
        uint32_t b = a->s.members[k];
        vw->drawn[b] = 1;
        vw->queue[tail++] = b;
        if (draw_put(v, &cap, draw_node(a, b, false, v)))
            rc = -1;
    }
    while (head < tail && !rc) {
        uint32_t b = vw->queue[head++];
        for (uint32_t e = a->g.off[b]; e < a->g.off[b + 1] && !rc; e++) {
            uint32_t w = a->g.to[e], cw = a->s.comp[w];
            if (dump_owner(a->d, w) != w)
                continue;
            if (!vw->drawn[w] && cw != AN_NONE && retained < DRAWN_RETAINED_MAX &&
                retain_dominates(&a->r, a->s.count, c, cw)) {
                vw->drawn[w] = 1;
                vw->queue[tail++] = w;
                retained++;
                v->drawn_retained++;
                rc = draw_put(v, &cap, draw_node(a, w, true, v));
            }
            if (vw->drawn[w] && !rc) {
                struct view_draw item = {.edge = true, .e = edge_of(a, b, e)};
                item.e.from = b;
                item.e.to = w;
                rc = draw_put(v, &cap, item);
            }
        }
    }
    for (uint32_t k = 0; k < tail; k++)
        vw->drawn[vw->queue[k]] = 0;
    return rc;
}

/* The edges of the cycle: through the reference to break (graph edge brk), from its member,
 * or else a shortest one through member *first; *first is then where it starts. */
static uint32_t cycle_path(const struct analysis *a, uint32_t c, uint32_t brk, uint32_t *first,
                           uint32_t *edges)
{
    if (brk == AN_NONE)
        return shape_path(&a->g, &a->s, c, *first, *first, edges);
    *first = dump_owner(a->d, a->d->edges[graph_eid(&a->g, brk)].from);
    edges[0] = brk;
    if (a->g.to[brk] == *first)
        return 1;
    uint32_t n = shape_path(&a->g, &a->s, c, a->g.to[brk], *first, edges + 1);
    return n ? n + 1 : 0;
}

/* A cycle of objects as a path of types (its edges, as indexes into v->edges), when every
 * member on it is an object; none otherwise. */
static int typed_path(struct viewer *vw, uint32_t c, uint32_t brk, struct cycle_view *v)
{
    const struct analysis *a = vw->a;
    uint32_t k = v->nmembers, first = v->members[0].block;
    uint32_t *edges = malloc(((size_t)k + 1) * sizeof *edges);
    uint32_t *first_edge = malloc(((size_t)k + 1) * sizeof *first_edge);
    int rc = -1;
    if (!edges || !first_edge)
        goto out;
    uint32_t n = cycle_path(a, c, brk, &first, edges);
    bool typed = n > 0;
    for (uint32_t i = 0; i < n && typed; i++)
        typed = report_type(a->d, a->g.to[edges[i]]) != NULL;
    rc = 0;
    if (!typed || !(v->path = malloc(n * sizeof *v->path)))
        goto out;
    for (uint32_t i = v->nedges; i-- > 0;)
        first_edge[v->edges[i].from] = i;
    /* graph edge e of block b is the view edge of b's member that as many internal edges of b
     * precede */
    for (uint32_t i = 0, b = first; i < n; b = a->g.to[edges[i++]]) {
        uint32_t idx = first_edge[vw->pos[b]];
        for (uint32_t e = a->g.off[b]; e < edges[i]; e++)
            idx += a->s.comp[a->g.to[e]] == c;
        v->path[i] = idx;
    }
    v->npath = n;
    v->path_first = vw->pos[first];
out:
    free(edges), free(first_edge);
    return rc;
}

int viewer_build(struct viewer *vw, uint32_t c, bool draw, struct cycle_view *v)
{
    const struct analysis *a = vw->a;
    const struct sccs *s = &a->s;
    memset(v, 0, sizeof *v);
    uint32_t k = shape_cycle_order(&a->g, s, a->d, c, vw->order), nedges = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t b = vw->order[i];
        vw->pos[b] = i;
        for (uint32_t e = a->g.off[b]; e < a->g.off[b + 1]; e++)
            nedges += s->comp[a->g.to[e]] == c;
    }
    v->members = malloc(k * sizeof *v->members);
    v->edges = malloc(((size_t)nedges + 1) * sizeof *v->edges);
    if (!v->members || !v->edges) {
        cycle_view_free(v);
        return -1;
    }
    uint32_t brk = break_edge(&a->g, s, c, &v->frees);
    v->brk = AN_NONE;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t b = vw->order[i];
        v->members[i] = member_of(a, b);
        for (uint32_t e = a->g.off[b]; e < a->g.off[b + 1]; e++) {
            uint32_t w = a->g.to[e];
            if (s->comp[w] != c)
                continue;
            if (e == brk)
                v->brk = v->nedges;
            struct view_edge *x = &v->edges[v->nedges++];
            *x = edge_of(a, b, e);
            x->from = i;
            x->to = vw->pos[w];
        }
    }
    v->nmembers = k;
    v->collection = a->d->proc->collection;
    v->simple = v->nedges == k;
    v->bytes = analysis_comp_bytes(a, c);
    v->retained_blocks = a->r.ret_blocks[c];
    v->retained_bytes = a->r.ret_bytes[c];
    if (typed_path(vw, c, brk, v) || (draw && drawing(vw, c, v))) {
        cycle_view_free(v);
        return -1;
    }
    return 0;
}
