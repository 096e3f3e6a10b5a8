/* early_lib: what its constructor leaves for the program (see early_lib.c). */
#ifndef EARLY_LIB_H
#define EARLY_LIB_H

#include <stddef.h>
#include <stdint.h>

#define EARLY_BLOCKS 64

/* Blocks allocated before main by a thread that has exited since; the program frees them. */
struct early_block {
    void *p;
    size_t size;
    uint64_t key;
};
extern struct early_block early_blocks[EARLY_BLOCKS];

/* Joins the thread the constructor left running. */
void early_join(void);

#endif
