/* The snapshot's string table: every node name, edge name, function and file name once, by
 * index, in the order first used. Index 0 is "" as in V8's snapshots. The strings are kept
 * packed in one growing buffer (the table holds distinct names, not one per node), and written
 * last, as JSON strings. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ull;     /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001B3ull;
    return h;
}

static bool grow_slots(struct strtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 4096;
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return false;
    memset(slots, 0xff, cap * sizeof *slots);
    for (uint32_t i = 0; i < t->n; i++) {
        size_t k = t->hash[i] & (cap - 1);
        while (slots[k] != UINT32_MAX)
            k = (k + 1) & (cap - 1);
        slots[k] = i;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

bool export_reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *p = realloc(*arr, c * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = c;
    return true;
}

uint32_t strtab_intern_n(struct strtab *t, const char *s, size_t n)
{
    if ((t->n + 1) * 2 > t->cap && !grow_slots(t))
        return UINT32_MAX;
    uint64_t h = hash_bytes(s, n);
    size_t k = h & (t->cap - 1);
    for (; t->slots[k] != UINT32_MAX; k = (k + 1) & (t->cap - 1)) {
        uint32_t i = t->slots[k];
        size_t len = t->start[i + 1] - t->start[i] - 1;
        if (t->hash[i] == h && len == n && memcmp(t->chars + t->start[i], s, n) == 0)
            return i;
    }
    if (!export_reserve((void **)&t->chars, &t->chars_cap, t->start[t->n] + n + 1, 1) ||
        !export_reserve((void **)&t->start, &t->start_cap, (size_t)t->n + 2,
                        sizeof *t->start) ||
        !export_reserve((void **)&t->hash, &t->hash_cap, (size_t)t->n + 1, sizeof *t->hash))
        return UINT32_MAX;
    memcpy(t->chars + t->start[t->n], s, n);
    t->chars[t->start[t->n] + n] = 0;
    t->start[t->n + 1] = t->start[t->n] + n + 1;
    t->hash[t->n] = h;
    t->slots[k] = t->n;
    return t->n++;
}

uint32_t strtab_intern(struct strtab *t, const char *s)
{
    return strtab_intern_n(t, s, strlen(s));
}

/* What a scratch buffer holds, interned; the buffer is emptied. */
uint32_t strtab_intern_buf(struct strtab *t, struct outbuf *scratch)
{
    uint32_t i = strtab_intern_n(t, scratch->buf, scratch->len);
    scratch->len = 0;
    return i;
}

int strtab_init(struct strtab *t)
{
    memset(t, 0, sizeof *t);
    t->start = calloc(1, sizeof *t->start);
    t->start_cap = 1;
    return t->start && strtab_intern(t, "") == 0 ? 0 : -1;
}

void strtab_write(const struct strtab *t, struct outbuf *o)
{
    ob_put(o, "[", 1);
    for (uint32_t i = 0; i < t->n; i++) {
        if (i)
            ob_put(o, ",\n", 2);
        ob_json_str(o, t->chars + t->start[i]);
    }
    ob_put(o, "]", 1);
}

void strtab_free(struct strtab *t)
{
    free(t->slots);
    free(t->chars);
    free(t->start);
    free(t->hash);
    memset(t, 0, sizeof *t);
}
