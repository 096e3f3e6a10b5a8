/* Every allocation's call stack, as libunwind's unw_backtrace would give it, at a fraction of
 * its cost.
 *
 * The walk: from the registers at the capture, each frame's rule (cfa.c; cached per PC)
 * gives the caller's stack pointer, return address and rbp, as libunwind's fast tracer
 * computes them. A frame whose rule it cannot follow (no unwind information, a DWARF
 * expression) hands the whole stack to unw_backtrace, so what is recorded never differs.
 *
 * Remembered stacks: the walk is a function of the registers it starts from (the stack pointer
 * and, if some rule used it before any frame restored it, rbp), the words it read from the
 * stack (return addresses, saved rbp, signal contexts) and the rules. Each walk is kept with
 * the addresses and values of the words it read, under its stack pointer and the program's
 * return address; when the same stack pointer and return address come again and every one of
 * those words still holds its value, the walk would repeat itself word for word, and its site
 * id is taken as it is. A program allocating in a loop reads a few dozen words per allocation
 * instead of unwinding.
 *
 * Everything lives in the calling thread's heap (never shared: no lock), in atoll's own mmap'ed
 * memory. A signal handler's malloc in the middle of a capture gets the unknown site (the
 * caller's flag), as it did with libunwind. Reads are checked against the readable mapping that
 * holds them (from /proc/self/maps, once per mapping), so a bad rule ends in libunwind's hands,
 * not in a fault. */
#define UNW_LOCAL_ONLY
#include "internal.h"
#include "unwind.h"

#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RULE_SLOTS 4096
#define RULE_PROBES 8
#define RANGES 4
#define MEMO_BYTES ((size_t)1 << 20)
#define MEMO_WAYS 4 /* stacks kept under one key: calls from several places of one caller */
#define SIGNAL_RIP 0xa8 /* offsets in ucontext_t of uc_mcontext.gregs[REG_RIP], ... */
#define SIGNAL_RBP 0x78
#define SIGNAL_RSP 0xa0

struct rule_entry {
    uintptr_t pc;
    struct atoll_rule rule;
};

struct check {
    uintptr_t addr, value;
};

struct memo_slot {
    uint64_t tag;                 /* the modules' generation + 1 when made; 0: empty */
    uintptr_t sp, ra, bp;
    uint32_t site;
    uint16_t nchecks;
    uint8_t uses_bp;
    struct check checks[];
};

struct range {
    uintptr_t lo, hi;
};

struct unwind_state {
    uint64_t gen;                 /* of the modules the rules and stacks were made with */
    uintptr_t ranges_tp;          /* the thread the ranges were read for */
    struct range ranges[RANGES];
    unsigned next_range;
    unsigned memo_mask, memo_cap;  /* sets - 1; words a stack may keep */
    unsigned next_way;
    size_t slot_bytes;
    struct rule_entry rules[RULE_SLOTS];
    char memo[];
};

static uintptr_t self_start, self_end;
static uintptr_t stop_lo, stop_len;
static uint64_t checked, differ;

void atoll_unwind_init(uintptr_t start, uintptr_t end)
{
    self_start = start;
    self_end = end;
}

/* In a Python program the native frames below the interpreter's eval loop are the interpreter's
 * own way into Python (main, Py_RunMain, PyObject_Call from C), told better by the Python frames
 * joined to the stack; and walking them costs most of a capture, with a site each for every
 * depth of recursion. So a stack ends at its first frame in [lo, hi), the eval loop. */
void atoll_unwind_stop_in(uintptr_t lo, uintptr_t hi)
{
    stop_lo = lo;
    stop_len = hi - lo;
}

static int stops(uintptr_t ra)
{
    return ra - 1 - stop_lo < stop_len;
}

static struct unwind_state *state_of(struct atoll_heap *h)
{
    if (ATOLL_LIKELY(h->unwind != NULL))
        return h->unwind;
    if (h == &atoll_empty_heap)
        return NULL;
    size_t cap = 2 * ((size_t)atoll_g.stack_depth + 8) + 16;
    size_t slot_bytes = sizeof(struct memo_slot) + cap * sizeof(struct check);
    size_t slots = 1;
    while (slots * 2 * MEMO_WAYS * slot_bytes <= MEMO_BYTES)
        slots *= 2;
    struct unwind_state *s = atoll_os_alloc(sizeof *s + slots * MEMO_WAYS * slot_bytes);
    if (!s)
        return NULL;
    s->memo_mask = (unsigned)slots - 1;
    s->memo_cap = (unsigned)cap;
    s->slot_bytes = slot_bytes;
    h->unwind = s;
    return s;
}

static struct memo_slot *way(struct unwind_state *s, char *set, unsigned i)
{
    return (struct memo_slot *)(set + (size_t)i * s->slot_bytes);
}

static char *set_of(struct unwind_state *s, uintptr_t sp, uintptr_t ra)
{
    uint64_t h = (sp ^ (ra * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
    return s->memo + (size_t)((h >> 40) & s->memo_mask) * MEMO_WAYS * s->slot_bytes;
}

/* After a dlclose: rules of unloaded code must not be used again (and the stacks, whose tags
 * no longer match, are not). */
static void forget(struct unwind_state *s, uint64_t gen)
{
    memset(s->rules, 0, sizeof s->rules);
    s->gen = gen;
}

static struct atoll_rule rule_at(struct unwind_state *s, uintptr_t pc, int keep)
{
    unsigned home = (unsigned)((pc * 0x9E3779B97F4A7C15ull) >> 52) & (RULE_SLOTS - 1);
    struct rule_entry *free_entry = &s->rules[home];
    for (unsigned i = 0; i < RULE_PROBES; i++) {
        struct rule_entry *e = &s->rules[(home + i) & (RULE_SLOTS - 1)];
        if (e->pc == pc)
            return e->rule;
        if (e->pc == 0) {
            free_entry = e;
            break;
        }
    }
    struct atoll_module m;
    struct atoll_rule rule = { ATOLL_RULE_NONE, 0, 0, 0 };
    if (atoll_module_find(pc, &m))
        rule = atoll_cfa_rule(&m, pc);
    if (keep) {
        free_entry->pc = pc;
        free_entry->rule = rule;
    }
    return rule;
}

static unsigned long hex_digit(char c)
{
    return c >= 'a' ? (unsigned long)(c - 'a' + 10) : (unsigned long)(c - '0');
}

/* The readable mapping that holds addr, from /proc/self/maps (raw reads: no stdio, no
 * malloc). */
static int read_range(uintptr_t addr, struct range *out)
{
    int saved = errno;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    int found = 0;
    if (fd < 0) {
        errno = saved;
        return 0;
    }
    char buf[1024];
    uintptr_t lo = 0, hi = 0;
    int field = 0;
    long n;
    while (!found && (n = syscall(SYS_read, fd, buf, sizeof buf)) > 0) {
        for (long i = 0; i < n && !found; i++) {
            char c = buf[i];
            if (c == '\n') {
                lo = hi = 0;
                field = 0;
            } else if (field == 0) {
                if (c == '-')
                    field = 1;
                else
                    lo = lo << 4 | hex_digit(c);
            } else if (field == 1) {
                if (c == ' ')
                    field = 2;
                else
                    hi = hi << 4 | hex_digit(c);
            } else if (field == 2) {
                field = 3;
                if (c == 'r' && addr >= lo && addr < hi) {
                    out->lo = lo;
                    out->hi = hi;
                    found = 1;
                }
            }
        }
    }
    syscall(SYS_close, fd);
    errno = saved;
    return found;
}

struct walk {
    struct unwind_state *s;
    struct memo_slot *slot;       /* where the words read go */
    uintptr_t frames[ATOLL_MAX_STACK_DEPTH + 8];
    unsigned n, max;
    int overflow;
    int stable;                   /* no dlclose under way: rules and the stack may be kept */
};

static int readable(struct unwind_state *s, uintptr_t addr)
{
    uintptr_t tp = (uintptr_t)__builtin_thread_pointer();
    if (s->ranges_tp != tp) {
        memset(s->ranges, 0, sizeof s->ranges);
        s->ranges_tp = tp;
    }
    for (unsigned i = 0; i < RANGES; i++)
        if (addr >= s->ranges[i].lo && addr + 8 <= s->ranges[i].hi)
            return 1;
    struct range r;
    if (!read_range(addr, &r) || addr + 8 > r.hi)
        return 0;
    s->ranges[s->next_range++ % RANGES] = r;
    return 1;
}

static int read_word(struct walk *w, uintptr_t addr, uintptr_t *value)
{
    if (!readable(w->s, addr))
        return -1;
    *value = *(const uintptr_t *)addr;
    struct memo_slot *slot = w->slot;
    if (slot->nchecks < w->s->memo_cap)
        slot->checks[slot->nchecks++] = (struct check){ addr, *value };
    else
        w->overflow = 1;
    return 0;
}

/* rbp in the walk: a value, or the stack slot it was saved in, read only if a rule needs it
 * (most frames of optimised code never do). */
struct rbp {
    uintptr_t value, slot;
    int initial;
};

static int rbp_value(struct walk *w, struct rbp *bp, uintptr_t *out)
{
    if (bp->slot) {
        if (read_word(w, bp->slot, &bp->value) != 0)
            return -1;
        bp->slot = 0;
    } else if (bp->initial) {
        w->slot->uses_bp = 1;
    }
    bp->initial = 0;
    *out = bp->value;
    return 0;
}

/* libunwind's tdep_trace, frame by frame: 0 when the stack ended or max frames were taken,
 * -1 when libunwind must take it. */
static int walk(struct walk *w, uintptr_t pc, uintptr_t sp, uintptr_t bp0)
{
    struct rbp bp = { bp0, 0, 1 };
    uintptr_t lookup = pc;
    while (w->n < w->max) {
        struct atoll_rule rule = rule_at(w->s, lookup, w->stable);
        uintptr_t cfa, ra;
        switch (rule.kind) {
        case ATOLL_RULE_END:
            return 0;
        case ATOLL_RULE_RSP:
        case ATOLL_RULE_RBP:
            if (rule.kind == ATOLL_RULE_RSP) {
                cfa = sp + (intptr_t)rule.cfa_off;
            } else {
                uintptr_t base;
                if (rbp_value(w, &bp, &base) != 0)
                    return -1;
                cfa = base + (intptr_t)rule.cfa_off;
            }
            if (read_word(w, cfa - 8, &ra) != 0)
                return -1;
            if (rule.rbp_saved) {
                bp.slot = cfa + (intptr_t)rule.rbp_off;
                bp.initial = 0;
            }
            sp = cfa;
            lookup = ra - 1;
            break;
        case ATOLL_RULE_SIGNAL:
            if (read_word(w, sp + SIGNAL_RIP, &ra) != 0 || read_word(w, sp + SIGNAL_RSP, &cfa) != 0)
                return -1;
            bp.slot = sp + SIGNAL_RBP;
            bp.initial = 0;
            sp = cfa;
            lookup = ra;
            break;
        default:
            return -1;
        }
        if (ra < 0x4000)
            return 0;
        w->frames[w->n++] = ra;
        if (stops(ra))
            return 0;
    }
    return 0;
}

/* Today's way, for the stacks the walk leaves to libunwind. */
static unsigned libunwind_frames(uintptr_t *frames, unsigned max)
{
    int n = unw_backtrace((void **)frames, (int)max);
    return n > 0 ? (unsigned)n : 0;
}

/* The program's frames: those above atoll's own, at most ATOLL_STACK_DEPTH. */
static unsigned program_frames(const uintptr_t *frames, unsigned n, const uintptr_t **out)
{
    unsigned first = 0;
    while (first < n && frames[first] >= self_start && frames[first] < self_end)
        first++;
    unsigned depth = 0;
    while (depth < n - first && depth < atoll_g.stack_depth && !stops(frames[first + depth++]))
        ;
    *out = frames + first;
    return depth;
}

static uint32_t intern(const uintptr_t *frames, unsigned n)
{
    const uintptr_t *program;
    unsigned depth = program_frames(frames, n, &program);
    return atoll_site_intern((void *const *)program, depth);
}

static void count_capture(unsigned which)
{
    struct atoll_heap_stats *st = &atoll_tls.heap->stats;
    if (atoll_tls.heap == &atoll_empty_heap)
        return;
    if (which == 0)
        st->stacks_remembered++;
    else if (which == 1)
        st->stacks_walked++;
    else
        st->stacks_libunwind++;
}

/* ATOLL_UNWIND_CHECK=1: every stack once more through unw_backtrace, and compared; not while
 * a dlclose runs (see capture). */
static void check_against_libunwind(uint32_t site)
{
    if (atoll_modules_gen() & 1)
        return;
    uintptr_t frames[ATOLL_MAX_STACK_DEPTH + 8];
    unsigned n = libunwind_frames(frames, atoll_g.stack_depth + 8);
    const uintptr_t *program;
    unsigned depth = program_frames(frames, n, &program);
    uint32_t got_depth;
    void *const *got = atoll_site_frames(site, &got_depth);
    __atomic_fetch_add(&checked, 1, __ATOMIC_RELAXED);
    if (got_depth == depth && (depth == 0 || memcmp(got, program, depth * sizeof *program) == 0))
        return;
    if (__atomic_fetch_add(&differ, 1, __ATOMIC_RELAXED) < 5) {
        char line[1024];
        size_t len = atoll_fmt(line, sizeof line, "unwind check: site %u (%u frames):", site,
                               got_depth);
        for (uint32_t i = 0; i < got_depth && len < sizeof line; i++)
            len += atoll_fmt(line + len, sizeof line - len, " %p", got[i]);
        if (len < sizeof line)
            len += atoll_fmt(line + len, sizeof line - len, "; libunwind (%u):", depth);
        for (unsigned i = 0; i < depth && len < sizeof line; i++)
            len += atoll_fmt(line + len, sizeof line - len, " %#lx", (unsigned long)program[i]);
        atoll_log("%s", line);
    }
}

void atoll_unwind_check_report(void)
{
    if (atoll_g.unwind_check && atoll_g.profiling)
        atoll_log("unwind check: %llu stacks compared with libunwind's, %llu differ",
                  (unsigned long long)__atomic_load_n(&checked, __ATOMIC_RELAXED),
                  (unsigned long long)__atomic_load_n(&differ, __ATOMIC_RELAXED));
}

static int same_words(const struct memo_slot *slot)
{
    for (unsigned i = 0; i < slot->nchecks; i++)
        if (*(const uintptr_t *)slot->checks[i].addr != slot->checks[i].value)
            return 0;
    return 1;
}

static uint32_t capture(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t ra)
{
    struct unwind_state *s = state_of(atoll_tls.heap);
    uint64_t gen = atoll_modules_gen();
    unsigned max = atoll_g.stack_depth + 8;
    if (!s) {
        uintptr_t frames[ATOLL_MAX_STACK_DEPTH + 8];
        count_capture(2);
        return intern(frames, libunwind_frames(frames, max));
    }
    /* While a dlclose runs, the walk asks the loader for every rule and keeps nothing: a thread
     * of libunwind's would wait for the loader's lock while holding its own. */
    int stable = !(gen & 1);
    if (ATOLL_UNLIKELY(stable && s->gen != gen))
        forget(s, gen);
    char *set = set_of(s, sp, ra);
    for (unsigned i = 0; stable && i < MEMO_WAYS; i++) {
        struct memo_slot *slot = way(s, set, i);
        if (slot->tag == gen + 1 && slot->sp == sp && slot->ra == ra &&
            (!slot->uses_bp || slot->bp == bp) && same_words(slot)) {
            count_capture(0);
            return slot->site;
        }
    }
    struct memo_slot *slot = way(s, set, s->next_way++ % MEMO_WAYS);
    struct walk w;
    w.s = s;
    w.slot = slot;
    w.n = 0;
    w.max = max;
    w.overflow = 0;
    w.stable = stable;
    slot->tag = 0;
    slot->nchecks = 0;
    slot->uses_bp = 0;
    if (walk(&w, pc, sp, bp) != 0) {
        count_capture(2);
        return intern(w.frames, libunwind_frames(w.frames, max));
    }
    uint32_t site = intern(w.frames, w.n);
    count_capture(1);
    if (stable && !w.overflow && site != 0 && atoll_modules_gen() == gen) {
        slot->sp = sp;
        slot->ra = ra;
        slot->bp = bp;
        slot->site = site;
        slot->tag = gen + 1;
    }
    return site;
}

uint32_t atoll_unwind_site(const void *ra)
{
    uintptr_t pc, sp, bp;
    /* The registers here, where the CFI row of this function holds. */
    __asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
                     : "=r"(pc), "=r"(sp), "=r"(bp));
    uint32_t site = capture(pc, sp, bp, (uintptr_t)ra);
    if (ATOLL_UNLIKELY(atoll_g.unwind_check))
        check_against_libunwind(site);
    return site;
}
