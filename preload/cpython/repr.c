/* The text of a str and the short repr of a dict key, read from the interpreter's memory in
 * the snapshot child (no call into Python, no allocation): what labels name attributes and
 * keys by. A str's characters (str.h) are transcoded to UTF-8 from any of its kinds (1, 2 or 4
 * bytes a character); a key's repr is a str's, quoted and escaped as repr() does, an int's
 * below 2^60 in decimal, None, True, False, a tuple of those (two levels deep), or `<T object>`
 * for any other type T. The writer stops at its capacity: the caller caps the text it keeps. */
#include "pyobj.h"
#include "str.h"

struct text {
    char *buf;
    size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n && t->len < t->cap; i++)
        t->buf[t->len++] = s[i];
}

static void put_str(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void put_utf8(struct text *t, uint32_t c)
{
    unsigned char b[4];
    size_t n = cpython_utf8(c, b);
    put(t, (const char *)b, n);
}

static void put_hex(struct text *t, const char *prefix, uint32_t c, int digits)
{
    static const char hex[] = "0123456789abcdef";
    put_str(t, prefix);
    for (int i = digits - 1; i >= 0; i--)
        put(t, &hex[c >> (4 * i) & 15], 1);
}

/* A character inside quote q, as repr() writes it. */
static void put_quoted(struct text *t, uint32_t c, char q)
{
    if (c == (uint32_t)q || c == '\\') {
        char b[2] = { '\\', (char)c };
        put(t, b, 2);
    } else if (c == '\n') {
        put_str(t, "\\n");
    } else if (c == '\r') {
        put_str(t, "\\r");
    } else if (c == '\t') {
        put_str(t, "\\t");
    } else if (c < 0x20 || c == 0x7f) {
        put_hex(t, "\\x", c, 2);
    } else if (c >= 0xd800 && c < 0xe000) {
        put_hex(t, "\\u", c, 4);
    } else {
        put_utf8(t, c);
    }
}

/* The layout of the str at a; 0 when a is no ready str. */
static int str_data(struct snap *s, struct cpython *py, uintptr_t a, struct cpython_str *str)
{
    if (!a || (a & 7) || !py_readable(s, a, (size_t)py->off->str_compact_size + 8))
        return 0;
    const struct pytype *ty = cpython_type(s, py, word(a + 8));
    return ty && ty->kind == K_STR && cpython_str_layout(py->off, a, str);
}

/* The characters of the str at a, as many as fit, quoted (repr) or not. 0 when a is no str. */
static int str_text(struct snap *s, struct cpython *py, uintptr_t a, int quote, struct text *t)
{
    struct cpython_str str;
    if (!str_data(s, py, a, &str))
        return 0;
    uint64_t n = str.length < t->cap ? str.length : t->cap;
    if (!py_readable(s, str.data, n * str.width + 1))
        return 0;
    if (!quote) {
        for (uint64_t i = 0; i < n && t->len < t->cap; i++)
            put_utf8(t, cpython_str_char(&str, i));
        return 1;
    }
    /* repr() quotes with ' unless the text holds a ' and no " */
    int single = 0, dbl = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t c = cpython_str_char(&str, i);
        single |= c == '\'';
        dbl |= c == '"';
    }
    char q = single && !dbl ? '"' : '\'';
    put(t, &q, 1);
    for (uint64_t i = 0; i < n && t->len < t->cap; i++)
        put_quoted(t, cpython_str_char(&str, i), q);
    put(t, &q, 1);
    return 1;
}

size_t cpython_str_text(struct snap *s, struct cpython *py, uintptr_t a, char *buf, size_t cap)
{
    struct text t = { buf, 0, cap };
    return str_text(s, py, a, 0, &t) ? t.len : 0;
}

static void put_u64(struct text *t, uint64_t v)
{
    char b[20];
    int n = 0;
    do
        b[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        put(t, &b[--n], 1);
}

/* An int of at most two 30-bit digits, in decimal: 3.12 tags the digit count (<< 3) with the
 * sign (1 zero, 2 negative); before, ob_size is the count, negative for a negative int. */
static int long_text(struct snap *s, struct cpython *py, uintptr_t a, struct text *t)
{
    if (!py_readable(s, a, VAR_ITEMS + 8))
        return 0;
    uint64_t size = word(a + VAR_SIZE), ndigits;
    int negative;
    if (py->version >= 0x030c) {
        ndigits = size >> 3;
        negative = (size & 3) == 2;
    } else {
        negative = (int64_t)size < 0;
        ndigits = negative ? -size : size;
    }
    if (ndigits > 2)
        return 0;
    uint64_t v = 0;
    for (uint64_t i = 0; i < ndigits; i++)
        v |= (uint64_t)(word32(a + VAR_ITEMS + 4 * i) & 0x3fffffff) << (30 * i);
    if (negative)
        put(t, "-", 1);
    put_u64(t, v);
    return 1;
}

static void key_text(struct snap *s, struct cpython *py, uintptr_t a, struct text *t, int depth);

static int tuple_text(struct snap *s, struct cpython *py, uintptr_t a, struct text *t, int depth)
{
    if (!py_readable(s, a, VAR_ITEMS))
        return 0;
    uint64_t n = word(a + VAR_SIZE);
    if (n > t->cap || !py_readable(s, a + VAR_ITEMS, 8 * n))
        return 0;
    put(t, "(", 1);
    for (uint64_t i = 0; i < n && t->len < t->cap; i++) {
        if (i)
            put(t, ", ", 2);
        if (depth >= 2)
            put(t, "...", 3);
        else
            key_text(s, py, word(a + VAR_ITEMS + 8 * i), t, depth + 1);
    }
    put_str(t, n == 1 ? ",)" : ")");
    return 1;
}

static void key_text(struct snap *s, struct cpython *py, uintptr_t a, struct text *t, int depth)
{
    if (a && a == py->none) {
        put_str(t, "None");
        return;
    }
    if (a && (a == py->true_ || a == py->false_)) {
        put_str(t, a == py->true_ ? "True" : "False");
        return;
    }
    const struct pytype *ty =
        a && !(a & 7) && py_readable(s, a, 16) ? cpython_type(s, py, word(a + 8)) : NULL;
    if (!ty) {
        put_str(t, "?");
        return;
    }
    if (ty->kind == K_STR && str_text(s, py, a, 1, t))
        return;
    if (ty->kind == K_LONG && long_text(s, py, a, t))
        return;
    if (ty->kind == K_TUPLE && tuple_text(s, py, a, t, depth))
        return;
    put(t, "<", 1);
    put_str(t, (const char *)s->strings.data + ty->name);
    put_str(t, " object>");
}

size_t cpython_key_repr(struct snap *s, struct cpython *py, uintptr_t a, char *buf, size_t cap)
{
    struct text t = { buf, 0, cap };
    key_text(s, py, a, &t, 0);
    return t.len;
}
