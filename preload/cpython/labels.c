/* How CPython spells the references its objects hold, for LABELS (preload/labels.c keeps a
 * label only where the scan found an edge):
 *
 *   .name             an instance attribute: in its __dict__ (folded into it, objects.c), in
 *                     its value array (3.11, 3.12: keys from its type's shared keys) or inline
 *                     values (3.13), a __slots__ member or any other object member of its type
 *                     (tp_members: a bound method's .__self__, a generator's .gi_frame, ...)
 *   [i]               a list's or tuple's item
 *   ['key'], [3]      a dict entry, by its key's repr (repr.c); <key> for the key itself
 *   .__dict__         an instance's pointer to its __dict__
 *   <closure>, .__defaults__, .__kwdefaults__, .__globals__   a function's
 *   <cell>            a cell's contents
 *   <frame local 'x'> a local (or cell, or free variable) of a frame object or a generator
 *
 * The object's own block and each block it owns are labelled in turn; each pass walks all the
 * object's references and keeps those in the block at hand. */
#include "pyobj.h"

#define TEXT_BYTES 80                   /* read for a label: more than the dump keeps */
#define MEMBERS_MAX 64                  /* per type */

static void label_text(struct snap *s, uintptr_t where, uint32_t kind, const char *text)
{
    snap_label(s, where, kind, text, strlen(text), 0);
}

static int in_block(const struct snap *s, uintptr_t where)
{
    uintptr_t lo = where, hi = where + 8;
    return snap_label_window(s, &lo, &hi);
}

/* The word at `where`, named by the object at key: `.name` for a str attribute name, else (or
 * for a dict entry) `[repr]`. */
static void label_by_key(struct snap *s, struct cpython *py, uintptr_t where, uintptr_t key,
                         int attribute)
{
    if (!in_block(s, where))
        return;
    char buf[TEXT_BYTES];
    size_t n = attribute ? cpython_str_text(s, py, key, buf, sizeof buf) : 0;
    if (n) {
        snap_label(s, where, ATOLL_DUMP_LABEL_ATTRIBUTE, buf, n, 0);
        return;
    }
    n = cpython_key_repr(s, py, key, buf, sizeof buf);
    snap_label(s, where, ATOLL_DUMP_LABEL_KEY, buf, n, 0);
}

/* Items n of an array at items, those in the block at hand. */
static void label_items(struct snap *s, uintptr_t items, uint64_t n)
{
    uintptr_t lo = items, hi = items + 8 * n;
    if (!items || n > (1ull << 40) || !snap_label_window(s, &lo, &hi))
        return;
    for (uint64_t i = (lo - items + 7) / 8; items + 8 * i < hi; i++)
        snap_label(s, items + 8 * i, ATOLL_DUMP_LABEL_INDEX, NULL, 0, (uint32_t)i);
}

static uintptr_t tuple_item(const struct snap *s, uintptr_t tuple, uint64_t i)
{
    if (!tuple || !py_readable(s, tuple, VAR_ITEMS) || i >= word(tuple + VAR_SIZE) ||
        !py_readable(s, tuple + VAR_ITEMS + 8 * i, 8))
        return 0;
    return word(tuple + VAR_ITEMS + 8 * i);
}

/* A dict's keys object: its entries, each esize bytes with the key and the value at key_at
 * and value_at. 3.8-3.10: [refcnt, size, lookup, usable, nentries, indices]; 3.11+: [refcnt,
 * log2 size, log2 index bytes, kind, version, usable, nentries, indices], its entries without
 * the hash for a str-keyed table (kind 1 or 2). */
struct keys {
    uintptr_t entries;
    uint64_t n;
    unsigned esize, key_at, value_at;
};

static int read_keys(const struct snap *s, const struct cpython *py, uintptr_t keys,
                     struct keys *k)
{
    if (!keys || (keys & 7) || !py_readable(s, keys, (size_t)py->off->keys_header))
        return 0;
    uint64_t index_bytes;
    *k = (struct keys){ .esize = 24, .key_at = 8, .value_at = 16 };
    if (py->version < 0x030b) {
        uint64_t size = word(keys + 8);
        if (size > (1ull << 32))
            return 0;
        index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : 4);
        k->n = word(keys + 32);
    } else {
        unsigned log2_index = *(const uint8_t *)(keys + 9), kind = *(const uint8_t *)(keys + 10);
        if (log2_index > 34)
            return 0;
        index_bytes = 1ull << log2_index;
        if (kind)
            *k = (struct keys){ .esize = 16, .key_at = 0, .value_at = 8 };
        k->n = word(keys + 24);
    }
    k->entries = keys + (uintptr_t)py->off->keys_header + index_bytes;
    return k->n && k->n < (1ull << 31) && py_readable(s, k->entries, k->n * k->esize);
}

static uintptr_t key_of(const struct keys *k, uint64_t i)
{
    return word(k->entries + i * k->esize + k->key_at);
}

/* Values n of an array at values, the i-th named by the i-th key of k. */
static void label_values(struct snap *s, struct cpython *py, const struct keys *k,
                         uintptr_t values, uint64_t n, int attributes)
{
    n = n < k->n ? n : k->n;
    uintptr_t lo = values, hi = values + 8 * n;
    if (!values || !snap_label_window(s, &lo, &hi))
        return;
    for (uint64_t i = (lo - values + 7) / 8; values + 8 * i < hi; i++)
        label_by_key(s, py, values + 8 * i, key_of(k, i), attributes);
}

/* A dict's entries: by key in a combined table, by the shared keys in a split one (3.13's
 * values start with their capacity). Those of a folded __dict__ are attributes. */
static void label_dict(struct snap *s, struct cpython *py, uintptr_t dict, int attributes)
{
    struct keys k;
    if (!read_keys(s, py, word(dict + DICT_KEYS), &k))
        return;
    uintptr_t values = word(dict + DICT_VALUES);
    if (values) {
        uint64_t n = k.n;
        if (py->off->values_header > 0) {
            if (!py_readable(s, values, 8))
                return;
            n = *(const uint8_t *)values;
            values += (uintptr_t)py->off->values_header;
        }
        label_values(s, py, &k, values, n, attributes);
        return;
    }
    uintptr_t lo = k.entries, hi = k.entries + k.n * k.esize;
    if (!snap_label_window(s, &lo, &hi))
        return;
    for (uint64_t i = (lo - k.entries) / k.esize; i < k.n; i++) {
        uintptr_t e = k.entries + i * k.esize;
        if (e >= hi)
            break;
        label_by_key(s, py, e + k.value_at, word(e + k.key_at), attributes);
        label_text(s, e + k.key_at, ATOLL_DUMP_LABEL_OTHER, "<key>");
    }
}

/* The keys an instance's value array follows: its type's shared keys (3.11+). */
static int shared_keys(const struct snap *s, const struct cpython *py, const struct pytype *ty,
                       struct keys *k)
{
    uintptr_t at = ty->addr + (uintptr_t)py->off->ht_cached_keys;
    return (ty->flags & F_HEAPTYPE) && py->off->ht_cached_keys >= 0 && py_readable(s, at, 8) &&
           read_keys(s, py, word(at), k);
}

static void label_instance_values(struct snap *s, struct cpython *py, const struct pytype *ty,
                                  uintptr_t block, uintptr_t obj, uint64_t avail)
{
    struct keys k;
    if (!ty->preheader || !shared_keys(s, py, ty, &k))
        return;
    if (py->version == 0x030b) {
        label_values(s, py, &k, word(block), k.n, 1);
    } else if (py->version == 0x030c) {
        if (word(block + 8) & 1)
            label_values(s, py, &k, word(block + 8) + 1, k.n, 1);
    } else if ((ty->flags & F_INLINE_VALUES) && ty->basicsize + 8 <= avail) {
        uintptr_t values = obj + ty->basicsize;
        if (*(const uint8_t *)(values + 3))
            label_values(s, py, &k, values + 8, *(const uint8_t *)values, 1);
    }
}

/* The object members of a type and its bases, gathered once per type. */
static const struct pymembers *members_of(struct snap *s, struct cpython *py,
                                          const struct pytype *ty);

static void label_members(struct snap *s, struct cpython *py, const struct pytype *ty,
                          uintptr_t obj, uint64_t avail)
{
    const struct pymembers *m = members_of(s, py, ty);
    if (!m)
        return;
    const struct pymember *all = py->members.data;
    for (uint32_t i = 0; i < m->count; i++) {
        const struct pymember *e = &all[m->first + i];
        if (e->offset + 8 <= avail)
            snap_label(s, obj + e->offset, ATOLL_DUMP_LABEL_ATTRIBUTE, (const char *)e->name,
                       e->len, 0);
    }
}

static void label_instance_dict(struct snap *s, struct cpython *py, const struct pytype *ty,
                                uintptr_t block, uintptr_t obj, uint64_t avail, uint32_t owner)
{
    uintptr_t slot = cpython_dict_slot(py, ty, block, obj, avail);
    if (!slot)
        return;
    label_text(s, slot, ATOLL_DUMP_LABEL_ATTRIBUTE, "__dict__");
    uint64_t delta;
    uint32_t t = snap_find_block(s, word(slot), &delta);
    uint32_t k = t == ATOLL_NONE ? ATOLL_NONE : s->object_of[t];
    if (k != ATOLL_NONE && t != owner &&
        ((const struct snap_object *)s->objects.data)[k].owner == owner)
        label_dict(s, py, word(slot), 1);
}

/* "<frame local 'x'>" for each of count words at locals, named by names(i). */
static void label_local(struct snap *s, struct cpython *py, uintptr_t where, uintptr_t name)
{
    if (!in_block(s, where))
        return;
    char buf[TEXT_BYTES];
    size_t n = cpython_str_text(s, py, name, buf, sizeof buf - 16);
    char text[TEXT_BYTES];
    size_t len = 0;
    memcpy(text, "<frame local '", 14);
    len = 14;
    memcpy(text + len, buf, n);
    len += n;
    memcpy(text + len, "'>", 2);
    snap_label(s, where, ATOLL_DUMP_LABEL_OTHER, text, len + 2, 0);
}

static int is_code(struct snap *s, struct cpython *py, uintptr_t code)
{
    const struct pytype *ty =
        code && !(code & 7) && py_readable(s, code, 128) ? cpython_type(s, py, word(code + 8))
                                                         : NULL;
    return ty && ty->kind == K_CODE;
}

/* The fast locals of a frame running code: 3.11+ names them all in co_localsplusnames; before,
 * co_varnames names the first co_nlocals, then co_cellvars and co_freevars the cells. */
static void label_locals(struct snap *s, struct cpython *py, uintptr_t locals, uintptr_t code,
                         uintptr_t end)
{
    if (!is_code(s, py, code))
        return;
    uintptr_t names = word(code + (uintptr_t)py->off->co_localnames);
    if (py->off->co_nlocalsplus >= 0) {
        uint64_t n = word32(code + (uintptr_t)py->off->co_nlocalsplus);
        for (uint64_t i = 0; i < n && locals + 8 * i + 8 <= end; i++)
            label_local(s, py, locals + 8 * i, tuple_item(s, names, i));
        return;
    }
    uint64_t nlocals = word32(code + (uintptr_t)py->off->co_nlocals), i = 0;
    uintptr_t cells[2] = { word(code + (uintptr_t)py->off->co_cellvars),
                           word(code + (uintptr_t)py->off->co_freevars) };
    for (; i < nlocals && locals + 8 * i + 8 <= end; i++)
        label_local(s, py, locals + 8 * i, tuple_item(s, names, i));
    for (int c = 0; c < 2; c++)
        for (uint64_t j = 0; tuple_item(s, cells[c], j) && locals + 8 * i + 8 <= end; j++, i++)
            label_local(s, py, locals + 8 * i, tuple_item(s, cells[c], j));
}

/* The references a kind of object holds where it alone keeps them. */
static void label_kind(struct snap *s, struct cpython *py, const struct pytype *ty,
                       uintptr_t obj, uint64_t avail)
{
    const struct cpython_offsets *o = py->off;
    switch (ty->kind) {
    case K_LIST:
        label_items(s, word(obj + VAR_ITEMS), word(obj + VAR_SIZE));
        break;
    case K_TUPLE:
        if (word(obj + VAR_SIZE) < avail / 8 && VAR_ITEMS + 8 * word(obj + VAR_SIZE) <= avail)
            label_items(s, obj + VAR_ITEMS, word(obj + VAR_SIZE));
        break;
    case K_DICT:
        label_dict(s, py, obj, 0);
        break;
    case K_FUNCTION:
        label_text(s, obj + o->func_closure, ATOLL_DUMP_LABEL_OTHER, "<closure>");
        label_text(s, obj + o->func_defaults, ATOLL_DUMP_LABEL_ATTRIBUTE, "__defaults__");
        label_text(s, obj + o->func_kwdefaults, ATOLL_DUMP_LABEL_ATTRIBUTE, "__kwdefaults__");
        label_text(s, obj + o->func_globals, ATOLL_DUMP_LABEL_ATTRIBUTE, "__globals__");
        break;
    case K_CELL:
        label_text(s, obj + CELL_REF, ATOLL_DUMP_LABEL_OTHER, "<cell>");
        break;
    case K_GEN:
        if (o->gen_frame >= 0)
            label_locals(s, py, obj + o->gen_frame + o->iframe_localsplus,
                         word(obj + o->gen_frame + o->fr_code), obj + avail);
        break;
    case K_FRAME:
        if (o->frame_locals >= 0)
            label_locals(s, py, obj + o->frame_locals, word(obj + o->fr_code), obj + avail);
        else if (word(obj + o->frame_frame) == obj + o->frame_data)
            label_locals(s, py, obj + o->frame_data + o->iframe_localsplus,
                         word(obj + o->frame_data + o->fr_code), obj + avail);
        break;
    default:
        break;
    }
}

void cpython_label(struct snap *s, struct layout *l, uint32_t t, uint32_t owner)
{
    (void)t;
    struct cpython *py = (struct cpython *)l;
    const struct snap_object *o =
        &((const struct snap_object *)s->objects.data)[s->object_of[owner]];
    uint64_t size;
    uintptr_t block = snap_recognised_at(s, owner, &size), obj = block + o->offset;
    const struct pytype *ty = o->refcount ? cpython_type(s, py, word(obj + 8)) : NULL;
    if (!ty)
        return;
    uint64_t avail = size - o->offset;
    label_kind(s, py, ty, obj, avail);
    label_members(s, py, ty, obj, avail);
    label_instance_values(s, py, ty, block, obj, avail);
    label_instance_dict(s, py, ty, block, obj, avail, owner);
}

static size_t members_slot(const struct cpython *py, uintptr_t type)
{
    size_t i = (size_t)((type >> 3) * 0x9E3779B97F4A7C15ull >> 20) & (py->member_cap - 1);
    while (py->member_types[i].type && py->member_types[i].type != type)
        i = (i + 1) & (py->member_cap - 1);
    return i;
}

static int grow_members(struct cpython *py)
{
    size_t oldcap = py->member_cap, cap = oldcap ? 2 * oldcap : 256;
    struct pymembers *old = py->member_types, *nt = cmem_alloc(cap * sizeof *nt);
    if (!nt)
        return -1;
    py->member_types = nt;
    py->member_cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].type)
            py->member_types[members_slot(py, old[i].type)] = old[i];
    cmem_free(old, oldcap * sizeof *old);
    return 0;
}

/* The object members (T_OBJECT, T_OBJECT_EX) of one type's tp_members. */
static void gather(struct snap *s, struct cpython *py, uintptr_t type, struct pymembers *m)
{
    uintptr_t def = word(type + TP_MEMBERS);
    for (int i = 0; def && i < MEMBERS_MAX && py_readable(s, def, MEMBER_SIZE); i++) {
        uintptr_t name = word(def);
        if (!name)
            return;
        uint32_t kind = word32(def + MEMBER_TYPE);
        int64_t offset = (int64_t)word(def + MEMBER_OFFSET);
        size_t len = cpython_name_length(s, name);
        struct pymember *e;
        if ((kind == T_OBJECT || kind == T_OBJECT_EX) && offset >= 16 && len &&
            (e = cvec_push(&py->members))) {
            *e = (struct pymember){ (uint64_t)offset, name, len };
            m->count++;
        }
        def += MEMBER_SIZE;
    }
}

static const struct pymembers *members_of(struct snap *s, struct cpython *py,
                                          const struct pytype *ty)
{
    if (py->member_cap) {
        const struct pymembers *m = &py->member_types[members_slot(py, ty->addr)];
        if (m->type)
            return m;
    }
    if (2 * (py->member_used + 1) > py->member_cap && grow_members(py) != 0)
        return NULL;
    struct pymembers m = { ty->addr, (uint32_t)py->members.len, 0 };
    uintptr_t t = ty->addr;
    for (int depth = 0; depth < 32 && t && py_readable(s, t, TP_END); depth++) {
        gather(s, py, t, &m);
        t = word(t + TP_BASE);
    }
    struct pymembers *slot = &py->member_types[members_slot(py, ty->addr)];
    *slot = m;
    py->member_used++;
    return slot;
}
