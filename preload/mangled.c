/* Readable C++ type names from the Itanium-mangled ones that RTTI keeps, for the snapshot child,
 * which cannot call the C++ runtime's demangler (it allocates). Only the common subset is
 * understood: builtin types, names, nested names, std:: and std::allocator, template
 * arguments that are types, pointers, references and const. Anything else (substitutions,
 * literals, function types) fails, and the caller keeps the mangled name. */
#include "mangled.h"

#include <string.h>

struct demangle {
    const char *p, *end;
    char *out;
    size_t len, cap;
    int failed;
};

static void put(struct demangle *d, const char *s, size_t n)
{
    if (d->len + n >= d->cap) {
        d->failed = 1;
        return;
    }
    memcpy(d->out + d->len, s, n);
    d->len += n;
}

static void puts_(struct demangle *d, const char *s)
{
    put(d, s, strlen(s));
}

static int next_is(struct demangle *d, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, s, n) != 0)
        return 0;
    d->p += n;
    return 1;
}

static void source_name(struct demangle *d)
{
    size_t n = 0;
    while (d->p < d->end && *d->p >= '0' && *d->p <= '9' && n < 4096)
        n = n * 10 + (size_t)(*d->p++ - '0');
    if (!n || (size_t)(d->end - d->p) < n) {
        d->failed = 1;
        return;
    }
    put(d, d->p, n);
    d->p += n;
}

static void type(struct demangle *d, int depth);

static void template_args(struct demangle *d, int depth)
{
    if (!next_is(d, "I"))
        return;
    put(d, "<", 1);
    for (int first = 1; !d->failed && !next_is(d, "E"); first = 0) {
        if (!first)
            put(d, ", ", 2);
        type(d, depth + 1);
    }
    put(d, ">", 1);
}

/* One component of a name: std::allocator, or a source name, each with its arguments. */
static void component(struct demangle *d, int depth)
{
    if (next_is(d, "Sa"))
        puts_(d, "std::allocator");
    else if (next_is(d, "St"))
        puts_(d, "std::"), source_name(d);
    else
        source_name(d);
    template_args(d, depth);
}

static void type(struct demangle *d, int depth)
{
    static const struct {
        char code;
        const char *name;
    } builtin[] = {
        { 'v', "void" }, { 'b', "bool" }, { 'c', "char" }, { 'a', "signed char" },
        { 'h', "unsigned char" }, { 's', "short" }, { 't', "unsigned short" }, { 'i', "int" },
        { 'j', "unsigned int" }, { 'l', "long" }, { 'm', "unsigned long" }, { 'x', "long long" },
        { 'y', "unsigned long long" }, { 'f', "float" }, { 'd', "double" }, { 'e', "long double" },
        { 'w', "wchar_t" },
    };
    if (depth > 16 || d->p >= d->end) {
        d->failed = 1;
        return;
    }
    char c = *d->p;
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        if (c == builtin[i].code) {
            d->p++;
            puts_(d, builtin[i].name);
            return;
        }
    if (c == 'P' || c == 'R') {
        d->p++;
        type(d, depth + 1);
        put(d, c == 'P' ? "*" : "&", 1);
    } else if (c == 'K') {
        d->p++;
        puts_(d, "const ");
        type(d, depth + 1);
    } else if (c == 'N') {
        d->p++;
        for (int first = 1; !d->failed && !next_is(d, "E"); first = 0) {
            if (!first)
                put(d, "::", 2);
            component(d, depth);
        }
    } else if ((c >= '1' && c <= '9') || c == 'S') {
        component(d, depth);
    } else {
        d->failed = 1;
    }
}

size_t mangled_type_name(const char *mangled, size_t len, char *out, size_t cap)
{
    struct demangle d = { .p = mangled, .end = mangled + len, .out = out, .cap = cap };
    type(&d, 0);
    if (d.failed)
        return 0;
    out[d.len] = 0;
    return d.len;
}
