/* `atoll why` on hand-built dumps: which path the shortest-path tree keeps (the shortest; of two
 * as short, the one from the better-known root; what Python's modules reach, from them first;
 * then what only the outside holds; then leaked blocks from the lost block holding them), and
 * the text the command prints for a module's global. */
#include "support.h"
#include "retention/why.h"

#include <stdlib.h>
#include <string.h>

struct built {
    struct loaded l;
    struct pymodules pm;
    struct why_tree t;
};

static void build(struct built *b, struct dg *g)
{
    load_dg(&b->l, g, NULL);
    ck_assert_int_eq(pymodules_find(&b->pm, &b->l.d, &b->l.a.g), 0);
    ck_assert_int_eq(why_tree_build(&b->t, &b->l.d, &b->l.a.g, &b->pm, b->l.a.alive,
                                    b->l.a.cls), 0);
}

static void unbuild(struct built *b)
{
    why_tree_free(&b->t);
    pymodules_free(&b->pm);
    unload(&b->l);
}

/* The path to v must be exactly want[0..n), starting as `start` says (ROOTS record `via` for a
 * root). */
static void expect_path(const struct built *b, uint32_t v, const uint32_t *want, uint32_t n,
                        uint8_t start, uint32_t via)
{
    uint32_t path[16];
    uint32_t len = why_tree_path(&b->t, v, path, 16);
    ck_assert_uint_eq(len, n);
    for (uint32_t i = 0; i < n; i++)
        ck_assert_uint_eq(path[i], want[i]);
    ck_assert_uint_eq(b->t.start[path[0]], start);
    if (start == WHY_ROOT || start == WHY_MODULE)
        ck_assert_uint_eq(b->t.via[path[0]], via);
}

START_TEST(shortest_path_and_root_order)
{
    struct dg *g = dg_new();
    dg_module(g, "/usr/bin/server", 0x400000, 0x400000, 0x500000, NULL, 0);
    uint32_t a[4], t, s, p, q, t2, d, e, o, f;
    for (int i = 0; i < 4; i++)
        a[i] = dg_block(g, 16, 0);
    t = dg_block(g, 24, 0);
    s = dg_block(g, 16, 0);
    p = dg_block(g, 16, 0);
    q = dg_block(g, 16, 0);
    t2 = dg_block(g, 24, 0);
    d = dg_block(g, 32, 0);
    e = dg_block(g, 32, 0);
    o = dg_block(g, 40, 0);
    f = dg_block(g, 40, 0);
    /* t: four references from a global, two from a stack word: the stack's path */
    dg_edge(g, a[0], a[1], 0);
    dg_edge(g, a[1], a[2], 0);
    dg_edge(g, a[2], a[3], 8);
    dg_edge(g, a[3], t, 0);
    dg_edge(g, s, t, 8);
    /* t2: as short from a stack word (recorded first) as from a global: the global's path */
    dg_edge(g, p, t2, 0);
    dg_edge(g, q, t2, 0);
    /* e: held by a lost block; f: by a block only an older generation holds */
    dg_edge(g, d, e, 0);
    dg_edge(g, o, f, 0);
    dg_external(g, o, 1);
    dg_root_stack(g, s);        /* record 0 */
    dg_root_stack(g, q);        /* record 1 */
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, 0x401000, a[0]);   /* record 2 */
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, 0x401008, p);      /* record 3 */
    struct built b;
    build(&b, g);
    expect_path(&b, t, (uint32_t[]){s, t}, 2, WHY_ROOT, 0);
    expect_path(&b, a[3], (uint32_t[]){a[0], a[1], a[2], a[3]}, 4, WHY_ROOT, 2);
    expect_path(&b, t2, (uint32_t[]){p, t2}, 2, WHY_ROOT, 3);
    expect_path(&b, e, (uint32_t[]){d, e}, 2, WHY_LOST, 0);
    expect_path(&b, f, (uint32_t[]){o, f}, 2, WHY_OUTSIDE, 0);
    unbuild(&b);
}
END_TEST

/* sys.modules (the dict with the most entries that are modules) names __main__; __main__'s
 * __dict__ holds _cache, which holds an entry. A stack word points at _cache too, and a global
 * at sys.modules: the entry's path still starts at __main__'s globals. */
static struct dg *python_dump(uint32_t *entry, uint32_t *globals, uint32_t *cache)
{
    struct dg *g = dg_new();
    dg_module(g, "/usr/bin/python3", 0x400000, 0x400000, 0x500000, NULL, 0);
    uint32_t mods = dg_block(g, 64, 0), main = dg_block(g, 72, 0), other = dg_block(g, 72, 0);
    *globals = dg_block(g, 64, 0);
    *cache = dg_block(g, 64, 0);
    *entry = dg_block(g, 48, 0);
    uint32_t keep = dg_block(g, 64, 0);
    dg_edge(g, mods, main, 24);
    dg_edge(g, mods, other, 48);
    dg_edge(g, main, *globals, 16);
    dg_edge(g, *globals, *cache, 24);
    dg_edge(g, *cache, *entry, 24);
    dg_edge(g, keep, other, 24);
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, 0x401000, mods);
    dg_root_stack(g, *cache);
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, 0x401010, keep);
    dg_object(g, mods, mods, "dict", 1, 0);
    dg_object(g, main, main, "module", 1, 0);
    dg_object(g, other, other, "module", 2, 0);
    dg_object(g, *globals, *globals, "dict", 1, 0);
    dg_object(g, *cache, *cache, "dict", 2, 0);
    dg_object(g, *entry, *entry, "Session", 1, 0);
    dg_object(g, keep, keep, "dict", 1, 0);
    dg_label(g, mods, 24, ATOLL_DUMP_LABEL_KEY, "'__main__'", 0);
    dg_label(g, mods, 48, ATOLL_DUMP_LABEL_KEY, "'json'", 0);
    dg_label(g, main, 16, ATOLL_DUMP_LABEL_ATTRIBUTE, "__dict__", 0);
    dg_label(g, *globals, 24, ATOLL_DUMP_LABEL_KEY, "'_cache'", 0);
    dg_label(g, *cache, 24, ATOLL_DUMP_LABEL_KEY, "'req7'", 0);
    dg_label(g, keep, 24, ATOLL_DUMP_LABEL_KEY, "'mod'", 0);
    return g;
}

START_TEST(python_modules_first)
{
    uint32_t entry, globals, cache;
    struct built b;
    build(&b, python_dump(&entry, &globals, &cache));
    ck_assert_uint_eq(b.pm.n, 2);
    ck_assert_str_eq(b.pm.name[0], "__main__");
    ck_assert_str_eq(b.pm.name[1], "json");
    ck_assert_uint_eq(b.pm.dict[0], globals);
    ck_assert_uint_eq(b.pm.dict[1], AN_NONE);
    expect_path(&b, entry, (uint32_t[]){globals, cache, entry}, 3, WHY_MODULE, 0);
    unbuild(&b);
}
END_TEST

/* The command prints the path from __main__._cache, one line per hop, labels as Python spells
 * them. */
START_TEST(why_prints_module_global)
{
    uint32_t entry, globals, cache;
    char *dir = temp_dir(), *path = path_join(dir, "py.atoll"), *out, *err;
    struct dg *g = python_dump(&entry, &globals, &cache);
    ck_assert_int_eq(dg_write(g, path), 0);
    dg_free(g);
    char *argv[] = {(char *)atoll_path(), "why", path, "--type", "Session", NULL};
    ck_assert_int_eq(run_capture(argv, &out, &err), 0);
    const char *want = "#1 Session (48 B, unknown site) at 0x";
    ck_assert_msg(strstr(out, want), "%s", out);
    ck_assert_msg(strstr(out, ", still reachable:\n"
                              "      __main__._cache\n"
                              "      -> dict (64 B, unknown site)\n"
                              "      -['req7']-> Session (48 B, unknown site)\n"),
                  "%s", out);
    free(out);
    free(err);
    char *bad[] = {(char *)atoll_path(), "why", path, "--paths", "x", "--type", "a", NULL};
    ck_assert_int_eq(run_capture(bad, &out, &err), 2);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(count_lines(err), 1);
    free(out);
    free(err);
    rm_rf(dir);
    free(path);
    free(dir);
}
END_TEST

Suite *why_suite(void)
{
    Suite *s = suite_create("why");
    TCase *tc = tcase_create("why");
    tcase_add_test(tc, shortest_path_and_root_order);
    tcase_add_test(tc, python_modules_first);
    tcase_add_test(tc, why_prints_module_global);
    suite_add_tcase(s, tc);
    return s;
}
