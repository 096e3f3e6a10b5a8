/* print_module for the symbolization targets: a loaded object's path, load bias, extent of
 * its PT_LOAD segments and build-id, as the recorder writes them into a dump. */
#define _GNU_SOURCE
#include "symmodule.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static int module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uint64_t addr = (uint64_t)(uintptr_t)data, lo = UINT64_MAX, hi = 0;
    char build_id[80] = "";
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uint64_t a = info->dlpi_addr + ph->p_vaddr;
            lo = a < lo ? a : lo;
            hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
        } else if (ph->p_type == PT_NOTE) {
            const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
                const unsigned char *desc =
                    (const unsigned char *)p + sizeof *n + ((n->n_namesz + 3) & ~3u);
                if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && n->n_descsz <= 32)
                    for (unsigned k = 0; k < n->n_descsz; k++)
                        sprintf(build_id + 2 * k, "%02x", desc[k]);
                p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
            }
        }
    }
    if (addr < lo || addr >= hi)
        return 0;
    char self[4096];
    const char *path = info->dlpi_name;
    if (!*path) {   /* the program itself */
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        self[len > 0 ? len : 0] = 0;
        path = self;
    }
    printf("module %s %#llx %#llx %#llx %s\n", path, (unsigned long long)info->dlpi_addr,
           (unsigned long long)lo, (unsigned long long)hi, *build_id ? build_id : "-");
    return 1;
}

void print_module(const void *addr)
{
    dl_iterate_phdr(module, (void *)addr);
}
