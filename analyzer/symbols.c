/* Offline symbolization of allocation stacks with libdw. Each module of the dump is opened at
 * most once (one Dwfl per module, reported at the dump's load bias, so runtime addresses are
 * looked up as they are), and each distinct return address is symbolized once; sites are
 * expanded from that cache. A return address is looked up at address - 1, the call itself.
 * Inlined calls become frames of their own. C++ names are demangled. Where libdw cannot find
 * the compile unit of an address (no .debug_aranges: clang), the module's CU ranges are
 * searched instead. A Python frame is named from the dump's copy of its code object, its line
 * computed from the copied line table. Strings point into libdw's data, the dump or the
 * demangler, and live as long as the symbols object. */
#include "analyzer.h"
#include "python/pylines.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>

struct modsym {
    bool tried, cus_tried;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    struct cu_index *cus;       /* built when libdw's own lookup first finds no CU */
};

struct addr_slot {
    uint64_t addr;
    uint32_t first, n;          /* in s->cache; n == 0: empty slot */
};

struct frames {
    struct frame_sym *f;
    size_t n, cap;
};

struct symbols {
    const struct dump *d;
    struct modsym *mods;
    uint32_t *by_start;
    struct addr_slot *slots;
    size_t nslots, used;
    struct frames cache;        /* per address */
    struct frames sites;        /* per site, expanded */
    uint32_t *site_first, *site_n;
    struct demangler *dm;
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static const struct symbols *sort_ctx;

static int start_cmp(const void *a, const void *b)
{
    uint64_t x = sort_ctx->d->modules[*(const uint32_t *)a].start;
    uint64_t y = sort_ctx->d->modules[*(const uint32_t *)b].start;
    return x < y ? -1 : x > y;
}

struct symbols *symbols_new(const struct dump *d)
{
    struct symbols *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->d = d;
    s->mods = calloc((size_t)d->nmodules + 1, sizeof *s->mods);
    s->by_start = malloc(((size_t)d->nmodules + 1) * sizeof *s->by_start);
    s->site_first = malloc(((size_t)d->nsites + 1) * sizeof *s->site_first);
    s->site_n = malloc(((size_t)d->nsites + 1) * sizeof *s->site_n);
    s->nslots = 1024;
    s->slots = calloc(s->nslots, sizeof *s->slots);
    s->dm = demangler_new();
    if (!s->mods || !s->by_start || !s->site_first || !s->site_n || !s->slots || !s->dm) {
        symbols_free(s);
        return NULL;
    }
    for (uint32_t i = 0; i < d->nmodules; i++)
        s->by_start[i] = i;
    sort_ctx = s;
    qsort(s->by_start, d->nmodules, sizeof *s->by_start, start_cmp);
    memset(s->site_first, 0xff, ((size_t)d->nsites + 1) * sizeof *s->site_first);
    return s;
}

void symbols_free(struct symbols *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->mods && i < s->d->nmodules; i++) {
        cu_index_free(s->mods[i].cus);
        if (s->mods[i].dwfl)
            dwfl_end(s->mods[i].dwfl);
    }
    demangler_free(s->dm);
    free(s->mods), free(s->by_start), free(s->slots);
    free(s->cache.f), free(s->sites.f), free(s->site_first), free(s->site_n);
    free(s);
}

static uint32_t find_module(const struct symbols *s, uint64_t a)
{
    uint32_t lo = 0, hi = s->d->nmodules;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->d->modules[s->by_start[mid]].start <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* the candidates start at or below a; modules may nest, so look a little further back */
    for (uint32_t k = lo; k > 0 && lo - k < 64; k--) {
        const struct atoll_dump_module *m = &s->d->modules[s->by_start[k - 1]];
        if (a >= m->start && a < m->end)
            return s->by_start[k - 1];
    }
    return AN_NONE;
}

static Dwfl_Module *open_module(struct symbols *s, uint32_t mi)
{
    struct modsym *ms = &s->mods[mi];
    if (ms->tried)
        return ms->mod;
    ms->tried = true;
    const struct atoll_dump_module *m = &s->d->modules[mi];
    const char *path = dump_string(s->d, m->path);
    if (!*path)
        return NULL;
    Dwfl *dw = dwfl_begin(&offline_callbacks);
    if (!dw)
        return NULL;
    const char *base = strrchr(path, '/');
    Dwfl_Module *mod = dwfl_report_elf(dw, base ? base + 1 : path, path, -1, m->bias, false);
    dwfl_report_end(dw, NULL, NULL);
    if (mod && m->build_id_size) {
        const unsigned char *bits;
        GElf_Addr vaddr;
        int len = dwfl_module_build_id(mod, &bits, &vaddr);
        if (len > 0 && ((uint32_t)len != m->build_id_size ||
                        memcmp(bits, m->build_id, m->build_id_size) != 0))
            mod = NULL;     /* a different build of the file: its symbols would lie */
    }
    if (!mod) {
        dwfl_end(dw);
        return NULL;
    }
    ms->dwfl = dw;
    ms->mod = mod;
    return mod;
}

static struct frame_sym *push(struct frames *fr)
{
    if (fr->n == fr->cap) {
        size_t cap = fr->cap ? fr->cap * 2 : 256;
        struct frame_sym *f = realloc(fr->f, cap * sizeof *f);
        if (!f)
            return NULL;
        fr->f = f;
        fr->cap = cap;
    }
    struct frame_sym *f = &fr->f[fr->n++];
    memset(f, 0, sizeof *f);
    return f;
}

/* A function's name: its linkage name when that is a C++ name (it demangles to the qualified
 * name with parameters that Valgrind and LeakSanitizer show, where DW_AT_name is bare), else
 * DW_AT_name. */
static const char *die_name(struct symbols *s, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *linkage = NULL, *name = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        linkage = dwarf_formstring(&attr);
    if (linkage && demangle(s->dm, linkage) != linkage)
        return linkage;
    if (dwarf_attr_integrate(die, DW_AT_name, &attr))
        name = dwarf_formstring(&attr);
    return name;
}

/* Names f, keeping the mangled form for suppressions written against it. */
static void name_frame(struct symbols *s, struct frame_sym *f, const char *name)
{
    f->function = demangle(s->dm, name);
    f->mangled = f->function != name ? name : NULL;
}

/* The CU holding pc, through .debug_aranges as libdw does, else through the module's CU
 * ranges. */
static Dwarf_Die *find_cu(struct symbols *s, uint32_t mi, uint64_t pc, Dwarf_Addr *bias,
                          Dwarf_Die *mem)
{
    struct modsym *ms = &s->mods[mi];
    Dwarf_Die *cu = dwfl_module_addrdie(ms->mod, pc, bias);
    if (cu)
        return cu;
    Dwarf *dw = dwfl_module_getdwarf(ms->mod, bias);
    if (!dw)
        return NULL;
    if (!ms->cus_tried) {
        ms->cus_tried = true;
        ms->cus = cu_index_new(dw);
    }
    uint64_t off;
    if (!ms->cus || !cu_index_find(ms->cus, pc - *bias, &off))
        return NULL;
    return dwarf_offdie(dw, off, mem);
}

static const char *call_file(Dwarf_Die *die, Dwarf_Files *files, size_t nfiles,
                             uint32_t *line)
{
    Dwarf_Attribute attr;
    Dwarf_Word v;
    *line = 0;
    if (dwarf_attr(die, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &v) == 0)
        *line = (uint32_t)v;
    if (!files || !dwarf_attr(die, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &v) ||
        v >= nfiles)
        return NULL;
    return dwarf_filesrc(files, v, NULL, NULL);
}

/* Appends the frames of return address a to s->cache. */
/* A Python frame: the code object's names, and its line as frame.f_lineno gives it. */
static int symbolize_python(struct symbols *s, uint64_t a)
{
    const struct dump *d = s->d;
    const struct atoll_dump_pycode *c = &d->pycode[(a & ~ATOLL_DUMP_FRAME_PYTHON) >> 32];
    int line = pyline_addr2line(c->version, c->firstlineno, d->bytes + c->linetable,
                                c->linetable_size, (uint32_t)a);
    struct frame_sym *f = push(&s->cache);
    if (!f)
        return -1;
    *f = (struct frame_sym){a, dump_string(d, c->qualname), dump_string(d, c->filename),
                            line > 0 ? (uint32_t)line : 0, "", 0, false, NULL, true};
    return 0;
}

uint32_t symbols_python_frames(const struct frame_sym *f, uint32_t n)
{
    uint32_t k = 0;
    while (k < n && f[k].python)
        k++;
    return k;
}

static int symbolize(struct symbols *s, uint64_t a)
{
    if (a & ATOLL_DUMP_FRAME_PYTHON)
        return symbolize_python(s, a);
    uint32_t mi = find_module(s, a);
    const char *modpath = mi == AN_NONE ? "" : dump_string(s->d, s->d->modules[mi].path);
    uint64_t modoff = mi == AN_NONE ? 0 : a - s->d->modules[mi].bias;
    Dwfl_Module *mod = mi == AN_NONE || a == 0 ? NULL : open_module(s, mi);
    size_t first = s->cache.n;
    if (mod) {
        uint64_t pc = a - 1;
        Dwarf_Addr bias = 0;
        Dwarf_Die cu_mem, *cu = find_cu(s, mi, pc, &bias, &cu_mem);
        const char *file = NULL;
        int lineno = 0;
        Dwarf_Line *line = cu ? dwarf_getsrc_die(cu, pc - bias) : NULL;
        if (line) {
            file = dwarf_linesrc(line, NULL, NULL);
            dwarf_lineno(line, &lineno);
        }
        Dwarf_Die *found = NULL, *scopes = NULL;
        int nfound = cu ? dwarf_getscopes(cu, pc - bias, &found) : 0, nscopes = nfound;
        scopes = found;
        /* dwarf_getscopes continues from an inlined instance into its abstract definition;
         * the physical callers come from dwarf_getscopes_die on the innermost instance */
        for (int i = 0; i < nfound; i++) {
            int tag = dwarf_tag(&found[i]);
            if (tag == DW_TAG_inlined_subroutine) {
                Dwarf_Die *chain = NULL;
                int nchain = dwarf_getscopes_die(&found[i], &chain);
                if (nchain > 0) {
                    scopes = chain;
                    nscopes = nchain;
                }
                break;
            }
            if (tag == DW_TAG_subprogram)
                break;
        }
        Dwarf_Files *files = NULL;
        size_t nfiles = 0;
        if (cu && dwarf_getsrcfiles(cu, &files, &nfiles))
            files = NULL;
        const char *fr_file = file;
        uint32_t fr_line = lineno > 0 ? (uint32_t)lineno : 0;
        for (int i = 0; i < nscopes; i++) {
            int tag = dwarf_tag(&scopes[i]);
            if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
                continue;
            struct frame_sym *f = push(&s->cache);
            if (!f)
                break;
            const char *name = die_name(s, &scopes[i]);
            *f = (struct frame_sym){a, NULL, fr_file, fr_line, modpath, modoff,
                                    tag == DW_TAG_inlined_subroutine, NULL, false};
            /* the ELF symbol only when DWARF has no name: libdw searches the symbol table
             * linearly, which costs seconds over 100k addresses in a big module */
            name_frame(s, f, name ? name : dwfl_module_addrname(mod, pc));
            if (tag == DW_TAG_subprogram)
                break;
            fr_file = call_file(&scopes[i], files, nfiles, &fr_line);
        }
        if (scopes != found)
            free(scopes);
        free(found);
        if (s->cache.n == first) {
            struct frame_sym *f = push(&s->cache);
            if (!f)
                return -1;
            *f = (struct frame_sym){a, NULL, file, fr_line, modpath, modoff, false, NULL, false};
            name_frame(s, f, dwfl_module_addrname(mod, pc));
        }
        return 0;
    }
    struct frame_sym *f = push(&s->cache);
    if (!f)
        return -1;
    *f = (struct frame_sym){a, NULL, NULL, 0, modpath, modoff, false, NULL, false};
    return 0;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static struct addr_slot *lookup(struct symbols *s, uint64_t a)
{
    if (s->used * 2 >= s->nslots) {
        size_t nn = s->nslots * 2;
        struct addr_slot *ns = calloc(nn, sizeof *ns);
        if (!ns)
            return NULL;
        for (size_t i = 0; i < s->nslots; i++) {
            if (!s->slots[i].n)
                continue;
            size_t p = mix(s->slots[i].addr) & (nn - 1);
            while (ns[p].n)
                p = (p + 1) & (nn - 1);
            ns[p] = s->slots[i];
        }
        free(s->slots);
        s->slots = ns;
        s->nslots = nn;
    }
    size_t p = mix(a) & (s->nslots - 1);
    while (s->slots[p].n && s->slots[p].addr != a)
        p = (p + 1) & (s->nslots - 1);
    if (!s->slots[p].n) {
        size_t first = s->cache.n;
        if (symbolize(s, a))
            return NULL;
        s->slots[p] = (struct addr_slot){a, (uint32_t)first, (uint32_t)(s->cache.n - first)};
        s->used++;
    }
    return &s->slots[p];
}

const struct frame_sym *symbols_site(struct symbols *s, uint32_t site, uint32_t *nframes)
{
    *nframes = 0;
    if (site >= s->d->nsites)
        return NULL;
    if (s->site_first[site] == AN_NONE) {
        const struct atoll_dump_site *st = &s->d->sites[site];
        size_t first = s->sites.n;
        for (uint32_t k = 0; k < st->depth; k++) {
            struct addr_slot *slot = lookup(s, s->d->frames[st->first_frame + k]);
            if (!slot)
                break;
            for (uint32_t j = 0; j < slot->n; j++) {
                struct frame_sym *f = push(&s->sites);
                if (!f)
                    break;
                *f = s->cache.f[slot->first + j];
            }
        }
        s->site_first[site] = (uint32_t)first;
        s->site_n[site] = (uint32_t)(s->sites.n - first);
    }
    *nframes = s->site_n[site];
    return *nframes ? s->sites.f + s->site_first[site] : NULL;
}

/* The frames of one return address, as a site's (valid until the next call). */
const struct frame_sym *symbols_address(struct symbols *s, uint64_t address, uint32_t *nframes)
{
    struct addr_slot *slot = lookup(s, address);
    *nframes = slot ? slot->n : 0;
    return *nframes ? s->cache.f + slot->first : NULL;
}

/* The ELF symbol (.symtab, else .dynsym) whose extent holds a data address: libdw's lookup
 * takes object symbols too. */
bool symbols_data(struct symbols *s, uint64_t address, const char **name, uint64_t *offset)
{
    uint32_t mi = find_module(s, address);
    Dwfl_Module *mod = mi == AN_NONE ? NULL : open_module(s, mi);
    if (!mod)
        return false;
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *n = dwfl_module_addrinfo(mod, address, &off, &sym, NULL, NULL, NULL);
    if (!n || !*n || (sym.st_size ? off >= sym.st_size : off != 0))
        return false;
    *name = demangle(s->dm, n);
    *offset = off;
    return true;
}
