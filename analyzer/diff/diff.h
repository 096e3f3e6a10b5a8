/* `atoll diff OLD NEW`: what grew between two dumps of one process, or of two runs of one
 * program (docs/report-format.md, "Diff"). diff_compute fills the growth tables; the renderers
 * (text and JSON here, HTML elsewhere) only read them. Rows are keyed by what a reader sees, so
 * that they match across runs: a site by its frames (sitekeys.c), a type by its name. */
#ifndef ATOLL_DIFF_H
#define ATOLL_DIFF_H

#include "analyzer.h"

/* One site or one type, in OLD and in NEW. A site is named by its frames: example_site in the
 * analysis that has it (NEW's when both do). For a type, blocks count its objects and bytes
 * include the blocks they own (a list's item array, a dict's table). */
struct diff_row {
    const char *type;               /* a type row: the type's name; NULL for a site row */
    uint32_t old_site, new_site;    /* a site row: an example site index, AN_NONE if absent */
    uint64_t old_blocks, new_blocks, old_bytes, new_bytes;
    uint64_t old_retained, new_retained;    /* retained bytes (diff.retained says if known) */
    uint64_t survived;              /* NEW's blocks that OLD had too (one process only) */
    uint64_t old_leaked, new_leaked;        /* leaked blocks (unsuppressed) */
    uint64_t old_leaked_bytes, new_leaked_bytes;
};

/* A cycle shape NEW has and OLD has not. */
struct diff_shape {
    uint32_t group;                 /* index into new->shapes */
    uint64_t count, blocks, bytes;
};

struct diff {
    const struct analysis *old, *new;
    bool same_process;              /* same pid and image, OLD the earlier collection */
    bool retained;                  /* the retained columns are computed */
    struct diff_row *sites;         /* by bytes gained, then blocks gained, descending */
    uint32_t nsites;
    struct diff_row *types;         /* the same */
    uint32_t ntypes;
    uint32_t *new_leaks;            /* indexes into sites: leaking in NEW, not in OLD; by bytes */
    uint32_t nnew_leaks;
    struct diff_shape *new_shapes;  /* by bytes descending */
    uint32_t nnew_shapes;
    uint32_t changed_sites, changed_types;  /* rows with any difference: the first ones */
};

/* Checks that OLD and NEW can be compared (one line in err: other program, other generations)
 * and fills df; -1 with the reason in err (diff_free df all the same). Both analyses must be
 * symbolized and outlive df. */
int diff_compute(struct diff *df, const struct analysis *old, const struct analysis *new,
                 char *err, size_t errlen);
void diff_free(struct diff *df);

static inline int64_t diff_gain(uint64_t old, uint64_t new)
{
    return (int64_t)(new - old);
}

/* sitekeys.c: per site of a's dump that a block has, what identifies it in other's dump too:
 * its frames (its Python frames alone, as the reports group them, unless --native), by their
 * offsets in the modules both dumps share, else symbolized; NULL when out of memory. */
uint64_t *diff_site_keys(const struct analysis *a, const struct dump *other);

/* retained.c: the retained bytes of each row, over its blocks with no dominator-tree ancestor
 * in the same row. site_row[v] and type_row[v] are block v's rows (AN_NONE: none) among
 * nsite_rows and ntype_rows; adds into site_ret[row] and type_ret[row]. 1 when done, 0 when
 * the analysis has no dominator tree, -1 when out of memory. */
int diff_retained(const struct analysis *a, const uint32_t *site_row, const uint32_t *type_row,
                  uint64_t *site_ret, uint64_t *type_ret, uint32_t nsite_rows,
                  uint32_t ntype_rows);

/* diff_text.c: the first top rows of each table; diff_json.c: all of them. */
void diff_text(struct outbuf *o, const struct diff *df, uint32_t top);
void diff_json(struct outbuf *o, const struct diff *df);

#endif
