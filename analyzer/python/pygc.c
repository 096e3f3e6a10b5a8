/* pygc.jsonl read back (docs/python.md): flat JSON objects of whole numbers, keys in any order;
 * keys this reader does not know are skipped (a number, a string, true, false or null), so a
 * newer recorder's lines read; a line missing one of the six keys every recorder writes, or
 * holding anything else, is an error naming the file and line. */
#include "python/pygc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line's keys beyond struct pygc_rec's. */
struct extra {
    uint64_t after, loaded_wall_ns;
};

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

static const char *whole(const char *p, uint64_t *v)
{
    char *end;
    if (*p < '0' || *p > '9')
        return NULL;
    errno = 0;
    *v = strtoull(p, &end, 10);
    return errno || *end == '.' || *end == 'e' || *end == 'E' ? NULL : end;
}

/* A key this reader does not know: its value skipped. */
static const char *skip_value(const char *p)
{
    static const char *const lits[] = { "true", "false", "null" };
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && !*++p)
                return NULL;
        return *p ? p + 1 : NULL;
    }
    for (size_t i = 0; i < 3; i++)
        if (strncmp(p, lits[i], strlen(lits[i])) == 0)
            return p + strlen(lits[i]);
    char *end;
    strtod(p, &end);
    return end == p ? NULL : end;
}

static int parse_line(const char *p, struct pygc_rec *r, struct extra *x, const char **why)
{
    struct {
        const char *key;
        uint64_t *u64;
        uint32_t *u32;
    } keys[] = {
        { "pid", NULL, &r->pid },
        { "gen", NULL, &r->gen },
        { "start_ns", &r->start_ns, NULL },
        { "duration_ns", &r->duration_ns, NULL },
        { "collected", &r->collected, NULL },
        { "uncollectable", &r->uncollectable, NULL },
        { "after_collection", &x->after, NULL },
        { "loaded_wall_ns", &x->loaded_wall_ns, NULL },
    };
    unsigned seen = 0;
    memset(r, 0, sizeof *r);
    memset(x, 0, sizeof *x);
    p = skip_ws(p);
    if (*p++ != '{')
        return *why = "not a JSON object", -1;
    for (p = skip_ws(p); *p != '}'; p = skip_ws(p)) {
        char key[32];
        size_t k = 0;
        if (*p++ != '"')
            return *why = "a key is not a string", -1;
        while (*p && *p != '"' && k + 1 < sizeof key)
            key[k++] = *p++;
        key[k] = 0;
        if (*p != '"') {
            while (*p && *p != '"')
                p++;
            if (!*p)
                return *why = "unterminated key", -1;
        }
        p = skip_ws(p + 1);
        if (*p++ != ':')
            return *why = "':' missing after a key", -1;
        p = skip_ws(p);
        size_t i = 0;
        while (i < sizeof keys / sizeof *keys && strcmp(key, keys[i].key) != 0)
            i++;
        uint64_t v;
        if (i == sizeof keys / sizeof *keys) {
            p = skip_value(p);
        } else if ((p = whole(p, &v))) {
            if (keys[i].u32 && v > UINT32_MAX)
                return *why = "a value out of range", -1;
            if (keys[i].u32)
                *keys[i].u32 = (uint32_t)v;
            else
                *keys[i].u64 = v;
            seen |= 1u << i;
        }
        if (!p)
            return *why = "a value is not a whole number", -1;
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p != '}')
            return *why = "',' or '}' missing", -1;
    }
    if (*skip_ws(p + 1))
        return *why = "text after the object", -1;
    if ((seen & 63) != 63)
        return *why = "pid, gen, start_ns, duration_ns, collected or uncollectable missing", -1;
    if (r->gen > 2)
        return *why = "gen is not 0, 1 or 2", -1;
    return 0;
}

/* The whole file, NUL-terminated (malloc'ed); NULL with the reason in err. */
static char *slurp(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *text = NULL;
    size_t len = 0;
    FILE *mem = f ? open_memstream(&text, &len) : NULL;
    char chunk[65536];
    size_t got;
    while (mem && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, got, mem);
    bool bad = !f || ferror(f) || !mem || fclose(mem) != 0;
    if (bad)
        snprintf(err, errlen, "%s: %s", path, f ? "cannot read" : strerror(errno));
    if (f)
        fclose(f);
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

/* Every line of path; keep(r, x, arg) says which are kept. */
static int read_lines(const char *path, bool (*keep)(const struct pygc_rec *, const struct extra *,
                                                      void *),
                      void *arg, struct pygc_rec **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    char *text = slurp(path, err, errlen);
    size_t have = 0, lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        struct pygc_rec r;
        struct extra x;
        const char *why;
        next = strchr(line, '\n');
        next = next ? (*next = 0, next + 1) : line + strlen(line);
        lineno++;
        if (parse_line(line, &r, &x, &why) != 0) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
            goto fail;
        }
        if (!keep(&r, &x, arg))
            continue;
        if (*n == have) {
            have = have ? 2 * have : 64;
            struct pygc_rec *grown = realloc(*out, have * sizeof *grown);
            if (!grown) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            *out = grown;
        }
        (*out)[(*n)++] = r;
    }
    if (text) {
        free(text);
        return 0;
    }
fail:
    free(text);
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

static bool keep_all(const struct pygc_rec *r, const struct extra *x, void *arg)
{
    (void)r, (void)x, (void)arg;
    return true;
}

int pygc_read(const char *path, struct pygc_rec **out, size_t *n, char *err, size_t errlen)
{
    return read_lines(path, keep_all, NULL, out, n, err, errlen);
}

struct run_filter {
    uint32_t pid, collection;
    uint64_t loaded_wall_ns;
};

static bool keep_run(const struct pygc_rec *r, const struct extra *x, void *arg)
{
    struct run_filter *f = arg;
    if (r->pid != f->pid || x->after >= f->collection)
        return false;
    if (x->loaded_wall_ns)
        f->loaded_wall_ns = x->loaded_wall_ns;
    return true;
}

int pygc_read_run(const char *path, uint32_t pid, uint32_t collection, struct pygc_run *out,
                  char *err, size_t errlen)
{
    struct run_filter f = { pid, collection, 0 };
    int rc = read_lines(path, keep_run, &f, &out->recs, &out->n, err, errlen);
    out->loaded_wall_ns = f.loaded_wall_ns;
    return rc;
}
