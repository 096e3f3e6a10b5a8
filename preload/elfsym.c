/* Exported symbols of the loaded modules, read from their dynamic sections in memory, for the
 * snapshot child: the loader's lock may be held by a stopped thread, so dlsym is no option.
 * The layouts of refcounted objects (objects.c) find a runtime by its symbols this way.
 *
 * Every read is checked against the process's readable mappings first: a module whose tables
 * are not where its headers say is skipped, never followed. */
#include "snapshot.h"

#include <elf.h>
#include <string.h>

/* Whether [lo, hi) lies inside one readable mapping (the maps are sorted by address). atoll's
 * region of pools is mapped readable whole. */
int snap_readable(const struct snap *s, uintptr_t lo, uintptr_t hi)
{
    if (lo - atoll_g.base < atoll_g.size && hi - atoll_g.base <= atoll_g.size && lo <= hi)
        return 1;
    size_t a = 0, b = s->nmaps;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (s->maps[mid].end <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    return a < s->nmaps && s->maps[a].readable && s->maps[a].start <= lo && hi <= s->maps[a].end &&
           lo <= hi;
}

struct dynsym {
    const Elf64_Sym *symtab;
    const char *strtab;
    uint64_t strsz;
    const uint32_t *gnu_hash;
    uintptr_t bias, lo, hi;
};

/* ld.so adds the load bias to most pointers of a module's dynamic section, but not to every
 * module's (the vDSO's section is read-only). */
static uintptr_t dyn_ptr(const struct dynsym *m, uint64_t v)
{
    return v >= m->lo && v < m->hi ? (uintptr_t)v : m->bias + (uintptr_t)v;
}

static int open_dynsym(const struct snap *s, const struct atoll_dump_module *mod, struct dynsym *m)
{
    memset(m, 0, sizeof *m);
    m->bias = mod->bias;
    m->lo = mod->start;
    m->hi = mod->end;
    if (!snap_readable(s, mod->start, mod->start + sizeof(Elf64_Ehdr)))
        return -1;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)mod->start;
    uintptr_t ph = mod->start + eh->e_phoff;
    if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
        !snap_readable(s, ph, ph + (uintptr_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        return -1;
    const Elf64_Phdr *phdr = (const Elf64_Phdr *)ph;
    const Elf64_Dyn *dyn = NULL;
    size_t ndyn = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (phdr[i].p_type == PT_DYNAMIC) {
            dyn = (const Elf64_Dyn *)(m->bias + phdr[i].p_vaddr);
            ndyn = phdr[i].p_memsz / sizeof *dyn;
        }
    if (!dyn || !snap_readable(s, (uintptr_t)dyn, (uintptr_t)(dyn + ndyn)))
        return -1;
    for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
        uint64_t v = dyn[i].d_un.d_val;
        switch (dyn[i].d_tag) {
        case DT_SYMTAB: m->symtab = (const Elf64_Sym *)dyn_ptr(m, v); break;
        case DT_STRTAB: m->strtab = (const char *)dyn_ptr(m, v); break;
        case DT_STRSZ: m->strsz = v; break;
        case DT_GNU_HASH: m->gnu_hash = (const uint32_t *)dyn_ptr(m, v); break;
        default: break;
        }
    }
    if (!m->symtab || !m->strtab || !m->gnu_hash ||
        !snap_readable(s, (uintptr_t)m->strtab, (uintptr_t)m->strtab + m->strsz) ||
        !snap_readable(s, (uintptr_t)m->gnu_hash, (uintptr_t)(m->gnu_hash + 4)))
        return -1;
    return 0;
}

static uint32_t gnu_hash_of(const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = h * 33 + *p;
    return h;
}

/* The GNU hash table: a Bloom filter, buckets, then one chain of hashes per bucket. */
static uintptr_t lookup(const struct snap *s, const struct dynsym *m, const char *name)
{
    const uint32_t *g = m->gnu_hash;
    uint32_t nbuckets = g[0], symoffset = g[1], bloom_size = g[2], shift = g[3];
    const uint64_t *bloom = (const uint64_t *)(g + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    if (!nbuckets || !bloom_size || shift >= 64 ||
        !snap_readable(s, (uintptr_t)bloom, (uintptr_t)chain))
        return 0;
    uint32_t h = gnu_hash_of(name);
    uint64_t word = bloom[(h / 64) % bloom_size];
    if (!((word >> (h % 64)) & (word >> ((h >> shift) % 64)) & 1))
        return 0;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
        return 0;
    size_t len = strlen(name);
    for (;; i++) {
        const uint32_t *ch = &chain[i - symoffset];
        const Elf64_Sym *sym = &m->symtab[i];
        if (!snap_readable(s, (uintptr_t)ch, (uintptr_t)(ch + 1)) ||
            !snap_readable(s, (uintptr_t)sym, (uintptr_t)(sym + 1)))
            return 0;
        if ((*ch | 1) == (h | 1) && sym->st_name + len < m->strsz && sym->st_shndx != SHN_UNDEF &&
            memcmp(m->strtab + sym->st_name, name, len + 1) == 0)
            return m->bias + (uintptr_t)sym->st_value;
        if (*ch & 1)
            return 0;
    }
}

/* The address of the defined symbol `name` in the first module that exports it, or 0; its
 * module's index in *module. */
uintptr_t snap_symbol(const struct snap *s, const char *name, uint32_t *module)
{
    const struct atoll_dump_module *mods = s->modules.data;
    for (uint32_t i = 0; i < s->modules.len; i++) {
        struct dynsym m;
        if (open_dynsym(s, &mods[i], &m) != 0)
            continue;
        uintptr_t a = lookup(s, &m, name);
        if (a) {
            if (module)
                *module = i;
            return a;
        }
    }
    return 0;
}

/* The same symbol in one module only. */
uintptr_t snap_module_symbol(const struct snap *s, uint32_t module, const char *name)
{
    struct dynsym m;
    if (module >= s->modules.len ||
        open_dynsym(s, (const struct atoll_dump_module *)s->modules.data + module, &m) != 0)
        return 0;
    return lookup(s, &m, name);
}
