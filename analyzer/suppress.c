/* Suppressions in LeakSanitizer's syntax: `leak:PATTERN` lines, `#` comments and blank lines.
 * As in LSan, a pattern matches a frame's function (demangled: `leak:ns::Class::method`),
 * source file or module (path or basename) as a substring; `*` matches any run of bytes, `^`
 * anchors at the start, `$` at the end. A C++ function's mangled name matches too, so that
 * patterns written against mangled names keep working. */
#include "analyzer.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct suppressions {
    char **pat;
    size_t n, cap;
};

struct suppressions *suppress_new(void)
{
    return calloc(1, sizeof(struct suppressions));
}

int suppress_add(struct suppressions *sp, const char *pattern)
{
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        char **p = realloc(sp->pat, cap * sizeof *p);
        if (!p)
            return -1;
        sp->pat = p;
        sp->cap = cap;
    }
    if (!(sp->pat[sp->n] = strdup(pattern)))
        return -1;
    sp->n++;
    return 0;
}

int suppress_load(struct suppressions *sp, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = line, *e = line + strlen(line);
        while (*s && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = 0;
        if (!*s || *s == '#')
            continue;
        if (strncmp(s, "leak:", 5) != 0 || !s[5]) {
            snprintf(err, errlen, "%s:%u: expected 'leak:PATTERN'", path, lineno);
            rc = -1;
            break;
        }
        if (suppress_add(sp, s + 5)) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

/* Glob match of p[0..pn) against the whole of s[0..sn), `*` being the only wildcard. */
static bool glob(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && p[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

bool suppress_pattern_match(const char *pattern, const char *s)
{
    if (!s || !*s)
        return false;
    size_t pn = strlen(pattern);
    bool start = pn && pattern[0] == '^';
    bool end = pn > (size_t)start && pattern[pn - 1] == '$';
    const char *p = pattern + start;
    pn -= start + end;
    size_t sn = strlen(s);
    if (start && end)
        return glob(p, pn, s, sn);
    /* unanchored ends behave as if the pattern began or ended with '*' */
    char *q = malloc(pn + 3);
    if (!q)
        return false;
    size_t k = 0;
    if (!start)
        q[k++] = '*';
    memcpy(q + k, p, pn);
    k += pn;
    if (!end)
        q[k++] = '*';
    bool m = glob(q, k, s, sn);
    free(q);
    return m;
}

bool suppress_match_frames(const struct suppressions *sp, const struct frame_sym *f, uint32_t n)
{
    for (size_t i = 0; sp && i < sp->n; i++)
        for (uint32_t k = 0; k < n; k++) {
            const char *base = strrchr(f[k].module, '/');
            if (suppress_pattern_match(sp->pat[i], f[k].function) ||
                suppress_pattern_match(sp->pat[i], f[k].mangled) ||
                suppress_pattern_match(sp->pat[i], f[k].file) ||
                suppress_pattern_match(sp->pat[i], f[k].module) ||
                (base && suppress_pattern_match(sp->pat[i], base + 1)))
                return true;
        }
    return false;
}

size_t suppress_count(const struct suppressions *sp)
{
    return sp ? sp->n : 0;
}

void suppress_free(struct suppressions *sp)
{
    if (!sp)
        return;
    for (size_t i = 0; i < sp->n; i++)
        free(sp->pat[i]);
    free(sp->pat);
    free(sp);
}
