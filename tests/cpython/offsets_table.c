/* Prints the layout tables for one CPython version (argv[1], e.g. 0x030b), each field the
 * version has as "name value": offsets.h's table, then fixed.h's facts from the version that
 * brought them. run.py compares them with offsets_probe's. */
#include "fixed.h"
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
#define SHOW_FIXED(name, since)                                                                \
    if (o->version >= since)                                                                   \
        printf("%s %ld\n", #name, (long)(name));
    CPYTHON_FIXED(SHOW_FIXED)
    return 0;
}
