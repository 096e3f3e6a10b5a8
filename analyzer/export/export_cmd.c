/* `atoll export --format heapsnapshot DUMP [-o FILE]`: the dump in another viewer's format. The
 * file is written whole or not at all: a failed export removes the regular file it wrote. */
#include "export.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char export_help[] =
    "usage: atoll export --format heapsnapshot DUMP [-o FILE]\n"
    "\n"
    "Write the dump's heap as a Chrome heap snapshot: load it in DevTools' Memory panel\n"
    "(Load profile) or in memlab. docs/heapsnapshot.md defines the mapping.\n"
    "\n"
    "  --format heapsnapshot  the output format (the only one, and the default)\n"
    "  -o, --output FILE      write to FILE (default standard output, unless it is a terminal)\n"
    "  --help                 this text\n";

int cmd_export(int argc, char **argv)
{
    enum { OPT_EXPORT_HELP = 300 };
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, OPT_EXPORT_HELP},
        {0, 0, 0, 0},
    };
    const char *out = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_EXPORT_HELP:
            fputs(export_help, stdout);
            return 0;
        case 'f':
            if (strcmp(optarg, "heapsnapshot") != 0)
                return cli_usage_error("export", "unknown format '%s' (heapsnapshot)", optarg);
            break;
        case 'o':
            out = optarg;
            break;
        case ':':
            return cli_usage_error("export", "option '%s' needs an argument", argv[optind - 1]);
        default:
            return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("export", optind == argc ? "missing DUMP" : "one DUMP only");
    if (!out && isatty(STDOUT_FILENO))
        return cli_usage_error("export", "standard output is a terminal: give -o FILE");
    const char *path = argv[optind];
    char err[512];
    struct dump d;
    if (dump_open(&d, path, err, sizeof err)) {
        fprintf(stderr, "atoll: %s: %s\n", path, err);
        return 2;
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "atoll: %s: %s\n", out, strerror(errno));
        dump_close(&d);
        return 2;
    }
    /* only a regular file is removed on failure (never a device such as /dev/full) */
    struct stat st;
    bool regular = out && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    progress_enable(isatty(STDERR_FILENO));
    int rc = export_heapsnapshot(&d, f, err, sizeof err);
    if ((f == stdout ? fflush(f) : fclose(f)) && rc == 0) {
        snprintf(err, sizeof err, "write error");
        rc = -1;
    }
    dump_close(&d);
    if (rc == 0)
        return 0;
    fprintf(stderr, "atoll: %s: %s\n", out ? out : "standard output", err);
    if (regular)
        unlink(out);
    return 2;
}
