/* References from outside the heap, one kind at a time: the collecting thread's stack, another
 * thread's stack and registers, static TLS of the main thread and of another, a dlopen'ed
 * library's .data and .bss, its dynamic TLS (a loader block), anonymous mappings (private,
 * shared, and merged with a large block's own mapping), a thread that cannot be stopped, and
 * atoll_ignore. Each test asserts the roots it made (kind, index, where) and that the blocks
 * have no other reference. */
#include "collect.h"
#include "collect_lib.h"

#include <atoll.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static NOINLINE void build_blocks(uintptr_t *h, int n, size_t size)
{
    for (int i = 0; i < n; i++)
        h[i] = hide(zalloc(size));
}

static uint32_t main_thread(const struct dump *d)
{
    uint32_t t = thread_of(d, (uint32_t)getpid());
    ck_assert_uint_eq(d->threads[t].flags, ATOLL_DUMP_THREAD_STOPPED | ATOLL_DUMP_THREAD_MAIN);
    return t;
}

/* The thread's record covers where, as a word of its scanned stack. */
static void expect_on_stack(const struct dump *d, uint32_t t, uintptr_t where)
{
    const struct atoll_dump_thread *th = &d->threads[t];
    ck_assert_uint_le(th->stack_lo, th->sp);
    ck_assert_uint_le(th->sp, where);
    ck_assert_uint_lt(where, th->stack_hi);
}

/* Two blocks, the first pointing to the second. */
static NOINLINE void build_pair(uintptr_t *h)
{
    void **a = zalloc(24), *b = zalloc(24);
    a[0] = b;
    h[0] = hide(a);
    h[1] = hide(b);
}

START_TEST(main_thread_stack)
{
    uintptr_t h[2];
    build_pair(h);
    void *volatile slot[2] = { NULL, NULL };
    store_revealed((void **)&slot[1], h[0]);
    struct taken t;
    take_dump(&t);
    void *a = reveal(h[0]), *b = reveal(h[1]);
    uint32_t me = main_thread(&t.d);
    expect_on_stack(&t.d, me, (uintptr_t)&slot[1]);
    struct want_block w[] = { { a, 24, 1, 0, 0 }, { b, 24, 1, 0, 0 } };
    struct want_edge e[] = { { a, b, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_STACK, me, (uintptr_t)&slot[1], a } };
    expect_shape(&t.d, w, N(w), e, N(e), r, N(r));
    ck_assert(block_alive(&t, a));
    ck_assert(block_alive(&t, b));
    drop_dump(&t);
}
END_TEST

/* The slot lies in the thread's first frames, a few hundred bytes below its static TLS: the
 * part of the stack a TLS range taken too wide would claim. */
static void hold_on_stack(struct parked *p)
{
    void *volatile slot = NULL;
    store_revealed((void **)&slot, p->hidden[0]);
    p->where[0] = (uintptr_t)&slot;
    park_until_go(p);
}

START_TEST(other_thread_stack)
{
    static struct parked p;
    build_blocks(p.hidden, 1, 24);
    park_start(&p, hold_on_stack);
    struct taken t;
    take_dump(&t);
    park_finish(&p);
    void *a = reveal(p.hidden[0]);
    uint32_t th = thread_of(&t.d, p.tid);
    ck_assert_uint_eq(t.d.threads[th].flags, ATOLL_DUMP_THREAD_STOPPED);
    expect_on_stack(&t.d, th, p.where[0]);
    struct want_block w[] = { { a, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_STACK, th, p.where[0], a } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    drop_dump(&t);
}
END_TEST

/* r12 and r14 hold the first block, r13 a pointer 8 bytes into the second; no memory does.
 * The thread waits for `go` in a raw futex system call, where the stop signal finds it. */
static void hold_in_registers(struct parked *p)
{
    __asm__ volatile(
        "movabs %[m], %%rax\n\t"
        "mov %[a], %%r12\n\t"
        "xor %%rax, %%r12\n\t"
        "mov %%r12, %%r14\n\t"
        "mov %[b], %%r13\n\t"
        "xor %%rax, %%r13\n\t"
        "add $8, %%r13\n\t"
        "movl $1, (%[ready])\n\t"
        "mov %[nr], %%eax\n\t"
        "mov %[ready], %%rdi\n\t"
        "mov %[wake], %%esi\n\t"
        "mov $1, %%edx\n\t"
        "syscall\n\t"
        "1:\n\t"
        "cmpl $0, (%[go])\n\t"
        "jne 2f\n\t"
        "mov %[nr], %%eax\n\t"
        "mov %[go], %%rdi\n\t"
        "mov %[wait], %%esi\n\t"
        "xor %%edx, %%edx\n\t"
        "xor %%r10d, %%r10d\n\t"
        "syscall\n\t"
        "jmp 1b\n\t"
        "2:"
        :
        : [a] "r"(p->hidden[0]), [b] "r"(p->hidden[1]), [m] "i"(HIDE_MASK),
          [ready] "r"(&p->ready), [go] "r"(&p->go), [nr] "i"(SYS_futex),
          [wake] "i"(FUTEX_WAKE_PRIVATE), [wait] "i"(FUTEX_WAIT_PRIVATE)
        : "rax", "rdi", "rsi", "rdx", "r10", "rcx", "r11", "r12", "r13", "r14", "memory", "cc");
}

START_TEST(other_thread_registers)
{
    static struct parked p;
    build_blocks(p.hidden, 2, 24);
    park_start(&p, hold_in_registers);
    struct taken t;
    take_dump(&t);
    park_finish(&p);
    void *a = reveal(p.hidden[0]), *b = reveal(p.hidden[1]);
    uint32_t th = thread_of(&t.d, p.tid);
    ck_assert_uint_eq(t.d.threads[th].flags, ATOLL_DUMP_THREAD_STOPPED);
    struct want_block w[] = { { a, 24, 2, 0, 0 }, { b, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_REGISTER, th, 12, a },
                             { ATOLL_DUMP_ROOT_REGISTER, th, 14, a },
                             { ATOLL_DUMP_ROOT_REGISTER, th, 13, b } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    drop_dump(&t);
}
END_TEST

static __thread void *tls_slot[2];

START_TEST(main_thread_tls)
{
    uintptr_t h[1];
    build_blocks(h, 1, 24);
    store_revealed(&tls_slot[1], h[0]);
    struct taken t;
    take_dump(&t);
    void *a = reveal(h[0]);
    struct want_block w[] = { { a, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_TLS, main_thread(&t.d), (uintptr_t)&tls_slot[1],
                               a } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    drop_dump(&t);
}
END_TEST

static void hold_in_tls(struct parked *p)
{
    store_revealed(&tls_slot[1], p->hidden[0]);
    p->where[0] = (uintptr_t)&tls_slot[1];
    park_until_go(p);
}

START_TEST(other_thread_tls)
{
    static struct parked p;
    build_blocks(p.hidden, 1, 24);
    park_start(&p, hold_in_tls);
    struct taken t;
    take_dump(&t);
    park_finish(&p);
    void *a = reveal(p.hidden[0]);
    uint32_t th = thread_of(&t.d, p.tid);
    struct want_block w[] = { { a, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_TLS, th, p.where[0], a } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    drop_dump(&t);
}
END_TEST

static void *open_lib(void)
{
    const char *path = getenv("COLLECT_LIB");
    ck_assert_msg(path && *path, "COLLECT_LIB is not set");
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(lib != NULL, "dlopen: %s", dlerror());
    return lib;
}

/* The symbol's address in the library's file (st_value). */
static uintptr_t file_address(void *sym)
{
    Dl_info info;
    const ElfW(Sym) *s = NULL;
    ck_assert(dladdr1(sym, &info, (void **)&s, RTLD_DL_SYMENT) != 0 && s);
    return s->st_value;
}

START_TEST(library_globals)
{
    void *lib = open_lib();
    void **data = dlsym(lib, "collect_lib_data");
    struct collect_lib_bss *bss = dlsym(lib, "collect_lib_bss");
    ck_assert(data && bss);
    uintptr_t h[2];
    build_blocks(h, 2, 24);
    store_revealed(&data[0], h[0]);
    store_revealed(&bss->tail, h[1]);
    struct taken t;
    take_dump(&t);
    void *a = reveal(h[0]), *b = reveal(h[1]);
    uint32_t m = module_of(&t.d, "/libcollect_lib.so");
    const struct atoll_dump_module *mod = &t.d.modules[m];
    struct want_block w[] = { { a, 24, 1, 0, 0 }, { b, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_GLOBAL, m, (uintptr_t)&data[0], a },
                             { ATOLL_DUMP_ROOT_GLOBAL, m, (uintptr_t)&bss->tail, b } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    /* The variables' offsets in the file, through the module's bias. */
    ck_assert_uint_eq((uintptr_t)&data[0] - mod->bias, file_address(data));
    ck_assert_uint_eq((uintptr_t)&bss->tail - mod->bias,
                      file_address(bss) + offsetof(struct collect_lib_bss, tail));
    ck_assert_uint_le(mod->start, (uintptr_t)&data[0]);
    ck_assert_uint_lt((uintptr_t)&bss->tail, mod->end);
    drop_dump(&t);
}
END_TEST

/* A dlopen'ed library's __thread variable lives in a block the loader allocates (dynamic TLS):
 * the reference is an edge from that block, which the loader root keeps alive. */
START_TEST(library_dynamic_tls)
{
    void *lib = open_lib();
    void **(*slot_of)(void) = (void **(*)(void))dlsym(lib, "collect_lib_tls_slot");
    ck_assert(slot_of);
    uintptr_t slot_h = hide(slot_of());
    uintptr_t h[1];
    build_blocks(h, 1, 24);
    store_revealed(reveal(slot_h), h[0]);
    struct taken t;
    take_dump(&t);
    void *a = reveal(h[0]);
    void **slot = reveal(slot_h);
    uint32_t holder = block_containing(&t.d, slot);
    const struct atoll_dump_block *hb = &t.d.blocks[holder];
    ck_assert_uint_eq(hb->flags, ATOLL_DUMP_BLOCK_LOADER);
    struct want_block w[] = { { a, 24, 1, 0, 0 } };
    struct want_edge e[] = { { (void *)(uintptr_t)hb->address, a,
                               (uintptr_t)slot - hb->address } };
    expect_shape(&t.d, w, N(w), e, N(e), NULL, 0);
    /* The holder's other references are the loader's (its DTV, wherever the loader put it). */
    int loader_roots = 0;
    for (uint32_t k = 0; k < t.d.nroots; k++)
        loader_roots += t.d.roots[k].target == holder &&
                        t.d.roots[k].kind == ATOLL_DUMP_ROOT_LOADER;
    ck_assert_int_eq(loader_roots, 1);
    ck_assert(block_alive(&t, a));
    drop_dump(&t);
}
END_TEST

/* A block referenced only from the middle of a fresh anonymous page mapped with `share`: a root
 * of kind mapping. The dump is left open in t for more checks. */
static void expect_mapping_root(struct taken *t, int share)
{
    void **page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, share | MAP_ANONYMOUS, -1, 0);
    ck_assert(page != MAP_FAILED);
    uintptr_t h[1];
    build_blocks(h, 1, 24);
    store_revealed(&page[32], h[0]);
    take_dump(t);
    void *a = reveal(h[0]);
    struct want_block w[] = { { a, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_MAPPING, 0, (uintptr_t)&page[32], a } };
    expect_shape(&t->d, w, N(w), NULL, 0, r, N(r));
}

START_TEST(anonymous_mapping)
{
    struct taken t;
    expect_mapping_root(&t, MAP_PRIVATE);
    drop_dump(&t);
}
END_TEST

/* Shared anonymous memory appears in /proc/self/maps as "/dev/zero (deleted)": a path, but
 * no module. */
START_TEST(shared_anonymous_mapping)
{
    struct taken t;
    expect_mapping_root(&t, MAP_SHARED);
    for (uint32_t i = 0; i < t.d.nmodules; i++) {
        const char *path = dump_string(&t.d, t.d.modules[i].path);
        ck_assert_msg(strncmp(path, "/dev/zero", 9) != 0, "module %u is %s", i, path);
    }
    drop_dump(&t);
}
END_TEST

#define HUGE_SIZE ((size_t)256 << 10)   /* past glibc's mmap threshold: a mapping of its own */

/* The program's page right below or above the mapping glibc made for a huge block: the kernel
 * merges the two into one line of /proc/self/maps. MAP_FAILED when both neighbours are taken. */
static NOINLINE void **map_beside(uintptr_t huge_hidden)
{
    char *huge = reveal(huge_hidden);
    uintptr_t lo = ((uintptr_t)huge - 16) & ~(uintptr_t)4095;
    uintptr_t hi = ((uintptr_t)huge + HUGE_SIZE + 4095) & ~(uintptr_t)4095;
    void *page = mmap((void *)(lo - 4096), 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page == MAP_FAILED)
        page = mmap((void *)hi, 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    return page;
}

#define HUGE_TRIES 64

/* A huge block with a page of the program's mapped beside it. The kernel places mappings top
 * down in the first gap that fits, so a block squeezed between two mappings is kept while the
 * next one is tried: the search moves down to the free space below every mapping. */
static NOINLINE void **huge_with_page_beside(uintptr_t *huge_hidden)
{
    uintptr_t tried[HUGE_TRIES];
    void **page = MAP_FAILED;
    int n = 0;
    while (n < HUGE_TRIES) {
        tried[n] = hide(zalloc(HUGE_SIZE));
        page = map_beside(tried[n]);
        if (page != MAP_FAILED)
            break;
        n++;
    }
    ck_assert_msg(page != MAP_FAILED, "no free page beside %d huge blocks' mappings", n);
    for (int i = 0; i < n; i++)
        free(reveal(tried[i]));
    *huge_hidden = tried[n];
    return page;
}

/* Whether the line of /proc/self/maps holding a holds b too. */
static int same_mapping(const void *a, const void *b)
{
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int same = 0;
    while (fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 && (uintptr_t)a >= lo &&
            (uintptr_t)a < hi)
            same = (uintptr_t)b >= lo && (uintptr_t)b < hi;
    }
    fclose(f);
    return same;
}

START_TEST(anonymous_mapping_beside_large_block)
{
    uintptr_t h[2];
    void **page = huge_with_page_beside(&h[0]);
    build_blocks(&h[1], 1, 24);
    store_revealed(&page[32], h[1]);
    struct taken t;
    take_dump(&t);
    void *huge = reveal(h[0]), *a = reveal(h[1]);
    struct want_block w[] = { { huge, HUGE_SIZE, 0, ATOLL_DUMP_BLOCK_LARGE, 0 },
                              { a, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_MAPPING, 0, (uintptr_t)&page[32], a } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    ck_assert_msg(same_mapping(page, huge), "the kernel kept the page apart from the huge "
                  "block's mapping: this test no longer sees them merged");
    drop_dump(&t);
}
END_TEST

/* Every signal blocked: the thread never answers the stop, and the collection goes on without
 * it after its time-out, scanning the thread's stack whole. */
static void hold_unstoppable(struct parked *p)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    hold_on_stack(p);
}

START_TEST(unstopped_thread)
{
    static struct parked p;
    build_blocks(p.hidden, 1, 24);
    park_start(&p, hold_unstoppable);
    struct taken t;
    take_dump(&t);
    park_finish(&p);
    void *a = reveal(p.hidden[0]);
    uint32_t th = thread_of(&t.d, p.tid);
    ck_assert_uint_eq(t.d.threads[th].flags, ATOLL_DUMP_THREAD_WHOLE_STACK);
    /* Without a stack pointer the thread's stack is not told from other mappings: its words
     * are roots of kind mapping (roots.c says so). */
    struct want_block w[] = { { a, 24, 1, 0, 0 } };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_MAPPING, 0, p.where[0], a } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    drop_dump(&t);
}
END_TEST

START_TEST(ignored_blocks)
{
    uintptr_t h[3];
    build_blocks(h, 2, 24);
    h[2] = hide(zalloc(1024));
    ck_assert_int_eq(atoll_ignore(reveal(h[0])), 0);
    ck_assert_int_eq(atoll_ignore(reveal(h[2])), 0);
    errno = 0;
    ck_assert_int_eq(atoll_ignore((char *)reveal(h[1]) + 8), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(atoll_ignore(&errno), -1);
    ck_assert_int_eq(errno, EINVAL);
    struct taken t;
    take_dump(&t);
    void *a = reveal(h[0]), *b = reveal(h[1]), *big = reveal(h[2]);
    struct want_block w[] = {
        { a, 24, 1, ATOLL_DUMP_BLOCK_IGNORED, 0 },
        { b, 24, 0, 0, 0 },
        { big, 1024, 1, ATOLL_DUMP_BLOCK_LARGE | ATOLL_DUMP_BLOCK_IGNORED, 0 },
    };
    struct want_root r[] = { { ATOLL_DUMP_ROOT_IGNORED, 0, 0, a },
                             { ATOLL_DUMP_ROOT_IGNORED, 0, 0, big } };
    expect_shape(&t.d, w, N(w), NULL, 0, r, N(r));
    ck_assert(block_alive(&t, a));
    ck_assert(!block_alive(&t, b));
    ck_assert(block_alive(&t, big));
    drop_dump(&t);
}
END_TEST

Suite *roots_suite(void)
{
    Suite *s = suite_create("roots");
    TCase *tc = tcase_create("roots");
    tcase_add_test(tc, main_thread_stack);
    tcase_add_test(tc, other_thread_stack);
    tcase_add_test(tc, other_thread_registers);
    tcase_add_test(tc, main_thread_tls);
    tcase_add_test(tc, other_thread_tls);
    tcase_add_test(tc, library_globals);
    tcase_add_test(tc, library_dynamic_tls);
    tcase_add_test(tc, anonymous_mapping);
    tcase_add_test(tc, shared_anonymous_mapping);
    tcase_add_test(tc, anonymous_mapping_beside_large_block);
    tcase_add_test(tc, unstopped_thread);
    tcase_add_test(tc, ignored_blocks);
    suite_add_tcase(s, tc);
    return s;
}
