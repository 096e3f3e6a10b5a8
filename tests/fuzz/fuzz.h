/* What the fuzz targets share: the readers under test take a path, and the reports want a
 * stream. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A path to a file holding exactly data[0..size), the same file rewritten on each call. */
const char *fuzz_file(const uint8_t *data, size_t size);
/* /dev/null, opened once, for what the commands would print. */
FILE *fuzz_sink(void);
/* Aborts (a crash to libFuzzer) unless err is what a command may print as its reason: one
 * line of text, without control characters. */
void fuzz_check_reason(const char *err);

#endif
