/* analyzer/export/: a dump written in the formats other heap viewers read. Today one: Chrome's
 * V8 heap snapshot (`atoll export --format heapsnapshot`), which DevTools' Memory panel and
 * memlab load; docs/heapsnapshot.md defines the mapping field by field. */
#ifndef ATOLL_EXPORT_H
#define ATOLL_EXPORT_H

#include "../analyzer.h"
#include "../retention/roots.h"

/* ---- strtab.c: the snapshot's string table, each distinct string once, "" at index 0. */
struct strtab {
    char *chars;                /* the strings, each NUL-terminated, back to back */
    size_t chars_cap;
    uint32_t *start;            /* n + 1 offsets into chars */
    size_t start_cap;
    uint64_t *hash;
    size_t hash_cap;
    uint32_t *slots;            /* open addressing: string indexes, UINT32_MAX for empty */
    size_t cap;
    uint32_t n;
};
int strtab_init(struct strtab *t);
/* The string's index; UINT32_MAX when out of memory. */
uint32_t strtab_intern(struct strtab *t, const char *s);
uint32_t strtab_intern_n(struct strtab *t, const char *s, size_t n);
/* What the memory-only buffer scratch holds, interned; scratch is emptied. */
uint32_t strtab_intern_buf(struct strtab *t, struct outbuf *scratch);
/* The table as a JSON array. */
void strtab_write(const struct strtab *t, struct outbuf *o);
void strtab_free(struct strtab *t);
/* Grows the array *arr of *cap elements of elem bytes to hold need; false when out of memory. */
bool export_reserve(void **arr, size_t *cap, size_t need, size_t elem);

/* ---- plan.c: what the snapshot says of each block and reference, decided before writing. */
struct export_plan {
    struct graph g;             /* the analysis' graph: which references count */
    uint8_t *seed, *alive, *cls;
    struct sccs s;
    uint8_t *is_cycle;
    uint32_t *eoff;             /* nblocks + 1: the references each block's node holds */
    uint32_t *eids;             /* EDGES indexes by node (NULL: EDGES order, no OBJECTS) */
    uint32_t *owned_at;         /* per owned block: where its holder references it (OBJECTS) */
    uint32_t *root_of;          /* per ROOTS record: its named root (0..nnamed-1) */
    uint32_t *root_name;        /* per named root: its name's string */
    uint32_t *root_first;       /* nnamed + 1 offsets into root_recs */
    uint32_t *root_recs;        /* ROOTS indexes grouped by named root */
    uint32_t nnamed;
    uint32_t outside;           /* seeds no counted root references: the "(outside)" node's */
    uint32_t leaked;            /* definitely lost blocks: the "(leaked)" node's edges */
};
/* rn names the roots (retention/rootname.c). */
int export_plan_build(struct export_plan *p, const struct dump *d, struct root_namer *rn,
                      struct strtab *t, char *err, size_t errlen);
/* Whether EDGES record e is a reference atoll's analysis follows (else a `weak` edge). */
bool export_plan_strong(const struct export_plan *p, const struct dump *d, uint32_t e);
/* Whether ROOTS record r holds its target (else a `weak` edge: a stale word). */
bool export_plan_root_strong(const struct export_plan *p, const struct dump *d, uint32_t r);
/* The block whose node holds EDGES record e: its `from`, or the object that owns `from`. */
static inline uint32_t export_holder(const struct dump *d, uint32_t e)
{
    return dump_owner(d, d->edges[e].from);
}
void export_plan_free(struct export_plan *p);

/* ---- roots.c: how a ROOTS record's edge is named (its node is named as `atoll why` names the
 * root), and Python's module globals as named roots of their own. */
void export_root_edge(struct outbuf *o, struct root_namer *rn, const struct dump *d, uint32_t r);
struct export_globals {
    uint32_t n;
    uint32_t *name;             /* per global: "module.attr"'s string */
    uint32_t *target;           /* per global: the block it names */
};
/* The globals of the Python modules of d (none when it has no Python). 0, or -1 when out of
 * memory. */
int export_globals_find(struct export_globals *gl, const struct dump *d,
                        const struct export_plan *p, struct strtab *t);
void export_globals_free(struct export_globals *gl);

/* ---- traces.c: allocation stacks as the format's trace_function_infos and trace_tree. */
struct export_traces {
    uint32_t *site_node;        /* per site: its trace node id, 0 for none */
    uint32_t nfuncs;            /* function infos */
    uint32_t *func;             /* nfuncs * 6: the trace_function_info_fields */
    size_t func_cap;
    uint32_t nnodes;            /* trace nodes; node i has id i + 1, node 0 is the root */
    uint32_t *parent, *fn;      /* per node; the root's parent is UINT32_MAX */
    uint64_t *count, *size;     /* per node: the blocks allocated at exactly that stack */
    size_t nodes_cap;
};
int export_traces_build(struct export_traces *tr, const struct dump *d, struct symbols *sym,
                        struct strtab *t);
void export_traces_write_functions(const struct export_traces *tr, struct outbuf *o);
int export_traces_write_tree(const struct export_traces *tr, struct outbuf *o);
void export_traces_free(struct export_traces *tr);

/* ---- heapsnapshot.c: the whole file, streamed to f. 0, or -1 with the reason in err. */
int export_heapsnapshot(const struct dump *d, FILE *f, char *err, size_t errlen);

#endif
