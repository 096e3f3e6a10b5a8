/* A str as the interpreter lays it out, read from its memory: where its characters are, how
 * many and how wide, from its state bits and the version's offsets (compact ASCII data right
 * after PyASCIIObject, other compact strings after PyCompactUnicodeObject, a legacy string's
 * through its data pointer), and the UTF-8 of a code point. What code.c (a live process's code
 * object names) and repr.c (the snapshot's labels) share: each checks itself that obj is a str
 * and that its memory is readable, and writes the text its own way. */
#ifndef ATOLL_CPYTHON_STR_H
#define ATOLL_CPYTHON_STR_H

#include "offsets.h"

#include <stddef.h>

struct cpython_str {
    uintptr_t data;                   /* the first character */
    uint64_t length;                  /* in characters */
    unsigned width;                   /* bytes a character: 1, 2 or 4 */
};

/* The characters of the str at obj, whose state, length and data pointer (str_data) are
 * readable: 0 when its state bits name no ready str of 1, 2 or 4 bytes a character (a legacy
 * string before PyUnicode_READY has kind 0), its length is negative or its data NULL. */
static inline int cpython_str_layout(const struct cpython_offsets *o, uintptr_t obj,
                                     struct cpython_str *out)
{
    uint32_t state = CPY_LOAD(uint32_t, obj, o->str_state);
    unsigned kind = state >> o->str_kind_bit & 7;
    int64_t length = CPY_LOAD(int64_t, obj, o->str_length);
    if ((kind != 1 && kind != 2 && kind != 4) || length < 0 ||
        (o->str_ready_bit >= 0 && !(state >> o->str_ready_bit & 1)))
        return 0;
    if (!(state >> o->str_compact_bit & 1))
        out->data = CPY_LOAD(uintptr_t, obj, o->str_data);
    else if (state >> o->str_ascii_bit & 1)
        out->data = obj + (uintptr_t)o->str_ascii_size;
    else
        out->data = obj + (uintptr_t)o->str_compact_size;
    out->length = (uint64_t)length;
    out->width = kind;
    return out->data != 0;
}

/* Character i of a str laid out as s says. */
static inline uint32_t cpython_str_char(const struct cpython_str *s, uint64_t i)
{
    if (s->width == 1)
        return ((const uint8_t *)s->data)[i];
    if (s->width == 2)
        return ((const uint16_t *)s->data)[i];
    return ((const uint32_t *)s->data)[i];
}

/* The UTF-8 of code point c (below 0x200000: what to do with a surrogate, the caller decides)
 * in out; its length in bytes. */
static inline size_t cpython_utf8(uint32_t c, unsigned char out[4])
{
    static const unsigned char lead[5] = { 0, 0, 0xc0, 0xe0, 0xf0 };
    size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    for (size_t i = n - 1; i > 0; i--, c >>= 6)
        out[i] = (unsigned char)(0x80 | (c & 0x3f));
    out[0] = (unsigned char)(lead[n] | c);
    return n;
}

#endif
