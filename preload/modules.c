/* The loaded modules the stack walker reads unwind information from: found once each through
 * dl_iterate_phdr, then kept in a small table.
 *
 * A dlclose may unmap a module and a later dlopen put another at its address, so the table is
 * emptied around every dlclose, and gen (odd while one is under way) tells the walker's caches
 * that what they hold may be stale; while it is odd, every lookup asks the loader (a module on
 * the caller's stack cannot be the one being unloaded), and what it finds is not kept.
 * dl_iterate_phdr takes the loader's lock: it is never called with our lock held (a thread in
 * dlopen that mallocs while holding the loader's lock would wait for ours). */
#include "internal.h"
#include "unwind.h"

#include <link.h>

#define MAX_MODULES 512

static struct atoll_module table[MAX_MODULES];
static unsigned count;
static uint64_t gen;

uint64_t atoll_modules_gen(void)
{
    return __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
}

static void clear(void)
{
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_MODULES);
    count = 0;
    atoll_lock_drop(ATOLL_LOCK_MODULES);
    atoll_critical_exit();
}

void atoll_modules_unload_begin(void)
{
    __atomic_fetch_add(&gen, 1, __ATOMIC_ACQ_REL);
    clear();
}

void atoll_modules_unload_end(void)
{
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_MODULES);
    count = 0;
    __atomic_fetch_add(&gen, 1, __ATOMIC_ACQ_REL);
    atoll_lock_drop(ATOLL_LOCK_MODULES);
    atoll_critical_exit();
}

static int lookup(uintptr_t pc, struct atoll_module *out)
{
    int found = 0;
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_MODULES);
    for (unsigned i = 0; i < count; i++)
        if (pc >= table[i].lo && pc < table[i].hi) {
            *out = table[i];
            found = 1;
            break;
        }
    atoll_lock_drop(ATOLL_LOCK_MODULES);
    atoll_critical_exit();
    return found;
}

struct probe {
    uintptr_t pc;
    struct atoll_module m;
    int found;
};

/* The module whose PT_LOAD segments hold the pc, as libunwind decides it. */
static int find_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct probe *p = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0, hdr = 0;
    int holds = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (p->pc >= start && p->pc < start + ph->p_memsz)
                holds = 1;
            if (start < lo)
                lo = start;
            if (start + ph->p_memsz > hi)
                hi = start + ph->p_memsz;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            hdr = start;
        }
    }
    if (!holds)
        return 0;
    p->m.lo = lo;
    p->m.hi = hi;
    p->m.eh_frame_hdr = hdr;
    p->found = 1;
    return 1;
}

int atoll_module_find(uintptr_t pc, struct atoll_module *out)
{
    uint64_t before = atoll_modules_gen();
    if (!(before & 1) && lookup(pc, out))
        return 1;
    struct probe p = { .pc = pc };
    dl_iterate_phdr(find_module, &p);
    if (!p.found)
        return 0;
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_MODULES);
    if (!(before & 1) && __atomic_load_n(&gen, __ATOMIC_ACQUIRE) == before && count < MAX_MODULES)
        table[count++] = p.m;
    atoll_lock_drop(ATOLL_LOCK_MODULES);
    atoll_critical_exit();
    *out = p.m;
    return 1;
}
