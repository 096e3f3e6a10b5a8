/* Dump validation: every rule of docs/dump-format.md "Validity" rejects a file with its own
 * message, through the library and through the command (exit 2, one line); and fuzzing
 * (truncation at every section boundary, random byte flips with and without fixed CRCs)
 * never crashes the reader or the analysis. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* Three blocks, a module, a thread, edges and roots of several kinds: every table is used. */
static struct dg *base(void)
{
    struct dg *g = dg_new();
    dg_module(g, "/nonexistent/prog", 0, 0x400000, 0x500000, NULL, 0);
    dg_thread(g, 4242, ATOLL_DUMP_THREAD_MAIN | ATOLL_DUMP_THREAD_STOPPED);
    uint64_t fr[2] = {0x401000, 0x402000};
    uint32_t s = dg_site(g, 2, fr);
    uint32_t a = dg_block(g, 32, s), b = dg_block(g, 32, s), c = dg_block(g, 32, s);
    dg_edge(g, a, b, 0);
    dg_edge(g, a, c, 8);
    dg_edge(g, b, c, 0);
    dg_root(g, ATOLL_DUMP_ROOT_STACK, 0, 0x7ff000080000ull, a);
    dg_root(g, ATOLL_DUMP_ROOT_GLOBAL, 0, 0x404000, b);
    return g;
}

static void build_base(uint8_t **buf, size_t *len)
{
    struct dg *g = base();
    ck_assert_int_eq(dg_build(g, buf, len), 0);
    dg_free(g);
}

#define SEC(buf, type, T) ((T *)dg_section((buf), (type), NULL, NULL))

struct mutation {
    const char *name;
    void (*mutate)(uint8_t *buf, size_t *len);
    bool recrc;
    const char *message;
};

static struct atoll_dump_header *hdr(uint8_t *b)
{
    return (struct atoll_dump_header *)b;
}

static void m_truncated(uint8_t *b, size_t *len) { (void)b; *len = 40; }
static void m_magic(uint8_t *b, size_t *len) { (void)len; b[0] = 'X'; }
static void m_version(uint8_t *b, size_t *len) { (void)len; hdr(b)->version = 3; }
static void m_header_crc(uint8_t *b, size_t *len) { (void)len; hdr(b)->reserved[0] = 0; hdr(b)->header_crc ^= 1; }
static void m_header_size(uint8_t *b, size_t *len) { (void)len; hdr(b)->header_size = 72; }
static void m_file_size(uint8_t *b, size_t *len) { (void)len; hdr(b)->file_size += 8; }
static void m_entry_size(uint8_t *b, size_t *len) { (void)len; hdr(b)->section_entry_size = 40; }
static void m_table_outside(uint8_t *b, size_t *len) { (void)len; hdr(b)->section_count = 1000; }
static void m_table_crc(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 7)->reserved = 1; }
static void m_section_crc(uint8_t *b, size_t *len) { (void)len; SEC(b, 7, struct atoll_dump_block)[0].reserved[0] = 1; }
static void m_section_outside(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 8)->offset = 1u << 30; }
static void m_section_align(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 2)->offset += 4; dg_section_entry(b, 2)->size = 0; }
static void m_record_size(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 7)->record_size = 41; }
static void m_size_multiple(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 7)->size -= 8; }
static void m_missing(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 9)->type = 99; }
static void m_duplicate(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 9)->type = 8; }
static void m_process_count(uint8_t *b, size_t *len) { (void)len; dg_section_entry(b, 1)->size = 0; }
static void m_generation(uint8_t *b, size_t *len) { (void)len; SEC(b, 1, struct atoll_dump_process)->generation = 3; }
static void m_exe_string(uint8_t *b, size_t *len) { (void)len; SEC(b, 1, struct atoll_dump_process)->exe = 100000; }
static void m_argv_string(uint8_t *b, size_t *len) { (void)len; SEC(b, 1, struct atoll_dump_process)->argc = 1000; }
static void m_no_nul(uint8_t *b, size_t *len)
{
    (void)len;
    uint64_t size;
    char *s = (char *)dg_section(b, 2, &size, NULL);
    s[size - 1] = 'x';   /* the last string (the module's path) now runs off the section */
}
static void m_module_path(uint8_t *b, size_t *len) { (void)len; SEC(b, 3, struct atoll_dump_module)->path = 99999; }
static void m_site_frames(uint8_t *b, size_t *len) { (void)len; SEC(b, 6, struct atoll_dump_site)[1].depth = 3; }
static void m_unsorted(uint8_t *b, size_t *len) { (void)len; SEC(b, 7, struct atoll_dump_block)[1].address = 0x100; }
static void m_overlap(uint8_t *b, size_t *len) { (void)len; SEC(b, 7, struct atoll_dump_block)[0].size = 4096; }
static void m_block_site(uint8_t *b, size_t *len) { (void)len; SEC(b, 7, struct atoll_dump_block)[2].site = 7; }
static void m_edge_from(uint8_t *b, size_t *len) { (void)len; SEC(b, 8, struct atoll_dump_edge)[2].from = 3; }
static void m_edge_to(uint8_t *b, size_t *len) { (void)len; SEC(b, 8, struct atoll_dump_edge)[0].to = 9; }
static void m_edge_order(uint8_t *b, size_t *len) { (void)len; SEC(b, 8, struct atoll_dump_edge)[1].offset = 0; SEC(b, 8, struct atoll_dump_edge)[0].offset = 16; }
static void m_edge_offset(uint8_t *b, size_t *len) { (void)len; SEC(b, 8, struct atoll_dump_edge)[2].offset = 32; }
static void m_root_target(uint8_t *b, size_t *len) { (void)len; SEC(b, 9, struct atoll_dump_root)[0].target = 3; }
static void m_root_thread(uint8_t *b, size_t *len) { (void)len; SEC(b, 9, struct atoll_dump_root)[0].index = 1; }
static void m_root_module(uint8_t *b, size_t *len) { (void)len; SEC(b, 9, struct atoll_dump_root)[1].index = 5; }
static void m_root_kind(uint8_t *b, size_t *len) { (void)len; SEC(b, 9, struct atoll_dump_root)[1].kind = 8; }
static void m_refcount(uint8_t *b, size_t *len) { (void)len; SEC(b, 7, struct atoll_dump_block)[2].refcount = 1; }

static const struct mutation mutations[] = {
    {"truncated", m_truncated, false, "truncated: 40 bytes, smaller than the 64-byte header"},
    {"magic", m_magic, false, "not an atoll dump (bad magic)"},
    {"version", m_version, false, "unsupported dump version 3"},
    {"header crc", m_header_crc, false, "header CRC mismatch"},
    {"header size", m_header_size, true, "header_size is 72, expected 64"},
    {"file size", m_file_size, true, "file size mismatch: header says"},
    {"entry size", m_entry_size, true, "section_entry_size is 40, expected 32"},
    {"table outside", m_table_outside, true, "section table (1000 entries at"},
    {"table crc", m_table_crc, false, "section table CRC mismatch"},
    {"section crc", m_section_crc, false, "section BLOCKS CRC mismatch"},
    {"section outside", m_section_outside, true, "section EDGES (48 bytes at 1073741824) lies outside the file"},
    {"section alignment", m_section_align, true, "section STRINGS is not 8-aligned"},
    {"record size", m_record_size, true, "section BLOCKS has record size 41, expected 40"},
    {"size multiple", m_size_multiple, true, "section BLOCKS size 112 is not a multiple of 40"},
    {"missing", m_missing, true, "section ROOTS is missing"},
    {"duplicate", m_duplicate, true, "section EDGES appears twice"},
    {"process count", m_process_count, true, "PROCESS holds 0 records, expected 1"},
    {"generation", m_generation, true, "PROCESS: generation 3 is not 0, 1 or 2"},
    {"exe string", m_exe_string, true, "PROCESS: exe string 100000 lies outside STRINGS"},
    {"argv string", m_argv_string, true, "PROCESS: argv[3] lies outside STRINGS"},
    {"string without NUL", m_no_nul, true, "MODULES[0]: path string 43 lies outside STRINGS"},
    {"module path", m_module_path, true, "MODULES[0]: path string 99999 lies outside STRINGS"},
    {"site frames", m_site_frames, true, "SITES[1]: frames 0..3 lie outside FRAMES (2)"},
    {"blocks sorted", m_unsorted, true, "BLOCKS[1]: not sorted by address"},
    {"blocks overlap", m_overlap, true, "BLOCKS[1]: overlaps the previous block"},
    {"block site", m_block_site, true, "BLOCKS[2]: site 7 is not a SITES index (2 sites)"},
    {"edge from", m_edge_from, true, "EDGES[2]: from 3 is not a BLOCKS index"},
    {"edge to", m_edge_to, true, "EDGES[0]: to 9 is not a BLOCKS index"},
    {"edge order", m_edge_order, true, "EDGES[1]: not sorted by (from, offset)"},
    {"edge offset", m_edge_offset, true, "EDGES[2]: offset 32 + 8 is past the size 32 of block 1"},
    {"root target", m_root_target, true, "ROOTS[0]: target 3 is not a BLOCKS index"},
    {"root thread", m_root_thread, true, "ROOTS[0]: thread 1 is not a THREADS index"},
    {"root module", m_root_module, true, "ROOTS[1]: module 5 is not a MODULES index"},
    {"root kind", m_root_kind, true, "ROOTS[1]: unknown kind 8"},
    {"refcount", m_refcount, true, "BLOCKS[2]: refcount 1 is below its 2 references (edges and roots)"},
};

START_TEST(base_is_valid)
{
    uint8_t *buf;
    size_t len;
    build_base(&buf, &len);
    struct dump d;
    char err[256];
    ck_assert_msg(dump_parse(&d, buf, len, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(d.nblocks, 3);
    ck_assert_uint_eq(d.nedges, 3);
    ck_assert_uint_eq(d.indeg[2], 2);
    dump_close(&d);
    free(buf);
}
END_TEST

START_TEST(each_rule)
{
    const struct mutation *m = &mutations[_i];
    uint8_t *buf;
    size_t len;
    build_base(&buf, &len);
    m->mutate(buf, &len);
    if (m->recrc)
        dg_recrc(buf, len);
    struct dump d;
    char err[256] = "";
    ck_assert_msg(dump_parse(&d, buf, len, err, sizeof err) == -1, "%s: accepted", m->name);
    ck_assert_msg(strstr(err, m->message) == err, "%s: got '%s', want '%s'", m->name, err,
                  m->message);

    /* the same through the command: exit 2, one line naming the file */
    char *dir = temp_dir(), *path = path_join(dir, "bad.atoll"), *out, *errs;
    ck_assert_int_eq(dg_write_buf(buf, len, path), 0);
    char *argv[] = {(char *)atoll_path(), "analyze", path, NULL};
    ck_assert_int_eq(run_capture(argv, &out, &errs), 2);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(count_lines(errs), 1);
    char *want;
    ck_assert_int_ge(asprintf(&want, "atoll: %s: %s", path, m->message), 0);
    ck_assert_msg(strncmp(errs, want, strlen(want)) == 0, "got '%s'", errs);
    char *info[] = {(char *)atoll_path(), "info", path, NULL};
    ck_assert_int_eq(run_capture(info, NULL, NULL), 2);
    free(want), free(out), free(errs);
    rm_rf(dir);
    free(path), free(dir), free(buf);
}
END_TEST

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Parses, and if the dump is accepted analyzes it and writes all three reports. */
static int parse_and_analyze(const uint8_t *buf, size_t len)
{
    struct dump d;
    char err[256];
    if (dump_parse(&d, buf, len, err, sizeof err))
        return -1;
    struct analysis a;
    struct analyze_opts o = {.symbolize = true};
    ck_assert_int_eq(analysis_run(&a, &d, &o), 0);
    FILE *null = fopen("/dev/null", "w");
    struct outbuf ob;
    ob_init(&ob, null);
    report_text(&ob, &a, 10);
    report_json(&ob, &a, 10);
    report_dot(&ob, &a, 10);
    ob_flush(&ob);
    free(ob.buf);
    fclose(null);
    analysis_free(&a);
    dump_close(&d);
    return 0;
}

static struct dg *fuzz_base(void)
{
    struct dg *g = base();
    uint64_t sz[] = {48, 48};
    for (int i = 0; i < 2; i++)
        dg_block(g, sz[i], 1);
    dg_edge(g, 3, 4, 0);
    dg_edge(g, 4, 3, 8);
    dg_edge(g, 4, 2, 16);
    return g;
}

START_TEST(truncate_at_every_boundary)
{
    uint8_t *buf;
    size_t len;
    struct dg *g = fuzz_base();
    ck_assert_int_eq(dg_build(g, &buf, &len), 0);
    dg_free(g);
    ck_assert_int_eq(parse_and_analyze(buf, len), 0);
    char *dir = temp_dir(), *path = path_join(dir, "cut.atoll");
    size_t cuts[64], ncuts = 0;
    cuts[ncuts++] = 0;
    cuts[ncuts++] = 63;
    cuts[ncuts++] = 64;
    for (uint32_t t = 1; t <= 9; t++) {
        struct atoll_dump_section *e = dg_section_entry(buf, t);
        cuts[ncuts++] = e->offset;
        cuts[ncuts++] = e->offset + e->size / 2;
        cuts[ncuts++] = e->offset + e->size;
    }
    cuts[ncuts++] = hdr(buf)->section_table_offset;
    cuts[ncuts++] = len - 1;
    for (size_t i = 0; i < ncuts; i++) {
        if (cuts[i] >= len)
            continue;
        ck_assert_int_eq(parse_and_analyze(buf, cuts[i]), -1);
        /* also with the header's size made to agree, so the later checks are reached */
        if (cuts[i] >= 64) {
            uint8_t *copy = malloc(len);
            memcpy(copy, buf, len);
            hdr(copy)->file_size = cuts[i];
            dg_recrc(copy, cuts[i]);
            ck_assert_int_eq(parse_and_analyze(copy, cuts[i]), -1);
            free(copy);
        }
        ck_assert_int_eq(dg_write_buf(buf, cuts[i], path), 0);
        char *argv[] = {(char *)atoll_path(), "analyze", path, NULL}, *errs;
        ck_assert_int_eq(run_capture(argv, NULL, &errs), 2);
        ck_assert_int_eq(count_lines(errs), 1);
        free(errs);
    }
    rm_rf(dir);
    free(path), free(dir), free(buf);
}
END_TEST

START_TEST(random_flips)
{
    uint8_t *buf;
    size_t len;
    struct dg *g = fuzz_base();
    ck_assert_int_eq(dg_build(g, &buf, &len), 0);
    dg_free(g);
    uint8_t *copy = malloc(len);
    uint64_t seed = 12345;
    int accepted = 0, rejected = 0;
    for (int round = 0; round < 4000; round++) {
        memcpy(copy, buf, len);
        int flips = 1 + (int)(rnd(&seed) % 4);
        for (int k = 0; k < flips; k++)
            copy[rnd(&seed) % len] ^= (uint8_t)(1 + rnd(&seed) % 255);
        bool fix = round % 2;   /* half the rounds get past the CRCs to the deeper checks */
        if (fix) {
            struct atoll_dump_header h;
            memcpy(&h, copy, sizeof h);
            if (h.section_table_offset <= len && (uint64_t)h.section_count * 32 <= len - h.section_table_offset)
                dg_recrc(copy, len);
        }
        if (parse_and_analyze(copy, len) == 0)
            accepted++;
        else
            rejected++;
    }
    /* unfixed flips almost always hit a CRC; fixed ones are partly still valid */
    ck_assert_int_gt(rejected, 2000);
    ck_assert_int_gt(accepted, 0);
    free(copy), free(buf);
}
END_TEST

Suite *validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("validate");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, base_is_valid);
    tcase_add_loop_test(tc, each_rule, 0, sizeof mutations / sizeof *mutations);
    tcase_add_test(tc, truncate_at_every_boundary);
    tcase_add_test(tc, random_flips);
    suite_add_tcase(s, tc);
    return s;
}
