/* What every collection of one process found, merged (merge.c, merge_end.c): each block known
 * by its allocation sequence number and each cycle by its oldest member's; the renderers
 * (report_*.c, html/) take the result. */
#ifndef ATOLL_MERGE_H
#define ATOLL_MERGE_H

#include "analyzer.h"

/* The merge holds the last collection's analysis, and what earlier collections found that the
 * last one did not dump (docs/report-format.md, "Several collections"). A cycle is one of the
 * last analysis's components, or a view of its own. */
struct cycle_ref {
    uint32_t comp;                      /* a component of the last analysis, or AN_NONE */
    struct cycle_view *view;            /* else the cycle as the first collection to find it
                                         * saw it */
};

/* Leaked blocks grouped by (site, class, type, whether the last collection found them). A
 * process's sites are the same in all its dumps. */
struct merged_leak {
    uint32_t site;
    uint8_t cls;
    bool at_last;                       /* the last collection found them (else: not dumped) */
    const char *type;                   /* the objects' type, or NULL */
    uint32_t first;                     /* the first collection that found one of them */
    uint64_t blocks, bytes;
};

struct merged_shape {
    struct cycle_ref example;
    bool simple;
    uint32_t length, first;
    uint64_t count, gone, blocks, bytes, retained_blocks, retained_bytes, hash;
};

struct merged_cycle {
    struct cycle_ref ref;
    bool at_last;
    uint32_t shape, first;
    uint64_t bytes;
};

struct merged_collection {
    uint32_t number, trigger;
};

struct merge_state;
struct pygc_run;

struct merged {
    const struct analysis *last;        /* the last collection: process, reachable, names */
    const struct pygc_run *pygc;        /* its CPython collections (pygc.jsonl), or NULL */
    struct merged_collection *collections;  /* merged, in collection order */
    uint32_t ncollections;
    struct totals all, reachable, leaked, definite, indirect, cycle_blocks, suppressed_t;
    struct totals gone;                 /* leaked blocks the last collection did not dump */
    uint32_t gone_cycles;
    struct merged_leak *leaks;          /* by bytes, then blocks, descending */
    uint32_t nleaks;
    struct merged_shape *shapes;        /* by bytes, then count, descending */
    uint32_t nshapes;
    struct merged_cycle *cycles;        /* by bytes descending */
    uint32_t ncycles;
    struct merge_state *st;
};

/* merge.c and merge_end.c: what is gathered on the way. */
struct gone_block {
    uint64_t size;
    uint32_t site;                      /* as leak groups count it (site_canon) */
    uint32_t type, first;               /* type: merge_intern's number, 0 for none */
    uint8_t cls;
    bool suppressed;
};

struct merge_state {
    struct viewer *viewer;              /* of the last analysis */
    bool draw, prepared;
    struct u64map last_blocks;          /* the seq of every block the last collection dumped */
    struct u64map first_block, first_cycle;     /* seq -> the first collection that found it */
    struct u64map strings;              /* a string's hash -> its number */
    char **strs;                        /* number - 1 -> the string */
    size_t nstrs, strs_cap;
    struct gone_block *gone;            /* leaked blocks the last collection did not dump */
    size_t ngone, gone_cap;
    uint64_t *cycle_keys, *cycle_hashes;    /* per entry of cycles: key, shape hash */
    uint32_t cycle_cap;
    struct merged_collection *earlier;
    uint32_t nearlier;
};

/* A string copied for the whole merge: its number (index + 1), 0 for NULL, UINT32_MAX when out
 * of memory. */
uint32_t merge_intern(struct merge_state *st, const char *s);

/* Starts from the last collection's analysis, which must outlive m; draw: the cycles' views
 * carry the dot drawing. */
int merge_begin(struct merged *m, const struct analysis *last, bool draw);
/* An earlier collection of the same process; call in collection order. 1 when merged, 0 when
 * its dump is of an image the process has since replaced (exec), -1 when out of memory. */
int merge_add(struct merged *m, const struct analysis *a);
/* Groups and orders what was merged. 0, or -1 when out of memory. */
int merge_end(struct merged *m);
void merge_free(struct merged *m);
/* The view of a cycle: its own, or one built into *tmp from the last analysis (cycle_view_free
 * it); NULL when out of memory. */
const struct cycle_view *merged_view(const struct merged *m, struct cycle_ref r, bool draw,
                                     struct cycle_view *tmp);
/* The trigger of collection number (an index into trigger_name). */
uint32_t merged_trigger(const struct merged *m, uint32_t number);

#endif
