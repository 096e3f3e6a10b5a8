/* The snapshot's roots: everything outside the heap that may hold a pointer into it.
 *
 *  - each stopped thread's registers, and its stack from the saved stack pointer up (the part
 *    of it that is the thread's static TLS counts as TLS);
 *  - the writable segments of the executable and of every loaded library (globals);
 *  - every other readable, writable mapping that is not atoll's own and not the C library's
 *    heap (whose blocks are scanned as blocks): custom mmap allocators, the main thread's TLS,
 *    and the stacks of threads that could not be stopped, scanned whole. A block glibc gave a
 *    mapping of its own (past its mmap threshold) may share a line of /proc/self/maps with
 *    such a mapping: only the block's chunk is left out then. The stacks glibc keeps for reuse
 *    after their threads ended are not roots: what a dead thread left there is stale; nor are
 *    the frames above the top of a Python thread's data stack (cpython/datastack.c).
 *
 * Everything comes from /proc/self/maps and from the ELF headers in memory: the loader's lock
 * may be held by a stopped thread, so dl_iterate_phdr is not an option here. */
#include "snapshot.h"
#include "world.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* gregs index -> DWARF register number (x86-64) */
static const int8_t dwarf_of_greg[17] = { 8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 6, 3, 1, 0, 2, 7, 16 };

static char *maps_text;

uint32_t snap_add_string(struct snap *s, const char *str, size_t len)
{
    uint32_t off = (uint32_t)s->strings.len;
    for (size_t i = 0; i < len; i++) {
        char *c = cvec_push(&s->strings);
        if (c)
            *c = str[i];
    }
    char *nul = cvec_push(&s->strings);
    if (nul)
        *nul = 0;
    return off;
}

static int mapped(const struct snap *s, uintptr_t lo, uintptr_t hi)
{
    for (size_t i = 0; i < s->nmaps; i++)
        if (s->maps[i].readable && lo >= s->maps[i].start && hi <= s->maps[i].end)
            return 1;
    return 0;
}

/* Whether an ELF header is mapped at `at`: "/dev/zero (deleted)" (shared anonymous memory),
 * memfds and data files are mappings of a path too, but no module. */
static int is_elf(const struct snap *s, uintptr_t at)
{
    return mapped(s, at, at + SELFMAG) && memcmp((const void *)at, ELFMAG, SELFMAG) == 0;
}

/* Bias and build-id of the module whose file offset 0 is mapped at `at`. */
static void read_elf(const struct snap *s, uintptr_t at, struct atoll_dump_module *m)
{
    m->bias = at;
    if (!mapped(s, at, at + sizeof(Elf64_Ehdr)))
        return;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)at;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_phentsize != sizeof(Elf64_Phdr))
        return;
    uintptr_t ph = at + eh->e_phoff;
    if (!mapped(s, ph, ph + (uintptr_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        return;
    const Elf64_Phdr *phdr = (const Elf64_Phdr *)ph;
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (phdr[i].p_type == PT_LOAD) {
            m->bias = at - (phdr[i].p_vaddr & ~(uintptr_t)0xFFF);
            break;
        }
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (phdr[i].p_type != PT_NOTE)
            continue;
        uintptr_t n = m->bias + phdr[i].p_vaddr, end = n + phdr[i].p_memsz;
        if (!mapped(s, n, end))
            continue;
        while (n + sizeof(Elf64_Nhdr) <= end) {
            const Elf64_Nhdr *nh = (const Elf64_Nhdr *)n;
            uintptr_t name = n + sizeof *nh, desc = name + ((nh->n_namesz + 3) & ~3u);
            uintptr_t next = desc + ((nh->n_descsz + 3) & ~3u);
            if (next > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp((const void *)name, "GNU", 4) == 0 && nh->n_descsz <= sizeof m->build_id) {
                memcpy(m->build_id, (const void *)desc, nh->n_descsz);
                m->build_id_size = nh->n_descsz;
                return;
            }
            n = next;
        }
    }
}

int snap_read_maps(struct snap *s)
{
    size_t cap = (size_t)8 << 20, len = 0;
    maps_text = cmem_alloc(cap);
    int fd = (int)syscall(SYS_open, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (!maps_text || fd < 0)
        return -1;
    for (;;) {
        ssize_t got = read(fd, maps_text + len, cap - len - 1);
        if (got <= 0)
            break;
        len += (size_t)got;
        if (len + 1 >= cap)
            break;
    }
    close(fd);
    maps_text[len] = 0;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += maps_text[i] == '\n';
    s->maps = cmem_alloc((lines + 1) * sizeof *s->maps);
    if (!s->maps)
        return -1;
    for (char *line = maps_text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        struct mapping *m = &s->maps[s->nmaps];
        const char *p = line;
        m->start = atoll_parse_hex(&p);
        p++;
        m->end = atoll_parse_hex(&p);
        p++;
        m->readable = p[0] == 'r';
        m->writable = p[1] == 'w';
        p += 5;
        m->offset = atoll_parse_hex(&p);
        for (int field = 0; field < 2 && *p; field++) { /* device, inode */
            while (*p == ' ')
                p++;
            while (*p && *p != ' ')
                p++;
        }
        while (*p == ' ')
            p++;
        m->path = p;
        m->module = ATOLL_NONE;
        s->nmaps++;
        if (!nl)
            break;
        line = nl + 1;
    }
    /* Modules: runs of mappings of one file; the anonymous mapping right after a module's
     * writable one is its .bss. */
    for (size_t i = 0; i < s->nmaps; i++) {
        struct mapping *m = &s->maps[i];
        if (m->path[0] == '/' ) {
            struct atoll_dump_module *mod = s->modules.len ? (struct atoll_dump_module *)s->modules.data + s->modules.len - 1 : NULL;
            const struct mapping *prev = i ? &s->maps[i - 1] : NULL;
            if (!mod || !prev || prev->module == ATOLL_NONE || strcmp(prev->path, m->path) != 0) {
                if (m->offset != 0 || !is_elf(s, m->start))
                    continue;
                mod = cvec_push(&s->modules);
                if (!mod)
                    return -1;
                memset(mod, 0, sizeof *mod);
                mod->start = m->start;
                mod->path = snap_add_string(s, m->path, strlen(m->path));
                read_elf(s, m->start, mod);
            }
            m->module = (uint32_t)(s->modules.len - 1);
            mod->end = m->end;
        } else if (!m->path[0] && i && s->maps[i - 1].module != ATOLL_NONE &&
                   s->maps[i - 1].writable && m->writable && s->maps[i - 1].end == m->start) {
            m->module = s->maps[i - 1].module;
            ((struct atoll_dump_module *)s->modules.data)[m->module].end = m->end;
        }
    }
    return 0;
}

static int is_self(const struct snap *s, const struct mapping *m)
{
    extern char atoll_self_marker;
    uintptr_t me = (uintptr_t)&atoll_self_marker;
    if (m->module == ATOLL_NONE)
        return 0;
    const struct atoll_dump_module *mod = (const struct atoll_dump_module *)s->modules.data + m->module;
    return me >= mod->start && me < mod->end;
}

static const struct atoll_world_thread *thread_in(const struct mapping *m, uint32_t *index)
{
    for (uint32_t t = 0; t < atoll_world.nthreads && t < ATOLL_WORLD_MAX_THREADS; t++) {
        uintptr_t sp = atoll_world.threads[t].sp;
        if (sp >= m->start && sp < m->end) {
            *index = t;
            return &atoll_world.threads[t];
        }
    }
    return NULL;
}

static const struct atoll_world_thread *tls_in(const struct mapping *m, uint32_t *index)
{
    for (uint32_t t = 0; t < atoll_world.nthreads && t < ATOLL_WORLD_MAX_THREADS; t++) {
        uintptr_t tp = atoll_world.threads[t].tp;
        if (tp > m->start && tp <= m->end) {
            *index = t;
            return &atoll_world.threads[t];
        }
    }
    return NULL;
}

#define MAX_DEAD 256

static uintptr_t dead[MAX_DEAD][2];     /* the Python data stacks' dead parts */
static unsigned ndead;

/* Scans [lo, hi) less the dead parts of the Python data stacks in it. */
static void scan_live(struct snap *s, uintptr_t lo, uintptr_t hi, uint32_t kind, uint32_t index,
                      uintptr_t tls_lo, uintptr_t tls_hi)
{
    for (unsigned i = 0; i < ndead && lo < hi; i++) {
        if (dead[i][1] <= lo || dead[i][0] >= hi)
            continue;
        if (dead[i][0] > lo)
            scan_live(s, lo, dead[i][0], kind, index, tls_lo, tls_hi);
        lo = dead[i][1];
    }
    if (lo < hi)
        snap_scan_range(s, lo, hi, kind, index, tls_lo, tls_hi);
}

/* Scans [lo, hi) less the parts that are atoll's own memory: the kernel merges neighbouring
 * mappings, so atoll's reservations can share a line of /proc/self/maps with the program's
 * memory, or follow a library's data as if they were its .bss. */
static void scan_unowned(struct snap *s, uintptr_t lo, uintptr_t hi, uint32_t kind, uint32_t index,
                         uintptr_t tls_lo, uintptr_t tls_hi)
{
    uintptr_t own_lo, own_hi;
    while (lo < hi && atoll_os_next_owned(lo, hi, &own_lo, &own_hi)) {
        if (own_lo > lo)
            scan_live(s, lo, own_lo, kind, index, tls_lo, tls_hi);
        lo = own_hi;
    }
    if (lo < hi)
        scan_live(s, lo, hi, kind, index, tls_lo, tls_hi);
}

/* glibc's chunk header before a large block: prev_size (for a chunk of its own mapping, how
 * far into the mapping the chunk starts), then the size with IS_MMAPPED in bit 1. */
#define CHUNK_IS_MMAPPED 2

/* Scans a mapping of no module less the chunks of the large blocks in it. A large block whose
 * chunk is not a mapping of its own (IS_MMAPPED clear) lies in one of glibc's arenas, whose
 * free chunks keep stale pointers: a mapping holding one is not scanned at all. */
static void scan_other(struct snap *s, const struct mapping *m, uint32_t kind, uint32_t index,
                       uintptr_t tls_lo, uintptr_t tls_hi)
{
    size_t first = 0, hi = s->nlarge;
    while (first < hi) {
        size_t mid = (first + hi) / 2;
        if (s->large[mid].address < m->start)
            first = mid + 1;
        else
            hi = mid;
    }
    size_t end = first;
    for (; end < s->nlarge && s->large[end].address < m->end; end++) {
        uintptr_t chunk = s->large[end].address - 16;
        if (chunk < m->start || !(((const uint64_t *)chunk)[1] & CHUNK_IS_MMAPPED))
            return;
    }
    uintptr_t lo = m->start;
    for (size_t i = first; i < end; i++) {
        const uint64_t *chunk = (const uint64_t *)(s->large[i].address - 16);
        uintptr_t from = (uintptr_t)chunk - chunk[0];
        uintptr_t to = (uintptr_t)chunk + (chunk[1] & ~(uint64_t)7);
        if (from > lo)
            scan_unowned(s, lo, from, kind, index, tls_lo, tls_hi);
        if (to > lo)
            lo = to;
    }
    if (lo < m->end)
        scan_unowned(s, lo, m->end, kind, index, tls_lo, tls_hi);
}

/* glibc's stack of a thread that has ended, kept for the next thread: a mapping of no file
 * above a guard page, whose top holds a thread descriptor (its first and third words point to
 * itself) whose tid is not a thread's: the kernel clears it when the thread exits, and glibc
 * sets -1 once the stack is free (its own test for a dead thread is tid <= 0). glibc puts the
 * descriptor at the top, aligned down to the static TLS alignment: looked for within 64 KiB. */
static int dead_thread_stack(const struct snap *s, size_t i)
{
    const struct mapping *m = &s->maps[i];
    uintptr_t tcb = atoll_world.tcb_size, tid = atoll_world.tid_offset;
    if (!tid || m->path[0] || i == 0 || s->maps[i - 1].end != m->start ||
        s->maps[i - 1].readable || m->end - m->start < tcb + 65536)
        return 0;
    for (uintptr_t pd = (m->end - tcb) & ~(uintptr_t)63; pd + 65536 > m->end; pd -= 64) {
        const uintptr_t *w = (const uintptr_t *)pd;
        if (w[0] == pd && w[2] == pd)
            return *(const int32_t *)(pd + tid) <= 0;
    }
    return 0;
}

void snap_scan_roots(struct snap *s)
{
    ndead = snap_python_dead_stacks(s, dead, MAX_DEAD);
    for (uint32_t t = 0; t < atoll_world.nthreads && t < ATOLL_WORLD_MAX_THREADS; t++)
        for (unsigned r = 0; r < 17; r++)
            snap_add_register_root(s, t, (uint32_t)dwarf_of_greg[r], atoll_world.threads[t].regs[r]);
    for (size_t i = 0; i < s->nmaps; i++) {
        const struct mapping *m = &s->maps[i];
        if (!m->readable || !m->writable || (m->path[0] == '[' && strcmp(m->path, "[stack]") != 0))
            continue;
        if (is_self(s, m))
            continue;
        uint32_t t;
        const struct atoll_world_thread *th = thread_in(m, &t);
        uintptr_t tls_lo = 0, tls_hi = 0;
        uint32_t tt = 0;
        const struct atoll_world_thread *owner = tls_in(m, &tt);
        if (owner && s->static_tls > atoll_world.tcb_size) {
            /* glibc's static TLS size counts the thread descriptor above the thread pointer:
             * the TLS proper ends at tp, and below it starts the stack of a thread. */
            tls_lo = owner->tp - (s->static_tls - atoll_world.tcb_size);
            tls_hi = owner->tp;
        }
        if (th)
            scan_unowned(s, th->sp, m->end, ATOLL_DUMP_ROOT_STACK, t, tls_lo, tls_hi);
        else if (m->module != ATOLL_NONE)
            scan_unowned(s, m->start, m->end, ATOLL_DUMP_ROOT_GLOBAL, m->module, 0, 0);
        else if (!owner && dead_thread_stack(s, i))
            continue;
        else
            scan_other(s, m,
                       strcmp(m->path, "[stack]") == 0 ? ATOLL_DUMP_ROOT_STACK
                                                       : ATOLL_DUMP_ROOT_MAPPING,
                       owner ? tt : 0, tls_lo, tls_hi);
    }
}
