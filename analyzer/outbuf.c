/* A buffered writer for reports: big JSON reports are mostly integers and short strings, and
 * formatting them by hand is several times faster than fprintf. Write errors are remembered
 * and reported once by the caller. */
#include "analyzer.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OB_CAP (1u << 16)

void ob_init(struct outbuf *o, FILE *f)
{
    o->f = f;
    o->buf = malloc(OB_CAP);
    o->len = 0;
    o->cap = o->buf ? OB_CAP : 0;
    o->failed = !o->buf;
}

void ob_flush(struct outbuf *o)
{
    if (!o->f) {        /* a memory-only buffer has nowhere to go */
        o->failed = o->failed || o->len > 0;
        o->len = 0;
        return;
    }
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = true;
    o->len = 0;
    if (fflush(o->f))
        o->failed = true;
}

void ob_put(struct outbuf *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        ob_flush(o);
        if (n > o->cap) {
            if (fwrite(s, 1, n, o->f) != n)
                o->failed = true;
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

void ob_str(struct outbuf *o, const char *s)
{
    ob_put(o, s, strlen(s));
}

void ob_u64(struct outbuf *o, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ob_put(o, tmp + i, sizeof tmp - (size_t)i);
}

void ob_hex(struct outbuf *o, uint64_t v)
{
    char tmp[20];
    int i = sizeof tmp;
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    ob_put(o, tmp + i, sizeof tmp - (size_t)i);
}

void ob_printf(struct outbuf *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        ob_put(o, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        o->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ob_put(o, big, (size_t)n);
    free(big);
}

/* Bytes that are not valid UTF-8 are written as \u00XX of the byte (paths need not be
 * UTF-8), so the output is always valid JSON. */
void ob_json_str(struct outbuf *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    ob_put(o, "\"", 1);
    while (*p) {
        unsigned c = *p;
        size_t len = 0;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            const unsigned char *q = p;
            while (*q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
                q++;
            ob_put(o, (const char *)p, (size_t)(q - p));
            p = q;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4;
        bool valid = len > 0;
        for (size_t k = 1; valid && k < len; k++)
            valid = (p[k] & 0xC0) == 0x80;
        if (valid && len == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
            valid = false;
        if (valid && len == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
            valid = false;
        if (valid) {
            ob_put(o, (const char *)p, len);
            p += len;
            continue;
        }
        char esc[8];
        switch (c) {
        case '"': ob_put(o, "\\\"", 2); break;
        case '\\': ob_put(o, "\\\\", 2); break;
        case '\n': ob_put(o, "\\n", 2); break;
        case '\t': ob_put(o, "\\t", 2); break;
        case '\r': ob_put(o, "\\r", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            ob_put(o, esc, 6);
        }
        p++;
    }
    ob_put(o, "\"", 1);
}

void ob_dot_str(struct outbuf *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            ob_put(o, "\\", 1);
        if (*p < 0x20 || *p >= 0x7f)
            ob_printf(o, "\\\\x%02x", *p);
        else
            ob_put(o, (const char *)p, 1);
    }
}
