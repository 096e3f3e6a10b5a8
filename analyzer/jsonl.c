/* collections.jsonl read back: one flat JSON object per collection (docs/collections.md).
 * Unknown keys are skipped, so older and newer recorders' lines both read; a line missing
 * one of the keys every recorder writes is an error. */
#include "analyzer.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { K_COLLECTION = 1, K_GENERATION = 2, K_PAUSE = 4, K_BLOCKS = 8, K_UNREACH = 16,
       K_UNREACH_BYTES = 32, K_DUMP = 64, K_ALL = 127 };

struct cursor {
    const char *p;
};

static void ws(struct cursor *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
        c->p++;
}

/* A string into buf (truncated to cap - 1); false if malformed. */
static bool string(struct cursor *c, char *buf, size_t cap)
{
    size_t n = 0;
    if (*c->p != '"')
        return false;
    for (c->p++; *c->p && *c->p != '"'; c->p++) {
        char ch = *c->p;
        if (ch == '\\') {
            ch = *++c->p;
            if (!ch || ch == 'u')
                return false;
            ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
        }
        if (n + 1 < cap)
            buf[n++] = ch;
    }
    if (*c->p != '"')
        return false;
    c->p++;
    buf[cap ? n : 0] = 0;
    return true;
}

static bool number(struct cursor *c, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(c->p, &end);
    if (end == c->p || errno || *v < 0)
        return false;
    c->p = end;
    return true;
}

/* A JSON number that must be a whole number (the counters and the ns clock). */
static bool whole(struct cursor *c, uint64_t *v)
{
    char *end;
    if (*c->p < '0' || *c->p > '9')
        return false;
    errno = 0;
    *v = strtoull(c->p, &end, 10);
    if (errno || *end == '.' || *end == 'e' || *end == 'E')
        return false;
    c->p = end;
    return true;
}

/* The value of a key this reader does not know: a string, literal, number or array of them.
 * Arrays nest NEST_MAX deep at most, so that a line of '[' cannot run the recursion past the
 * end of the stack. */
#define NEST_MAX 32

static bool skip_value(struct cursor *c, unsigned depth)
{
    char scratch[8];
    double v;
    if (*c->p == '"')
        return string(c, scratch, sizeof scratch);
    if (*c->p == '[') {
        if (depth == NEST_MAX)
            return false;
        c->p++;
        ws(c);
        while (*c->p != ']') {
            if (!skip_value(c, depth + 1))
                return false;
            ws(c);
            if (*c->p == ',')
                c->p++, ws(c);
            else if (*c->p != ']')
                return false;
        }
        c->p++;
        return true;
    }
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++)
        if (strncmp(c->p, lits[i], strlen(lits[i])) == 0) {
            c->p += strlen(lits[i]);
            return true;
        }
    return number(c, &v);
}

static bool threshold(struct cursor *c, uint32_t t[3])
{
    uint64_t v;
    if (*c->p != '[')
        return false;
    c->p++;
    for (int i = 0; i < 3; i++) {
        ws(c);
        if (!whole(c, &v) || v > UINT32_MAX)
            return false;
        t[i] = (uint32_t)v;
        ws(c);
        if (*c->p != (i < 2 ? ',' : ']'))
            return false;
        c->p++;
    }
    return true;
}

static bool u32(struct cursor *c, uint32_t *out)
{
    uint64_t v;
    if (!whole(c, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* One key's value into r; false if malformed. */
static bool field(struct cursor *c, const char *key, struct collection_rec *r, unsigned *seen)
{
    static const struct {
        const char *key;
        size_t off;
        unsigned bit;
    } counters[] = {
        {"time_ns", offsetof(struct collection_rec, time_ns), 0},
        {"blocks", offsetof(struct collection_rec, blocks), K_BLOCKS},
        {"bytes", offsetof(struct collection_rec, bytes), 0},
        {"heap_blocks", offsetof(struct collection_rec, heap_blocks), 0},
        {"heap_bytes", offsetof(struct collection_rec, heap_bytes), 0},
        {"unreachable_blocks", offsetof(struct collection_rec, unreachable_blocks), K_UNREACH},
        {"unreachable_bytes", offsetof(struct collection_rec, unreachable_bytes),
         K_UNREACH_BYTES},
        {"cycles", offsetof(struct collection_rec, cycles), 0},
        {"dump_bytes", offsetof(struct collection_rec, dump_bytes), 0},
        {"last_seq", offsetof(struct collection_rec, last_seq), 0},
    };
    static const struct {
        const char *key;
        size_t off;
        unsigned bit;
    } millis[] = {
        {"pause_ms", offsetof(struct collection_rec, pause_ms), K_PAUSE},
        {"scan_ms", offsetof(struct collection_rec, scan_ms), 0},
        {"dump_ms", offsetof(struct collection_rec, dump_ms), 0},
    };
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        if (strcmp(key, counters[i].key) == 0) {
            *seen |= counters[i].bit;
            if (strcmp(key, "last_seq") == 0)
                r->has_last_seq = true;
            return whole(c, (uint64_t *)((char *)r + counters[i].off));
        }
    for (size_t i = 0; i < sizeof millis / sizeof *millis; i++)
        if (strcmp(key, millis[i].key) == 0) {
            *seen |= millis[i].bit;
            return number(c, (double *)((char *)r + millis[i].off));
        }
    if (strcmp(key, "collection") == 0)
        return *seen |= K_COLLECTION, u32(c, &r->collection);
    if (strcmp(key, "generation") == 0)
        return *seen |= K_GENERATION, u32(c, &r->generation) && r->generation <= 2;
    if (strcmp(key, "pid") == 0)
        return u32(c, &r->pid);
    if (strcmp(key, "trigger") == 0)
        return string(c, r->trigger, sizeof r->trigger);
    if (strcmp(key, "dump") == 0)
        return *seen |= K_DUMP, string(c, r->dump, sizeof r->dump);
    if (strcmp(key, "threshold") == 0)
        return threshold(c, r->threshold);
    return skip_value(c, 0);
}

/* A key as an error names it: a reason is one line of text, whatever bytes the file holds. */
static const char *shown(char *key)
{
    for (char *c = key; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return key;
}

int jsonl_parse(const char *line, struct collection_rec *r, char *err, size_t errlen)
{
    struct cursor c = {line};
    unsigned seen = 0;
    char key[64];
    memset(r, 0, sizeof *r);
    ws(&c);
    if (*c.p != '{') {
        snprintf(err, errlen, "not a JSON object");
        return -1;
    }
    c.p++;
    ws(&c);
    while (*c.p != '}') {
        if (!string(&c, key, sizeof key)) {
            snprintf(err, errlen, "malformed key at column %zu", (size_t)(c.p - line) + 1);
            return -1;
        }
        ws(&c);
        if (*c.p != ':') {
            snprintf(err, errlen, "':' expected after \"%s\"", shown(key));
            return -1;
        }
        c.p++;
        ws(&c);
        if (!field(&c, key, r, &seen)) {
            snprintf(err, errlen, "bad value for \"%s\"", shown(key));
            return -1;
        }
        ws(&c);
        if (*c.p == ',') {
            c.p++;
            ws(&c);
        } else if (*c.p != '}') {
            snprintf(err, errlen, "',' or '}' expected at column %zu", (size_t)(c.p - line) + 1);
            return -1;
        }
    }
    c.p++;
    ws(&c);
    if (*c.p) {
        snprintf(err, errlen, "text after the object");
        return -1;
    }
    if (seen != K_ALL) {
        static const char *const names[] = {"collection", "generation", "pause_ms", "blocks",
                                            "unreachable_blocks", "unreachable_bytes", "dump"};
        unsigned i = 0;
        while (seen & (1u << i))
            i++;
        snprintf(err, errlen, "no \"%s\"", names[i]);
        return -1;
    }
    return 0;
}

int jsonl_read(const char *path, struct collection_rec **out, size_t *n, char *err,
               size_t errlen)
{
    FILE *f = fopen(path, "r");
    *out = NULL;
    *n = 0;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL, why[256];
    size_t cap = 0, lineno = 0, have = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (*n == have) {
            have = have ? have * 2 : 64;
            struct collection_rec *g = realloc(*out, have * sizeof **out);
            if (!g) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = -1;
                break;
            }
            *out = g;
        }
        if (jsonl_parse(line, &(*out)[*n], why, sizeof why)) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
            rc = -1;
            break;
        }
        (*n)++;
    }
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
