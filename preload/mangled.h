/* Readable C++ type names from mangled ones, without allocating (mangled.c). */
#ifndef ATOLL_MANGLED_H
#define ATOLL_MANGLED_H

#include <stddef.h>

/* The type mangled at the start of mangled[0, len), written to out as C++ spells it
 * (`ns::Node`, `std::vector<int, std::allocator<int>>`); its length, or 0 when the mangling
 * is outside the subset understood or the name does not fit in cap bytes. */
size_t mangled_type_name(const char *mangled, size_t len, char *out, size_t cap);

#endif
