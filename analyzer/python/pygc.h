/* pygc.jsonl read back: one line per collection of CPython's own collector, as libatoll.so
 * records it in profile mode (docs/python.md). */
#ifndef ATOLL_PYGC_H
#define ATOLL_PYGC_H

#include <stddef.h>
#include <stdint.h>

struct pygc_rec { uint32_t pid; uint32_t gen; uint64_t start_ns; uint64_t duration_ns; uint64_t collected; uint64_t uncollectable; };

/* Every line of path (malloc'ed array, *n records; none for an empty file); -1 with
 * "PATH:LINE: reason" (or "PATH: reason") in err. */
int pygc_read(const char *path, struct pygc_rec **out, size_t *n, char *err, size_t errlen);

/* What a report of process pid's collection number `collection` covers: its records from
 * before that collection, and CLOCK_REALTIME when libatoll.so was loaded into it (0 when no
 * line says). */
struct pygc_run {
    struct pygc_rec *recs;
    size_t n;
    uint64_t loaded_wall_ns;
};
int pygc_read_run(const char *path, uint32_t pid, uint32_t collection, struct pygc_run *out,
                  char *err, size_t errlen);

#endif
