/* ATOLL_PYTHON_GC's syntax, as libatoll.so reads it (docs/python.md), checked before a run. */
#ifndef ATOLL_PYGCSETTING_H
#define ATOLL_PYGCSETTING_H

#include <stdbool.h>

/* default, off, freeze, t0,t1,t2 or freeze+t0,t1,t2 (each threshold 0 to 2^31 - 1). */
bool pygc_setting_valid(const char *s);

#endif
