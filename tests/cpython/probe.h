/* What probe.c and hook.c share: the reader's version and a frame's line. */
#ifndef ATOLL_TEST_CPYTHON_PROBE_H
#define ATOLL_TEST_CPYTHON_PROBE_H

#include "cpython.h"

#include <stddef.h>

unsigned probe_init(void);

/* The line of frame f, its code described into buf; -2 when it cannot be described. */
int probe_line(const struct cpython_frame *f, struct cpython_code_info *info, char *buf,
               size_t cap);

#endif
