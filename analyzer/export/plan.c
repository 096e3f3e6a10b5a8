/* What the snapshot will say, decided before a byte is written (the format puts each node's
 * edge count before the edges): the analysis' verdicts (which blocks are alive, which are
 * definitely lost), which node holds each reference (an object holds what the blocks it owns
 * reference, as the analysis folds them), which references are strong, and the named roots
 * with their records. A reference or root record the analysis does not follow (a stale word,
 * a pointer into an object's storage from outside it, a leaked block's pointer to a live one:
 * reachability and the components never follow it) stays in the snapshot as a `weak` edge,
 * which the viewers show among the retainers but leave out of distances and dominators, so
 * their retained sizes are atoll's. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

bool export_plan_strong(const struct export_plan *p, const struct dump *d, uint32_t e)
{
    const struct atoll_dump_edge *x = &d->edges[e];
    if (!graph_edge_kept(d, x))
        return false;
    uint32_t v = dump_owner(d, x->from);
    return p->alive[v] ? reach_carries(d, v, x->to) : !p->alive[x->to];
}

bool export_plan_root_strong(const struct export_plan *p, const struct dump *d, uint32_t r)
{
    return p->seed[d->roots[r].target];
}

/* The references grouped by the node that holds them, in EDGES order within a node. */
static int group_edges(struct export_plan *p, const struct dump *d)
{
    p->eoff = an_calloc((size_t)d->nblocks + 1, sizeof *p->eoff);
    if (!p->eoff)
        return -1;
    for (uint32_t e = 0; e < d->nedges; e++)
        p->eoff[export_holder(d, e) + 1]++;
    for (uint32_t i = 0; i < d->nblocks; i++)
        p->eoff[i + 1] += p->eoff[i];
    if (!d->object_of)
        return 0;
    p->eids = an_malloc(((size_t)d->nedges + 1) * sizeof *p->eids);
    uint32_t *fill = an_malloc(((size_t)d->nblocks + 1) * sizeof *fill);
    p->owned_at = an_calloc((size_t)d->nblocks + 1, sizeof *p->owned_at);
    if (!p->eids || !fill || !p->owned_at) {
        free(fill);
        return -1;
    }
    memcpy(fill, p->eoff, (size_t)d->nblocks * sizeof *fill);
    for (uint32_t e = 0; e < d->nedges; e++) {
        const struct atoll_dump_edge *x = &d->edges[e];
        p->eids[fill[export_holder(d, e)]++] = e;
        /* where the first block of the same object holds an owned block (report_edge_label's
         * +OWN); an offset past 4 GiB cannot be inside a block a layout reads */
        if (dump_owner(d, x->to) != x->to && graph_edge_kept(d, x) && !p->owned_at[x->to])
            p->owned_at[x->to] = (uint32_t)x->offset + 1;
    }
    free(fill);
    return 0;
}

/* Each ROOTS record's named root, by name; the records grouped by it. */
static int name_roots(struct export_plan *p, const struct dump *d, struct root_namer *rn,
                      struct strtab *t)
{
    struct outbuf scratch;
    struct u64map by_name = {0};
    ob_init(&scratch, NULL);
    p->root_of = an_malloc(((size_t)d->nroots + 1) * sizeof *p->root_of);
    p->root_name = an_malloc(((size_t)d->nroots + 1) * sizeof *p->root_name);
    p->root_first = an_calloc((size_t)d->nroots + 2, sizeof *p->root_first);
    p->root_recs = an_malloc(((size_t)d->nroots + 1) * sizeof *p->root_recs);
    int rc = -1;
    if (scratch.failed || !p->root_of || !p->root_name || !p->root_first || !p->root_recs)
        goto out;
    for (uint32_t r = 0; r < d->nroots; r++) {
        root_name_text(&scratch, rn, r);
        uint32_t name = strtab_intern_buf(t, &scratch);
        bool added;
        uint64_t *k = name == UINT32_MAX ? NULL : u64map_put(&by_name, name, &added);
        if (!k || scratch.failed)
            goto out;
        if (added) {
            *k = p->nnamed;
            p->root_name[p->nnamed++] = name;
        }
        p->root_of[r] = (uint32_t)*k;
        p->root_first[*k + 1]++;
        if (p->seed[d->roots[r].target])
            p->seed[d->roots[r].target] = 2;       /* held by a root it names */
    }
    for (uint32_t k = 0; k < p->nnamed; k++)
        p->root_first[k + 1] += p->root_first[k];
    uint32_t *fill = an_malloc(((size_t)p->nnamed + 1) * sizeof *fill);
    if (!fill)
        goto out;
    memcpy(fill, p->root_first, (size_t)p->nnamed * sizeof *fill);
    for (uint32_t r = 0; r < d->nroots; r++)
        p->root_recs[fill[p->root_of[r]]++] = r;
    free(fill);
    rc = 0;
out:
    free(scratch.buf);
    u64map_free(&by_name);
    return rc;
}

int export_plan_build(struct export_plan *p, const struct dump *d, struct root_namer *rn,
                      struct strtab *t, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (graph_from_dump(&p->g, d) || !(p->seed = reach_seeds_from_dump(d)) ||
        !(p->alive = reach_alive(&p->g, d, p->seed)) || scc_compute(&p->s, &p->g, p->alive) ||
        !(p->cls = lost_classify(&p->g, &p->s, p->alive, d->blocks, &p->is_cycle)) ||
        group_edges(p, d) || name_roots(p, d, rn, t)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < d->nblocks; i++) {
        p->outside += p->seed[i] == 1;
        p->leaked += p->cls[i] == CLASS_DEFINITE;
    }
    return 0;
}

void export_plan_free(struct export_plan *p)
{
    graph_free(&p->g);
    scc_free(&p->s);
    free(p->seed), free(p->alive), free(p->cls), free(p->is_cycle);
    free(p->eoff), free(p->eids), free(p->owned_at);
    free(p->root_of), free(p->root_name), free(p->root_first), free(p->root_recs);
    memset(p, 0, sizeof *p);
}
