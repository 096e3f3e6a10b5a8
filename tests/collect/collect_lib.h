/* The layout the tests share with collect_lib.c, the library they dlopen (and look up with
 * dlsym: they do not link with it). */
#ifndef COLLECT_LIB_H
#define COLLECT_LIB_H

/* Far past the file's pages, so `tail` lies in the anonymous mapping that holds the rest of
 * the library's .bss. */
struct collect_lib_bss {
    char pad[1 << 16];
    void *tail;
};

extern void *collect_lib_data[2];
extern struct collect_lib_bss collect_lib_bss;
void **collect_lib_tls_slot(void);

#endif
