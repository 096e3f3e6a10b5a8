/* How the snapshot names atoll's roots: one synthetic node per named root, each ROOTS record an
 * edge from it. Roots are named by kind and place here: a module's globals, a thread's stack,
 * registers or TLS, the other mappings, the loader, atoll_ignore(). The one place to change when
 * roots get finer names (a global's symbol, a stack slot's function). */
#include "export.h"

#include <string.h>

static const char *base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void thread_of(struct outbuf *o, const struct dump *d, uint32_t index, const char *what)
{
    const struct atoll_dump_thread *t = &d->threads[index];
    ob_str(o, t->flags & ATOLL_DUMP_THREAD_MAIN ? "(main thread " : "(thread ");
    ob_u64(o, t->tid);
    ob_put(o, " ", 1);
    ob_str(o, what);
    ob_put(o, ")", 1);
}

void export_root_name(struct outbuf *o, const struct dump *d, const struct atoll_dump_root *r)
{
    switch (r->kind) {
    case ATOLL_DUMP_ROOT_STACK:
        thread_of(o, d, r->index, "stack");
        break;
    case ATOLL_DUMP_ROOT_REGISTER:
        thread_of(o, d, r->index, "registers");
        break;
    case ATOLL_DUMP_ROOT_TLS:
        thread_of(o, d, r->index, "TLS");
        break;
    case ATOLL_DUMP_ROOT_GLOBAL:
        ob_str(o, "(globals) ");
        ob_str(o, base(dump_string(d, d->modules[r->index].path)));
        break;
    case ATOLL_DUMP_ROOT_MAPPING:
        ob_str(o, "(other mappings)");
        break;
    case ATOLL_DUMP_ROOT_LOADER:
        ob_str(o, "(loader)");
        break;
    default:
        ob_str(o, "(atoll_ignore)");
        break;
    }
}

/* DWARF's x86-64 register numbers. */
static const char *const regs[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
                                   "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"};

void export_root_edge(struct outbuf *o, const struct dump *d, const struct atoll_dump_root *r)
{
    switch (r->kind) {
    case ATOLL_DUMP_ROOT_STACK: {
        uint64_t sp = d->threads[r->index].sp;
        if (r->where >= sp) {
            ob_str(o, "sp+");
            ob_hex(o, r->where - sp);
        } else {
            ob_hex(o, r->where);
        }
        break;
    }
    case ATOLL_DUMP_ROOT_REGISTER:
        if (r->where < sizeof regs / sizeof *regs) {
            ob_str(o, regs[r->where]);
        } else {
            ob_str(o, "r#");
            ob_u64(o, r->where);
        }
        break;
    case ATOLL_DUMP_ROOT_GLOBAL:
        /* the file's virtual address, as nm and the debugger give it */
        ob_put(o, "+", 1);
        ob_hex(o, r->where - d->modules[r->index].bias);
        break;
    case ATOLL_DUMP_ROOT_LOADER:
        ob_str(o, "loader");
        break;
    case ATOLL_DUMP_ROOT_IGNORED:
        ob_str(o, "ignored");
        break;
    default:
        ob_hex(o, r->where);
        break;
    }
}
