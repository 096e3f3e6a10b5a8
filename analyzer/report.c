/* One process's report: its last dump analyzed, each earlier one analyzed in turn and merged
 * (merge.c), and the result written in the format asked for. An earlier dump that cannot be
 * read is left out of the merge with one line on stderr; the last one must be read. */
#include "analyzer.h"
#include "merge.h"
#include "html/html.h"
#include "python/pygc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The JSON report on one line (JSON Lines): its line breaks and their indentation go, which
 * is safe because a JSON string holds no raw line break. */
static void put_one_line(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n') {
            fputc(s[i], f);
            continue;
        }
        while (i + 1 < n && s[i + 1] == ' ')
            i++;
    }
    fputc('\n', f);
}

/* The dot drawing rendered by Graphviz. */
static void write_svg(const struct merged *m, uint32_t top, FILE *f, bool *failed, char *err,
                     size_t errlen)
{
    char *dot = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&dot, &len);
    struct outbuf ob;
    if (!mem) {
        *failed = true;
        return;
    }
    ob_init(&ob, mem);
    report_dot_merged(&ob, m, top);
    ob_flush(&ob);
    free(ob.buf);
    if (fclose(mem) || ob.failed)
        *failed = true;
    else if (graphviz_svg(dot, len, f, err, errlen))
        *failed = true;
    free(dot);
}

static void write_report(const struct report_opts *ro, const struct merged *m, FILE *f,
                         bool *failed, char *err, size_t errlen)
{
    struct outbuf ob;
    if (ro->format == FORMAT_SVG) {
        write_svg(m, ro->top, f, failed, err, errlen);
        return;
    }
    ob_init(&ob, f);
    if (ro->format == FORMAT_JSON)
        report_json_merged(&ob, m, ro->top);
    else if (ro->format == FORMAT_DOT)
        report_dot_merged(&ob, m, ro->top);
    else if (ro->format == FORMAT_HTML)
        html_process(&ob, m, ro->top);
    else
        report_text_merged(&ob, m, ro->top);
    ob_flush(&ob);
    free(ob.buf);
    *failed = ob.failed;
}

static int write_one_line(const struct report_opts *ro, const struct merged *m, FILE *f,
                          bool *failed)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return -1;
    char err[8];
    write_report(ro, m, mem, failed, err, sizeof err);
    if (fclose(mem) == 0 && !*failed)
        put_one_line(f, buf, len);
    else
        *failed = true;
    free(buf);
    return 0;
}

/* The earlier dumps of the process, in collection order, into m; their sites are named by the
 * last dump's symbols (a process's sites are the same in all its dumps). -1 when out of
 * memory. */
static int merge_earlier(const struct report_opts *ro, char *const *paths, size_t n,
                         struct merged *m)
{
    struct analyze_opts o = {.supp = ro->supp, .sym = m->last->sym, .native = ro->native,
                             .skip_retention = true};
    char why[512];
    for (size_t i = 0; i < n; i++) {
        struct dump d;
        struct analysis a;
        progress("merging an earlier collection");
        if (dump_open(&d, paths[i], why, sizeof why)) {
            progress_done();
            fprintf(stderr, "atoll run: %s: %s (left out of the report)\n", paths[i], why);
            continue;
        }
        int rc = analysis_run(&a, &d, &o) ? -1 : merge_add(m, &a);
        analysis_free(&a);
        dump_close(&d);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* pygc.jsonl beside the dump at path, the part a report of the dump covers, into run; false
 * when there is none. A file that cannot be read says so on stderr, and the report goes on
 * without it. */
static bool pygc_load(const char *path, const struct dump *d, struct pygc_run *run)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    char file[4096], why[512];
    snprintf(file, sizeof file, "%.*s/pygc.jsonl", dirlen, slash ? path : ".");
    if (access(file, F_OK) != 0)
        return false;
    if (pygc_read_run(file, d->proc->pid, d->proc->collection, run, why, sizeof why) == 0)
        return true;
    fprintf(stderr, "atoll: %s (PYTHON GC left out of the report)\n", why);
    return false;
}

int cli_report(const struct report_opts *ro, char *const *paths, size_t n, FILE *f,
               bool one_line, bool *leaked, char *err, size_t errlen)
{
    const char *path = paths[n - 1];
    char why[512];
    struct dump d;
    bool tty = isatty(2);
    progress_enable(tty);
    progress("reading the dump");
    if (dump_open(&d, path, why, sizeof why)) {
        progress_done();
        snprintf(err, errlen, "%s: %s", path, why);
        return 2;
    }
    struct analysis a;
    struct merged m = {0};
    struct pygc_run pygc = {0};
    struct analyze_opts o = {.supp = ro->supp, .symbolize = true, .progress = tty,
                             .native = ro->native};
    int rc = 2;
    bool failed = false;
    bool draw = ro->format == FORMAT_DOT || ro->format == FORMAT_SVG || ro->format == FORMAT_HTML;
    if (analysis_run(&a, &d, &o) || merge_begin(&m, &a, draw) ||
        merge_earlier(ro, paths, n - 1, &m) || merge_end(&m))
        goto oom;
    *err = '\0';
    if (pygc_load(path, &d, &pygc))
        m.pygc = &pygc;
    if (one_line && ro->format == FORMAT_JSON) {
        if (write_one_line(ro, &m, f, &failed))
            goto oom;
    } else {
        write_report(ro, &m, f, &failed, err, errlen);
    }
    progress_done();
    if (failed && *err)
        goto out;
    if (failed || ferror(f)) {
        snprintf(err, errlen, "%s: write error", ro->report ? ro->report : "output");
        goto out;
    }
    *leaked = m.leaked.blocks > 0;
    rc = 0;
    goto out;
oom:
    progress_done();
    snprintf(err, errlen, "%s: out of memory", path);
out:
    free(pygc.recs);
    merge_free(&m);
    analysis_free(&a);
    dump_close(&d);
    return rc;
}
