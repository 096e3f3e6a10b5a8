/* What a site is across dumps: the frames a report prints for it, not its index, which depends
 * on the order in which a run met its stacks, nor its addresses, which move with the load
 * addresses from run to run. A frame counts by its function, file, line and module (a module's
 * base name: the same program may be installed elsewhere), as heaptrack compares frames; a
 * frame without a function by its module and offset in it, and only one outside every module
 * by its address. */
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

uint64_t *diff_site_keys(const struct analysis *a)
{
    const struct dump *d = a->d;
    uint64_t *keys = malloc(((size_t)d->nsites + 1) * sizeof *keys);
    if (!keys)
        return NULL;
    for (uint32_t s = 0; s < d->nsites; s++) {
        uint32_t n = 0;
        const struct frame_sym *f = a->sym ? symbols_site(a->sym, s, &n) : NULL;
        uint32_t py = symbols_python_frames(f, n);
        if (py && !a->native)
            n = py;
        uint64_t h = mix_u64(0xCBF29CE484222325ull, n);
        for (uint32_t k = 0; k < n; k++)
            h = frame_key(h, &f[k]);
        if (!f)         /* no symbols: its raw frames, which only one process shares */
            for (uint32_t k = 0; k < d->sites[s].depth; k++)
                h = mix_u64(h, d->frames[d->sites[s].first_frame + k]);
        keys[s] = h;
    }
    return keys;
}
