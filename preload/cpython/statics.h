/* File-static variables of the interpreter, found by statics.c in its symbol table. */
#ifndef ATOLL_CPYTHON_STATICS_H
#define ATOLL_CPYTHON_STATICS_H

#include <stdint.h>

struct cpython_static {
    const char *file;       /* the source file that defines it: "listobject.c" */
    const char *name;       /* "free_list" */
    uint64_t size;          /* its size in bytes, which must match */
    uintptr_t address;      /* found: its address in this process; else 0 */
};

/* Finds each of want[0..n) in the symbol table of the module that holds inside_module (its
 * file as loaded). 0 when all are found, else -1. Not on an allocation's path: it opens and
 * maps the file. */
int cpython_statics_find(const void *inside_module, struct cpython_static *want, unsigned n);

#endif
