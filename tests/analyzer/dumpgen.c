/* The test dump writer (see dumpgen.h): growable arrays of records, laid out at write time as
 * header, the nine sections in type order at 8-aligned offsets (then OBJECTS, PYCODE, BYTES and LABELS when they
 * have records), then the section table. */
#include "dumpgen.h"

#include <atoll/crc32c.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VEC(T) struct { T *v; size_t n, cap; }

#define PUSH(vec, x)                                                                  \
    do {                                                                              \
        if ((vec).n == (vec).cap) {                                                   \
            (vec).cap = (vec).cap ? (vec).cap * 2 : 64;                               \
            (vec).v = realloc((vec).v, (vec).cap * sizeof *(vec).v);                  \
            if (!(vec).v)                                                             \
                abort();                                                              \
        }                                                                             \
        (vec).v[(vec).n++] = (x);                                                     \
    } while (0)

struct dg {
    struct atoll_dump_process proc;
    VEC(char) strings;
    VEC(struct atoll_dump_module) modules;
    VEC(struct atoll_dump_thread) threads;
    VEC(uint64_t) frames;
    VEC(struct atoll_dump_site) sites;
    VEC(struct atoll_dump_block) blocks;
    VEC(struct atoll_dump_edge) edges;
    VEC(struct atoll_dump_root) roots;
    VEC(struct atoll_dump_object) objects;
    VEC(struct atoll_dump_label) labels;
    VEC(struct atoll_dump_pycode) pycode;
    VEC(uint8_t) bytes;
    VEC(uint32_t) external;
    uint64_t next_address;
};

uint32_t dg_str(struct dg *g, const char *s)
{
    uint32_t off = (uint32_t)g->strings.n;
    do
        PUSH(g->strings, *s);
    while (*s++);
    return off;
}

struct dg *dg_new(void)
{
    struct dg *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    dg_str(g, "");
    g->proc.pid = 4242;
    g->proc.ppid = 1;
    g->proc.time_ns = 1700000000123456789ull;
    g->proc.trigger = ATOLL_DUMP_TRIGGER_EXIT;
    g->proc.generation = 2;
    g->proc.collection = 1;
    g->proc.stack_depth = 16;
    const char *argv[] = {"test-program", "--flag"};
    dg_set_exe(g, "/usr/bin/test-program", 2, argv);
    struct atoll_dump_site unknown = {0, 0};
    PUSH(g->sites, unknown);
    g->next_address = 0x10000000;
    return g;
}

void dg_free(struct dg *g)
{
    if (!g)
        return;
    free(g->strings.v), free(g->modules.v), free(g->threads.v), free(g->frames.v);
    free(g->sites.v), free(g->blocks.v), free(g->edges.v), free(g->roots.v);
    free(g->objects.v);
    free(g->labels.v);
    free(g->pycode.v), free(g->bytes.v);
    free(g->external.v);
    free(g);
}

struct atoll_dump_process *dg_process(struct dg *g)
{
    return &g->proc;
}

void dg_set_exe(struct dg *g, const char *exe, int argc, const char *const *argv)
{
    g->proc.exe = dg_str(g, exe);
    g->proc.argc = (uint32_t)argc;
    g->proc.argv = (uint32_t)g->strings.n;
    for (int i = 0; i < argc; i++)
        dg_str(g, argv[i]);
    if (!argc)
        g->proc.argv = 0;
}

uint32_t dg_module(struct dg *g, const char *path, uint64_t bias, uint64_t start, uint64_t end,
                   const uint8_t *build_id, uint32_t build_id_size)
{
    struct atoll_dump_module m = {bias, start, end, dg_str(g, path), build_id_size, {0}};
    if (build_id_size)
        memcpy(m.build_id, build_id, build_id_size);
    PUSH(g->modules, m);
    return (uint32_t)g->modules.n - 1;
}

uint32_t dg_thread(struct dg *g, uint32_t tid, uint32_t flags)
{
    uint64_t lo = 0x7ff000000000ull + (uint64_t)g->threads.n * 0x100000;
    struct atoll_dump_thread t = {tid, flags, lo, lo + 0x100000, lo + 0x80000};
    PUSH(g->threads, t);
    return (uint32_t)g->threads.n - 1;
}

uint32_t dg_site(struct dg *g, uint32_t n, const uint64_t *frames)
{
    struct atoll_dump_site s = {(uint32_t)g->frames.n, n};
    for (uint32_t i = 0; i < n; i++)
        PUSH(g->frames, frames[i]);
    PUSH(g->sites, s);
    return (uint32_t)g->sites.n - 1;
}

uint32_t dg_block_full(struct dg *g, uint64_t address, uint64_t size, uint64_t seq, uint32_t site,
                       uint8_t generation, uint8_t flags)
{
    struct atoll_dump_block b = {address, size, seq, site, 0, generation, flags, {0}};
    PUSH(g->blocks, b);
    PUSH(g->external, 0);
    uint64_t next = address + ((size + 15) & ~(uint64_t)15) + 16;
    if (next > g->next_address)
        g->next_address = next;
    return (uint32_t)g->blocks.n - 1;
}

uint32_t dg_block(struct dg *g, uint64_t size, uint32_t site)
{
    uint8_t gen = (uint8_t)(g->proc.generation > 2 ? 2 : g->proc.generation);
    return dg_block_full(g, g->next_address, size, g->blocks.n + 1, site, gen, 0);
}

uint64_t dg_block_address(struct dg *g, uint32_t block)
{
    return g->blocks.v[block].address;
}

uint64_t dg_block_size(struct dg *g, uint32_t block)
{
    return g->blocks.v[block].size;
}

uint32_t dg_nblocks(const struct dg *g)
{
    return (uint32_t)g->blocks.n;
}

void dg_edge(struct dg *g, uint32_t from, uint32_t to, uint64_t offset)
{
    struct atoll_dump_edge e = {from, to, offset};
    PUSH(g->edges, e);
}

void dg_root(struct dg *g, uint32_t kind, uint32_t index, uint64_t where, uint32_t target)
{
    struct atoll_dump_root r = {kind, index, where, target, 0};
    PUSH(g->roots, r);
}

void dg_root_stack(struct dg *g, uint32_t target)
{
    if (!g->threads.n)
        dg_thread(g, g->proc.pid, ATOLL_DUMP_THREAD_STOPPED | ATOLL_DUMP_THREAD_MAIN);
    const struct atoll_dump_thread *t = &g->threads.v[0];
    dg_root(g, ATOLL_DUMP_ROOT_STACK, 0, t->sp + 8 * g->roots.n % 0x80000, target);
}

void dg_external(struct dg *g, uint32_t block, uint32_t n)
{
    g->external.v[block] += n;
}

void dg_object(struct dg *g, uint32_t block, uint32_t owner, const char *type, uint64_t refcount,
               uint64_t weak)
{
    /* one string per type name, as the recorder keeps one per type */
    uint32_t name = UINT32_MAX;
    for (size_t i = 0; i < g->objects.n && name == UINT32_MAX; i++)
        if (strcmp(g->strings.v + g->objects.v[i].type, type ? type : "") == 0)
            name = g->objects.v[i].type;
    struct atoll_dump_object o = { .block = block, .owner = owner,
                                   .type = name != UINT32_MAX ? name : dg_str(g, type ? type : ""),
                                   .runtime = ATOLL_DUMP_RUNTIME_CPYTHON,
                                   .offset = owner == block ? 16 : 0, .refcount = refcount,
                                   .weak = weak };
    PUSH(g->objects, o);
}

void dg_label(struct dg *g, uint32_t from, uint64_t offset, uint32_t kind, const char *text,
              uint32_t index)
{
    struct atoll_dump_label l = { .from = from, .kind = kind, .offset = offset,
                                  .text = text ? dg_str(g, text) : 0, .index = index };
    PUSH(g->labels, l);
}

uint64_t dg_pycode(struct dg *g, const char *filename, const char *qualname, int32_t firstlineno,
                   uint32_t version, const uint8_t *table, uint32_t size)
{
    struct atoll_dump_pycode c = { .filename = dg_str(g, filename), .qualname = dg_str(g, qualname),
                                   .firstlineno = firstlineno, .version = version,
                                   .linetable = g->bytes.n, .linetable_size = size };
    for (uint32_t i = 0; i < size; i++)
        PUSH(g->bytes, table[i]);
    PUSH(g->pycode, c);
    return ATOLL_DUMP_FRAME_PYTHON | (uint64_t)(g->pycode.n - 1) << 32;
}

static int edge_cmp(const void *a, const void *b)
{
    const struct atoll_dump_edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

struct layout {
    uint32_t type, record;
    const void *data;
    size_t size;
};

int dg_build(struct dg *g, uint8_t **out, size_t *outlen)
{
    for (size_t i = 1; i < g->edges.n; i++)
        if (edge_cmp(&g->edges.v[i - 1], &g->edges.v[i]) > 0) {
            qsort(g->edges.v, g->edges.n, sizeof *g->edges.v, edge_cmp);
            break;
        }
    for (size_t i = 0; i < g->blocks.n; i++)
        g->blocks.v[i].refcount = g->external.v[i];
    for (size_t i = 0; i < g->edges.n; i++)
        g->blocks.v[g->edges.v[i].to].refcount++;
    for (size_t i = 0; i < g->roots.n; i++)
        g->blocks.v[g->roots.v[i].target].refcount++;
    struct layout all[13] = {
        {1, 96, &g->proc, 96},
        {2, 1, g->strings.v, g->strings.n},
        {3, 64, g->modules.v, g->modules.n * 64},
        {4, 32, g->threads.v, g->threads.n * 32},
        {5, 8, g->frames.v, g->frames.n * 8},
        {6, 8, g->sites.v, g->sites.n * 8},
        {7, 40, g->blocks.v, g->blocks.n * 40},
        {8, 16, g->edges.v, g->edges.n * 16},
        {9, 24, g->roots.v, g->roots.n * 24},
        {10, 32, g->objects.v, g->objects.n * 32},
        {11, 32, g->pycode.v, g->pycode.n * 32},
        {12, 1, g->bytes.v, g->bytes.n},
        {13, 24, g->labels.v, g->labels.n * 24},
    };
    /* the optional sections only when they have records */
    struct layout sec[13];
    int nsec = 0;
    for (int i = 0; i < 13; i++)
        if (i < 9 || all[i].size)
            sec[nsec++] = all[i];
    uint64_t offs[13], pos = 64;
    for (int i = 0; i < nsec; i++) {
        offs[i] = pos;
        pos = (pos + sec[i].size + 7) & ~(uint64_t)7;
    }
    uint64_t table = pos, len = table + (uint64_t)nsec * 32;
    uint8_t *buf = calloc(1, len);
    if (!buf)
        return -1;
    for (int i = 0; i < nsec; i++) {
        if (sec[i].size)
            memcpy(buf + offs[i], sec[i].data, sec[i].size);
        struct atoll_dump_section e = {sec[i].type, sec[i].record, offs[i], sec[i].size, 0, 0};
        memcpy(buf + table + 32 * i, &e, 32);
    }
    struct atoll_dump_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, ATOLL_DUMP_MAGIC, 8);
    h.version = ATOLL_DUMP_VERSION;
    h.header_size = 64;
    h.file_size = len;
    h.section_table_offset = table;
    h.section_count = (uint32_t)nsec;
    h.section_entry_size = 32;
    memcpy(buf, &h, sizeof h);
    dg_recrc(buf, len);
    *out = buf;
    *outlen = len;
    return 0;
}

void dg_recrc(uint8_t *buf, size_t len)
{
    struct atoll_dump_header h;
    memcpy(&h, buf, sizeof h);
    bool table_fits = h.section_table_offset <= len &&
                      (uint64_t)h.section_count * 32 <= len - h.section_table_offset;
    for (uint32_t i = 0; table_fits && i < h.section_count; i++) {
        struct atoll_dump_section e;
        uint8_t *ep = buf + h.section_table_offset + 32 * i;
        memcpy(&e, ep, sizeof e);
        if (e.offset <= len && e.size <= len - e.offset) {
            e.crc = atoll_crc32c(buf + e.offset, e.size);
            memcpy(ep, &e, sizeof e);
        }
    }
    if (table_fits)
        h.table_crc = atoll_crc32c(buf + h.section_table_offset, (size_t)h.section_count * 32);
    memcpy(buf, &h, sizeof h);
    h.header_crc = atoll_crc32c(buf, 44);
    memcpy(buf, &h, sizeof h);
}

struct atoll_dump_section *dg_section_entry(uint8_t *buf, uint32_t type)
{
    struct atoll_dump_header *h = (struct atoll_dump_header *)buf;
    for (uint32_t i = 0; i < h->section_count; i++) {
        struct atoll_dump_section *e =
            (struct atoll_dump_section *)(buf + h->section_table_offset + 32 * i);
        if (e->type == type)
            return e;
    }
    return NULL;
}

uint8_t *dg_section(uint8_t *buf, uint32_t type, uint64_t *size, uint64_t *offset)
{
    struct atoll_dump_section *e = dg_section_entry(buf, type);
    if (size)
        *size = e->size;
    if (offset)
        *offset = e->offset;
    return buf + e->offset;
}

int dg_write_buf(const uint8_t *buf, size_t len, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(buf, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

int dg_write(struct dg *g, const char *path)
{
    uint8_t *buf;
    size_t len;
    if (dg_build(g, &buf, &len))
        return -1;
    int rc = dg_write_buf(buf, len, path);
    free(buf);
    return rc;
}
