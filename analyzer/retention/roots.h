/* Named roots: what holds the heap, as a reader knows it. Each ROOTS record gets its kind and a
 * name resolved offline (a global's ELF symbol, a thread's stack and the function whose frame
 * holds the word, a register, TLS, another mapping), and Python's modules get the names Python
 * gives them (`__main__`), so that their globals read `__main__._cache`. */
#ifndef ATOLL_RETENTION_ROOTS_H
#define ATOLL_RETENTION_ROOTS_H

#include "../analyzer.h"

/* ---- pymodules.c: the Python module objects of a dump that sys.modules names. */
struct pymodules {
    uint32_t n;
    uint32_t *block;            /* the module objects, `__main__` first, then by block */
    char **name;                /* their names, as sys.modules' keys spell them */
    uint32_t *dict;             /* their `__dict__` (their globals), AN_NONE when folded */
};

/* Finds them in g (graph_from_dump of d). 0, or -1 when out of memory. */
int pymodules_find(struct pymodules *pm, const struct dump *d, const struct graph *g);
void pymodules_free(struct pymodules *pm);

/* ---- rootname.c: the ROOTS records named. */
struct root_namer;

/* sym names globals and stack frames (NULL: addresses only). */
struct root_namer *root_namer_new(const struct dump *d, struct symbols *sym);
void root_namer_free(struct root_namer *rn);
/* The kind of ROOTS record r as docs/report-format.md lists it: "global", "stack", ... */
const char *root_kind_name(uint32_t kind);
/* "global g_table (server)", "stack of thread 42 (main), frame of handle (srv.c:30)", ... */
void root_name_text(struct outbuf *o, struct root_namer *rn, uint32_t r);
/* Where the root's word is, as the first hop of a path shows it: "[+136]" inside a global's
 * symbol, "[0x7ffd1000]" for a stack, TLS or mapping word; false when the name says it all
 * (registers, synthetic roots, a global without a symbol). */
bool root_where_text(struct outbuf *o, struct root_namer *rn, uint32_t r);
/* The same as JSON members (no braces): "kind", "name", "module", "thread", "function", ... */
void root_name_json(struct outbuf *o, struct root_namer *rn, uint32_t r);

#endif
