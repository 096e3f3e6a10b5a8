/* Prints the frame reader's table for one CPython version (argv[1], e.g. 0x030b), each field
 * the version has as "name value": run.py compares them with offsets_probe's. */
#include "offsets.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const struct cpython_offsets *o =
        argc == 2 ? cpython_offsets((unsigned)strtoul(argv[1], NULL, 0)) : NULL;
    if (!o) {
        fprintf(stderr, "usage: offsets_table 0x030b (a version 3.8 to 3.13)\n");
        return 2;
    }
#define SHOW(name)                                                                             \
    if (o->name >= 0)                                                                          \
        printf("%s %ld\n", #name, (long)o->name);
    CPYTHON_OFFSETS(SHOW)
    return 0;
}
