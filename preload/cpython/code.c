/* What a report needs of a code object (its file, qualified name, first line and line table),
 * copied out of the interpreter's memory, and a cheap identity that tells it from the next
 * code object at its address. Strings are read in their own layout: compact ASCII data right
 * after PyASCIIObject, other compact strings after PyCompactUnicodeObject as 1, 2 or 4 bytes a
 * code point (transcoded to UTF-8 here), and a legacy string's data through its pointer.
 *
 * The caller must know the code object is alive: a freed one is read as whatever its memory
 * holds then (a failed describe at best, the next object's names at worst), and the identity
 * is what tells a reused address apart. */
#include "cpython.h"
#include "offsets.h"
#include "str.h"

#include <string.h>

#define MAX_CHARS (1 << 20)           /* longer: no file name nor qualified name */

struct sink {
    char *at, *end;
};

static void *take(struct sink *s, size_t n)
{
    if ((size_t)(s->end - s->at) < n)
        return NULL;
    void *p = s->at;
    s->at += n;
    return p;
}

static int put_utf8(struct sink *s, uint32_t c)
{
    /* Undecodable bytes of a file name come back as U+DC80..U+DCFF (surrogateescape): the
     * bytes themselves, as os.fsencode gives them. Other lone surrogates are no UTF-8. */
    if (c >= 0xdc80 && c <= 0xdcff) {
        c -= 0xdc00;
        unsigned char *p = take(s, 1);
        return p ? (*p = (unsigned char)c, 0) : -1;
    }
    if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        c = 0xfffd;
    unsigned char b[4];
    size_t n = cpython_utf8(c, b);
    unsigned char *p = take(s, n);
    if (!p)
        return -1;
    memcpy(p, b, n);
    return 0;
}

static int has_type_flag(const struct cpython_offsets *o, uintptr_t obj, int32_t flag)
{
    if (!cpython_plausible(obj))
        return 0;
    uintptr_t type = CPY_LOAD(uintptr_t, obj, o->ob_type);
    return cpython_plausible(type) &&
           (CPY_LOAD(unsigned long, type, o->tp_flags) & (unsigned long)flag);
}

/* The str at obj, as NUL-terminated UTF-8 in s. */
static const char *put_str(const struct cpython_offsets *o, struct sink *s, uintptr_t obj)
{
    if (!has_type_flag(o, obj, o->flag_str))
        return NULL;
    struct cpython_str str;
    if (!cpython_str_layout(o, obj, &str) || str.length > MAX_CHARS)
        return NULL;
    const char *start = s->at;
    for (uint64_t i = 0; i < str.length; i++)
        if (put_utf8(s, cpython_str_char(&str, i)) < 0)
            return NULL;
    char *nul = take(s, 1);
    if (!nul)
        return NULL;
    *nul = 0;
    return start;
}

int cpython_code_describe(const void *code, struct cpython_code_info *out, char *buf, size_t cap)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t c = (uintptr_t)code;
    if (!o || !cpython_is_code(o, c))
        return -1;
    struct sink s = { buf, buf + cap };
    uintptr_t table = CPY_LOAD(uintptr_t, c, o->co_linetable);
    out->filename = put_str(o, &s, CPY_LOAD(uintptr_t, c, o->co_filename));
    out->qualname = put_str(o, &s, CPY_LOAD(uintptr_t, c, o->co_qualname));
    if (!out->filename || !out->qualname || !has_type_flag(o, table, o->flag_bytes))
        return -1;
    intptr_t size = CPY_LOAD(intptr_t, table, o->ob_size);
    uint8_t *bytes = size >= 0 && size <= UINT32_MAX ? take(&s, (size_t)size) : NULL;
    if (!bytes)
        return -1;
    memcpy(bytes, (const void *)(table + (uintptr_t)o->bytes_data), (size_t)size);
    out->linetable = bytes;
    out->linetable_size = (uint32_t)size;
    out->firstlineno = CPY_LOAD(int32_t, c, o->co_firstlineno);
    return 0;
}

uint64_t cpython_code_identity(const void *code)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t c = (uintptr_t)code;
    return o && cpython_plausible(c) ? cpython_identity(o, c) : 0;
}
