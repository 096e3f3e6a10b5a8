/* What a site is across dumps: the frames a report prints for it, not its index, which depends
 * on the order in which a run met its stacks, nor its addresses, which move with the load
 * addresses from run to run. A Python frame counts by its function, file and line. A native
 * frame in a module both dumps loaded from the same file (same base name and build-id) counts
 * by its offset in the module: the same code, and no DWARF to read (symbolizing every stack of
 * an interpreter's heap costs seconds). A site with a frame in any other module (rebuilt, or
 * only one dump has it) counts by its symbolized frames, as heaptrack compares them: function,
 * file, line, the module's base name and whether inlined. Frames outside every module count by
 * their address. */
#include "diff.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix_bytes(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001B3ull;
    return (h ^ 0xff) * 0x100000001B3ull;     /* a separator no string byte can be */
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    return mix_bytes(h, s ? s : "", s ? strlen(s) : 0);
}

static uint64_t mix_u64(uint64_t h, uint64_t v)
{
    return mix_bytes(h, (const char *)&v, sizeof v);
}

static const char *base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static uint64_t frame_key(uint64_t h, const struct frame_sym *f)
{
    if (f->python)
        return mix_u64(mix_str(mix_str(mix_str(h, "py"), f->function), f->file), f->line);
    if (f->function) {
        h = mix_str(mix_str(mix_str(h, "fn"), f->function), f->file);
        return mix_u64(mix_str(mix_u64(h, f->line), base(f->module)), f->inlined);
    }
    if (*f->module)
        return mix_u64(mix_str(mix_str(h, "mod"), base(f->module)), f->module_offset);
    return mix_u64(mix_str(h, "addr"), f->address);
}

static bool same_file(const struct dump *d, const struct atoll_dump_module *m,
                      const struct dump *o, const struct atoll_dump_module *k)
{
    if (strcmp(base(dump_string(d, m->path)), base(dump_string(o, k->path))) != 0)
        return false;
    if (m->build_id_size || k->build_id_size)
        return m->build_id_size == k->build_id_size &&
               !memcmp(m->build_id, k->build_id, m->build_id_size);
    return m->end - m->start == k->end - k->start;
}

/* Per module of d: whether other loaded the same file. */
static uint8_t *same_modules(const struct dump *d, const struct dump *other)
{
    uint8_t *same = calloc((size_t)d->nmodules + 1, 1);
    for (uint32_t m = 0; same && m < d->nmodules; m++)
        for (uint32_t k = 0; k < other->nmodules && !same[m]; k++)
            same[m] = same_file(d, &d->modules[m], other, &other->modules[k]);
    return same;
}

/* The key of a site whose native frames are all in modules both dumps share, or 0 (some frame
 * is elsewhere: the site needs its symbols). */
static uint64_t raw_key(const struct analysis *a, const uint8_t *same, const uint64_t *raw,
                        uint32_t n)
{
    const struct dump *d = a->d;
    uint64_t h = mix_u64(0xCBF29CE484222325ull, n);
    for (uint32_t k = 0; k < n; k++) {
        if (raw[k] & ATOLL_DUMP_FRAME_PYTHON) {
            struct frame_sym f = symbols_python_frame(d, raw[k]);
            h = frame_key(h, &f);
            continue;
        }
        uint32_t m = symbols_module_of(a->sym, raw[k]);
        if (m == AN_NONE) {
            h = mix_u64(mix_str(h, "addr"), raw[k]);
            continue;
        }
        if (!same[m])
            return 0;
        h = mix_u64(mix_str(mix_str(h, "off"), base(dump_string(d, d->modules[m].path))),
                    raw[k] - d->modules[m].bias);
    }
    return h | 1;
}

static uint64_t symbolized_key(const struct analysis *a, uint32_t s)
{
    uint32_t n = 0;
    const struct frame_sym *f = symbols_site(a->sym, s, &n);
    uint64_t h = mix_u64(0xCBF29CE484222325ull, n) + 2;
    for (uint32_t k = 0; k < n; k++)
        h = frame_key(h, &f[k]);
    return h;
}

uint64_t *diff_site_keys(const struct analysis *a, const struct dump *other)
{
    const struct dump *d = a->d;
    uint64_t *keys = calloc((size_t)d->nsites + 1, sizeof *keys);
    uint8_t *used = calloc((size_t)d->nsites + 1, 1);
    uint8_t *same = same_modules(d, other);
    if (!keys || !used || !same || !a->sym) {
        free(keys), free(used), free(same);
        return NULL;
    }
    /* only the sites of dumped blocks: a process's site table holds every stack it met */
    for (uint32_t i = 0; i < d->nblocks; i++)
        used[d->blocks[i].site] = 1;
    for (uint32_t s = 0; s < d->nsites; s++) {
        if (!used[s])
            continue;
        const uint64_t *raw = &d->frames[d->sites[s].first_frame];
        uint32_t n = d->sites[s].depth, py = 0;
        while (py < n && (raw[py] & ATOLL_DUMP_FRAME_PYTHON))
            py++;
        if (py && !a->native)
            n = py;         /* a Python allocation is its Python frames (analysis.c) */
        keys[s] = raw_key(a, same, raw, n);
        if (!keys[s])
            keys[s] = symbolized_key(a, s);
    }
    free(used), free(same);
    return keys;
}
