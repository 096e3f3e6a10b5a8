/* The snapshot child's working state: the world it inherited, and memory of its own (mmap,
 * never malloc: the program's heap is what it is looking at). */
#ifndef ATOLL_SNAPSHOT_H
#define ATOLL_SNAPSHOT_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>

#define ATOLL_NONE UINT32_MAX

/* A growable array in anonymous memory. */
struct cvec {
    void *data;
    size_t len, cap, elem;
};

void *cmem_alloc(size_t bytes);
void cmem_free(void *p, size_t bytes);
void *cvec_push(struct cvec *v);
void cvec_init(struct cvec *v, size_t elem);

/* Per pool, where its dumped blocks start in the dump's block order. */
struct pool_index {
    uint32_t first;
    uint16_t prefix[ATOLL_BITMAP_WORDS];      /* dumped blocks in the words before this one */
    uint64_t dumped[ATOLL_BITMAP_WORDS];
};

struct mapping {
    uintptr_t start, end;
    uint32_t module;                  /* ATOLL_NONE if not part of a module */
    uint8_t writable, readable;
    uint64_t offset;
    const char *path;                 /* points into the maps text; "" if anonymous */
};

struct snap {
    unsigned generation;
    /* blocks */
    struct atoll_dump_block *blocks;  /* the dumped blocks, in address order */
    uint32_t nblocks;
    uint32_t nlow_large;              /* large blocks below the region come first */
    struct pool_index *pools;         /* for every pool of the region in use */
    size_t npools;
    struct atoll_large_block *large;  /* all large blocks, sorted by address */
    uint32_t *large_index;            /* their dumped index, or ATOLL_NONE */
    size_t nlarge;
    uint64_t heap_blocks, heap_bytes;
    /* graph */
    struct cvec edges;                /* struct atoll_dump_edge */
    struct cvec roots;                /* struct atoll_dump_root */
    uint64_t words_scanned, root_bytes;
    /* process */
    struct mapping *maps;
    size_t nmaps;
    struct cvec modules;              /* struct atoll_dump_module */
    struct cvec strings;              /* char */
    size_t static_tls;
};

/* scan.c */
int snap_index_blocks(struct snap *s);
uint32_t snap_lookup(const struct snap *s, uintptr_t v);
void snap_scan_range(struct snap *s, uintptr_t lo, uintptr_t hi, uint32_t kind, uint32_t index,
                     uintptr_t tls_lo, uintptr_t tls_hi);
void snap_add_register_root(struct snap *s, uint32_t thread, uint32_t dwarf_reg, uintptr_t v);
void snap_scan_blocks(struct snap *s);
void snap_synthetic_roots(struct snap *s);

/* roots.c */
int snap_read_maps(struct snap *s);
void snap_scan_roots(struct snap *s);
uint32_t snap_add_string(struct snap *s, const char *str, size_t len);

/* graphcount.c */
void snap_count_unreachable(const struct snap *s, uint64_t *blocks, uint64_t *bytes,
                            uint64_t *cycles);

/* dumpwrite.c */
int snap_write_dump(struct snap *s, const char *path, const struct atoll_dump_process *proc,
                    uint64_t *bytes_written);

#endif
