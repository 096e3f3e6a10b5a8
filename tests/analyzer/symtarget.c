/* A program built with -g whose real return addresses the symbolization tests put into a
 * synthetic dump. It prints its own module (path, load bias, extent, build-id) and, for a
 * plain call and a call from an inlined function, the return address and the source lines. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int inline_line, inline_call_line, leaf_line;

__attribute__((noinline)) static void *capture(void)
{
    return __builtin_return_address(0);
}

static inline __attribute__((always_inline)) void *inlined_helper(void)
{
    void *r = capture(); inline_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return r;
}

__attribute__((noinline)) void *leaf_caller(void)
{
    void *r = capture(); leaf_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return r;
}

__attribute__((noinline)) void *inline_caller(void)
{
    void *r = inlined_helper(); inline_call_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return r;
}

static int module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uint64_t lo = UINT64_MAX, hi = 0;
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
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = 0;
    printf("module %s %#llx %#llx %#llx %s\n", self, (unsigned long long)info->dlpi_addr,
           (unsigned long long)lo, (unsigned long long)hi, *build_id ? build_id : "-");
    return 1;   /* the first object is the program itself */
}

int main(void)
{
    dl_iterate_phdr(module, NULL);
    void *a = leaf_caller();
    void *b = inline_caller();
    printf("leaf %p %d\n", a, leaf_line);
    printf("inline %p %d %d\n", b, inline_line, inline_call_line);
    return 0;
}
