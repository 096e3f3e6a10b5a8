/* atoll's own retained sizes (analyzer/retention: the dominator tree of the whole dump), one
 * line per block: its heap snapshot node id and its retained bytes, for check.py to compare
 * with memlab's.
 *   export-retained DUMP */
#include "retention/retention.h"

#include <inttypes.h>

int main(int argc, char **argv)
{
    struct dump d;
    struct graph g;
    struct dominators dm;
    char err[512];
    if (argc != 2) {
        fprintf(stderr, "usage: export-retained DUMP\n");
        return 2;
    }
    if (dump_open(&d, argv[1], err, sizeof err)) {
        fprintf(stderr, "export-retained: %s: %s\n", argv[1], err);
        return 2;
    }
    if (graph_from_dump(&g, &d) || dominators_compute(&dm, &g, &d)) {
        fprintf(stderr, "export-retained: out of memory\n");
        return 2;
    }
    for (uint32_t v = 0; v < d.nblocks; v++)
        printf("%" PRIu64 " %" PRIu64 "\n", 2 + 2 * ((d.blocks[v].seq - 1) & 0x7fffffffu),
               dm.retained_bytes[v]);
    dominators_free(&dm);
    graph_free(&g);
    dump_close(&d);
    return 0;
}
