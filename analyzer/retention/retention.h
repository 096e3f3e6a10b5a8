/* Retention: who keeps what alive. The dominator tree of the whole block graph, each block's
 * retained size, and the retained sizes of sites and types (docs/report-format.md, "Retained
 * sizes"). domtree.c is the one dominator algorithm; dominators.c applies it to the dump's
 * graph, retain.c (analyzer/) to the condensation of the unreachable subgraph, retainers.c
 * sums the tree up per site and per type. */
#ifndef ATOLL_RETENTION_H
#define ATOLL_RETENTION_H

#include "analyzer.h"

#define DOM_ROOT UINT32_MAX   /* the virtual root, parent of every root target */

/* ---- domtree.c: semi-NCA (Georgiadis and Tarjan) over a CSR graph with a virtual root, in
 * linear memory and without recursion. */
struct dom_input {
    uint32_t n;                 /* nodes 0..n-1 */
    const uint32_t *off;        /* n + 1 offsets into to[] */
    uint32_t *to;               /* consumed: each target becomes its number in preorder */
    const uint8_t *entry;       /* per node: 1 when the virtual root references it */
};

/* idom[v]: v's immediate dominator, DOM_ROOT when that is the virtual root. order (n nodes):
 * the nodes in depth-first preorder from the virtual root, so a node's dominators come before
 * it. A node no entry reaches is taken as an entry itself, in index order, after the entries'
 * searches. 0, or -1 when out of memory. */
int dom_tree(const struct dom_input *in, uint32_t *idom, uint32_t *order);

/* ---- dominators.c: the block graph (struct graph, folded objects included) from a virtual
 * root whose children are the roots (reach.c's seeds: ROOTS targets and blocks referenced from
 * outside the dump) and, for the unreachable subgraph, its definitely lost blocks (lost.c).
 * Edges are those reachability and the components follow: from an alive block those reach.c
 * carries, from an unreachable block those to unreachable blocks. */
struct dominators {
    uint32_t count;             /* = number of blocks in the dump */
    uint32_t *idom;             /* per block: immediate dominator's block index, or DOM_ROOT */
    uint64_t *retained_bytes;   /* per block: its own size plus the sizes of all it dominates */
    uint32_t *retained_blocks;  /* per block: 1 plus the number of blocks it dominates */
    uint32_t *order;            /* the blocks in an order where a block's dominators come first */
};
int dominators_compute(struct dominators *dm, const struct graph *g, const struct dump *d);
/* The same from an analysis's seeds, alive set and classes (computed again by the above);
 * without a dump (d NULL: graphbench) the sizes are 0 and every edge of an alive block counts. */
int dominators_compute_from(struct dominators *dm, const struct graph *g, const struct dump *d,
                            const uint8_t *seed, const uint8_t *alive, const uint8_t *cls);
void dominators_free(struct dominators *dm);

/* ---- retainers.c: retained sizes per site and per type. A row counts the blocks of its site
 * (type) that no block of the same site (type) dominates, so nothing is counted twice. */
struct retainer {
    uint32_t site;              /* SITES index (canonical), or AN_NONE for a type's row */
    uint32_t type;              /* string offset of the type's name, or AN_NONE for a site's */
    uint64_t blocks, bytes;     /* all the blocks of the site (type), and their own sizes */
    uint64_t retained_blocks, retained_bytes;
};
/* canon: per site, the site it counts as (analysis.c; NULL: each its own). Rows by retained
 * bytes, then retained blocks, descending; site rows before type rows on ties. */
int retainers_compute(const struct dominators *dm, const struct dump *d, const uint32_t *canon,
                      struct retainer **out, uint32_t *n);

#endif
