/* The retained bytes of a diff's rows, from the dominator tree of the whole dumped graph
 * (retention/): a row retains what its blocks retain, each block counted only when no block of
 * the same row dominates it, so that nothing is counted twice (a list of a site's nodes retains
 * the list once, not once per node). A walk of the tree keeps, per row, how many blocks of the
 * row are on the path from the root. */
#include "diff.h"
#include "retention/retention.h"

#include <stdlib.h>

/* The children of each block in the dominator tree (the virtual root's are at index n). */
struct kids {
    uint32_t *off, *list;
};

static int kids_build(struct kids *k, const struct dominators *dm)
{
    uint32_t n = dm->count;
    k->off = calloc((size_t)n + 3, sizeof *k->off);
    k->list = malloc(((size_t)n + 1) * sizeof *k->list);
    if (!k->off || !k->list)
        return -1;
    for (uint32_t v = 0; v < n; v++)
        k->off[(dm->idom[v] == DOM_ROOT ? n : dm->idom[v]) + 2]++;
    for (uint32_t i = 2; i < n + 3; i++)
        k->off[i] += k->off[i - 1];
    for (uint32_t v = 0; v < n; v++)
        k->list[k->off[(dm->idom[v] == DOM_ROOT ? n : dm->idom[v]) + 1]++] = v;
    return 0;
}

/* Adds v's retained bytes to its row when no block above it is of that row; on[row] counts the
 * blocks of the row on the current path. */
static void enter(const struct dominators *dm, uint32_t v, const uint32_t *row, uint32_t *on,
                  uint64_t *ret)
{
    if (row[v] == AN_NONE)
        return;
    if (!on[row[v]]++)
        ret[row[v]] += dm->retained_bytes[v];
}

int diff_retained(const struct analysis *a, const uint32_t *site_row, const uint32_t *type_row,
                  uint64_t *site_ret, uint64_t *type_ret, uint32_t nsite_rows,
                  uint32_t ntype_rows)
{
    const struct dominators *dm = a->dom;
    if (!dm)
        return 0;
    uint32_t n = dm->count;
    struct kids k = {0};
    uint32_t *on_site = calloc((size_t)nsite_rows + 1, sizeof *on_site);
    uint32_t *on_type = calloc((size_t)ntype_rows + 1, sizeof *on_type);
    uint32_t *stack = malloc(((size_t)n + 1) * sizeof *stack);    /* blocks; next child in pos */
    uint32_t *pos = malloc(((size_t)n + 1) * sizeof *pos);
    int rc = -1;
    if (!on_site || !on_type || !stack || !pos || kids_build(&k, dm))
        goto out;
    uint32_t depth = 0;
    for (uint32_t c = k.off[n]; c < k.off[n + 1]; c++) {
        uint32_t top = k.list[c];
        enter(dm, top, site_row, on_site, site_ret);
        enter(dm, top, type_row, on_type, type_ret);
        stack[depth] = top, pos[depth++] = k.off[top];
        while (depth) {
            uint32_t v = stack[depth - 1];
            if (pos[depth - 1] < k.off[v + 1]) {
                uint32_t w = k.list[pos[depth - 1]++];
                enter(dm, w, site_row, on_site, site_ret);
                enter(dm, w, type_row, on_type, type_ret);
                stack[depth] = w, pos[depth++] = k.off[w];
                continue;
            }
            if (site_row[v] != AN_NONE)
                on_site[site_row[v]]--;
            if (type_row[v] != AN_NONE)
                on_type[type_row[v]]--;
            depth--;
        }
    }
    rc = 1;
out:
    free(on_site), free(on_type), free(stack), free(pos), free(k.off), free(k.list);
    return rc;
}
