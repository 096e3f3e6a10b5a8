/* collections.jsonl, which every process under atoll appends to and `atoll stats`, `tune`,
 * `run --live` and `collect --wait` read back (one parser, jsonl_parse): any bytes must read or
 * be refused with a one-line reason, and what reads must make a stats table. */
#include "analyzer.h"
#include "fuzz.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct collection_rec *r;
    size_t n;
    char err[1400];
    if (jsonl_read(fuzz_file(data, size), &r, &n, err, sizeof err) == 0) {
        if (n)
            stats_print(fuzz_sink(), r, n);
    } else {
        fuzz_check_reason(err);
    }
    free(r);
    return 0;
}
