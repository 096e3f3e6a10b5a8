/* `atoll diff [options] OLD NEW`: both dumps read and analyzed, the growth computed (diff.c)
 * and written as text, JSON or HTML (html/diff.c). Usage errors and unreadable dumps are one
 * line on stderr and exit status 2. */
#include "diff.h"
#include "html/html.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char diff_help[] =
    "usage: atoll diff [options] OLD NEW\n"
    "\n"
    "What grew from dump OLD to dump NEW, of one process or of two runs of one program: blocks,\n"
    "bytes and retained bytes by allocation site and by type, the blocks that survived from OLD,\n"
    "and the leak sites and cycle shapes that are new in NEW.\n"
    "\n"
    "  --format text|json|html report format (default text); html: one self-contained page\n"
    "  --report FILE           write the report to FILE (default standard output)\n"
    "  --top N                 rows shown per table (default 10; JSON has them all)\n"
    "  --suppressions FILE     leaks these LeakSanitizer-style patterns match are not new leaks\n"
    "  --native                Python allocations by their whole stacks\n"
    "  --error-exitcode N      exit with N if NEW has leak sites OLD had not\n"
    "  --help                  this text\n";

struct side {
    struct dump d;
    struct analysis a;
    bool opened, analyzed;
};

static int load(struct side *s, const char *path, const struct report_opts *ro, char *err,
                size_t errlen)
{
    char why[512];
    if (dump_open(&s->d, path, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    s->opened = true;
    struct analyze_opts o = {.supp = ro->supp, .symbolize = true, .native = ro->native};
    s->analyzed = true;
    if (analysis_run(&s->a, &s->d, &o)) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

static void unload(struct side *s)
{
    if (s->analyzed)
        analysis_free(&s->a);
    if (s->opened)
        dump_close(&s->d);
}

/* Both dumps, the diff, the report; 0, or 2 with the reason in err. */
static int run(const struct report_opts *ro, char *const *paths, bool *new_leaks, char *err,
               size_t errlen)
{
    struct side old = {0}, new = {0};
    struct diff df = {0};
    int rc = 2;
    progress_enable(isatty(2));
    if (load(&old, paths[0], ro, err, errlen) || load(&new, paths[1], ro, err, errlen))
        goto out;
    progress("comparing");
    if (diff_compute(&df, &old.a, &new.a, err, errlen))
        goto out;
    progress_done();
    FILE *f = cli_report_open(ro, stdout, err, errlen);
    if (!f)
        goto out;
    struct outbuf ob;
    ob_init(&ob, f);
    if (ro->format == FORMAT_JSON) {
        diff_json(&ob, &df);
    } else if (ro->format == FORMAT_HTML) {
        html_begin(&ob, "atoll diff");
        html_diff(&ob, &df, ro->top);
        html_end(&ob);
    } else {
        diff_text(&ob, &df, ro->top);
    }
    ob_flush(&ob);
    free(ob.buf);
    *new_leaks = df.nnew_leaks > 0;
    rc = cli_report_close(ro, f, stdout, err, errlen);
    if (!rc && ob.failed) {
        snprintf(err, errlen, "%s: write error", ro->report ? ro->report : "output");
        rc = 2;
    }
out:
    progress_done();
    diff_free(&df);
    unload(&new);
    unload(&old);
    return rc;
}

/* dot and svg draw cycles, which a diff has not. */
static int format_option(struct report_opts *ro, int opt, const char *arg)
{
    (void)ro;
    if (opt != OPT_FORMAT || (strcmp(arg, "dot") != 0 && strcmp(arg, "svg") != 0))
        return 0;
    cli_usage_error("diff", "unknown format '%s' (text, json or html)", arg);
    return -1;
}

int cmd_diff(int argc, char **argv)
{
    struct report_opts ro = {FORMAT_TEXT, NULL, suppress_new(), 10, -1, false};
    int rc = 2;
    int first = cli_report_args(&ro, "diff", diff_help, argc, argv, format_option);
    if (first < 0) {
        rc = first == -1 ? 0 : 2;
        goto out;
    }
    if (argc - first != 2) {
        cli_usage_error("diff", argc - first < 2 ? "wants two dumps, OLD and NEW"
                                                 : "two dumps only, OLD and NEW");
        goto out;
    }
    char err[1024];
    bool leaks = false;
    if ((rc = run(&ro, argv + first, &leaks, err, sizeof err)))
        fprintf(stderr, "atoll diff: %s\n", err);
    else if (leaks && ro.error_exitcode >= 0)
        rc = ro.error_exitcode;
out:
    suppress_free(ro.supp);
    return rc;
}
