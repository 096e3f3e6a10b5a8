/* A dump writer for the analyzer's tests and benchmarks: build a heap graph (blocks with
 * sites and sizes, edges with offsets, roots, modules, threads, frames, Python code, labels) and
 * write it as a version-2 dump per docs/dump-format.md. Refcounts are computed: in-edges +
 * roots + the references from outside the dump that dg_external() adds. */
#ifndef DUMPGEN_H
#define DUMPGEN_H

#include <atoll/dump.h>
#include <stddef.h>
#include <stdint.h>

struct dg;

struct dg *dg_new(void);
void dg_free(struct dg *g);
struct atoll_dump_process *dg_process(struct dg *g);
uint32_t dg_str(struct dg *g, const char *s);
void dg_set_exe(struct dg *g, const char *exe, int argc, const char *const *argv);
uint32_t dg_module(struct dg *g, const char *path, uint64_t bias, uint64_t start, uint64_t end,
                   const uint8_t *build_id, uint32_t build_id_size);
uint32_t dg_thread(struct dg *g, uint32_t tid, uint32_t flags);
/* A site of depth n (site 0, the unknown site, exists from the start). */
uint32_t dg_site(struct dg *g, uint32_t n, const uint64_t *frames);
/* A block after the previous one (addresses ascend), seq = its number from 1. */
uint32_t dg_block(struct dg *g, uint64_t size, uint32_t site);
uint32_t dg_block_full(struct dg *g, uint64_t address, uint64_t size, uint64_t seq, uint32_t site,
                       uint8_t generation, uint8_t flags);
uint64_t dg_block_address(struct dg *g, uint32_t block);
uint64_t dg_block_size(struct dg *g, uint32_t block);
void dg_edge(struct dg *g, uint32_t from, uint32_t to, uint64_t offset);
void dg_root(struct dg *g, uint32_t kind, uint32_t index, uint64_t where, uint32_t target);
/* A stack root of thread 0 (created on first use). */
void dg_root_stack(struct dg *g, uint32_t target);
/* n references to block from outside the dumped set (older generations). */
void dg_external(struct dg *g, uint32_t block, uint32_t n);
uint32_t dg_nblocks(const struct dg *g);
/* An OBJECTS record (add them in block order): a CPython object at offset 16 when owner ==
 * block, else a block owner owns. */
void dg_object(struct dg *g, uint32_t block, uint32_t owner, const char *type, uint64_t refcount,
               uint64_t weak);
/* A LABELS record (add them in (from, offset) order; text NULL for an index). */
void dg_label(struct dg *g, uint32_t from, uint64_t offset, uint32_t kind, const char *text,
              uint32_t index);

/* A PYCODE record with its line table in BYTES; returns the Python frame of it at instruction
 * 0 (add the instruction's byte offset). */
uint64_t dg_pycode(struct dg *g, const char *filename, const char *qualname, int32_t firstlineno,
                   uint32_t version, const uint8_t *table, uint32_t size);

/* The dump in a malloc'ed (16-aligned) buffer. */
int dg_build(struct dg *g, uint8_t **buf, size_t *len);
int dg_write(struct dg *g, const char *path);
int dg_write_buf(const uint8_t *buf, size_t len, const char *path);

/* Editing built dumps, for the validation tests. */
uint8_t *dg_section(uint8_t *buf, uint32_t type, uint64_t *size, uint64_t *offset);
struct atoll_dump_section *dg_section_entry(uint8_t *buf, uint32_t type);
/* Recomputes every section CRC, the table CRC and the header CRC. */
void dg_recrc(uint8_t *buf, size_t len);

/* Named scenarios with known answers (scenarios.c); NULL for an unknown name. */
struct dg *scenario(const char *name);
/* A random graph for benchmarks: n blocks, about 3 edges each, some cycles leaked. */
struct dg *scenario_random(uint32_t n, uint64_t seed);

#endif
