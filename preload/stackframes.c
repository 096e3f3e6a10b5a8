/* STACKFRAMES: the frames of each stopped thread's stack at the collection, so that a report
 * can name the function whose frame holds a stack root. In the snapshot child, from the
 * registers the thread was stopped with, by the rules the stack walker uses (cfa.c), reading
 * the snapshot's copy of the stack: no allocation, no lock, no loader call (a stopped thread may
 * hold the loader's lock). The walk stops where a rule is missing or of another form, at the
 * end of the stack, or at a word outside readable memory: the frames up to there are written. */
#include "snapshot.h"
#include "unwind.h"
#include "world.h"

#include <elf.h>
#include <sys/ucontext.h>

#define MAX_FRAMES 256

/* The module of the snapshot holding pc, with its unwind table: 0 when none. */
static int module_of(const struct snap *s, uintptr_t pc, struct atoll_module *out)
{
    const struct atoll_dump_module *mods = s->modules.data;
    for (size_t i = 0; i < s->modules.len; i++) {
        const struct atoll_dump_module *m = &mods[i];
        if (pc < m->start || pc >= m->end || !snap_readable(s, m->start, m->start + sizeof(Elf64_Ehdr)))
            continue;
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m->start;
        uintptr_t ph = m->start + eh->e_phoff;
        if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
            !snap_readable(s, ph, ph + (uintptr_t)eh->e_phnum * sizeof(Elf64_Phdr)))
            return 0;
        const Elf64_Phdr *phdr = (const Elf64_Phdr *)ph;
        *out = (struct atoll_module){ m->start, m->end, 0 };
        for (unsigned k = 0; k < eh->e_phnum; k++)
            if (phdr[k].p_type == PT_GNU_EH_FRAME)
                out->eh_frame_hdr = m->bias + phdr[k].p_vaddr;
        return out->eh_frame_hdr != 0;
    }
    return 0;
}

static int word_at(const struct snap *s, uintptr_t at, uintptr_t *v)
{
    if (at % 8 || !snap_readable(s, at, at + 8))
        return 0;
    *v = *(const uintptr_t *)at;
    return 1;
}

/* One thread's frames into out. */
static void walk(const struct snap *s, uint32_t thread, const struct atoll_world_thread *th,
                 struct cvec *out)
{
    uintptr_t pc = th->regs[REG_RIP], sp = th->regs[REG_RSP], rbp = th->regs[REG_RBP];
    uintptr_t last = 0;
    for (uint32_t depth = 0; depth < MAX_FRAMES && pc >= 0x4000; depth++) {
        struct atoll_module m;
        if (!module_of(s, pc, &m))
            return;
        /* a return address is looked up at the call before it, as the walker does */
        struct atoll_rule r = atoll_cfa_rule(&m, depth ? pc - 1 : pc);
        uintptr_t cfa;
        if (r.kind == ATOLL_RULE_RSP)
            cfa = sp + (intptr_t)r.cfa_off;
        else if (r.kind == ATOLL_RULE_RBP)
            cfa = rbp + (intptr_t)r.cfa_off;
        else if (r.kind == ATOLL_RULE_END)
            cfa = UINTPTR_MAX;      /* the outermost frame holds the rest of the stack */
        else if (r.kind == ATOLL_RULE_SIGNAL && snap_readable(s, sp, sp + sizeof(ucontext_t)))
            cfa = sp + sizeof(ucontext_t);
        else
            return;
        if (cfa <= last)
            return;
        struct atoll_dump_stackframe *f = cvec_push(out);
        if (!f)
            return;
        *f = (struct atoll_dump_stackframe){ thread, depth, pc, cfa };
        last = cfa;
        if (r.kind == ATOLL_RULE_END)
            return;
        if (r.kind == ATOLL_RULE_SIGNAL) {
            const ucontext_t *uc = (const ucontext_t *)sp;
            pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
            sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
            rbp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
            continue;
        }
        if (r.rbp_saved && !word_at(s, cfa + (intptr_t)r.rbp_off, &rbp))
            return;
        if (!word_at(s, cfa - 8, &pc))
            return;
        sp = cfa;
    }
}

void snap_stackframes(const struct snap *s, struct cvec *out)
{
    cvec_init(out, sizeof(struct atoll_dump_stackframe));
    for (uint32_t t = 0; t < atoll_world.nthreads && t < ATOLL_WORLD_MAX_THREADS; t++)
        if (atoll_world.threads[t].flags & ATOLL_DUMP_THREAD_STOPPED)
            walk(s, t, &atoll_world.threads[t], out);
}
