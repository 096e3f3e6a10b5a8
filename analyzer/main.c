/* The atoll command: the entry point and the dispatch of its subcommands. */
#include <atoll.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *to)
{
    fputs("usage: atoll [--version] [--help] COMMAND [ARGS]\n"
          "\n"
          "atoll is an LD_PRELOAD allocator and leak/cycle profiler.\n"
          "Run a program on atoll's allocator with:\n"
          "  LD_PRELOAD=/path/to/libatoll.so ATOLL_STATS=1 PROGRAM [ARGS]\n"
          "\n"
          "Commands (run, analyze, info) come with the profiler; see README.md.\n",
          to);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("atoll %s\n", ATOLL_VERSION);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2)
        fputs("atoll: missing command (try 'atoll --help')\n", stderr);
    else
        fprintf(stderr, "atoll: unknown command or option '%s' (try 'atoll --help')\n", argv[1]);
    return 2;
}
