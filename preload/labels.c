/* The LABELS section: how the references between a runtime's objects are spelled in its
 * language (`.name`, `[i]`, `['key']`). After the scan, each layout with a label pass reads the
 * blocks it recognised, in the dump's order, and names some of their words; a word gets a
 * record only when the scan made it an edge (same rules, same memory: the world is stopped),
 * so every record has its EDGES record with the same (from, offset).
 *
 * Texts are deduplicated in STRINGS (attribute names repeat in every instance) and capped:
 * LABEL_TEXT_MAX bytes each, LABEL_TEXTS_MAX bytes of distinct text per dump, past which a new
 * text's label is left out. Nothing else of the heap's contents is written. */
#include "snapshot.h"
#include "layouts.h"

#define LABEL_TEXT_MAX 64
#define LABEL_TEXTS_MAX ((uint64_t)4 << 20)

static uint32_t hash_text(const char *text, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 16777619u;
    return h;
}

static int same_text(const struct snap *s, uint32_t off, const char *text, size_t len)
{
    const char *have = (const char *)s->strings.data + off;
    return memcmp(have, text, len) == 0 && have[len] == 0;
}

/* The slot of text in the table, or the free slot where it would go. */
static uint32_t *text_slot(struct snap *s, const char *text, size_t len)
{
    struct snap_labels *lb = &s->labels;
    size_t i = hash_text(text, len) & (lb->cap - 1);
    while (lb->slots[i] && !same_text(s, lb->slots[i], text, len))
        i = (i + 1) & (lb->cap - 1);
    return &lb->slots[i];
}

static int grow_texts(struct snap *s)
{
    struct snap_labels *lb = &s->labels;
    size_t oldcap = lb->cap, cap = oldcap ? 2 * oldcap : 1024;
    uint32_t *old = lb->slots, *slots = cmem_alloc(cap * sizeof *slots);
    if (!slots)
        return -1;
    lb->slots = slots;
    lb->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i]) {
            const char *t = (const char *)s->strings.data + old[i];
            *text_slot(s, t, strlen(t)) = old[i];
        }
    cmem_free(old, oldcap * sizeof *old);
    return 0;
}

/* The string offset of text, added once; ATOLL_NONE past the caps or out of memory. */
static uint32_t intern_text(struct snap *s, const char *text, size_t len)
{
    struct snap_labels *lb = &s->labels;
    if (!len)
        return 0;
    if (2 * (lb->used + 1) > lb->cap && grow_texts(s) != 0)
        return ATOLL_NONE;
    uint32_t *slot = text_slot(s, text, len);
    if (*slot)
        return *slot;
    if (lb->text_bytes + len + 1 > LABEL_TEXTS_MAX)
        return ATOLL_NONE;
    size_t before = s->strings.len;
    uint32_t off = snap_add_string(s, text, len);
    if (s->strings.len != before + len + 1)
        return ATOLL_NONE;
    lb->text_bytes += len + 1;
    lb->used++;
    *slot = off;
    return off;
}

/* text cut to LABEL_TEXT_MAX bytes, ending in "..." and never inside a UTF-8 sequence. */
static size_t capped(const char *text, size_t len, char *out)
{
    if (len <= LABEL_TEXT_MAX) {
        memcpy(out, text, len);
        return len;
    }
    size_t keep = LABEL_TEXT_MAX - 3;
    while (keep && ((unsigned char)text[keep] & 0xc0) == 0x80)
        keep--;
    memcpy(out, text, keep);
    memcpy(out + keep, "...", 3);
    return keep + 3;
}

/* Whether the scan made the word at offset of the block being labelled an edge. */
static int is_edge(const struct snap *s, uint64_t offset)
{
    const struct snap_labels *lb = &s->labels;
    const struct snap_object *o =
        &((const struct snap_object *)s->objects.data)[s->object_of[lb->block]];
    uint64_t end = o->scan_bytes < lb->size ? o->scan_bytes : lb->size;
    if (offset % 8 || offset + 8 > end || (offset < 64 * 8 && ((o->skip >> (offset / 8)) & 1)))
        return 0;
    return snap_reference(s, lb->block, *(const uintptr_t *)(lb->base + offset)) != ATOLL_NONE;
}

/* Labels the word at `where` (outside the block being labelled: ignored), when it is an edge;
 * the first label of a word stands. Records stay sorted: a block's come in any order and are
 * put in place among those of the same block. */
void snap_label(struct snap *s, uintptr_t where, uint32_t kind, const char *text, size_t len,
                uint32_t index)
{
    struct snap_labels *lb = &s->labels;
    if (where < lb->base || where - lb->base >= lb->size)
        return;
    uint64_t offset = where - lb->base;
    if (!is_edge(s, offset))
        return;
    struct atoll_dump_label *r = lb->recs.data;
    size_t at = lb->recs.len;
    while (at > lb->block_first && r[at - 1].offset > offset)
        at--;
    if (at > lb->block_first && r[at - 1].offset == offset)
        return;
    uint32_t str = 0;
    if (kind != ATOLL_DUMP_LABEL_INDEX) {
        char buf[LABEL_TEXT_MAX];
        str = intern_text(s, buf, capped(text, len, buf));
        if (str == ATOLL_NONE)
            return;
    }
    if (!cvec_push(&lb->recs))
        return;
    r = lb->recs.data;
    memmove(&r[at + 1], &r[at], (lb->recs.len - 1 - at) * sizeof *r);
    r[at] = (struct atoll_dump_label){ .from = lb->block, .kind = kind, .offset = offset,
                                       .text = str, .index = index };
}

uintptr_t snap_recognised_at(const struct snap *s, uint32_t t, uint64_t *size)
{
    const struct snap_extent *e = &s->labels.extent[s->object_of[t]];
    *size = e->size;
    return e->address;
}

int snap_label_window(const struct snap *s, uintptr_t *lo, uintptr_t *hi)
{
    const struct snap_labels *lb = &s->labels;
    if (*lo < lb->base)
        *lo = lb->base;
    if (*hi > lb->base + lb->size)
        *hi = lb->base + lb->size;
    return *lo < *hi;
}

static void note_extent(struct snap *s, const struct snap_block *b, void *arg)
{
    (void)arg;
    uint32_t k = s->object_of[b->t];
    if (k != ATOLL_NONE)
        s->labels.extent[k] = (struct snap_extent){ b->address, b->size };
}

static void label_block(struct snap *s, const struct snap_block *b, void *arg)
{
    (void)arg;
    uint32_t k = s->object_of[b->t];
    if (k == ATOLL_NONE)
        return;
    const struct snap_object *o = &((const struct snap_object *)s->objects.data)[k];
    struct snap_labels *lb = &s->labels;
    lb->block = b->t;
    lb->base = b->address;
    lb->size = b->size;
    lb->block_first = lb->recs.len;
    for (unsigned i = 0; i < s->nlayouts; i++)
        if (s->layouts[i]->label && s->layouts[i]->runtime == o->runtime)
            s->layouts[i]->label(s, s->layouts[i], b->t, o->owner);
}

/* Where each recognised block lies first (an owner may come after what it owns), then the
 * labels, block by block. */
void snap_find_labels(struct snap *s)
{
    cvec_init(&s->labels.recs, sizeof(struct atoll_dump_label));
    for (unsigned i = 0; i < s->nlayouts; i++)
        if (s->layouts[i]->label && s->object_of) {
            s->labels.extent = cmem_alloc(s->objects.len * sizeof *s->labels.extent);
            if (!s->labels.extent)
                return;
            snap_each_block(s, note_extent, NULL);
            snap_each_block(s, label_block, NULL);
            return;
        }
}

void snap_write_labels(struct snap *s, struct dump_out *w)
{
    if (s->labels.recs.len)
        dump_out_put(w, s->labels.recs.data,
                     s->labels.recs.len * sizeof(struct atoll_dump_label));
}
