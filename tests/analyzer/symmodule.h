/* What the symbolization targets print about a loaded object, for the tests to put in a dump. */
#ifndef ANALYZER_TEST_SYMMODULE_H
#define ANALYZER_TEST_SYMMODULE_H

#ifdef __cplusplus
extern "C"
#endif
/* "module PATH BIAS START END BUILD-ID\n" of the object that holds addr (BUILD-ID "-" if none). */
void print_module(const void *addr);

#endif
