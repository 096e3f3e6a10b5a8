/* The analyzer's internal interfaces: the dump reader, the graph algorithms, symbols,
 * suppressions and the reports. Each group of declarations is implemented by the file named
 * in its comment; the merge of a process's collections has its own header (merge.h). Only the
 * headers in include/atoll/ are shared with the recorder. */
#ifndef ATOLL_ANALYZER_H
#define ATOLL_ANALYZER_H

#include <atoll/dump.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define AN_NONE UINT32_MAX

/* ---- dumpread.c: map a dump read-only and check everything docs/dump-format.md lists. */
struct dump {
    const uint8_t *map;
    size_t size;
    const struct atoll_dump_process *proc;
    const char *strings;
    uint64_t strings_size;
    const struct atoll_dump_module *modules;
    const struct atoll_dump_thread *threads;
    const uint64_t *frames;
    const struct atoll_dump_site *sites;
    const struct atoll_dump_block *blocks;
    const struct atoll_dump_edge *edges;
    const struct atoll_dump_root *roots;
    const struct atoll_dump_object *objects;
    const struct atoll_dump_pycode *pycode;
    const struct atoll_dump_label *labels;
    const struct atoll_dump_stackframe *stackframes;
    const struct atoll_dump_pygc_site *pygc_sites;
    const uint8_t *bytes;
    uint64_t bytes_size;
    uint32_t nmodules, nthreads, nframes, nsites, nblocks, nedges, nroots, nobjects;
    uint32_t npycode, nlabels, nstackframes, npygc_sites;
    uint32_t *indeg;            /* EDGES into each block */
    uint32_t *object_of;        /* per block: its OBJECTS index or AN_NONE; NULL without OBJECTS */
    bool mapped;                /* map came from mmap (else the caller owns it) */
};

/* Map and validate the file. On failure returns -1 with a one-line reason in err. */
int dump_open(struct dump *d, const char *path, char *err, size_t errlen);
/* Validate a dump already in memory (8-aligned); the buffer must outlive d. */
int dump_parse(struct dump *d, const void *buf, size_t size, char *err, size_t errlen);
void dump_close(struct dump *d);
/* The string at a checked offset. */
const char *dump_string(const struct dump *d, uint32_t off);
const char *dump_section_name(uint32_t type);

/* ---- label.c: the labels of references (LABELS). */
struct outbuf;
/* The LABELS record of EDGES record eid, or NULL. */
const struct atoll_dump_label *label_of_edge(const struct dump *d, uint32_t eid);
/* The label as reports spell it (".orders", "[0]", "['k']", "<cell>"); false when none. */
bool label_spell(struct outbuf *o, const struct dump *d, uint32_t eid);
/* The same from a LABELS record's kind, text (its string) and index. */
void label_write(struct outbuf *o, uint32_t kind, const char *text, uint32_t index);
/* What the label contributes to a shape (docs/report-format.md); 0 for no label. */
uint64_t label_shape_key(const struct dump *d, uint32_t eid);

/* ---- bigmem.c: malloc and calloc for big per-block arrays (huge pages when possible). */
void *an_malloc(size_t size);
void *an_calloc(size_t count, size_t size);

/* ---- graph.c: the block graph as CSR adjacency with 32-bit indexes. */
struct graph {
    uint32_t n;
    uint32_t *off;              /* n + 1 offsets into to[] */
    uint32_t *to;
    uint32_t *eid;              /* per edge: its EDGES index; NULL when edge e is EDGES[e] */
    bool owns_off;              /* off[] was allocated here (else borrowed) */
};

/* With OBJECTS, a block an object owns is folded into it: the owned block's references are
 * the owner's edges, and the owner's reference is the only edge to it. */

int graph_from_dump(struct graph *g, const struct dump *d);
/* Whether the graph keeps EDGES record e (an edge to an owned block from another holder does
 * not). */
bool graph_edge_kept(const struct dump *d, const struct atoll_dump_edge *e);
static inline uint32_t graph_eid(const struct graph *g, uint32_t e)
{
    return g->eid ? g->eid[e] : e;
}
/* Where the object `owner` holds its reference to the block it owns (a byte offset). */
uint64_t graph_owned_at(const struct graph *g, const struct dump *d, uint32_t owner,
                        uint32_t owned);
/* The object block v belongs to: v, or its owner. */
static inline uint32_t dump_owner(const struct dump *d, uint32_t v)
{
    uint32_t k = d->object_of ? d->object_of[v] : AN_NONE;
    return k == AN_NONE ? v : d->objects[k].owner;
}
void graph_free(struct graph *g);

/* ---- reach.c: CPython's rule. alive[i] is 1 for blocks referenced from outside the dumped
 * set (gc_refs = refcount - in-edges > 0, or flagged ignored/loader) and all they reach. */
/* With d (may be NULL), a pointer from memory no layout describes does not keep an object with
 * a count alive: the count does (reach.c). */
uint8_t *reach_alive(const struct graph *g, const struct dump *d, const uint8_t *seed);
uint8_t *reach_seeds_from_dump(const struct dump *d);
/* Whether an alive v makes w alive through a reference v -> w (the rule reach_alive follows). */
bool reach_carries(const struct dump *d, uint32_t v, uint32_t w);

/* ---- scc.c: iterative Tarjan over the blocks with alive[i] == 0. comp[i] is the SCC of i
 * (AN_NONE for alive blocks); components are numbered in reverse topological order: an edge
 * between two components goes from a higher number to a lower one. */
struct sccs {
    uint32_t count;
    uint32_t *comp;             /* per block */
    uint32_t *first;            /* count + 1 offsets into members[] */
    uint32_t *members;          /* blocks grouped by component, in ascending block index */
};

int scc_compute(struct sccs *s, const struct graph *g, const uint8_t *alive);
void scc_free(struct sccs *s);

/* ---- lost.c: Valgrind's classes for unreachable blocks. */
enum block_class { CLASS_REACHABLE = 0, CLASS_DEFINITE = 1, CLASS_INDIRECT = 2 };

/* Returns per-block classes; is_cycle[c] is set for components that are cycles. */
/* blocks gives each block's seq (NULL: the lowest index stands for the first allocated). */
uint8_t *lost_classify(const struct graph *g, const struct sccs *s, const uint8_t *alive,
                       const struct atoll_dump_block *blocks, uint8_t **is_cycle);

/* ---- retain.c: dominators of the condensation of the unreachable subgraph. ret_blocks[c]
 * and ret_bytes[c] count the blocks dominated by component c, c itself excluded; idom[c] is
 * its immediate dominator (s->count for the virtual root). */
struct retain {
    uint32_t *idom;
    uint64_t *ret_blocks;
    uint64_t *ret_bytes;
};

/* blocks gives the sizes (NULL: bytes are not summed). */
int retain_compute(struct retain *r, const struct graph *g, const struct sccs *s,
                   const struct atoll_dump_block *blocks);
bool retain_dominates(const struct retain *r, uint32_t ncomp, uint32_t c, uint32_t x);
void retain_free(struct retain *r);

/* ---- symbols.c: offline symbolization with libdw. */
struct frame_sym {
    uint64_t address;
    const char *function;       /* NULL when unknown */
    const char *file;           /* NULL when unknown */
    uint32_t line;
    const char *module;         /* module path, "" for none */
    uint64_t module_offset;     /* address - bias (valid when module != "") */
    bool inlined;               /* an inlined frame at the same address as the next */
    const char *mangled;        /* the C++ name function was demangled from, else NULL */
    bool python;                /* a Python frame: function is the qualified name, line 0 if none */
};

struct symbols;
struct symbols *symbols_new(const struct dump *d);
void symbols_free(struct symbols *s);
/* Frames of site (inline frames expanded), valid until the next call; NULL when it has none. */
const struct frame_sym *symbols_site(struct symbols *s, uint32_t site, uint32_t *nframes);
/* How many of a site's first frames are Python frames (they come first). */
uint32_t symbols_python_frames(const struct frame_sym *f, uint32_t n);
/* The frames of return address `address` (looked up at address - 1), valid until the next
 * call; NULL when there are none. */
const struct frame_sym *symbols_address(struct symbols *s, uint64_t address, uint32_t *nframes);
/* The ELF symbol holding a data address (a global): its demangled name and the offset inside
 * it; false when no symbol of the address's module covers it. */
bool symbols_data(struct symbols *s, uint64_t address, const char **name, uint64_t *offset);
/* The MODULES index of the module holding address a, or AN_NONE. */
uint32_t symbols_module_of(const struct symbols *s, uint64_t a);
/* FRAMES value a, a Python frame, named (no libdw: what a site's Python frames need). */
struct frame_sym symbols_python_frame(const struct dump *d, uint64_t a);

/* ---- cuindex.c: the compile unit holding an address, for DWARF without .debug_aranges. */
struct Dwarf;
struct cu_index;
struct cu_index *cu_index_new(struct Dwarf *dw);
/* The offset of the CU DIE whose ranges hold addr (a DWARF address: the load bias removed). */
bool cu_index_find(const struct cu_index *ci, uint64_t addr, uint64_t *cu_off);
void cu_index_free(struct cu_index *ci);

/* ---- demangle.c: C++ names demangled, each distinct name once. */
struct demangler;
struct demangler *demangler_new(void);
/* name demangled, or name itself when it is not a mangled C++ name (or NULL); the result
 * lives until demangler_free, and name must live as long. */
const char *demangle(struct demangler *dm, const char *name);
void demangler_free(struct demangler *dm);

/* ---- suppress.c: LeakSanitizer-style `leak:PATTERN` lists. */
struct suppressions;
struct suppressions *suppress_new(void);
int suppress_load(struct suppressions *sp, const char *path, char *err, size_t errlen);
int suppress_add(struct suppressions *sp, const char *pattern);
bool suppress_match_frames(const struct suppressions *sp, const struct frame_sym *f, uint32_t n);
bool suppress_pattern_match(const char *pattern, const char *s);
size_t suppress_count(const struct suppressions *sp);
void suppress_free(struct suppressions *sp);

/* ---- shape.c: canonical cycle shapes, grouped. */
struct shape_group {
    uint32_t first_comp;        /* the example component */
    uint64_t count, blocks, bytes, retained_blocks, retained_bytes;
    bool simple;                /* a simple cycle (each member one internal in and out edge) */
    uint64_t hash;
};

/* Fills comp_shape[c] (AN_NONE for non-cycles or skipped) with an index into groups,
 * sorted by bytes descending. skip[c] (may be NULL) leaves a component out. */
int shape_group_cycles(const struct graph *g, const struct sccs *s, const struct dump *d,
                       const uint8_t *is_cycle, const uint8_t *skip, const struct retain *r,
                       uint32_t *comp_shape, struct shape_group **groups, uint32_t *ngroups);
/* The hash of component c's shape with each site known by site_keys[site] (a key that means the
 * same in every dump, where the groups' hash uses the site's index); 0 when out of memory. */
uint64_t shape_key(const struct graph *g, const struct sccs *s, const struct dump *d,
                   uint32_t c, const uint64_t *site_keys);
/* The members of a component in cycle order (for simple cycles) or by block index. */
uint32_t shape_cycle_order(const struct graph *g, const struct sccs *s, const struct dump *d,
                           uint32_t c, uint32_t *out);
/* A shortest path from member start to member end of component c (a cycle when they are the
 * same): its graph edges in order into edges (room for the component's size); their count, 0
 * when out of memory. */
uint32_t shape_path(const struct graph *g, const struct sccs *s, uint32_t c, uint32_t start,
                    uint32_t end, uint32_t *edges);
/* The internal edge of v when v belongs to a simple cycle (AN_NONE otherwise). */
uint32_t shape_next_edge(const struct graph *g, const struct sccs *s, uint32_t v);

/* ---- group.c: leaks grouped by (site, class, object type). */
struct leak_group {
    uint32_t site;
    uint8_t cls;
    uint32_t type;              /* an object's type (string offset), AN_NONE for other blocks */
    uint64_t blocks, bytes;
};
/* canon: per site, the site it counts as (analysis.c); NULL: each site its own. */
int group_leaks(const struct dump *d, const uint8_t *cls, const uint8_t *suppressed,
                const uint32_t *canon, struct leak_group **out, uint32_t *n);

/* ---- breakedge.c: in cycle component c (of at most 64 members), the internal edge whose
 * removal lets reference counting free the most members (*frees); AN_NONE for bigger cycles. */
uint32_t break_edge(const struct graph *g, const struct sccs *s, uint32_t c, uint32_t *frees);

/* ---- refleak.c: objects counted more than the references found to them. */
struct refcount_leak {
    uint32_t block;
    uint64_t surplus;           /* refcount - references found */
};
/* By surplus descending, then block. */
int refcount_leaks_find(const struct dump *d, struct refcount_leak **out, uint32_t *n);

/* ---- analysis.c: the whole analysis of one dump. */
struct totals {
    uint64_t blocks, bytes;
};

struct dominators;              /* retention/retention.h */
struct retainer;

struct analysis {
    const struct dump *d;
    struct graph g;
    uint8_t *alive;
    struct sccs s;
    uint8_t *cls;
    uint8_t *is_cycle;
    struct retain r;
    uint8_t *suppressed;        /* per block */
    uint8_t *comp_suppressed;   /* per component */
    uint32_t *comp_shape;
    struct shape_group *shapes;
    uint32_t nshapes;
    struct leak_group *leaks;
    uint32_t nleaks;
    uint64_t *comp_bytes;       /* bytes per component */
    uint32_t *cycles;           /* reported cycle components, by bytes desc then comp */
    uint32_t ncycles;
    struct refcount_leak *refleaks;
    uint32_t nrefleaks;
    struct symbols *sym;
    uint32_t *site_canon;       /* per site: the first site with its Python frames; NULL: itself */
    bool native;                /* --native: sites by their whole stacks, native frames shown */
    bool sym_borrowed;
    uint8_t *seed;              /* per block: a root (reach.c) */
    struct dominators *dom;     /* the whole graph's dominator tree; NULL with skip_retention */
    struct retainer *retainers; /* sites and types by retained bytes (retention/retainers.c) */
    uint32_t nretainers;
    struct totals all, reachable, leaked, definite, indirect, cycle_blocks, suppressed_t;
    uint64_t cycle_bytes_total;
};

struct analyze_opts {
    const struct suppressions *supp;
    struct symbols *sym;        /* borrowed, to name the sites (else made when needed) */
    bool symbolize;
    bool progress;
    bool native;                /* group by whole stacks and show native frames under Python ones */
    bool skip_retention;        /* no dominators nor retainers (an earlier collection's dump) */
};

int analysis_run(struct analysis *a, const struct dump *d, const struct analyze_opts *o);
void analysis_free(struct analysis *a);
uint64_t analysis_comp_bytes(const struct analysis *a, uint32_t c);
/* The sequence number a cycle is known by from one collection to the next: its oldest
 * member's. */
uint64_t analysis_cycle_seq(const struct analysis *a, uint32_t c);

/* ---- progress.c: a progress line on a terminal. */
void progress_enable(bool on);
void progress(const char *phase);
void progress_done(void);

/* ---- outbuf.c: a fast buffered writer for big reports. */
struct outbuf {
    FILE *f;
    char *buf;
    size_t len, cap;
    bool failed;
};
void ob_init(struct outbuf *o, FILE *f);
void ob_flush(struct outbuf *o);
void ob_put(struct outbuf *o, const char *s, size_t n);
void ob_str(struct outbuf *o, const char *s);
void ob_u64(struct outbuf *o, uint64_t v);
void ob_hex(struct outbuf *o, uint64_t v);
void ob_printf(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a JSON string literal, quotes included */
void ob_json_str(struct outbuf *o, const char *s);
/* a byte string escaped for a Graphviz label */
void ob_dot_str(struct outbuf *o, const char *s);

/* ---- report_text.c, report_json.c, report_dot.c: what one process's collections found
 * (merge.c). */
struct merged;
struct view_edge;
enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_DOT, FORMAT_SVG, FORMAT_HTML };
void report_text_merged(struct outbuf *o, const struct merged *m, uint32_t top);
void report_json_merged(struct outbuf *o, const struct merged *m, uint32_t top);
void report_dot_merged(struct outbuf *o, const struct merged *m, uint32_t top);
/* report_dot.c: the drawing of cycle shape i alone, a whole digraph. */
void report_dot_shape(struct outbuf *o, const struct merged *m, uint32_t i);
/* graphviz.c: dot -Tsvg on a drawing, the SVG written to out; -1 with the reason in err (dot
 * missing: one line that says so). */
int graphviz_svg(const char *dot, size_t n, FILE *out, char *err, size_t errlen);
/* report_common.c: the report of one analysis alone, as atoll analyze writes it. */
void report_text(struct outbuf *o, const struct analysis *a, uint32_t top);
void report_json(struct outbuf *o, const struct analysis *a, uint32_t top);
void report_dot(struct outbuf *o, const struct analysis *a, uint32_t top);
/* report_text.c: a site's frames, one per line; of a Python allocation its Python frames (all
 * of them with --native). */
void report_site_frames(struct outbuf *o, const struct analysis *a, uint32_t site);
/* report_json.c: a site's frames as a JSON array (docs/report-format.md, `sites`). */
void report_json_frames(struct outbuf *o, const struct analysis *a, uint32_t site);
/* report_text.c: a cycle shape on one line (a simple cycle's chain, else its members). */
void report_shape_line(struct outbuf *o, const struct analysis *a, const struct shape_group *sg);
/* The same from a cycle's view (a of the last collection names its sites). */
struct cycle_view;
void report_view_line(struct outbuf *o, const struct analysis *a, const struct cycle_view *v);
/* The same with a viewer of a's (cycleview.c) made once for many lines (NULL: out of memory). */
struct viewer;
void report_shape_line_by(struct outbuf *o, const struct analysis *a, struct viewer *vw,
                          const struct shape_group *sg);
/* report_common.c: "function file:line", "module+0xOFF" or "0xADDR" for a site's first
 * frame, and a frame written out in full. */
void report_site_label(struct outbuf *o, const struct analysis *a, uint32_t site);
/* The same as a malloc'ed string; NULL when out of memory. */
char *report_site_label_text(const struct analysis *a, uint32_t site);
/* The label of a reference (label.c), else "+OFF" for a reference in the member itself,
 * "+OWN[+OFF]" for one at OFF in a block the member owns, which the member references at
 * +OWN. */
void report_edge_label(struct outbuf *o, const struct view_edge *e);
/* A reference as an arrow: " -.orders-> " for a labelled one, " -> +8 -> " for another. */
void report_arrow(struct outbuf *o, const struct view_edge *e);
/* The type name of an object block, or NULL. */
const char *report_type(const struct dump *d, uint32_t v);
void report_frame(struct outbuf *o, const struct frame_sym *f);
const char *trigger_name(uint32_t trigger);
const char *class_name(uint8_t cls);

/* ---- info.c */
void info_print(FILE *f, const struct dump *d, const char *path);

/* ---- run_dumps.c: the dumps a run's processes left. */
struct run_dump {
    char **paths;               /* the process's dumps in collection order: its last one last */
    size_t npaths;
    long pid;
};
/* The dumps a directory holds before a run (NULL when out of memory; an unreadable dir has
 * none). */
struct run_listing;
struct run_listing *run_dumps_before(const char *dir);
void run_listing_free(struct run_listing *l);
/* Each process's `<name>.<pid>.<seq>.atoll` in dir, by seq, leaving out the files that were
 * there before (as they were: a file rewritten since counts), the processes in the order they
 * started (root: the program's pid). 0, or -1 when out of memory; an unreadable dir has no
 * dumps. */
int run_dumps_find(const char *dir, long root, const struct run_listing *before,
                   struct run_dump **out, size_t *count);
void run_dumps_free(struct run_dump *d, size_t n);

/* ---- run.c */
/* libatoll.so beside the atoll binary (argument: the binary's path); malloc'ed or NULL. */
char *run_find_preload(const char *self);

/* ---- u64map.c: 64-bit keys to 64-bit values. */
struct u64map {
    uint64_t *keys, *vals;
    uint8_t *used;
    size_t cap, n;
};
/* The value of key, or NULL. */
uint64_t *u64map_get(const struct u64map *m, uint64_t key);
/* The value of key, added as 0 when missing (*added says so); NULL when out of memory. */
uint64_t *u64map_put(struct u64map *m, uint64_t key, bool *added);
void u64map_free(struct u64map *m);
/* A string's 64-bit hash (FNV-1a), the same in every process and dump. */
uint64_t u64map_hash_string(const char *s);

/* ---- cycleview.c: one cycle as the reports draw it, copied out of its analysis (it outlives
 * the dump). */
struct view_member {
    uint64_t address, size, seq;
    uint64_t object;            /* an object's address (block address + offset) */
    const char *type;           /* an object's type; NULL for any other block */
    uint32_t block, site;       /* BLOCKS and SITES indexes in the dump it comes from */
    uint8_t cls;
    uint64_t owned_bytes;       /* in a drawing: the blocks an object owns, folded into it */
    uint32_t owned_blocks;
};

struct view_edge {
    uint32_t from, to;          /* members (in a drawing: BLOCKS indexes) */
    uint32_t via;               /* the block `from` owns that holds the reference, or AN_NONE */
    uint64_t offset;            /* inside `from`, or inside `via` */
    uint64_t owned_at;          /* where `from` holds `via` */
    uint32_t label_kind;        /* its LABELS record's kind, text and index; kind 0: none */
    uint32_t label_index;
    const char *label_text;
};

/* A node or an edge of the dot report's drawing, in the order drawn. */
struct view_draw {
    bool edge, retained;
    struct view_member node;
    struct view_edge e;
};

struct cycle_view {
    struct view_member *members;    /* in cycle order (simple), else by block index */
    struct view_edge *edges;        /* internal references, by member then by offset */
    struct view_draw *draw;         /* only when asked for */
    uint32_t *path;                 /* a cycle of objects: its edges from member path_first */
    uint32_t npath, path_first;     /* (docs/report-format.md); 0: no such path */
    uint32_t nmembers, nedges, ndraw, drawn_retained;
    uint32_t collection;            /* the collection whose dump the BLOCKS indexes are of */
    uint32_t brk, frees;            /* the edge to break (Definitions) and what it frees; AN_NONE */
    bool simple;
    uint64_t bytes, retained_blocks, retained_bytes;
};

/* Builds views of the cycles (components) of one analysis; draw adds the dot drawing. */
struct viewer;
struct viewer *viewer_new(const struct analysis *a);
int viewer_build(struct viewer *vw, uint32_t c, bool draw, struct cycle_view *v);
void viewer_free(struct viewer *vw);
void cycle_view_free(struct cycle_view *v);

/* ---- jsonl.c: collections.jsonl lines (docs/collections.md). */
struct collection_rec {
    uint32_t collection, pid, generation;
    uint32_t threshold[3];
    char trigger[16];
    uint64_t time_ns;               /* CLOCK_REALTIME at the start of the collection */
    double pause_ms, scan_ms, dump_ms;
    uint64_t blocks, bytes, heap_blocks, heap_bytes;
    uint64_t unreachable_blocks, unreachable_bytes, cycles, dump_bytes;
    uint64_t last_seq;              /* the last allocation sequence number handed out */
    bool has_last_seq;
    char dump[1024];
};
/* One line; -1 with the reason in err. */
int jsonl_parse(const char *line, struct collection_rec *r, char *err, size_t errlen);
/* The whole file (malloc'ed array); -1 with "PATH[:LINE]: reason" in err. */
int jsonl_read(const char *path, struct collection_rec **out, size_t *n, char *err,
               size_t errlen);

/* ---- stats.c: the per-generation table of collections.jsonl. */
void stats_print(FILE *f, const struct collection_rec *r, size_t n);
/* The median (mean of the middle two) and the nearest-rank p99 of v[0..n), sorted in place. */
double stats_median(double *v, size_t n);
double stats_p99(double *v, size_t n);

/* ---- live.c: `atoll run --live`, one line per new collection of DIR/collections.jsonl. */
struct live;
struct live *live_new(const char *dir, FILE *out, const struct suppressions *supp);
/* Reports the collections recorded since the last call. */
void live_poll(struct live *l);
void live_free(struct live *l);

/* ---- svg.c: a scatter plot of settings, the Pareto front and the budget marked (tune.svg). */
struct svg_point {
    double x, y;
    const char *label;
    bool pareto, recommended;
};

struct svg_chart {
    const char *title, *xlabel, *ylabel;
    const char *xunit;              /* after each x tick's number: "%", " ms" */
    double xline, yline;            /* the budget as a dashed line, NAN for none */
    const struct svg_point *pts;
    size_t n;
};

/* -1 with the reason in err. */
int svg_chart_write(const struct svg_chart *c, const char *path, char *err, size_t errlen);

/* ---- cli.c: the commands. Each returns the process exit status. */
enum { OPT_FORMAT = 256, OPT_REPORT, OPT_SUPP, OPT_TOP, OPT_ERROR_EXITCODE, OPT_NATIVE, OPT_HELP };

/* The long options of cli_report_option, and --help, for a command's getopt_long table. */
#define CLI_REPORT_LONGOPTS                                                                    \
    {"format", required_argument, 0, OPT_FORMAT},                                              \
    {"report", required_argument, 0, OPT_REPORT},                                              \
    {"suppressions", required_argument, 0, OPT_SUPP},                                          \
    {"top", required_argument, 0, OPT_TOP},                                                    \
    {"native", no_argument, 0, OPT_NATIVE},                                                    \
    {"error-exitcode", required_argument, 0, OPT_ERROR_EXITCODE},                              \
    {"help", no_argument, 0, OPT_HELP}

struct report_opts {
    enum report_format format;
    const char *report;         /* NULL: the command's default stream */
    struct suppressions *supp;
    uint32_t top;
    int error_exitcode;         /* -1: not given */
    bool native;                /* --native */
};

/* Options shared by analyze and run; returns 1 if opt was one of them, 0 if not, -1 (after a
 * one-line message) if its argument is bad. */
int cli_report_option(struct report_opts *ro, const char *cmd, int opt, const char *arg);
/* The stream a report goes to: --report's file, opened, or out. NULL with the reason in err. */
FILE *cli_report_open(const struct report_opts *ro, FILE *out, char *err, size_t errlen);
/* Closes what cli_report_open opened (flushes out); 0, or 2 with the reason in err. */
int cli_report_close(const struct report_opts *ro, FILE *f, FILE *out, char *err, size_t errlen);
/* ---- report.c: analyzes the n dumps of one process (in collection order), merges them and
 * writes the report to f, a JSON one on one line if one_line. Returns 0, or 2 with what went
 * wrong in err ("FILE: reason", FILE being the last dump or the report); *leaked is set when
 * unsuppressed leaks were found. */
int cli_report(const struct report_opts *ro, char *const *paths, size_t n, FILE *f,
               bool one_line, bool *leaked, char *err, size_t errlen);
bool cli_parse_uint(const char *s, unsigned long max, unsigned long *out);
/* The options of analyze and diff (cli_report_option's and --help), parsed; own, if not NULL,
 * sees each first and returns 1 when it took it, 0 when not, -1 after a one-line error. The
 * index of the first operand, -1 after --help, -2 after a one-line usage error. */
int cli_report_args(struct report_opts *ro, const char *cmd, const char *help, int argc,
                    char **argv, int (*own)(struct report_opts *ro, int opt, const char *arg));
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cli_main(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_export(int argc, char **argv);       /* export/export_cmd.c */
int cmd_diff(int argc, char **argv);   /* diff/diff_cmd.c */

#endif
