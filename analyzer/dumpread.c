/* The dump reader: maps a dump read-only and checks every rule of docs/dump-format.md
 * ("Validity") before anything else looks at it. Every size comes from the file, so each is
 * checked against the file's real size before it is used; the only allocation is one u32 per
 * block (bounded by the file size), so a hostile file costs at most time linear in its size. */
#include "analyzer.h"

#include <atoll/crc32c.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NSECTIONS 14
#define REQUIRED_SECTIONS 9                 /* OBJECTS, PYCODE, BYTES and LABELS may be absent */

static const uint32_t record_sizes[NSECTIONS + 1] = {0, 96, 1, 64, 32, 8, 8, 40, 16, 24, 32, 32,
                                                     1, 24, 24};

static const char *const section_names[NSECTIONS + 1] = {
    "?", "PROCESS", "STRINGS", "MODULES", "THREADS", "FRAMES", "SITES", "BLOCKS", "EDGES", "ROOTS",
    "OBJECTS", "PYCODE", "BYTES", "LABELS", "STACKFRAMES",
};

const char *dump_section_name(uint32_t type)
{
    return type >= 1 && type <= NSECTIONS ? section_names[type] : "?";
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

const char *dump_string(const struct dump *d, uint32_t off)
{
    return d->strings + off;
}

static bool string_ok(const struct dump *d, uint32_t off)
{
    return off < d->strings_size && memchr(d->strings + off, 0, d->strings_size - off) != NULL;
}

static int check_header(const uint8_t *p, size_t size, char *err, size_t errlen)
{
    struct atoll_dump_header h;
    if (size < sizeof h)
        return fail(err, errlen, "truncated: %zu bytes, smaller than the 64-byte header", size);
    memcpy(&h, p, sizeof h);
    if (memcmp(h.magic, ATOLL_DUMP_MAGIC, 8) != 0)
        return fail(err, errlen, "not an atoll dump (bad magic)");
    if (h.version < ATOLL_DUMP_VERSION_MIN || h.version > ATOLL_DUMP_VERSION)
        return fail(err, errlen, "unsupported dump version %u (this atoll reads versions %d to %d)",
                    h.version, ATOLL_DUMP_VERSION_MIN, ATOLL_DUMP_VERSION);
    if (atoll_crc32c(p, 44) != h.header_crc)
        return fail(err, errlen, "header CRC mismatch");
    if (h.header_size != sizeof h)
        return fail(err, errlen, "header_size is %u, expected 64", h.header_size);
    if (h.file_size != size)
        return fail(err, errlen, "file size mismatch: header says %llu bytes, file has %zu",
                    (unsigned long long)h.file_size, size);
    if (h.section_entry_size != sizeof(struct atoll_dump_section))
        return fail(err, errlen, "section_entry_size is %u, expected 32", h.section_entry_size);
    if (h.section_table_offset > size ||
        (uint64_t)h.section_count * 32 > size - h.section_table_offset)
        return fail(err, errlen, "section table (%u entries at %llu) lies outside the file",
                    h.section_count, (unsigned long long)h.section_table_offset);
    if (atoll_crc32c(p + h.section_table_offset, (size_t)h.section_count * 32) != h.table_crc)
        return fail(err, errlen, "section table CRC mismatch");
    return 0;
}

/* Finds the sections and checks their bounds, record sizes and CRCs. */
static int check_sections(const uint8_t *p, size_t size, struct atoll_dump_section *sec,
                          char *err, size_t errlen)
{
    struct atoll_dump_header h;
    memcpy(&h, p, sizeof h);
    bool seen[NSECTIONS + 1] = {false};
    for (uint32_t i = 0; i < h.section_count; i++) {
        struct atoll_dump_section e;
        memcpy(&e, p + h.section_table_offset + (uint64_t)i * 32, sizeof e);
        if (e.type < 1 || e.type > NSECTIONS)
            continue;
        const char *name = section_names[e.type];
        if (seen[e.type])
            return fail(err, errlen, "section %s appears twice", name);
        seen[e.type] = true;
        if (e.offset > size || e.size > size - e.offset)
            return fail(err, errlen, "section %s (%llu bytes at %llu) lies outside the file", name,
                        (unsigned long long)e.size, (unsigned long long)e.offset);
        if (e.offset % 8)
            return fail(err, errlen, "section %s is not 8-aligned (offset %llu)", name,
                        (unsigned long long)e.offset);
        if (e.record_size != record_sizes[e.type])
            return fail(err, errlen, "section %s has record size %u, expected %u", name,
                        e.record_size, record_sizes[e.type]);
        if (e.size % e.record_size)
            return fail(err, errlen, "section %s size %llu is not a multiple of %u", name,
                        (unsigned long long)e.size, e.record_size);
        if (e.size / e.record_size >= UINT32_MAX)
            return fail(err, errlen, "section %s has too many records", name);
        if (atoll_crc32c(p + e.offset, e.size) != e.crc)
            return fail(err, errlen, "section %s CRC mismatch", name);
        sec[e.type] = e;
    }
    for (uint32_t t = 1; t <= REQUIRED_SECTIONS; t++)
        if (!seen[t])
            return fail(err, errlen, "section %s is missing", section_names[t]);
    return 0;
}

static int check_process(struct dump *d, char *err, size_t errlen)
{
    const struct atoll_dump_process *pr = d->proc;
    if (pr->generation > 2)
        return fail(err, errlen, "PROCESS: generation %u is not 0, 1 or 2", pr->generation);
    if (!string_ok(d, pr->exe))
        return fail(err, errlen, "PROCESS: exe string %u lies outside STRINGS", pr->exe);
    uint64_t off = pr->argv;
    for (uint32_t i = 0; i < pr->argc; i++) {
        if (off > UINT32_MAX || !string_ok(d, (uint32_t)off))
            return fail(err, errlen, "PROCESS: argv[%u] lies outside STRINGS", i);
        off += strlen(d->strings + off) + 1;
    }
    return 0;
}

/* Each thread's frames in a row, depth 0 up, their CFAs rising. */
static int check_stackframes(const struct dump *d, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < d->nstackframes; i++) {
        const struct atoll_dump_stackframe *f = &d->stackframes[i], *p = f - 1;
        if (f->thread >= d->nthreads)
            return fail(err, errlen, "STACKFRAMES[%u]: thread %u is not a THREADS index", i,
                        f->thread);
        bool next = i > 0 && p->thread == f->thread;
        if (next ? f->depth != p->depth + 1 || f->cfa <= p->cfa
                 : f->depth != 0 || (i > 0 && p->thread > f->thread))
            return fail(err, errlen, "STACKFRAMES[%u]: out of order", i);
    }
    return 0;
}

static int check_tables(struct dump *d, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < d->nmodules; i++)
        if (!string_ok(d, d->modules[i].path))
            return fail(err, errlen, "MODULES[%u]: path string %u lies outside STRINGS", i,
                        d->modules[i].path);
        else if (d->modules[i].build_id_size > 32)
            return fail(err, errlen, "MODULES[%u]: build_id_size %u is over 32", i,
                        d->modules[i].build_id_size);
    for (uint32_t i = 0; i < d->nsites; i++) {
        const struct atoll_dump_site *s = &d->sites[i];
        if ((uint64_t)s->first_frame + s->depth > d->nframes)
            return fail(err, errlen, "SITES[%u]: frames %u..%llu lie outside FRAMES (%u)", i,
                        s->first_frame, (unsigned long long)s->first_frame + s->depth,
                        d->nframes);
    }
    for (uint32_t i = 0; i < d->npycode; i++) {
        const struct atoll_dump_pycode *c = &d->pycode[i];
        if (!string_ok(d, c->filename) || !string_ok(d, c->qualname))
            return fail(err, errlen, "PYCODE[%u]: a string lies outside STRINGS", i);
        if (c->linetable > d->bytes_size || c->linetable_size > d->bytes_size - c->linetable)
            return fail(err, errlen, "PYCODE[%u]: the line table lies outside BYTES", i);
    }
    for (uint32_t i = 0; i < d->nframes; i++)
        if ((d->frames[i] & ATOLL_DUMP_FRAME_PYTHON) &&
            ((d->frames[i] & ~ATOLL_DUMP_FRAME_PYTHON) >> 32) >= d->npycode)
            return fail(err, errlen, "FRAMES[%u]: Python frame of code %llu, not a PYCODE index",
                        i, (unsigned long long)((d->frames[i] & ~ATOLL_DUMP_FRAME_PYTHON) >> 32));
    return check_stackframes(d, err, errlen);
}

/* Labels sorted by (from, offset), each naming a string of the dump and labelling an edge
 * (EDGES are sorted the same way: one walk through both). */
static int check_labels(const struct dump *d, char *err, size_t errlen)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < d->nlabels; i++) {
        const struct atoll_dump_label *l = &d->labels[i];
        if (l->from >= d->nblocks)
            return fail(err, errlen, "LABELS[%u]: from %u is not a BLOCKS index", i, l->from);
        if (i && (l->from < d->labels[i - 1].from ||
                  (l->from == d->labels[i - 1].from && l->offset <= d->labels[i - 1].offset)))
            return fail(err, errlen, "LABELS[%u]: not sorted by (from, offset)", i);
        if (l->kind < ATOLL_DUMP_LABEL_ATTRIBUTE || l->kind > ATOLL_DUMP_LABEL_OTHER)
            return fail(err, errlen, "LABELS[%u]: unknown kind %u", i, l->kind);
        if (!string_ok(d, l->text))
            return fail(err, errlen, "LABELS[%u]: text string %u lies outside STRINGS", i, l->text);
        while (j < d->nedges && (d->edges[j].from < l->from ||
                                 (d->edges[j].from == l->from && d->edges[j].offset < l->offset)))
            j++;
        if (j == d->nedges || d->edges[j].from != l->from || d->edges[j].offset != l->offset)
            return fail(err, errlen, "LABELS[%u]: no EDGES record from %u at offset %llu", i,
                        l->from, (unsigned long long)l->offset);
    }
    return 0;
}

static int check_blocks(struct dump *d, char *err, size_t errlen)
{
    uint64_t prev_end = 0;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        const struct atoll_dump_block *b = &d->blocks[i];
        if (i && b->address < d->blocks[i - 1].address)
            return fail(err, errlen, "BLOCKS[%u]: not sorted by address", i);
        if (i && b->address < prev_end)
            return fail(err, errlen, "BLOCKS[%u]: overlaps the previous block", i);
        if (b->size > UINT64_MAX - b->address)
            return fail(err, errlen, "BLOCKS[%u]: address + size overflows", i);
        if (b->site >= d->nsites)
            return fail(err, errlen, "BLOCKS[%u]: site %u is not a SITES index (%u sites)", i,
                        b->site, d->nsites);
        if (b->generation > 2)
            return fail(err, errlen, "BLOCKS[%u]: generation %u is not 0, 1 or 2", i,
                        b->generation);
        prev_end = b->address + b->size;
    }
    return 0;
}

static int check_edges(struct dump *d, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < d->nedges; i++) {
        const struct atoll_dump_edge *e = &d->edges[i];
        if (e->from >= d->nblocks)
            return fail(err, errlen, "EDGES[%u]: from %u is not a BLOCKS index", i, e->from);
        if (e->to >= d->nblocks)
            return fail(err, errlen, "EDGES[%u]: to %u is not a BLOCKS index", i, e->to);
        if (i && (e->from < d->edges[i - 1].from ||
                  (e->from == d->edges[i - 1].from && e->offset < d->edges[i - 1].offset)))
            return fail(err, errlen, "EDGES[%u]: not sorted by (from, offset)", i);
        uint64_t sz = d->blocks[e->from].size;
        if (sz < 8 || e->offset > sz - 8)
            return fail(err, errlen, "EDGES[%u]: offset %llu + 8 is past the size %llu of block %u",
                        i, (unsigned long long)e->offset, (unsigned long long)sz, e->from);
        d->indeg[e->to]++;
    }
    return 0;
}

static int check_roots(struct dump *d, uint32_t *rootin, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < d->nroots; i++) {
        const struct atoll_dump_root *r = &d->roots[i];
        if (r->target >= d->nblocks)
            return fail(err, errlen, "ROOTS[%u]: target %u is not a BLOCKS index", i, r->target);
        switch (r->kind) {
        case ATOLL_DUMP_ROOT_STACK:
        case ATOLL_DUMP_ROOT_REGISTER:
        case ATOLL_DUMP_ROOT_TLS:
            if (r->index >= d->nthreads)
                return fail(err, errlen, "ROOTS[%u]: thread %u is not a THREADS index", i,
                            r->index);
            break;
        case ATOLL_DUMP_ROOT_GLOBAL:
            if (r->index >= d->nmodules)
                return fail(err, errlen, "ROOTS[%u]: module %u is not a MODULES index", i,
                            r->index);
            break;
        case ATOLL_DUMP_ROOT_MAPPING:
        case ATOLL_DUMP_ROOT_LOADER:
        case ATOLL_DUMP_ROOT_IGNORED:
            break;
        default:
            return fail(err, errlen, "ROOTS[%u]: unknown kind %u", i, r->kind);
        }
        rootin[r->target]++;
    }
    for (uint32_t i = 0; i < d->nblocks; i++) {
        uint64_t seen = (uint64_t)d->indeg[i] + rootin[i];
        if (d->blocks[i].refcount < seen)
            return fail(err, errlen,
                        "BLOCKS[%u]: refcount %u is below its %llu references (edges and roots)",
                        i, d->blocks[i].refcount, (unsigned long long)seen);
    }
    return 0;
}

/* Objects sorted by block, each owned block owned by an object of the dump. */
static int check_objects(struct dump *d, char *err, size_t errlen)
{
    if (!d->nobjects)
        return 0;
    d->object_of = an_malloc(((size_t)d->nblocks + 1) * sizeof *d->object_of);
    if (!d->object_of)
        return fail(err, errlen, "out of memory for %u blocks", d->nblocks);
    memset(d->object_of, 0xff, ((size_t)d->nblocks + 1) * sizeof *d->object_of);
    for (uint32_t i = 0; i < d->nobjects; i++) {
        const struct atoll_dump_object *o = &d->objects[i];
        if (o->block >= d->nblocks)
            return fail(err, errlen, "OBJECTS[%u]: block %u is not a BLOCKS index", i, o->block);
        if (i && o->block <= d->objects[i - 1].block)
            return fail(err, errlen, "OBJECTS[%u]: not sorted by block", i);
        if (o->runtime < ATOLL_DUMP_RUNTIME_CPYTHON || o->runtime > ATOLL_DUMP_RUNTIME_ANNOTATED)
            return fail(err, errlen, "OBJECTS[%u]: unknown runtime %u", i, o->runtime);
        if (!string_ok(d, o->type))
            return fail(err, errlen, "OBJECTS[%u]: type string %u lies outside STRINGS", i,
                        o->type);
        if (o->block == o->owner && o->offset >= (d->blocks[o->block].size | 1))
            return fail(err, errlen, "OBJECTS[%u]: offset %u is past the block's size", i,
                        o->offset);
        d->object_of[o->block] = i;
    }
    for (uint32_t i = 0; i < d->nobjects; i++) {
        const struct atoll_dump_object *o = &d->objects[i];
        uint32_t k = o->owner < d->nblocks ? d->object_of[o->owner] : AN_NONE;
        if (k == AN_NONE || d->objects[k].owner != o->owner)
            return fail(err, errlen, "OBJECTS[%u]: owner %u is not an object", i, o->owner);
    }
    return 0;
}

int dump_parse(struct dump *d, const void *buf, size_t size, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    const uint8_t *p = buf;
    d->map = p;
    d->size = size;
    struct atoll_dump_section sec[NSECTIONS + 1];
    memset(sec, 0, sizeof sec);
    if (check_header(p, size, err, errlen) || check_sections(p, size, sec, err, errlen))
        return -1;
    if (sec[ATOLL_DUMP_SEC_PROCESS].size != 96)
        return fail(err, errlen, "PROCESS holds %llu records, expected 1",
                    (unsigned long long)sec[ATOLL_DUMP_SEC_PROCESS].size / 96);
    d->proc = (const void *)(p + sec[ATOLL_DUMP_SEC_PROCESS].offset);
    d->strings = (const char *)(p + sec[ATOLL_DUMP_SEC_STRINGS].offset);
    d->strings_size = sec[ATOLL_DUMP_SEC_STRINGS].size;
#define TABLE(field, count, type)                                              \
    do {                                                                       \
        d->field = (const void *)(p + sec[type].offset);                       \
        d->count = sec[type].record_size                                       \
                       ? (uint32_t)(sec[type].size / sec[type].record_size)    \
                       : 0;                                                    \
    } while (0)
    TABLE(modules, nmodules, ATOLL_DUMP_SEC_MODULES);
    TABLE(threads, nthreads, ATOLL_DUMP_SEC_THREADS);
    TABLE(frames, nframes, ATOLL_DUMP_SEC_FRAMES);
    TABLE(sites, nsites, ATOLL_DUMP_SEC_SITES);
    TABLE(blocks, nblocks, ATOLL_DUMP_SEC_BLOCKS);
    TABLE(edges, nedges, ATOLL_DUMP_SEC_EDGES);
    TABLE(roots, nroots, ATOLL_DUMP_SEC_ROOTS);
    TABLE(objects, nobjects, ATOLL_DUMP_SEC_OBJECTS);
    TABLE(pycode, npycode, ATOLL_DUMP_SEC_PYCODE);
    TABLE(labels, nlabels, ATOLL_DUMP_SEC_LABELS);
    TABLE(stackframes, nstackframes, ATOLL_DUMP_SEC_STACKFRAMES);
#undef TABLE
    d->bytes = p + sec[ATOLL_DUMP_SEC_BYTES].offset;
    d->bytes_size = sec[ATOLL_DUMP_SEC_BYTES].size;
    if (check_process(d, err, errlen) || check_tables(d, err, errlen) ||
        check_blocks(d, err, errlen) || check_objects(d, err, errlen)) {
        free(d->object_of);
        d->object_of = NULL;
        return -1;
    }
    d->indeg = an_calloc((size_t)d->nblocks + 1, sizeof *d->indeg);
    uint32_t *rootin = an_calloc((size_t)d->nblocks + 1, sizeof *rootin);
    if (!d->indeg || !rootin) {
        free(rootin);
        return fail(err, errlen, "out of memory for %u blocks", d->nblocks);
    }
    int rc = check_edges(d, err, errlen);
    if (!rc)
        rc = check_roots(d, rootin, err, errlen);
    if (!rc)
        rc = check_labels(d, err, errlen);
    free(rootin);
    if (rc) {
        free(d->indeg);
        d->indeg = NULL;
        free(d->object_of);
        d->object_of = NULL;
    }
    return rc;
}

int dump_open(struct dump *d, const char *path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "not a regular file");
    }
    size_t size = (size_t)st.st_size;
    if (size < sizeof(struct atoll_dump_header)) {
        close(fd);
        return fail(err, errlen, "truncated: %zu bytes, smaller than the 64-byte header", size);
    }
    void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return fail(err, errlen, "cannot map: %s", strerror(errno));
    if (dump_parse(d, m, size, err, errlen)) {
        munmap(m, size);
        d->map = NULL;
        return -1;
    }
    d->mapped = true;
    return 0;
}

void dump_close(struct dump *d)
{
    if (d->mapped && d->map)
        munmap((void *)d->map, d->size);
    free(d->indeg);
    free(d->object_of);
    memset(d, 0, sizeof *d);
}
