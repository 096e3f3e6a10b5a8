/* Symbolization of real return addresses from -g binaries: symtarget.c built by the project's
 * compiler and by clang (no .debug_aranges), symtarget_cpp.cpp for demangled C++ names; the
 * module+offset fallback for a module whose file is gone; LeakSanitizer-style suppressions. */
#include "support.h"
#include "retention/roots.h"

#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct modinfo {
    char path[4096];
    uint64_t bias, start, end;
    uint8_t build_id[32];
    uint32_t build_id_size;
};

struct target {
    struct modinfo mod;
    uint64_t leaf, inl, global;
    int leaf_line, inline_line, inline_call_line;
};

/* Runs the target that the environment variable env names; its standard output, malloc'ed. */
static char *run_target(const char *env)
{
    const char *exe = getenv(env);
    ck_assert_msg(exe != NULL, "%s is not set", env);
    char *argv[] = {(char *)exe, NULL}, *out;
    ck_assert_int_eq(run_capture(argv, &out, NULL), 0);
    return out;
}

/* Parses a "module PATH BIAS START END BUILD-ID" line (symmodule.c) at *s and moves past it. */
static void read_module(const char **s, struct modinfo *m)
{
    char bid[80];
    int used = 0;
    memset(m, 0, sizeof *m);
    ck_assert_int_eq(sscanf(*s, "module %4095s %lx %lx %lx %79s\n%n", m->path, &m->bias,
                            &m->start, &m->end, bid, &used),
                     5);
    *s += used;
    if (strcmp(bid, "-") != 0)
        for (size_t i = 0; bid[2 * i] && i < 32; i++) {
            unsigned v;
            sscanf(bid + 2 * i, "%2x", &v);
            m->build_id[i] = (uint8_t)v;
            m->build_id_size = (uint32_t)i + 1;
        }
}

static void add_module(struct dg *g, const struct modinfo *m)
{
    dg_module(g, m->path, m->bias, m->start, m->end, m->build_id, m->build_id_size);
}

static void read_target(struct target *t, const char *env)
{
    char *out = run_target(env);
    const char *s = out;
    memset(t, 0, sizeof *t);
    read_module(&s, &t->mod);
    ck_assert_int_eq(sscanf(s, "leaf %lx %d\ninline %lx %d %d\nglobal %lx", &t->leaf,
                            &t->leaf_line, &t->inl, &t->inline_line, &t->inline_call_line,
                            &t->global),
                     6);
    free(out);
}

/* p's basename (NULL for NULL: a missing file fails the string assertion, not the test run) */
static const char *base(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

static bool has_section(const char *path, const char *name)
{
    ck_assert_uint_ne(elf_version(EV_CURRENT), EV_NONE);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    size_t shstrndx;
    ck_assert_int_eq(elf_getshdrstrndx(e, &shstrndx), 0);
    bool found = false;
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
        GElf_Shdr sh;
        const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
        found |= n && strcmp(n, name) == 0;
    }
    elf_end(e);
    close(fd);
    return found;
}

/* A report of l rendered into a string. */
static char *render(struct loaded *l, void (*report)(struct outbuf *, const struct analysis *,
                                                     uint32_t))
{
    char *text;
    size_t len;
    FILE *mem = open_memstream(&text, &len);
    struct outbuf ob;
    ob_init(&ob, mem);
    report(&ob, &l->a, 10);
    ob_flush(&ob);
    free(ob.buf);
    fclose(mem);
    return text;
}

/* A dump with a leak whose site is leaf (site 1), one from inl (site 2), and one (site 3) at
 * an address in a module whose file does not exist. */
static struct dg *target_dump(const struct target *t, bool good_build_id)
{
    struct dg *g = dg_new();
    struct modinfo m = t->mod;
    if (!good_build_id)
        m.build_id[0] ^= 0xff;
    add_module(g, &m);
    dg_module(g, "/nonexistent/libgone.so", 0x7f0000000000ull, 0x7f0000000000ull,
              0x7f0000100000ull, NULL, 0);
    uint64_t gone = 0x7f0000001234ull;
    dg_site(g, 1, &t->leaf);
    dg_site(g, 1, &t->inl);
    dg_site(g, 1, &gone);
    dg_block(g, 16, 1);
    dg_block(g, 32, 2);
    dg_block(g, 64, 3);
    return g;
}

/* Sites 1 and 2 of target_dump: function, file, line and inlining of each frame. */
static void check_target_frames(struct loaded *l, const struct target *t)
{
    uint32_t n;
    const struct frame_sym *f = symbols_site(l->a.sym, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(f[0].function, "leaf_caller");
    ck_assert_ptr_null(f[0].mangled);
    ck_assert_str_eq(base(f[0].file), "symtarget.c");
    ck_assert_uint_eq(f[0].line, (uint32_t)t->leaf_line);
    ck_assert_str_eq(f[0].module, t->mod.path);
    ck_assert_uint_eq(f[0].module_offset, t->leaf - t->mod.bias);
    ck_assert(!f[0].inlined);

    f = symbols_site(l->a.sym, 2, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(f[0].function, "inlined_helper");
    ck_assert_str_eq(base(f[0].file), "symtarget.c");
    ck_assert(f[0].inlined);
    ck_assert_uint_eq(f[0].line, (uint32_t)t->inline_line);
    ck_assert_str_eq(f[1].function, "inline_caller");
    ck_assert_str_eq(base(f[1].file), "symtarget.c");
    ck_assert_uint_eq(f[1].line, (uint32_t)t->inline_call_line);
    ck_assert(!f[1].inlined);
}

START_TEST(symbolizes_real_binary)
{
    struct target t;
    read_target(&t, "SYMTARGET");
    struct loaded l;
    load_dg(&l, target_dump(&t, true), NULL);
    check_target_frames(&l, &t);

    uint32_t n;
    const struct frame_sym *f = symbols_site(l.a.sym, 3, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_str_eq(f[0].module, "/nonexistent/libgone.so");
    ck_assert_uint_eq(f[0].module_offset, 0x1234);

    /* the text report names them the same way */
    char *text = render(&l, report_text), *want;
    ck_assert_int_ge(asprintf(&want, ":%d) in %s\n", t.leaf_line, t.mod.path), 0);
    ck_assert_msg(strstr(text, want), "%s", text);
    ck_assert_msg(strstr(text, "libgone.so+0x1234 in /nonexistent/libgone.so\n"), "%s", text);
    ck_assert_msg(strstr(text, " inlined_helper ("), "%s", text);
    ck_assert_msg(strstr(text, " [inlined] in "), "%s", text);
    free(want);
    free(text);
    unload(&l);
}
END_TEST

/* clang emits no .debug_aranges: the compile unit is found from the CUs' own ranges, and the
 * frames are the same as from the project's compiler. */
static const char *const clang_targets[] = {"SYMTARGET_CLANG", "SYMTARGET_CLANG_SECTIONS"};

START_TEST(symbolizes_clang_binary)
{
    const char *env = clang_targets[_i];
    if (!getenv(env)) {
        fprintf(stderr, "symbolizes_clang_binary: skipped: %s is not set (clang was not found "
                        "when the build was configured)\n", env);
        return;
    }
    struct target t;
    read_target(&t, env);
    ck_assert_msg(!has_section(t.mod.path, ".debug_aranges"),
                  "%s has .debug_aranges: the test no longer tests the CU search", t.mod.path);
    if (_i == 1)
        ck_assert_msg(has_section(t.mod.path, ".debug_rnglists") ||
                          has_section(t.mod.path, ".debug_ranges"),
                      "%s has no range lists", t.mod.path);
    struct loaded l;
    load_dg(&l, target_dump(&t, true), NULL);
    check_target_frames(&l, &t);
    unload(&l);
}
END_TEST

struct cpp_target {
    struct modinfo mod, runtime;
    uint64_t make, op_new;
    int make_line;
};

/* Site 1: a return address in shapes::Ring::make(int) (DWARF); site 2: a return address
 * whose call is operator new's first byte (the runtime's ELF symbol _Znwm). A block from site
 * 2, and a ring of two 32-byte blocks from site 1. */
static struct dg *cpp_dump(struct cpp_target *t)
{
    char *out = run_target("SYMTARGET_CPP");
    const char *s = out;
    read_module(&s, &t->mod);
    int used = 0;
    ck_assert_int_eq(sscanf(s, "make %lx %d\n%n", &t->make, &t->make_line, &used), 2);
    s += used;
    read_module(&s, &t->runtime);
    ck_assert_int_eq(sscanf(s, "new %lx", &t->op_new), 1);
    free(out);
    struct dg *g = dg_new();
    add_module(g, &t->mod);
    add_module(g, &t->runtime);
    uint64_t in_new = t->op_new + 1;
    dg_site(g, 1, &t->make);
    dg_site(g, 1, &in_new);
    dg_block(g, 16, 2);
    uint32_t a = dg_block(g, 32, 1), b = dg_block(g, 32, 1);
    dg_edge(g, a, b, 0);
    dg_edge(g, b, a, 0);
    return g;
}

START_TEST(demangles_cpp_names)
{
    struct cpp_target t;
    struct loaded l;
    load_dg(&l, cpp_dump(&t), NULL);
    uint32_t n;
    const struct frame_sym *f = symbols_site(l.a.sym, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(f[0].function, "shapes::Ring::make(int)");
    ck_assert_str_eq(f[0].mangled, "_ZN6shapes4Ring4makeEi");
    ck_assert_str_eq(base(f[0].file), "symtarget_cpp.cpp");
    ck_assert_uint_eq(f[0].line, (uint32_t)t.make_line);
    char *make_file = strdup(f[0].file);

    /* named by the runtime's ELF symbol, or by its DWARF when its -dbgsym package is
     * installed: the same name either way; a file and line only in the second case */
    f = symbols_site(l.a.sym, 2, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(f[0].function, "operator new(unsigned long)");
    ck_assert_str_eq(f[0].mangled, "_Znwm");
    ck_assert_str_eq(f[0].module, t.runtime.path);
    bool new_has_file = f[0].file != NULL;

    char *text = render(&l, report_text), *want;
    ck_assert_int_ge(asprintf(&want, " shapes::Ring::make(int) (%s:%d) in %s\n", make_file,
                              t.make_line, t.mod.path), 0);
    ck_assert_msg(strstr(text, want), "%s", text);
    free(want);
    if (new_has_file)
        want = strdup(" operator new(unsigned long) (");
    else
        ck_assert_int_ge(asprintf(&want, " operator new(unsigned long) in %s\n", t.runtime.path),
                         0);
    ck_assert_msg(strstr(text, want), "%s", text);
    free(want);
    ck_assert_int_ge(asprintf(&want, "      A (32 B, shapes::Ring::make(int) symtarget_cpp.cpp:%d)"
                              " -> +0 -> B (32 B, shapes::Ring::make(int) symtarget_cpp.cpp:%d)"
                              " -> +0 -> A\n", t.make_line, t.make_line), 0);
    ck_assert_msg(strstr(text, want), "%s", text);
    free(want);
    free(text);

    text = render(&l, report_json);
    ck_assert_msg(strstr(text, "\"function\": \"shapes::Ring::make(int)\", "), "%s", text);
    ck_assert_msg(strstr(text, "\"function\": \"operator new(unsigned long)\", "), "%s", text);
    free(text);

    text = render(&l, report_dot);
    ck_assert_int_ge(asprintf(&want, "[label=\"32 B\\nshapes::Ring::make(int) "
                                     "symtarget_cpp.cpp:%d\"]", t.make_line), 0);
    ck_assert_msg(strstr(text, want), "%s", text);
    free(want);
    free(text);
    free(make_file);
    unload(&l);

    /* suppressions match the demangled names, as LeakSanitizer's do, and the mangled ones */
    static const struct {
        const char *pattern;
        uint64_t blocks, bytes;
    } supp[] = {
        {"shapes::Ring::make", 2, 64},
        {"^shapes::Ring::make(int)$", 2, 64},
        {"_ZN6shapes4Ring4makeEi", 2, 64},
        {"^operator new(unsigned long)$", 1, 16},
        {"_Znwm", 1, 16},
        {"^make$", 0, 0},
    };
    for (size_t i = 0; i < sizeof supp / sizeof *supp; i++) {
        struct suppressions *sp = suppress_new();
        suppress_add(sp, supp[i].pattern);
        load_dg(&l, cpp_dump(&t), sp);
        ck_assert_msg(l.a.suppressed_t.blocks == supp[i].blocks &&
                          l.a.suppressed_t.bytes == supp[i].bytes,
                      "leak:%s suppressed %llu blocks, %llu bytes", supp[i].pattern,
                      (unsigned long long)l.a.suppressed_t.blocks,
                      (unsigned long long)l.a.suppressed_t.bytes);
        unload(&l);
        suppress_free(sp);
    }
}
END_TEST

START_TEST(wrong_build_id_is_not_trusted)
{
    struct target t;
    read_target(&t, "SYMTARGET");
    ck_assert_uint_gt(t.mod.build_id_size, 0);
    struct loaded l;
    load_dg(&l, target_dump(&t, false), NULL);
    uint32_t n;
    const struct frame_sym *f = symbols_site(l.a.sym, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_uint_eq(f[0].module_offset, t.leaf - t.mod.bias);
    unload(&l);
}
END_TEST

START_TEST(pattern_matching)
{
    ck_assert(suppress_pattern_match("foo", "xfooy"));
    ck_assert(suppress_pattern_match("^foo", "foobar"));
    ck_assert(!suppress_pattern_match("^foo", "xfoo"));
    ck_assert(suppress_pattern_match("foo$", "xfoo"));
    ck_assert(!suppress_pattern_match("foo$", "foox"));
    ck_assert(suppress_pattern_match("^foo$", "foo"));
    ck_assert(!suppress_pattern_match("^foo$", "fooo"));
    ck_assert(suppress_pattern_match("f*o", "fxxxo"));
    ck_assert(suppress_pattern_match("^a*c$", "abbbc"));
    ck_assert(!suppress_pattern_match("^a*c$", "abbbcd"));
    ck_assert(suppress_pattern_match("*", "anything"));
    ck_assert(!suppress_pattern_match("foo", NULL));
    ck_assert(!suppress_pattern_match("foo", ""));
}
END_TEST

/* Leak X from libleaky.so, leak Y from elsewhere, and a ring of one block of each. */
static struct dg *leaky(void)
{
    struct dg *g = dg_new();
    dg_module(g, "/nonexistent/libleaky.so", 0x500000, 0x500000, 0x600000, NULL, 0);
    uint64_t in = 0x501000, out = 0x401000;
    uint32_t sa = dg_site(g, 1, &in), sb = dg_site(g, 1, &out);
    dg_block(g, 16, sa);
    dg_block(g, 32, sb);
    uint32_t r1 = dg_block(g, 64, sb), r2 = dg_block(g, 128, sa);
    dg_edge(g, r1, r2, 0);
    dg_edge(g, r2, r1, 0);
    return g;
}

START_TEST(suppressions_hide_leaks_and_cycles)
{
    char *dir = temp_dir(), *path = path_join(dir, "supp.txt"), err[256];
    FILE *f = fopen(path, "w");
    fputs("# a comment\n\n   leak:libleaky.so  \n", f);
    fclose(f);
    struct suppressions *sp = suppress_new();
    ck_assert_int_eq(suppress_load(sp, path, err, sizeof err), 0);
    ck_assert_uint_eq(suppress_count(sp), 1);
    struct loaded l;
    load_dg(&l, leaky(), sp);
    ck_assert_uint_eq(l.a.suppressed_t.blocks, 3);
    ck_assert_uint_eq(l.a.suppressed_t.bytes, 16 + 64 + 128);
    ck_assert_uint_eq(l.a.leaked.blocks, 1);
    ck_assert_uint_eq(l.a.leaked.bytes, 32);
    ck_assert_uint_eq(l.a.ncycles, 0);
    ck_assert_uint_eq(l.a.nshapes, 0);
    ck_assert_uint_eq(l.a.nleaks, 1);
    ck_assert_uint_eq(l.a.leaks[0].bytes, 32);
    unload(&l);
    suppress_free(sp);

    /* without suppressions everything is reported */
    load_dg(&l, leaky(), NULL);
    ck_assert_uint_eq(l.a.leaked.blocks, 4);
    ck_assert_uint_eq(l.a.ncycles, 1);
    unload(&l);

    f = fopen(path, "w");
    fputs("leak:ok\nrace:foo\n", f);
    fclose(f);
    sp = suppress_new();
    ck_assert_int_eq(suppress_load(sp, path, err, sizeof err), -1);
    ck_assert_str_eq(strstr(err, ":2: "), ":2: expected 'leak:PATTERN'");
    suppress_free(sp);
    rm_rf(dir);
    free(path), free(dir);
}
END_TEST

START_TEST(suppress_by_function)
{
    struct target t;
    read_target(&t, "SYMTARGET");
    struct suppressions *sp = suppress_new();
    suppress_add(sp, "^leaf_call*$");
    struct loaded l;
    load_dg(&l, target_dump(&t, true), sp);
    ck_assert_uint_eq(l.a.suppressed_t.blocks, 1);
    ck_assert_uint_eq(l.a.suppressed_t.bytes, 16);
    ck_assert_uint_eq(l.a.leaked.blocks, 2);
    unload(&l);
    suppress_free(sp);
}
END_TEST

static char *root_text(struct root_namer *rn, uint32_t r, bool where)
{
    struct outbuf o;
    ob_init(&o, NULL);
    if (where ? !root_where_text(&o, rn, r) : (root_name_text(&o, rn, r), false))
        ob_str(&o, "(none)");
    ob_put(&o, "", 1);
    return o.buf;
}

/* A global root is named by the ELF symbol of its module that holds the word (the word's offset
 * inside it apart); a word of a module whose file is gone, by its module and address. */
START_TEST(names_global_roots)
{
    struct target t;
    read_target(&t, "SYMTARGET");
    struct dg *g = target_dump(&t, true);
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, t.global, 0);
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, t.global + 40, 1);
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 1, 0x7f0000002000ull, 2);
    struct loaded l;
    load_dg(&l, g, NULL);
    struct root_namer *rn = root_namer_new(&l.d, l.a.sym);
    const char *want[3][2] = {{"global sym_table (symtarget)", "[+0]"},
                              {"global sym_table (symtarget)", "[+40]"},
                              {"global libgone.so+0x2000", "(none)"}};
    for (uint32_t r = 0; r < 3; r++)
        for (int k = 0; k < 2; k++) {
            char *got = root_text(rn, r, k);
            ck_assert_str_eq(got, want[r][k]);
            free(got);
        }
    root_namer_free(rn);
    unload(&l);
}
END_TEST

Suite *symbols_suite(void)
{
    Suite *s = suite_create("symbols");
    TCase *tc = tcase_create("symbols");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, symbolizes_real_binary);
    tcase_add_loop_test(tc, symbolizes_clang_binary, 0,
                        sizeof clang_targets / sizeof *clang_targets);
    tcase_add_test(tc, demangles_cpp_names);
    tcase_add_test(tc, wrong_build_id_is_not_trusted);
    tcase_add_test(tc, pattern_matching);
    tcase_add_test(tc, suppressions_hide_leaks_and_cycles);
    tcase_add_test(tc, suppress_by_function);
    tcase_add_test(tc, names_global_roots);
    suite_add_tcase(s, tc);
    return s;
}
