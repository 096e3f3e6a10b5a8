/* The ROOTS records named in Valgrind's words, resolved offline: a global by the ELF symbol of
 * its module that holds the word (`global g_table (server)`, the word's offset inside it shown
 * apart), a stack word by its thread and, where the dump has the thread's frames (STACKFRAMES),
 * the function whose frame holds it; registers, TLS and other mappings by kind. A global no
 * symbol covers is named by its module and its address in the file, as a frame without one. */
#include "roots.h"

#include <stdlib.h>
#include <string.h>

struct root_namer {
    const struct dump *d;
    struct symbols *sym;
};

/* x86-64 DWARF register numbers, as ROOTS records them */
static const char *const reg_names[17] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
                                          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                                          "rip"};

struct root_namer *root_namer_new(const struct dump *d, struct symbols *sym)
{
    struct root_namer *rn = calloc(1, sizeof *rn);
    if (rn)
        *rn = (struct root_namer){d, sym};
    return rn;
}

void root_namer_free(struct root_namer *rn)
{
    free(rn);
}

const char *root_kind_name(uint32_t kind)
{
    static const char *const names[] = {"?", "stack", "register", "global", "tls", "mapping",
                                        "loader", "ignored"};
    return kind < sizeof names / sizeof *names ? names[kind] : "?";
}

static const char *base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* The symbol of a global root; false when none covers the word. */
static bool global_symbol(struct root_namer *rn, const struct atoll_dump_root *r,
                          const char **name, uint64_t *off)
{
    return rn->sym && symbols_data(rn->sym, r->where, name, off);
}

/* The STACKFRAMES record of thread t whose slots hold address w, or NULL. */
static const struct atoll_dump_stackframe *frame_of(const struct dump *d, uint32_t t, uint64_t w)
{
    uint32_t lo = 0, hi = d->nstackframes;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->stackframes[mid].thread < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (w < d->threads[t].sp)
        return NULL;
    for (uint32_t i = lo; i < d->nstackframes && d->stackframes[i].thread == t; i++)
        if (w < d->stackframes[i].cfa)
            return &d->stackframes[i];
    return NULL;
}

/* The function of a frame: the one whose code it runs (inlined calls folded into it). */
static const struct frame_sym *frame_function(struct root_namer *rn,
                                              const struct atoll_dump_stackframe *f)
{
    uint32_t n = 0;
    /* a return address is looked up at the call before it; the stopped pc is the instruction */
    const struct frame_sym *s =
        rn->sym ? symbols_address(rn->sym, f->depth ? f->pc : f->pc + 1, &n) : NULL;
    return n && s[n - 1].function ? &s[n - 1] : NULL;
}

static void function_text(struct outbuf *o, const struct frame_sym *f)
{
    ob_str(o, f->function);
    if (f->file) {
        ob_str(o, " (");
        ob_str(o, base(f->file));
        ob_put(o, ":", 1);
        ob_u64(o, f->line);
        ob_put(o, ")", 1);
    }
}

static void thread_text(struct outbuf *o, const struct dump *d, uint32_t t)
{
    ob_str(o, "thread ");
    ob_u64(o, d->threads[t].tid);
    if (d->threads[t].flags & ATOLL_DUMP_THREAD_MAIN)
        ob_str(o, " (main)");
}

/* The frame of a stack or register root, when the dump has its thread's frames. */
static const struct atoll_dump_stackframe *root_frame(const struct dump *d,
                                                      const struct atoll_dump_root *r)
{
    if (r->kind == ATOLL_DUMP_ROOT_STACK)
        return frame_of(d, r->index, r->where);
    if (r->kind == ATOLL_DUMP_ROOT_REGISTER)
        return frame_of(d, r->index, d->threads[r->index].sp);
    return NULL;
}

void root_name_text(struct outbuf *o, struct root_namer *rn, uint32_t ri)
{
    const struct dump *d = rn->d;
    const struct atoll_dump_root *r = &d->roots[ri];
    const char *name;
    uint64_t off;
    switch (r->kind) {
    case ATOLL_DUMP_ROOT_GLOBAL: {
        const char *module = base(dump_string(d, d->modules[r->index].path));
        ob_str(o, "global ");
        if (global_symbol(rn, r, &name, &off)) {
            ob_str(o, name);
            ob_str(o, " (");
            ob_str(o, module);
            ob_put(o, ")", 1);
        } else {
            /* no symbol covers it (a static of a stripped file): where it is in the file */
            ob_str(o, module);
            ob_put(o, "+", 1);
            ob_hex(o, r->where - d->modules[r->index].bias);
        }
        return;
    }
    case ATOLL_DUMP_ROOT_STACK:
    case ATOLL_DUMP_ROOT_REGISTER: {
        if (r->kind == ATOLL_DUMP_ROOT_REGISTER) {
            ob_str(o, "register ");
            ob_str(o, r->where < 17 ? reg_names[r->where] : "?");
            ob_str(o, " of ");
        } else {
            ob_str(o, "stack of ");
        }
        thread_text(o, d, r->index);
        const struct atoll_dump_stackframe *f = root_frame(d, r);
        const struct frame_sym *fn = f ? frame_function(rn, f) : NULL;
        if (fn) {
            ob_str(o, r->kind == ATOLL_DUMP_ROOT_STACK ? ", frame #" : ", in frame #");
            ob_u64(o, f->depth);
            ob_str(o, " of ");
            function_text(o, fn);
        }
        return;
    }
    case ATOLL_DUMP_ROOT_TLS:
        ob_str(o, "TLS of ");
        thread_text(o, d, r->index);
        return;
    case ATOLL_DUMP_ROOT_MAPPING:
        ob_str(o, "mapping (memory no module owns)");
        return;
    case ATOLL_DUMP_ROOT_LOADER:
        ob_str(o, "the dynamic loader's bookkeeping");
        return;
    case ATOLL_DUMP_ROOT_IGNORED:
        ob_str(o, "atoll_ignore()");
        return;
    }
    ob_str(o, "root of kind ");
    ob_u64(o, r->kind);
}

bool root_where_text(struct outbuf *o, struct root_namer *rn, uint32_t ri)
{
    const struct atoll_dump_root *r = &rn->d->roots[ri];
    const char *name;
    uint64_t off;
    if (r->kind == ATOLL_DUMP_ROOT_GLOBAL && global_symbol(rn, r, &name, &off)) {
        ob_str(o, "[+");
        ob_u64(o, off);
        ob_put(o, "]", 1);
        return true;
    }
    if (r->kind == ATOLL_DUMP_ROOT_STACK || r->kind == ATOLL_DUMP_ROOT_TLS ||
        r->kind == ATOLL_DUMP_ROOT_MAPPING) {
        ob_put(o, "[", 1);
        ob_hex(o, r->where);
        ob_put(o, "]", 1);
        return true;
    }
    return false;
}

void root_name_json(struct outbuf *o, struct root_namer *rn, uint32_t ri)
{
    const struct dump *d = rn->d;
    const struct atoll_dump_root *r = &d->roots[ri];
    ob_str(o, "\"kind\":");
    ob_json_str(o, root_kind_name(r->kind));
    struct outbuf text;        /* in memory: the name is short */
    ob_init(&text, NULL);
    root_name_text(&text, rn, ri);
    ob_put(&text, "", 1);
    if (!text.failed) {
        ob_str(o, ",\"name\":");
        ob_json_str(o, text.buf);
    }
    free(text.buf);
    const char *name;
    uint64_t off;
    switch (r->kind) {
    case ATOLL_DUMP_ROOT_GLOBAL:
        ob_str(o, ",\"module\":");
        ob_json_str(o, dump_string(d, d->modules[r->index].path));
        if (global_symbol(rn, r, &name, &off)) {
            ob_str(o, ",\"symbol\":");
            ob_json_str(o, name);
            ob_printf(o, ",\"offset\":%llu", (unsigned long long)off);
        }
        ob_printf(o, ",\"module_offset\":%llu",
                  (unsigned long long)(r->where - d->modules[r->index].bias));
        break;
    case ATOLL_DUMP_ROOT_STACK:
    case ATOLL_DUMP_ROOT_REGISTER:
    case ATOLL_DUMP_ROOT_TLS: {
        ob_printf(o, ",\"thread\":%u", d->threads[r->index].tid);
        const struct atoll_dump_stackframe *f = root_frame(d, r);
        const struct frame_sym *fn = f ? frame_function(rn, f) : NULL;
        if (fn) {
            ob_printf(o, ",\"frame\":%u,\"function\":", f->depth);
            ob_json_str(o, fn->function);
        }
        if (r->kind == ATOLL_DUMP_ROOT_REGISTER) {
            ob_str(o, ",\"register\":");
            ob_json_str(o, r->where < 17 ? reg_names[r->where] : "?");
        }
        break;
    }
    default:
        break;
    }
    if (r->kind != ATOLL_DUMP_ROOT_REGISTER && r->kind != ATOLL_DUMP_ROOT_LOADER &&
        r->kind != ATOLL_DUMP_ROOT_IGNORED) {
        ob_str(o, ",\"address\":");
        ob_printf(o, "\"0x%llx\"", (unsigned long long)r->where);
    }
}
