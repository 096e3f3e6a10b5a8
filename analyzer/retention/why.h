/* `atoll why`: for blocks chosen by site, type or address, the shortest path from a named root
 * (roots.h) to each, the heaviest first. */
#ifndef ATOLL_RETENTION_WHY_H
#define ATOLL_RETENTION_WHY_H

#include "retention.h"
#include "roots.h"

/* ---- whypath.c: a shortest-path tree over the whole dump. What Python's modules reach is
 * reached from them first (a reader knows `__main__._cache`, not the interpreter's stack words);
 * then from every ROOTS record at once, tried in order of how well a reader knows them (globals,
 * TLS, stacks, registers, other mappings, the loader, atoll_ignore), so that of two paths of one
 * length the one from the better-known root wins. Blocks no root reaches are reached from what holds them
 * from outside the dump (an older generation, a count the runtime keeps), then, for leaked
 * blocks, from the definitely lost block that holds them. */
enum why_start {
    WHY_UNREACHED = 0,
    WHY_HOP,                    /* from[v] holds v through graph edge via[v] */
    WHY_ROOT,                   /* a ROOTS record (via[v]) points to v */
    WHY_MODULE,                 /* v is Python module number via[v] (struct pymodules), or
                                 * its __dict__ */
    WHY_OUTSIDE,                /* v is held from outside the dumped blocks only */
    WHY_LOST,                   /* v is definitely lost: nothing holds it */
};

struct why_tree {
    uint8_t *start;             /* per block: enum why_start */
    uint32_t *from, *via;       /* per block */
};

/* alive and cls from the analysis of d; 0, or -1 when out of memory. */
int why_tree_build(struct why_tree *t, const struct dump *d, const struct graph *g,
                   const struct pymodules *pm, const uint8_t *alive, const uint8_t *cls);
void why_tree_free(struct why_tree *t);
/* The path to v, its first block first, into path (room for n blocks); its length. */
uint32_t why_tree_path(const struct why_tree *t, uint32_t v, uint32_t *path, uint32_t n);

/* ---- why.c: the command: the blocks asked about, by weight. */
int cmd_why(int argc, char **argv);

/* What one answer needs: the dump's analysis (the caller's), its modules, the path tree and
 * the root names. */
struct why {
    const struct analysis *a;
    const struct dump *d;
    struct pymodules pm;
    struct why_tree t;
    struct root_namer *rn;
    uint32_t *path;             /* room for a path of every block */
};
/* The paths of a symbolized analysis with its dominators (the command's, or the HTML report's),
 * which must outlive w; 0, or -1 when out of memory (why_close w all the same). */
int why_open(struct why *w, const struct analysis *a);
void why_close(struct why *w);

struct why_query {
    const char *site, *type, *address;  /* the one given; address as written */
    uint64_t addr;
    unsigned long paths;        /* --paths */
    bool json;
};

/* ---- whyshow.c: the answer printed. */
/* What was asked: "allocated at 'P'" (text), "\"query\":{...}" (json). */
void why_describe(struct outbuf *o, const struct why_query *q, bool json);
/* The path from a root to block v as `atoll why` writes it: "#RANK what, verdict:", then one
 * line per hop. */
void why_path_text(struct outbuf *o, const struct why *w, uint32_t rank, uint32_t v);
/* The answer for the n matched blocks m, heaviest first. */
void why_report(struct outbuf *o, const struct why *w, const struct why_query *q,
                const uint32_t *m, uint32_t n);

#endif
