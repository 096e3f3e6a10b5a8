/* The snapshot child's working state: the world it inherited, and memory of its own (mmap,
 * never malloc: the program's heap is what it is looking at). */
#ifndef ATOLL_SNAPSHOT_H
#define ATOLL_SNAPSHOT_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ATOLL_NONE UINT32_MAX
#define LAYOUT_MAX 8

struct layout;

/* A growable array in anonymous memory. */
struct cvec {
    void *data;
    size_t len, cap, elem;
};

void *cmem_alloc(size_t bytes);
void cmem_free(void *p, size_t bytes);
void cmem_recycle(void *p, size_t bytes);
void *cmem_reuse(size_t bytes);
void *cvec_grow(struct cvec *v);

/* A new element at the end, or NULL when out of memory. */
static inline void *cvec_push(struct cvec *v)
{
    if (v->len == v->cap)
        return cvec_grow(v);
    return (char *)v->data + v->len++ * v->elem;
}
void cvec_init(struct cvec *v, size_t elem);

/* A lookup reads two tables. Per pool, its geometry (8 bytes: the table of a 300 MB heap stays
 * in the L2 cache). Per 64 block slots of a pool, which are dumped and the dump index of the
 * first of them (one cache line, the lookup's one miss before the block's own entry). */
struct pool_geom {
    uint32_t inv;                     /* the pool's reciprocal of bsize */
    uint16_t bsize;                   /* 0: the pool holds no dumped block */
};

struct dumped_word {
    uint64_t bits;                    /* slot i of this word is dumped */
    uint32_t first;                   /* dump index of the lowest dumped slot */
} __attribute__((aligned(16)));

/* Per dumped block, what the scan touches for each reference to it, in 16 bytes so that a
 * reference costs one cache miss. refcount = external + internal. */
struct block_refs {
    uint32_t limit;                   /* requested size (1 for size 0), clamped to 2^32 - 1 */
    uint32_t external;                /* references from roots and from blocks not dumped */
    uint32_t internal;                /* EDGES into it */
    uint32_t out;                     /* EDGES from it */
};

/* block_refs.limit: the requested size (clamped), or, for a block a runtime layout recognised
 * (objects.c), its role: an object, to which only a pointer to its start (at the offset in the
 * low bits) is a reference; or a block an object owns, to which only its owner's pointer is.
 * A dead object (count 0: on a free list) references no live-counted object. */
#define SNAP_ROLE_OBJECT 0x80000000u
#define SNAP_ROLE_OWNED 0x40000000u
#define SNAP_ROLE_DEAD 0x20000000u
#define SNAP_LIMIT_MASK 0x1fffffffu

/* A recognised block: an object, or a block an object owns. */
struct snap_object {
    uint32_t block;
    uint32_t owner;                   /* the object's block; ATOLL_NONE: claimed twice, dropped */
    uint32_t type;                    /* string offset */
    uint16_t runtime, offset;
    uint64_t refcount, weak;
    uint64_t skip;                    /* bit k: word k of the block is not a reference */
    uint64_t scan_bytes;              /* the words of [0, scan_bytes) are scanned */
};

/* The live blocks of a pool, in address order. */
struct live_iter {
    const struct atoll_pool *p;
    unsigned w;
    uint64_t bits;
};

static inline void live_begin(struct live_iter *it, const struct atoll_pool *p)
{
    it->p = p;
    it->w = 0;
    it->bits = p->live[0];
}

/* The next live block's index, or -1. */
static inline int live_next(struct live_iter *it)
{
    for (;;) {
        while (!it->bits) {
            if (++it->w >= ATOLL_BITMAP_WORDS)
                return -1;
            it->bits = it->p->live[it->w];
        }
        unsigned b = (unsigned)__builtin_ctzll(it->bits);
        it->bits &= it->bits - 1;
        unsigned idx = it->w * 64 + b;
        if (idx < it->p->carved)
            return (int)idx;
    }
}

struct mapping {
    uintptr_t start, end;
    uint32_t module;                  /* ATOLL_NONE if not part of a module */
    uint8_t writable, readable;
    uint64_t offset;
    const char *path;                 /* points into the maps text; "" if anonymous */
};

#define DUMP_SECTIONS 14                /* the most a dump has: one of each type */

/* cthread.c: a thread of the snapshot child */
struct cthread {
    uint32_t tid;                     /* 0 once it has exited */
    void *stack;
};
int cthread_useful(void);
int cthread_start(struct cthread *t, int (*fn)(void *), void *arg);
void cthread_join(struct cthread *t);
void cthread_wait(uint32_t *word, uint32_t seen);
void cthread_wake(uint32_t *word);

#define DUMP_BUFFERS 4

struct dump_job {
    size_t len;
    uint64_t offset;
};

/* The thread that writes the dump's full buffers, in turn, while the child fills the next. */
struct dump_writer {
    struct cthread thread;
    uint32_t posted, done;            /* buffers handed over, buffers written */
    uint32_t stop;
    int failed;                       /* errno of the thread's first failed write */
    struct dump_job jobs[DUMP_BUFFERS];
};

/* The dump file being written: sections stream through an aligned buffer. */
struct dump_out {
    int fd;
    int failed;                       /* errno of the first failure */
    uint64_t pos;                     /* bytes put so far */
    uint64_t flushed;                 /* file offset of buf[0] */
    size_t fill;
    size_t crc_from;                  /* bytes of buf not yet in the open section's CRC */
    char *buf;                        /* the buffer being filled: one of bufs */
    char *bufs[DUMP_BUFFERS];
    size_t chunk;                     /* bytes of each buffer */
    char *head;                       /* the file's first page, as first written */
    struct dump_writer writer;        /* no thread: buffers are written in turn */
    struct atoll_dump_section secs[DUMP_SECTIONS];
    unsigned nsecs;
};

/* An edge the scan helper found: its source is implied by the order (scan.c). */
struct snap_tail_edge {
    uint32_t to;
    uint32_t word;                    /* the pointer's offset in its source, in words */
};

struct snap_extent {
    uintptr_t address;
    uint64_t size;
};

/* The LABELS being made (labels.c): records in (from, offset) order, their texts deduplicated
 * in STRINGS through a hash table of string offsets. */
struct snap_labels {
    struct snap_extent *extent;       /* per OBJECTS record: where its block lies */
    struct cvec recs;                 /* struct atoll_dump_label */
    uint32_t *slots;                  /* string offsets, 0: free */
    size_t cap, used;
    uint64_t text_bytes;              /* distinct text added to STRINGS */
    uint32_t block;                   /* the block being labelled: its index, where it lies */
    uintptr_t base;
    uint64_t size;
    size_t block_first;               /* its first record */
};

struct snap {
    unsigned generation;
    /* blocks, in the dump's order (address order) */
    uint32_t nblocks;
    uint64_t bytes;                   /* their requested sizes */
    struct block_refs *refs;
    uint8_t *dead;                    /* set by snap_count_unreachable */
    struct pool_geom *geom;           /* for every pool of the region in use */
    struct dumped_word *words;        /* ATOLL_BITMAP_WORDS per pool */
    size_t npools;
    struct atoll_large_block *large;  /* all large blocks, sorted by address */
    uint32_t *large_index;            /* their dumped index, or ATOLL_NONE */
    size_t nlarge;
    size_t high_large;                /* the first of them above the region (dumped last) */
    uintptr_t large_lo, large_span;   /* [lo, lo + span) holds every large block */
    uint64_t heap_blocks, heap_bytes;
    /* graph */
    struct dump_out *out;             /* edges go straight to the dump */
    uint64_t nedges;
    struct cvec to;                   /* uint32_t: the edges' targets, for the counts */
    const struct snap_tail_edge *tail; /* then the scan helper's edges (scan.c) */
    size_t ntail;
    uint32_t tail_first;              /* the first block of the helper's part */
    struct cvec roots;                /* struct atoll_dump_root */
    uint64_t words_scanned, root_bytes;
    /* objects of refcounting runtimes (objects.c) */
    struct cvec objects;              /* struct snap_object */
    uint32_t *object_of;              /* per block: index into objects, or ATOLL_NONE */
    uint64_t max_refs;                /* words of the heap and of writable mappings */
    struct cvec claims;               /* struct snap_claim: owned blocks, before they are checked */
    struct layout *layouts[LAYOUT_MAX]; /* the runtimes found in the process */
    unsigned nlayouts;
    struct snap_labels labels;        /* labels.c */
    /* process */
    struct mapping *maps;
    size_t nmaps;
    struct cvec modules;              /* struct atoll_dump_module */
    struct cvec strings;              /* char */
    size_t static_tls;
};

/* index.c */
int snap_index_blocks(struct snap *s);
uint32_t snap_lookup(const struct snap *s, uintptr_t v);
/* The dumped block that the word v of block `from` references, under the scan's rules. */
uint32_t snap_reference(const struct snap *s, uint32_t from, uintptr_t v);
/* v must lie in [large_lo, large_lo + large_span). */
uint32_t snap_lookup_large(const struct snap *s, uintptr_t v, uint32_t *delta);
void snap_add_root(struct snap *s, uint32_t kind, uint32_t index, uint64_t where, uint32_t t);
void snap_write_blocks(struct snap *s, struct dump_out *w);
uint64_t snap_dead_bytes(struct snap *s, uint64_t dead_blocks);

/* A dumped block, as its metadata describes it. */
struct snap_block {
    uint32_t t;                       /* its dump index */
    uintptr_t address;
    uint64_t size, stamp;
    uint32_t site, flags;
};
typedef void snap_block_fn(struct snap *s, const struct snap_block *b, void *arg);
/* Calls fn for every dumped block, in the dump's order. */
void snap_each_block(struct snap *s, snap_block_fn *fn, void *arg);
/* The dumped block v points into (ATOLL_NONE if none) and how far into it, ignoring roles. */
uint32_t snap_find_block(const struct snap *s, uintptr_t v, uint64_t *delta);

/* stackframes.c: each stopped thread's frames (struct atoll_dump_stackframe) into out */
void snap_stackframes(const struct snap *s, struct cvec *out);

/* elfsym.c */
int snap_readable(const struct snap *s, uintptr_t lo, uintptr_t hi);
uintptr_t snap_symbol(const struct snap *s, const char *name, uint32_t *module);
uintptr_t snap_module_symbol(const struct snap *s, uint32_t module, const char *name);

/* cpython/codetable.c: the code objects Python frames name */
uint32_t *snap_add_pycode_strings(struct snap *s, uint32_t *count);
void snap_write_pycode(struct dump_out *w, const uint32_t *off, uint32_t count);

/* objects.c */
void snap_find_objects(struct snap *s);
struct snap_object *snap_add_object(struct snap *s, uint32_t t, uint16_t runtime, uint16_t offset,
                                    uint64_t refcount, uint32_t type);
void snap_claim(struct snap *s, uint32_t owner, uintptr_t pointer, uint64_t scan_bytes);
void snap_fold(struct snap *s, uint32_t owner, uintptr_t object);
void snap_write_objects(struct snap *s, struct dump_out *w);

/* Whether block t's words are a recognised object's or an owned block's. */
static inline int snap_recognised(const struct snap *s, uint32_t t)
{
    return s->refs[t].limit > SNAP_LIMIT_MASK;
}

/* Whether a word pointing delta bytes into block `to` (whose limit has a role) is a reference
 * from block `from` (ATOLL_NONE: a root). An owned block is referenced by its owner, or by
 * another block of the same owner (a folded __dict__ holds its table). */
static inline int snap_role_accepts(const struct snap *s, uint32_t from, uint32_t to,
                                    uint32_t delta, uint32_t limit)
{
    if (limit & SNAP_ROLE_OBJECT)
        return delta == (limit & SNAP_LIMIT_MASK) &&
               ((limit & SNAP_ROLE_DEAD) || from == ATOLL_NONE ||
                !(s->refs[from].limit & SNAP_ROLE_DEAD));
    const struct snap_object *o = s->objects.data;
    uint32_t owner = o[s->object_of[to]].owner;
    return delta < (limit & SNAP_LIMIT_MASK) && from != ATOLL_NONE &&
           (owner == from ||
            (snap_recognised(s, from) && o[s->object_of[from]].owner == owner));
}

/* scan.c */
void snap_scan_range(struct snap *s, uintptr_t lo, uintptr_t hi, uint32_t kind, uint32_t index,
                     uintptr_t tls_lo, uintptr_t tls_hi);
void snap_add_register_root(struct snap *s, uint32_t thread, uint32_t dwarf_reg, uintptr_t v);
void snap_scan_blocks(struct snap *s);
void snap_write_tail(struct snap *s);

/* cpython/datastack.c: the dead parts of the Python threads' data stacks, [lo, hi) each, up
 * to max; how many */
unsigned snap_python_dead_stacks(const struct snap *s, uintptr_t (*out)[2], unsigned max);

/* roots.c */
int snap_read_maps(struct snap *s);
void snap_scan_roots(struct snap *s);
uint32_t snap_add_string(struct snap *s, const char *str, size_t len);

/* The target of the k-th edge, in the dump's order. */
static inline uint32_t snap_edge_target(const struct snap *s, uint64_t k)
{
    return k < s->to.len ? ((const uint32_t *)s->to.data)[k] : s->tail[k - s->to.len].to;
}

/* graphcount.c */
struct snap_counts {
    uint64_t blocks, cycles, refcount_leaks;
    uint64_t own_blocks, own_cycles, own_refcount_leaks;    /* what the exit line counts */
};
int snap_count_unreachable(struct snap *s, struct snap_counts *c);

/* labels.c */
void snap_find_labels(struct snap *s);
void snap_label(struct snap *s, uintptr_t where, uint32_t kind, const char *text, size_t len,
                uint32_t index);
void snap_write_labels(struct snap *s, struct dump_out *w);
/* During the label pass: where recognised block t lies, and whether any of [*lo, *hi) is in
 * the block being labelled (clipped to it). */
uintptr_t snap_recognised_at(const struct snap *s, uint32_t t, uint64_t *size);
int snap_label_window(const struct snap *s, uintptr_t *lo, uintptr_t *hi);

/* dumpwrite.c */
int dump_out_open(struct dump_out *w, const char *path);
void dump_out_begin(struct dump_out *w, uint32_t type, uint32_t record_size);
void dump_out_put_slow(struct dump_out *w, const void *data, size_t n);
void dump_out_end(struct dump_out *w);
int snap_write_dump(struct snap *s, struct dump_out *w, const char *path,
                    const struct atoll_dump_process *proc, uint64_t *bytes_written);
void dump_out_abandon(struct dump_out *w, const char *path);

/* Bits set, inline: without -mpopcnt (Debian's baseline has no POPCNT) the builtin is a call
 * into libgcc, once per reference. */
static inline uint32_t snap_popcount(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

/* Where the dumped-ness of the block slot v falls into is recorded (*word, *bit), and how far
 * past the slot's start v points; 0 if v is not inside a pool of dumped blocks. */
static inline int snap_slot(const struct snap *s, uintptr_t v, const struct dumped_word **word,
                            uint64_t *bit, uint32_t *delta)
{
    uintptr_t off = v - atoll_g.base;
    size_t pi = off >> ATOLL_POOL_SHIFT;
    if (off >= atoll_g.size || pi >= s->npools)
        return 0;
    struct pool_geom g = s->geom[pi];
    if (!g.bsize)
        return 0;
    uint32_t in_pool = (uint32_t)(off & ATOLL_POOL_MASK);
    unsigned i = (unsigned)(((uint64_t)in_pool * g.inv) >> 32);
    if (i >= ATOLL_MAX_BLOCKS)
        return 0;
    *word = &s->words[pi * ATOLL_BITMAP_WORDS + i / 64];
    *bit = (uint64_t)1 << (i % 64);
    *delta = in_pool - i * g.bsize;
    return 1;
}

/* The dump index of the slot, or ATOLL_NONE if it is not dumped. */
static inline uint32_t snap_slot_block(const struct dumped_word *word, uint64_t bit)
{
    if (!(word->bits & bit))
        return ATOLL_NONE;
    return word->first + snap_popcount(word->bits & (bit - 1));
}

/* The dump's buffer memory: one buffer, or DUMP_BUFFERS with a writer thread. */
#define DUMP_BYTES ((size_t)8 << 20)

static inline void dump_out_put(struct dump_out *w, const void *data, size_t n)
{
    if (n < w->chunk - w->fill) {
        memcpy(w->buf + w->fill, data, n);
        w->fill += n;
        w->pos += n;
    } else {
        dump_out_put_slow(w, data, n);
    }
}

#endif
