/* LABELS (docs/dump-format.md): read by edge, spelled in the reports as Python spells them,
 * keyed in shapes by names but not by indexes or keys, and validated. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* Two objects referencing each other, added to g: a Node holding a dict at +16 (label `label`,
 * of kind `kind`), the dict holding the Node at +24 under key `key` (a KEY label). */
static void pair(struct dg *g, uint32_t kind, const char *label, const char *key)
{
    uint32_t a = dg_block(g, 48, 0), b = dg_block(g, 64, 0);
    dg_edge(g, a, b, 16);
    dg_edge(g, b, a, 24);
    dg_object(g, a, a, "Node", 1, 0);
    dg_object(g, b, b, "dict", 1, 0);
    dg_label(g, a, 16, kind, label, 3);
    dg_label(g, b, 24, ATOLL_DUMP_LABEL_KEY, key, 0);
}

static char *spelled(const struct dump *d, uint32_t eid)
{
    struct outbuf o;
    ob_init(&o, NULL);
    if (!label_spell(&o, d, eid))
        ob_str(&o, "(none)");
    ob_put(&o, "", 1);
    return o.buf;
}

static char *text_report(const struct analysis *a)
{
    struct outbuf o;
    ob_init(&o, NULL);
    report_text(&o, a, 10);
    ob_put(&o, "", 1);
    return o.buf;
}

START_TEST(labels_are_spelled)
{
    struct dg *g = dg_new();
    pair(g, ATOLL_DUMP_LABEL_ATTRIBUTE, "peer", "'k'");
    uint32_t c = dg_block(g, 32, 0);
    dg_edge(g, c, 0, 0);                     /* a plain block's pointer: no label */
    struct loaded l;
    load_dg(&l, g, NULL);
    ck_assert_uint_eq(l.d.nlabels, 2);
    const char *want[] = {".peer", "['k']", "(none)"};
    for (uint32_t e = 0; e < 3; e++) {
        char *got = spelled(&l.d, e);
        ck_assert_str_eq(got, want[e]);
        free(got);
    }
    char *text = text_report(&l.a);
    ck_assert_msg(strstr(text, "      Node -.peer-> dict -['k']-> Node\n"), "%s", text);
    ck_assert_msg(strstr(text, "break "), "%s", text);
    free(text);
    unload(&l);
}
END_TEST

/* The Node's label of kind and text, as the reports spell it. */
static void expect_spelled(uint32_t kind, const char *label, const char *want)
{
    struct dg *g = dg_new();
    pair(g, kind, label, "'k'");
    struct loaded l;
    load_dg(&l, g, NULL);
    char *got = spelled(&l.d, 0);
    ck_assert_str_eq(got, want);
    free(got);
    unload(&l);
}

START_TEST(other_labels_are_spelled_as_they_are)
{
    expect_spelled(ATOLL_DUMP_LABEL_OTHER, "<cell>", "<cell>");
    expect_spelled(ATOLL_DUMP_LABEL_OTHER, "<frame local 'x'>", "<frame local 'x'>");
    expect_spelled(ATOLL_DUMP_LABEL_INDEX, NULL, "[3]");
    expect_spelled(ATOLL_DUMP_LABEL_KEY, "(1, 'a')", "[(1, 'a')]");
}
END_TEST

/* Attribute names make shapes; keys do not (a cache's entries are data). */
START_TEST(names_make_shapes_keys_do_not)
{
    struct dg *g = dg_new();
    pair(g, ATOLL_DUMP_LABEL_ATTRIBUTE, "peer", "'k'");
    pair(g, ATOLL_DUMP_LABEL_ATTRIBUTE, "peer", "'x'");
    pair(g, ATOLL_DUMP_LABEL_ATTRIBUTE, "other", "'k'");
    struct loaded l;
    load_dg(&l, g, NULL);
    ck_assert_uint_eq(l.a.ncycles, 3);
    ck_assert_uint_eq(l.a.nshapes, 2);
    ck_assert_uint_eq(l.a.shapes[0].count, 2);
    ck_assert_uint_eq(l.a.shapes[1].count, 1);
    unload(&l);
}
END_TEST

START_TEST(labels_validity)
{
    struct dg *g = dg_new();
    uint32_t a = dg_block(g, 32, 0), b = dg_block(g, 32, 0);
    dg_edge(g, a, b, 0);
    dg_edge(g, a, b, 8);
    dg_label(g, a, 8, ATOLL_DUMP_LABEL_INDEX, NULL, 1);
    dg_label(g, a, 0, ATOLL_DUMP_LABEL_INDEX, NULL, 0);
    expect_invalid(g, "LABELS[1]: not sorted by (from, offset)");
    g = dg_new();
    a = dg_block(g, 32, 0);
    dg_edge(g, a, a, 0);
    dg_label(g, 5, 0, ATOLL_DUMP_LABEL_INDEX, NULL, 0);
    expect_invalid(g, "LABELS[0]: from 5 is not a BLOCKS index");
    g = dg_new();
    a = dg_block(g, 32, 0);
    dg_edge(g, a, a, 0);
    dg_label(g, a, 0, 5, "x", 0);
    expect_invalid(g, "LABELS[0]: unknown kind 5");
    g = dg_new();
    a = dg_block(g, 32, 0);
    dg_edge(g, a, a, 0);
    dg_label(g, a, 0, ATOLL_DUMP_LABEL_ATTRIBUTE, "x", 0);
    dg_label(g, a, 0, ATOLL_DUMP_LABEL_ATTRIBUTE, "x", 0);
    expect_invalid(g, "LABELS[1]: not sorted by (from, offset)");
    g = dg_new();
    a = dg_block(g, 32, 0);
    dg_edge(g, a, a, 0);
    dg_label(g, a, 8, ATOLL_DUMP_LABEL_ATTRIBUTE, "x", 0);   /* no pointer at +8 */
    expect_invalid(g, "LABELS[0]: no EDGES record from 0 at offset 8");
}
END_TEST

/* A text offset outside STRINGS, written over a valid dump. */
START_TEST(label_text_outside_strings)
{
    struct dg *g = dg_new();
    pair(g, ATOLL_DUMP_LABEL_ATTRIBUTE, "peer", "'k'");
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(dg_build(g, &buf, &len), 0);
    dg_free(g);
    struct atoll_dump_label *labels =
        (struct atoll_dump_label *)dg_section(buf, ATOLL_DUMP_SEC_LABELS, NULL, NULL);
    labels[0].text = 1u << 20;
    dg_recrc(buf, len);
    struct dump d;
    char err[256];
    ck_assert_int_eq(dump_parse(&d, buf, len, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "LABELS[0]: text string 1048576 lies outside STRINGS"), "%s", err);
    free(buf);
}
END_TEST

Suite *labels_suite(void)
{
    Suite *s = suite_create("labels");
    TCase *tc = tcase_create("labels");
    tcase_add_test(tc, labels_are_spelled);
    tcase_add_test(tc, other_labels_are_spelled_as_they_are);
    tcase_add_test(tc, names_make_shapes_keys_do_not);
    tcase_add_test(tc, labels_validity);
    tcase_add_test(tc, label_text_outside_strings);
    suite_add_tcase(s, tc);
    return s;
}
