/* The stack walker's pieces: per-PC frame rules from .eh_frame (cfa.c), the modules they come
 * from (modules.c), and the walk with its per-thread caches (unwind.c). */
#ifndef ATOLL_UNWIND_H
#define ATOLL_UNWIND_H

#include <stdint.h>

/* How to find the caller's frame from a frame at one PC: the row of the CFI table at that PC,
 * when it has the form that libunwind's fast tracer follows (CFA = rsp or rbp + offset, return
 * address at CFA - 8, rbp unchanged or saved at CFA + offset), or a signal frame, or the end
 * of the stack. Any other row is ATOLL_RULE_OTHER: the walk then leaves the stack to
 * libunwind, so that what is recorded stays exactly what libunwind records. */
enum atoll_rule_kind {
    ATOLL_RULE_NONE,    /* no unwind information for this PC */
    ATOLL_RULE_OTHER,   /* information the rule format cannot express */
    ATOLL_RULE_END,     /* the return address is undefined: the outermost frame */
    ATOLL_RULE_RSP,     /* CFA = rsp + cfa_off */
    ATOLL_RULE_RBP,     /* CFA = rbp + cfa_off */
    ATOLL_RULE_SIGNAL,  /* a signal trampoline: the registers are in the ucontext at rsp */
};

struct atoll_rule {
    uint8_t kind;
    uint8_t rbp_saved;  /* rbp saved at CFA + rbp_off; else unchanged */
    int16_t rbp_off;
    int32_t cfa_off;
};

/* modules.c: the loaded module whose segments hold pc. gen is the unload generation the
 * answer belongs to (see atoll_modules_gen). */
struct atoll_module {
    uintptr_t lo, hi;       /* the span of its PT_LOAD segments */
    uintptr_t eh_frame_hdr; /* 0 if it has none */
};
int atoll_module_find(uintptr_t pc, struct atoll_module *out) ATOLL_HIDDEN;
/* Odd while a dlclose is under way; bumped twice by each. Rules and remembered stacks of
 * another generation are not used. */
uint64_t atoll_modules_gen(void) ATOLL_HIDDEN;
void atoll_modules_unload_begin(void) ATOLL_HIDDEN;
void atoll_modules_unload_end(void) ATOLL_HIDDEN;

/* cfa.c: the rule at pc, from the module's .eh_frame_hdr and .eh_frame. */
struct atoll_rule atoll_cfa_rule(const struct atoll_module *m, uintptr_t pc) ATOLL_HIDDEN;

/* unwind.c: the return addresses of the calling thread's stack above atoll's own frames, as
 * libunwind's unw_backtrace gives them (depth at most atoll_g.stack_depth), interned as a
 * site id. ra is the return address of the exported entry point, a hint for the cache. */
uint32_t atoll_unwind_site(const void *ra) ATOLL_HIDDEN;

#endif
