/* File-static variables of the CPython in this process, by source file and name, read from the
 * symbol table (.symtab) of the file it was loaded from: CPython 3.8 and 3.9 keep their free
 * lists in such variables (listobject.c's free_list and numfree, ...), which neither a header
 * nor the dynamic symbols name. A stripped interpreter has no .symtab: then nothing is found.
 *
 * Runs once, from the library constructor: the file is mapped read-only, searched and unmapped.
 * Every offset read from it is checked against its size first. */
#include "statics.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct module {
    uintptr_t probe;        /* an address inside it */
    uintptr_t bias;
    const char *path;
};

static int find_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct module *m = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && m->probe >= lo && m->probe < lo + ph->p_memsz) {
            m->bias = info->dlpi_addr;
            m->path = info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";
            return 1;
        }
    }
    return 0;
}

/* Whether [off, off + len) lies inside a file of size bytes. */
static int inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Fills each want's address from the symbol table of image (size bytes); 0 when the table is
 * there (some wants may still be 0), -1 when it is not. */
static int search(const unsigned char *image, uint64_t size, uintptr_t bias,
                  struct cpython_static *want, unsigned n)
{
    const Elf64_Ehdr *eh = (const void *)image;
    if (!inside(0, sizeof *eh, size) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size))
        return -1;
    const Elf64_Shdr *sh = (const void *)(image + eh->e_shoff);
    for (unsigned s = 0; s < eh->e_shnum; s++) {
        if (sh[s].sh_type != SHT_SYMTAB || sh[s].sh_link >= eh->e_shnum ||
            !inside(sh[s].sh_offset, sh[s].sh_size, size))
            continue;
        const Elf64_Shdr *strs = &sh[sh[s].sh_link];
        if (!inside(strs->sh_offset, strs->sh_size, size) || !strs->sh_size)
            continue;
        const char *str = (const char *)image + strs->sh_offset;
        const Elf64_Sym *sym = (const void *)(image + sh[s].sh_offset);
        size_t count = sh[s].sh_size / sizeof *sym;
        const char *file = "";
        for (size_t i = 0; i < count; i++) {
            if (sym[i].st_name >= strs->sh_size || !memchr(str + sym[i].st_name, 0,
                                                             strs->sh_size - sym[i].st_name))
                continue;
            const char *name = str + sym[i].st_name;
            if (ELF64_ST_TYPE(sym[i].st_info) == STT_FILE) {
                file = name;
                continue;
            }
            if (ELF64_ST_TYPE(sym[i].st_info) != STT_OBJECT ||
                ELF64_ST_BIND(sym[i].st_info) != STB_LOCAL)
                continue;
            for (unsigned w = 0; w < n; w++)
                if (!strcmp(name, want[w].name) && !strcmp(file, want[w].file) &&
                    sym[i].st_size == want[w].size)
                    want[w].address = bias + sym[i].st_value;
        }
        return 0;
    }
    return -1;
}

int cpython_statics_find(const void *inside_module, struct cpython_static *want, unsigned n)
{
    for (unsigned w = 0; w < n; w++)
        want[w].address = 0;
    struct module m = { (uintptr_t)inside_module, 0, NULL };
    if (!dl_iterate_phdr(find_module, &m))
        return -1;
    int fd = open(m.path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    void *image = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (image == MAP_FAILED)
        return -1;
    int r = search(image, (uint64_t)st.st_size, m.bias, want, n);
    munmap(image, (size_t)st.st_size);
    for (unsigned w = 0; r == 0 && w < n; w++)
        if (!want[w].address)
            r = -1;
    return r;
}
