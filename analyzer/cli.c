/* The command line: dispatch to the commands, the options analyze and run share, and the
 * analyze and info commands (report.c writes the reports). Usage errors are one line on stderr
 * and exit status 2. */
#include "analyzer.h"
#include "retention/why.h"
#include "html/html.h"

#include <atoll.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>


static const char analyze_help[] =
    "usage: atoll analyze [options] DUMP\n"
    "\n"
    "Report the leaks and isolated cycles in an atoll dump.\n"
    "\n"
    "  --format FORMAT         text, json, dot, svg (dot drawn by Graphviz) or html\n"
    "                          (default text)\n"
    "  --report FILE           write the report to FILE (default standard output)\n"
    "  --suppressions FILE     LeakSanitizer-style leak:PATTERN lines (repeatable)\n"
    "  --top N                 leak sites, cycle shapes and retainers shown (default 10)\n"
    "  --native                Python allocations by their whole stacks: native frames shown\n"
    "                          under the Python ones, sites told apart by them too\n"
    "  --error-exitcode N      exit with N if leaks or cycles are reported\n"
    "  --help                  this text\n";

static const char info_help[] =
    "usage: atoll info DUMP\n"
    "\n"
    "Print the facts a dump records (process, collection, counts) without analysing it.\n";

static const char main_help[] =
    "usage: atoll [--version] [--help] COMMAND [ARGS]\n"
    "\n"
    "atoll is an LD_PRELOAD allocator and leak/cycle profiler.\n"
    "\n"
    "Commands:\n"
    "  run [options] -- PROGRAM [ARGS]  run PROGRAM under atoll and report its leaks\n"
    "  analyze [options] DUMP           report the leaks and cycles in a dump\n"
    "  info DUMP                        print a dump's header facts and counts\n"
    "  why DUMP (--site P | --type T | --address A)  why blocks are alive: paths from roots\n"
    "  diff [options] OLD NEW           what grew from dump OLD to dump NEW, by site and type\n"
    "  stats DIR                        the collections of DIR/collections.jsonl per generation\n"
    "  collect [--wait] PID             ask a program run with a collection signal to collect\n"
    "  tune [options] -- PROGRAM [ARGS] measure settings of Python's collector (CPython) or of\n"
    "                                   atoll's thresholds on PROGRAM and recommend one\n"
    "  export --format heapsnapshot DUMP [-o FILE]  the heap for Chrome DevTools and memlab\n"
    "\n"
    "'atoll COMMAND --help' describes a command's options; see also atoll(1).\n";

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "atoll%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'atoll %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
    return 2;
}

/* The options of analyze and diff. */
static const struct option report_longopts[] = {
    CLI_REPORT_LONGOPTS,
    {0, 0, 0, 0},
};

int cli_report_args(struct report_opts *ro, const char *cmd, const char *help, int argc,
                    char **argv,
                    int (*own)(struct report_opts *ro, int opt, const char *arg))
{
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":", report_longopts, NULL)) != -1) {
        if (opt == OPT_HELP) {
            fputs(help, stdout);
            return -1;
        }
        if (opt == '?' || opt == ':') {
            cli_usage_error(cmd, opt == '?' ? "unknown option '%s'" : "option '%s' needs an "
                            "argument", argv[optind - 1]);
            return -2;
        }
        int done = own ? own(ro, opt, optarg) : 0;
        if (done < 0 || (!done && cli_report_option(ro, cmd, opt, optarg) < 0))
            return -2;
    }
    return optind;
}

bool cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

int cli_report_option(struct report_opts *ro, const char *cmd, int opt, const char *arg)
{
    unsigned long v;
    char err[512];
    switch (opt) {
    case OPT_FORMAT:
        if (strcmp(arg, "text") == 0)
            ro->format = FORMAT_TEXT;
        else if (strcmp(arg, "json") == 0)
            ro->format = FORMAT_JSON;
        else if (strcmp(arg, "dot") == 0)
            ro->format = FORMAT_DOT;
        else if (strcmp(arg, "svg") == 0)
            ro->format = FORMAT_SVG;
        else if (strcmp(arg, "html") == 0)
            ro->format = FORMAT_HTML;
        else
            return cli_usage_error(cmd, "unknown format '%s' (text, json, dot, svg or html)",
                                   arg), -1;
        return 1;
    case OPT_REPORT:
        ro->report = arg;
        return 1;
    case OPT_SUPP:
        if (suppress_load(ro->supp, arg, err, sizeof err)) {
            fprintf(stderr, "atoll: %s\n", err);
            return -1;
        }
        return 1;
    case OPT_TOP:
        if (!cli_parse_uint(arg, UINT32_MAX, &v) || v == 0)
            return cli_usage_error(cmd, "--top wants a positive number, not '%s'", arg), -1;
        ro->top = (uint32_t)v;
        return 1;
    case OPT_NATIVE:
        ro->native = true;
        return 1;
    case OPT_ERROR_EXITCODE:
        if (!cli_parse_uint(arg, 255, &v))
            return cli_usage_error(cmd, "--error-exitcode wants 0..255, not '%s'", arg), -1;
        ro->error_exitcode = (int)v;
        return 1;
    }
    return 0;
}

FILE *cli_report_open(const struct report_opts *ro, FILE *out, char *err, size_t errlen)
{
    if (!ro->report)
        return out;
    FILE *f = fopen(ro->report, "w");
    if (!f)
        snprintf(err, errlen, "%s: %s", ro->report, strerror(errno));
    return f;
}

int cli_report_close(const struct report_opts *ro, FILE *f, FILE *out, char *err, size_t errlen)
{
    if ((f != out ? fclose(f) : fflush(f)) == 0)
        return 0;
    snprintf(err, errlen, "%s: write error", ro->report ? ro->report : "output");
    return 2;
}

int cmd_analyze(int argc, char **argv)
{
    struct report_opts ro = {FORMAT_TEXT, NULL, suppress_new(), 10, -1, false};
    int rc = 2;
    int first = cli_report_args(&ro, "analyze", analyze_help, argc, argv, NULL);
    if (first < 0) {
        rc = first == -1 ? 0 : 2;
        goto out;
    }
    if (first != argc - 1) {
        cli_usage_error("analyze", first == argc ? "missing DUMP" : "one DUMP only");
        goto out;
    }
    bool leaked = false;
    char err[1024];
    FILE *f = cli_report_open(&ro, stdout, err, sizeof err);
    if (f && ro.format == FORMAT_HTML && !html_file_begin(f, argv[first]))
        snprintf(err, sizeof err, "%s: write error", ro.report ? ro.report : "output"), rc = 2;
    else
        rc = f ? cli_report(&ro, argv + first, 1, f, false, &leaked, err, sizeof err) : 2;
    if (!rc && ro.format == FORMAT_HTML && !html_file_end(f))
        snprintf(err, sizeof err, "%s: write error", ro.report ? ro.report : "output"), rc = 2;
    if (f && cli_report_close(&ro, f, stdout, err, sizeof err))
        rc = 2;
    if (rc)
        fprintf(stderr, "atoll: %s\n", err);
    else if (leaked && ro.error_exitcode >= 0)
        rc = ro.error_exitcode;
out:
    suppress_free(ro.supp);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(info_help, stdout);
        return 0;
    }
    if (argc != 2)
        return cli_usage_error("info", argc < 2 ? "missing DUMP" : "one DUMP only");
    if (argv[1][0] == '-' && argv[1][1])
        return cli_usage_error("info", "unknown option '%s'", argv[1]);
    char err[512];
    struct dump d;
    if (dump_open(&d, argv[1], err, sizeof err)) {
        fprintf(stderr, "atoll: %s: %s\n", argv[1], err);
        return 2;
    }
    info_print(stdout, &d, argv[1]);
    dump_close(&d);
    return 0;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(NULL, "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 && argc == 2) {
        printf("atoll %s\n", ATOLL_VERSION);
        return 0;
    }
    if ((strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) && argc == 2) {
        fputs(main_help, stdout);
        return 0;
    }
    if (strcmp(cmd, "analyze") == 0)
        return cmd_analyze(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "why") == 0)
        return cmd_why(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "stats") == 0)
        return cmd_stats(argc - 1, argv + 1);
    if (strcmp(cmd, "collect") == 0)
        return cmd_collect(argc - 1, argv + 1);
    if (strcmp(cmd, "tune") == 0)
        return cmd_tune(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    if (strcmp(cmd, "diff") == 0)
        return cmd_diff(argc - 1, argv + 1);
    return cli_usage_error(NULL, "unknown command or option '%s'", cmd);
}
