/* The dump reader, and what `atoll info`, `analyze` and `export` do with a dump it accepts. A dump
 * may come from anywhere (a bug report, another machine): no bytes may crash the reader, make
 * it read outside the file or allocate more than the file's size allows, and a dump it accepts
 * must analyse, report and export cleanly. Each input is read as it is (the checks of the CRCs and
 * the size), then once more with its CRCs and file_size made right, or nearly every mutation would
 * stop at those. Symbols are looked up as `atoll analyze` does, but with every module's path
 * emptied first (as the vDSO's is): the files a dump names are not opened. */
#include "analyzer.h"
#include "dumpgen.h"
#include "export/export.h"
#include "fuzz.h"
#include "retention/why.h"

#include <stdlib.h>
#include <string.h>

/* Points every module's path at the empty string that ends the exe's path. The buffer is this
 * target's own copy: writing through the reader's const pointers into it is sound. */
static void hide_modules(const struct dump *d)
{
    uint32_t empty = d->proc->exe + (uint32_t)strlen(dump_string(d, d->proc->exe));
    for (uint32_t i = 0; i < d->nmodules; i++)
        ((struct atoll_dump_module *)&d->modules[i])->path = empty;
}

/* Sections may overlap (the reader only reads them), so emptying the module paths may change
 * another section's bytes, an edge's end say, after the reader checked them: the dump is
 * resealed and read again, and analysed only if it still passes. */
static int reread_hidden(struct dump *d, uint8_t *buf, size_t size)
{
    char err[512];
    hide_modules(d);
    dump_close(d);
    dg_recrc(buf, size);
    return dump_parse(d, buf, size, err, sizeof err);
}

/* What `atoll why` takes from a dump: Python's modules, every root named, every block's path. */
static void why_paths(const struct dump *d, struct analysis *a)
{
    struct pymodules pm;
    struct why_tree t;
    if (pymodules_find(&pm, d, &a->g))
        return;
    struct root_namer *rn = root_namer_new(d, a->sym);
    uint32_t *path = malloc(((size_t)d->nblocks + 1) * sizeof *path);
    if (rn && path && why_tree_build(&t, d, &a->g, &pm, a->alive, a->cls) == 0) {
        struct outbuf ob;
        ob_init(&ob, fuzz_sink());
        for (uint32_t r = 0; r < d->nroots; r++) {
            root_name_text(&ob, rn, r);
            root_where_text(&ob, rn, r);
            root_name_json(&ob, rn, r);
        }
        for (uint32_t v = 0; v < d->nblocks; v++)
            if (!why_tree_path(&t, v, path, d->nblocks))
                abort();    /* every block has a path */
        ob_flush(&ob);
        free(ob.buf);
        why_tree_free(&t);
    }
    free(path);
    root_namer_free(rn);
    pymodules_free(&pm);
}

static void read_and_report(uint8_t *buf, size_t size)
{
    struct dump d;
    char err[512];
    if (dump_parse(&d, buf, size, err, sizeof err)) {
        fuzz_check_reason(err);
        return;
    }
    if (reread_hidden(&d, buf, size))
        return;
    info_print(fuzz_sink(), &d, "fuzz.atoll");
    struct analysis a;
    struct analyze_opts o = {.supp = NULL, .symbolize = true, .progress = false};
    if (analysis_run(&a, &d, &o) == 0) {
        struct outbuf ob;
        ob_init(&ob, fuzz_sink());
        report_text(&ob, &a, 10);
        report_json(&ob, &a, 10);
        report_dot(&ob, &a, 10);
        ob_flush(&ob);
        free(ob.buf);
        why_paths(&d, &a);
    }
    analysis_free(&a);
    export_heapsnapshot(&d, fuzz_sink(), err, sizeof err);
    dump_close(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy: the reader wants the buffer 8-aligned, and the copy is resealed */
    uint8_t *buf = malloc(size + 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    read_and_report(buf, size);
    struct atoll_dump_header h;
    if (size >= sizeof h) {
        memcpy(&h, buf, sizeof h);
        h.file_size = size;
        memcpy(buf, &h, sizeof h);
        dg_recrc(buf, size);
        read_and_report(buf, size);
    }
    free(buf);
    return 0;
}
