/* Python frames (docs/dump-format.md FRAMES, PYCODE, BYTES): named from the dump's copy of the
 * code object with the line its table gives, shown first and alone in the text report (native
 * frames too with --native), sites known by their Python frames, JSON frames of both kinds, and
 * each validity rule. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* 3.8's co_lnotab: (byte increment, line increment) pairs; from line 10, offsets 0-3 are line
 * 11, 4-7 line 13, 8 on line 14. */
static const uint8_t lnotab[] = {0, 1, 4, 2, 4, 1};

/* Two Node objects in a ring, each made at handle (app.py) offset 8, under main (app.py); the
 * first through one native path, the second through another. */
static struct dg *ring_of_nodes(void)
{
    struct dg *g = dg_new();
    uint64_t handle = dg_pycode(g, "app.py", "handle", 10, 0x0308, lnotab, sizeof lnotab);
    uint64_t main_ = dg_pycode(g, "app.py", "main", 20, 0x0308, lnotab, sizeof lnotab);
    uint64_t one[] = {handle | 8, main_ | 4, 0x401000}, two[] = {handle | 8, main_ | 4, 0x402000};
    uint32_t s1 = dg_site(g, 3, one), s2 = dg_site(g, 3, two);
    uint32_t a = dg_block(g, 48, s1), b = dg_block(g, 48, s2);
    dg_edge(g, a, b, 24);
    dg_edge(g, b, a, 24);
    dg_object(g, a, a, "Node", 1, 0);
    dg_object(g, b, b, "Node", 1, 0);
    return g;
}

static char *render(const struct analysis *a, void (*fn)(struct outbuf *, const struct analysis *,
                                                         uint32_t))
{
    struct outbuf o;
    ob_init(&o, NULL);
    fn(&o, a, 10);
    ob_put(&o, "", 1);
    return o.buf;
}

START_TEST(python_frames_are_named)
{
    struct loaded l;
    load_dg(&l, ring_of_nodes(), NULL);
    uint32_t n;
    const struct frame_sym *f = symbols_site(l.a.sym, 1, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert(f[0].python && f[1].python && !f[2].python);
    ck_assert_str_eq(f[0].function, "handle");
    ck_assert_str_eq(f[0].file, "app.py");
    ck_assert_uint_eq(f[0].line, 14);
    ck_assert_str_eq(f[1].function, "main");
    ck_assert_uint_eq(f[1].line, 23);
    ck_assert_uint_eq(symbols_python_frames(f, n), 2);
    /* one Python line, two native paths: one site (the ring's two members differ in class) */
    ck_assert_uint_eq(l.a.nleaks, 2);
    ck_assert_uint_eq(l.a.leaks[0].site, l.a.leaks[1].site);
    char *text = render(&l.a, report_text);
    ck_assert_msg(strstr(text, "allocated at:\n    #0 handle (app.py:14)\n    #1 main (app.py:23)\n"
                               "#"), "%s", text);
    ck_assert_msg(!strstr(text, "0x401000") && strstr(text, "(Node, 48 B, handle app.py:14)"),
                  "%s", text);
    free(text);
    char *json = render(&l.a, report_json);
    ck_assert_msg(strstr(json, "{\"kind\": \"python\", \"function\": \"handle\", \"file\": "
                               "\"app.py\", \"line\": 14}"), "%s", json);
    ck_assert_msg(strstr(json, "{\"kind\": \"native\", \"address\": \"0x401000\""), "%s", json);
    free(json);
    unload(&l);
}
END_TEST

START_TEST(native_shows_and_splits)
{
    struct loaded l;
    memset(&l, 0, sizeof l);
    struct dg *g = ring_of_nodes();
    ck_assert_int_eq(dg_build(g, &l.buf, &l.len), 0);
    dg_free(g);
    char err[256];
    ck_assert_int_eq(dump_parse(&l.d, l.buf, l.len, err, sizeof err), 0);
    struct analyze_opts o = {.symbolize = true, .native = true};
    ck_assert_int_eq(analysis_run(&l.a, &l.d, &o), 0);
    ck_assert_uint_eq(l.a.nleaks, 2);
    ck_assert_uint_ne(l.a.leaks[0].site, l.a.leaks[1].site);
    char *text = render(&l.a, report_text);
    ck_assert_msg(strstr(text, "    #1 main (app.py:23)\n    #2 0x401000 ??"), "%s", text);
    free(text);
    unload(&l);
}
END_TEST

START_TEST(pycode_validity)
{
    struct dg *g = dg_new();
    uint64_t c = dg_pycode(g, "a.py", "f", 1, 0x030b, lnotab, sizeof lnotab);
    uint64_t frames[] = {c + (1ull << 32)};                 /* PYCODE 1: there is none */
    dg_block(g, 16, dg_site(g, 1, frames));
    expect_invalid(g, "FRAMES[0]: Python frame of code 1, not a PYCODE index");
}
END_TEST

START_TEST(pycode_table_outside_bytes)
{
    struct dg *g = dg_new();
    dg_pycode(g, "a.py", "f", 1, 0x030b, lnotab, sizeof lnotab);
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(dg_build(g, &buf, &len), 0);
    dg_free(g);
    uint64_t size, off;
    struct atoll_dump_pycode *p = (void *)dg_section(buf, ATOLL_DUMP_SEC_PYCODE, &size, &off);
    p->linetable_size = sizeof lnotab + 1;
    dg_recrc(buf, len);
    struct dump d;
    char err[256];
    ck_assert_int_ne(dump_parse(&d, buf, len, err, sizeof err), 0);
    ck_assert_str_eq(err, "PYCODE[0]: the line table lies outside BYTES");
    free(buf);
}
END_TEST

Suite *pyframes_suite(void)
{
    Suite *s = suite_create("pyframes");
    TCase *tc = tcase_create("pyframes");
    tcase_add_test(tc, python_frames_are_named);
    tcase_add_test(tc, native_shows_and_splits);
    tcase_add_test(tc, pycode_validity);
    tcase_add_test(tc, pycode_table_outside_bytes);
    suite_add_tcase(s, tc);
    return s;
}
