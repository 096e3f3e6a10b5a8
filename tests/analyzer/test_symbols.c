/* Symbolization of real return addresses from a -g binary (symtarget.c), the module+offset
 * fallback for a module whose file is gone, and LeakSanitizer-style suppressions. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

struct target {
    char path[4096];
    uint64_t bias, start, end, leaf, inl;
    uint8_t build_id[32];
    uint32_t build_id_size;
    int leaf_line, inline_line, inline_call_line;
};

static void read_target(struct target *t)
{
    const char *exe = getenv("SYMTARGET");
    ck_assert_msg(exe != NULL, "SYMTARGET is not set");
    char *argv[] = {(char *)exe, NULL}, *out;
    ck_assert_int_eq(run_capture(argv, &out, NULL), 0);
    char bid[80];
    memset(t, 0, sizeof *t);
    ck_assert_int_eq(sscanf(out, "module %4095s %lx %lx %lx %79s\nleaf %lx %d\ninline %lx %d %d",
                            t->path, &t->bias, &t->start, &t->end, bid, &t->leaf, &t->leaf_line,
                            &t->inl, &t->inline_line, &t->inline_call_line),
                     10);
    if (strcmp(bid, "-") != 0)
        for (size_t i = 0; bid[2 * i] && i < 32; i++) {
            unsigned v;
            sscanf(bid + 2 * i, "%2x", &v);
            t->build_id[i] = (uint8_t)v;
            t->build_id_size = (uint32_t)i + 1;
        }
    free(out);
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* A dump with a leak whose site is leaf (site 1), one from inl (site 2), and one (site 3) at
 * an address in a module whose file does not exist. */
static struct dg *target_dump(const struct target *t, bool good_build_id)
{
    struct dg *g = dg_new();
    uint8_t bid[32];
    memcpy(bid, t->build_id, sizeof bid);
    if (!good_build_id)
        bid[0] ^= 0xff;
    dg_module(g, t->path, t->bias, t->start, t->end, bid, t->build_id_size);
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

START_TEST(symbolizes_real_binary)
{
    struct target t;
    read_target(&t);
    struct loaded l;
    load_dg(&l, target_dump(&t, true), NULL);
    uint32_t n;
    const struct frame_sym *f = symbols_site(l.a.sym, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(f[0].function, "leaf_caller");
    ck_assert_str_eq(base(f[0].file), "symtarget.c");
    ck_assert_uint_eq(f[0].line, (uint32_t)t.leaf_line);
    ck_assert_str_eq(f[0].module, t.path);
    ck_assert_uint_eq(f[0].module_offset, t.leaf - t.bias);
    ck_assert(!f[0].inlined);

    f = symbols_site(l.a.sym, 2, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(f[0].function, "inlined_helper");
    ck_assert(f[0].inlined);
    ck_assert_uint_eq(f[0].line, (uint32_t)t.inline_line);
    ck_assert_str_eq(f[1].function, "inline_caller");
    ck_assert_str_eq(base(f[1].file), "symtarget.c");
    ck_assert_uint_eq(f[1].line, (uint32_t)t.inline_call_line);
    ck_assert(!f[1].inlined);

    f = symbols_site(l.a.sym, 3, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_str_eq(f[0].module, "/nonexistent/libgone.so");
    ck_assert_uint_eq(f[0].module_offset, 0x1234);

    /* the text report names them the same way */
    FILE *mem;
    char *text;
    size_t len;
    mem = open_memstream(&text, &len);
    struct outbuf ob;
    ob_init(&ob, mem);
    report_text(&ob, &l.a, 10);
    ob_flush(&ob);
    free(ob.buf);
    fclose(mem);
    char *want;
    ck_assert_int_ge(asprintf(&want, ":%d) in %s\n", t.leaf_line, t.path), 0);
    ck_assert_msg(strstr(text, want), "%s", text);
    ck_assert_msg(strstr(text, "libgone.so+0x1234 in /nonexistent/libgone.so\n"), "%s", text);
    ck_assert_msg(strstr(text, " inlined_helper ("), "%s", text);
    ck_assert_msg(strstr(text, " [inlined] in "), "%s", text);
    free(want);
    free(text);
    unload(&l);
}
END_TEST

START_TEST(wrong_build_id_is_not_trusted)
{
    struct target t;
    read_target(&t);
    ck_assert_uint_gt(t.build_id_size, 0);
    struct loaded l;
    load_dg(&l, target_dump(&t, false), NULL);
    uint32_t n;
    const struct frame_sym *f = symbols_site(l.a.sym, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_uint_eq(f[0].module_offset, t.leaf - t.bias);
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
    read_target(&t);
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

Suite *symbols_suite(void)
{
    Suite *s = suite_create("symbols");
    TCase *tc = tcase_create("symbols");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, symbolizes_real_binary);
    tcase_add_test(tc, wrong_build_id_is_not_trusted);
    tcase_add_test(tc, pattern_matching);
    tcase_add_test(tc, suppressions_hide_leaks_and_cycles);
    tcase_add_test(tc, suppress_by_function);
    suite_add_tcase(s, tc);
    return s;
}
