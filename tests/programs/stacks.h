/* The parts of the stacks test built apart: -O0 C (frame pointers) and C++. */
#ifndef STACKS_H
#define STACKS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *stacks_o0_chain(int depth, size_t n);
void stacks_cxx_work(int round);

#ifdef __cplusplus
}
#endif

#endif
