/* dumpgen: writes the synthetic dumps of scenarios.c to files, for the report checks and the
 * benchmarks: `dumpgen SCENARIO OUT` or `dumpgen random BLOCKS SEED OUT [COLLECTION]` (random
 * dumps of one seed share their sites and their first blocks: with collection numbers, a
 * smaller and a bigger one are two collections of one process to atoll diff). */
#include "dumpgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct dg *g = NULL;
    const char *out = NULL;
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "random") == 0) {
        g = scenario_random((uint32_t)strtoul(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
        out = argv[4];
        if (argc == 6) {
            dg_process(g)->collection = (uint32_t)strtoul(argv[5], NULL, 10);
            dg_process(g)->time_ns = dg_process(g)->collection;
        }
    } else if (argc == 3) {
        g = scenario(argv[1]);
        out = argv[2];
    } else {
        fputs("usage: dumpgen SCENARIO OUT | dumpgen random BLOCKS SEED OUT [COLLECTION]\n", stderr);
        return 2;
    }
    if (!g) {
        fprintf(stderr, "dumpgen: unknown scenario '%s'\n", argv[1]);
        return 2;
    }
    int rc = dg_write(g, out);
    dg_free(g);
    if (rc) {
        perror(out);
        return 1;
    }
    return 0;
}
