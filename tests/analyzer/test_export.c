/* `atoll export --format heapsnapshot` (docs/heapsnapshot.md) on synthetic dumps whose every
 * node, edge, string and trace is worked out by hand: synthetic roots, objects and the blocks
 * they own, labels, weak edges, a leaked cycle, names that are not UTF-8. */
#include "support.h"
#include "export/export.h"

#include <stdlib.h>
#include <string.h>

static char *exported(const struct dump *d)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char err[256] = "";
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(export_heapsnapshot(d, f, err, sizeof err) == 0, "%s", err);
    fclose(f);
    return text;
}

/* What follows key in text, up to the next "],\n" (or to the end). */
static char *section(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    ck_assert_msg(p, "no %s in %s", key, text);
    p += strlen(key);
    const char *end = strstr(p, "],\n");
    size_t n = end ? (size_t)(end - p) + 1 : strlen(p);
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static void expect_section(const char *text, const char *key, const char *want)
{
    char *got = section(text, key);
    ck_assert_msg(strcmp(got, want) == 0, "%s\ngot:\n%s\nexpected:\n%s", key, got, want);
    free(got);
}

/* A global root holds A; A points to object O (a Node) from memory no layout describes, so
 * that pointer is weak and O, alive by its own count, hangs from (referenced from outside); O
 * owns P, whose references (.back to A, [3] to Q) are drawn from O; Q's pointer into P is a
 * stale one (weak); E and F are a leaked cycle, and E's pointer to A is weak (reachability and
 * the components never follow a leaked block's pointer to a live one). The module's name is
 * not UTF-8. */
START_TEST(every_node_and_edge)
{
    struct dg *g = dg_new();
    dg_module(g, "/tmp/lib\xff\"q.so", 0x1000, 0x1000, 0x9000, NULL, 0);
    uint64_t frames[] = {0x1010, 0x1020};
    uint32_t site = dg_site(g, 2, frames);
    uint32_t a = dg_block(g, 24, site), o = dg_block(g, 48, 0), p = dg_block(g, 32, 0);
    uint32_t q = dg_block(g, 16, 0), e = dg_block(g, 16, site), f = dg_block(g, 16, site);
    dg_edge(g, a, o, 8);
    dg_edge(g, o, p, 16);
    dg_edge(g, p, a, 0);
    dg_edge(g, p, q, 8);
    dg_edge(g, q, p, 8);
    dg_edge(g, e, f, 0);
    dg_edge(g, e, a, 8);
    dg_edge(g, f, e, 0);
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, 0x2008, a);
    dg_object(g, o, o, "Node", 1, 0);
    dg_object(g, p, o, "", 0, 0);
    dg_label(g, p, 0, ATOLL_DUMP_LABEL_ATTRIBUTE, "back", 0);
    dg_label(g, p, 8, ATOLL_DUMP_LABEL_INDEX, NULL, 3);
    struct loaded l;
    load_dg(&l, g, NULL);
    char *text = exported(&l.d);
    ck_assert_msg(strstr(text, "\"node_count\":10,\"edge_count\":14,\"trace_function_count\":3"),
                  "%s", text);
    expect_section(text, "\"nodes\":[",
                   "9,0,1,0,3,0,\n"      /* the root: 1 named root, outside, leaked */
                   "9,1,3,0,1,0,\n"      /* global lib\xff"q.so+0x1008 */
                   "9,6,5,0,1,0,\n"      /* (referenced from outside): O */
                   "9,7,7,0,1,0,\n"      /* (leaked): E */
                   "8,5,2,24,1,3,\n"     /* A, named by its site, at trace node 3 */
                   "3,8,4,48,3,0,\n"     /* O, a Node: its edge to P and P's two */
                   "0,9,6,32,0,0,\n"     /* P, hidden */
                   "8,9,8,16,1,0,\n"     /* Q */
                   "8,5,10,16,2,3,\n"    /* E */
                   "8,5,12,16,1,3]");    /* F */
    expect_section(text, "\"edges\":[",
                   "1,1,6,\n1,2,12,\n1,3,18,\n"  /* the root's */
                   "3,10,24,\n"          /* the global word: A */
                   "1,1,30,\n"           /* outside: O */
                   "1,1,48,\n"           /* leaked: E */
                   "6,11,30,\n"          /* A -> O at +8: weak */
                   "3,12,36,\n"          /* O -> P at +16 */
                   "2,13,24,\n"          /* O (in P) .back -> A */
                   "1,3,42,\n"           /* O (in P) [3] -> Q */
                   "6,11,36,\n"          /* Q -> P at +8: weak */
                   "3,14,54,\n"          /* E -> F */
                   "6,11,24,\n"          /* E -> A at +8: weak */
                   "3,14,48]");          /* F -> E */
    expect_section(text, "\"trace_function_infos\":[",
                   "0,2,0,0,0,0,\n1,3,4,4,0,0,\n2,5,4,4,0,0]");
    expect_section(text, "\"trace_tree\":", "[1,0,0,0,[2,1,0,0,[3,2,3,56,[]]]]");
    expect_section(text, "\"strings\":",
                   "[\"\",\n\"global lib\\u00ff\\\"q.so+0x1008\",\n\"(root)\",\n"
                   "\"lib\\u00ff\\\"q.so+0x20\",\n\"/tmp/lib\\u00ff\\\"q.so\",\n"
                   "\"lib\\u00ff\\\"q.so+0x10\",\n\"(referenced from outside)\",\n"
                   "\"(leaked)\",\n\"Node\",\n\"unknown site\",\n\"global\",\n\"+8\",\n"
                   "\"+16\",\n\"back\",\n\"+0\"]}\n");
    free(text);
    unload(&l);
}
END_TEST

/* A dump without blocks is still a snapshot: the root and its three synthetic children. */
START_TEST(empty_dump)
{
    struct loaded l;
    load_dg(&l, dg_new(), NULL);
    char *text = exported(&l.d);
    expect_section(text, "\"nodes\":[",
                   "9,0,1,0,2,0,\n9,2,3,0,0,0,\n9,3,5,0,0,0]");
    expect_section(text, "\"edges\":[", "1,1,6,\n1,2,12]");
    free(text);
    unload(&l);
}
END_TEST

Suite *export_suite(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("heapsnapshot");
    tcase_add_test(tc, every_node_and_edge);
    tcase_add_test(tc, empty_dump);
    suite_add_tcase(s, tc);
    return s;
}
