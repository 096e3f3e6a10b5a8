/* CPython 3.8 to 3.13 objects (PYTHONMALLOC=malloc puts every one in its own malloc block).
 *
 * The interpreter is found by its exported symbols (PyType_Type and the built-in types), in the
 * executable or in libpython. A block is an object when a word where an object's ob_type would
 * be holds a type: a pointer whose own ob_type is `type` (or a metatype whose ob_type is), read
 * only where the process has readable memory. Where the object starts depends on the type:
 *
 *   non-GC object (str, int):         [ob_refcnt, ob_type, ...]                 offset 0
 *   GC object:                        [_gc_next, _gc_prev, ob_refcnt, ob_type]  offset 16
 *   GC object with a pre-header       [2 words, _gc_next, _gc_prev, ...]       offset 32
 *     (3.11+: Py_TPFLAGS_MANAGED_DICT, 3.12+: or MANAGED_WEAKREF)
 *
 * Words that hold no counted reference are not scanned: the GC list links, the weak reference
 * list head (tp_weaklistoffset) and a weak reference's referent and list links. The blocks an
 * object owns: a list's item array (its first ob_size words), a dict's table, a set's table,
 * an instance's value array (3.11, 3.12), and its __dict__ when nothing else references it
 * (folded: the dict and its tables are the instance's). */
#include "pyobj.h"

#include <string.h>

static size_t slot_of(uintptr_t a, size_t cap)
{
    return (size_t)((a >> 3) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
}

/* The slot holding a, or the free slot where it would go. */
static struct pytype *find_slot(struct cpython *py, uintptr_t a)
{
    size_t i = slot_of(a, py->cap);
    while (py->types[i].addr && py->types[i].addr != a)
        i = (i + 1) & (py->cap - 1);
    return &py->types[i];
}

static struct pytype *insert(struct cpython *py, const struct pytype *t)
{
    if (2 * (py->used + 1) > py->cap) {
        size_t oldcap = py->cap, cap = oldcap ? 2 * oldcap : 256;
        struct pytype *old = py->types, *nt = cmem_alloc(cap * sizeof *nt);
        if (!nt)
            return NULL;
        py->types = nt;
        py->cap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].addr)
                *find_slot(py, old[i].addr) = old[i];
        if (old)
            cmem_free(old, oldcap * sizeof *old);
    }
    struct pytype *slot = find_slot(py, t->addr);
    *slot = *t;
    py->used++;
    return slot;
}

size_t cpython_name_length(const struct snap *s, uintptr_t name)
{
    for (size_t n = 0; n < 256; n++) {
        if (!snap_readable(s, name + n, name + n + 1))
            return 0;
        unsigned char c = *(const unsigned char *)(name + n);
        if (!c)
            return n;
        if (c < 32 || c > 126)
            return 0;
    }
    return 0;
}

static enum kind kind_of(const struct snap *s, const struct cpython *py, uintptr_t t)
{
    for (int depth = 0; depth < 32 && t; depth++) {
        for (int k = K_LIST; k < K_KINDS; k++)
            for (int i = 0; i < 3; i++)
                if (py->known[k][i] && py->known[k][i] == t)
                    return (enum kind)k;
        if (!snap_readable(s, t, t + TP_END))
            return K_OTHER;
        t = word(t + TP_BASE);
    }
    return K_OTHER;
}

/* Whether t is a type object: its ob_type is `type`, or a type whose ob_type is (metaclasses,
 * two levels deep). */
static int is_type(const struct snap *s, const struct cpython *py, uintptr_t t, int depth)
{
    if ((t & 7) || !snap_readable(s, t, t + TP_END))
        return 0;
    uintptr_t meta = word(t + 8);
    if (meta == py->type_type)
        return 1;
    return depth < 2 && is_type(s, py, meta, depth + 1) &&
           (word(meta + TP_FLAGS) & F_TYPE_SUBCLASS);
}

/* The type at a, or NULL when a is not one. A type is static, in a module's data, or a heap
 * type, hundreds of bytes long: never in a block of atoll's pools (where a GC object's
 * _gc_prev, tried as an ob_type, mostly points). */
const struct pytype *cpython_type(struct snap *s, struct cpython *py, uintptr_t a)
{
    if (!a || (a & 7) || a - atoll_g.base < atoll_g.size)
        return NULL;
    if (py->cap) {
        const struct pytype *t = find_slot(py, a);
        if (t->addr)
            return t;
    }
    uintptr_t *miss = &py->miss[slot_of(a, MISS_SLOTS)];
    if (*miss == a || !is_type(s, py, a, 0)) {
        *miss = a;
        return NULL;
    }
    uint64_t flags = word(a + TP_FLAGS), basic = word(a + TP_BASICSIZE);
    uintptr_t name = word(a + TP_NAME);
    size_t len = cpython_name_length(s, name);
    if (basic < 16 || basic > (1u << 24) || word(a + TP_ITEMSIZE) > (1u << 16) || !len) {
        *miss = a;
        return NULL;
    }
    struct pytype t = {
        .addr = a,
        .name = snap_add_string(s, (const char *)name, len),
        .kind = (uint8_t)kind_of(s, py, a),
        .gc = (flags & F_HAVE_GC) != 0,
        .preheader = py->version >= 0x030b && (flags & (F_MANAGED_DICT | F_MANAGED_WEAKREF)),
        .weaklistoffset = (int64_t)word(a + TP_WEAKLISTOFFSET),
        .dictoffset = (int64_t)word(a + TP_DICTOFFSET),
        .flags = flags,
        .basicsize = basic,
        .itemsize = word(a + TP_ITEMSIZE),
    };
    return insert(py, &t);
}

/* An instance's __dict__ is folded into it when it is exactly a dict and its count says that
 * the instance's is its only reference: then its entries are the instance's attributes, and
 * what it owns the instance owns. */
static void fold_dict(struct snap *s, const struct cpython *py, const struct snap_object *o,
                      uintptr_t dict)
{
    if (dict && !(dict & 7) && py_readable(s, dict, 16) && word(dict + 8) == py->dict_type &&
        word(dict) == 1)
        snap_fold(s, o->block, dict);
}

/* The word at a, or 0 for a == 0. */
static uintptr_t word_at(uintptr_t a)
{
    return a ? word(a) : 0;
}

uintptr_t cpython_dict_slot(const struct cpython *py, const struct pytype *ty, uintptr_t block,
                            uintptr_t obj, uint64_t avail)
{
    if (ty->preheader && (ty->flags & F_MANAGED_DICT))
        return py->version == 0x030c && (word(block + 8) & 1) ? 0 : block + 8;
    if (ty->dictoffset > 0 && (uint64_t)ty->dictoffset + 8 <= avail)
        return obj + (uintptr_t)ty->dictoffset;
    return 0;
}

static void skip_word(struct snap_object *o, int64_t byte)
{
    if (byte >= 0 && byte < 64 * 8)
        o->skip |= 1ull << (byte / 8);
}

/* A frame's references end at the top of its value stack: the slots above hold what it
 * popped (CPython's traverse stops there too). 3.11+: the _PyInterpreterFrame at iframe keeps
 * the count of its live locals and stack entries (stacktop), from its localsplus. */
static void stack_end(const struct cpython_offsets *f, struct snap_object *o, uintptr_t iframe,
                      uintptr_t obj, uint64_t avail)
{
    int32_t top = *(const int32_t *)(iframe + f->iframe_stacktop);
    uint64_t end = iframe + (uintptr_t)f->iframe_localsplus + 8 * (uint64_t)top - obj;
    if (top >= 0 && end <= avail)
        o->scan_bytes = o->offset + end;
}

/* A frame object: 3.11+ when it owns its _PyInterpreterFrame (once its function returned);
 * 3.8-3.10 its stack ends at f_stacktop (3.8, 3.9; NULL: at f_valuestack) or f_stackdepth
 * entries past f_valuestack (3.10), unless it is executing (its stack top is then in the
 * interpreter's registers: all of it is scanned), and f_gen is a borrowed pointer. */
static void frame_end(const struct cpython *py, struct snap_object *o, uintptr_t obj,
                      uint64_t avail)
{
    const struct cpython_offsets *f = py->off;
    if (f->frame_data >= 0) {
        if ((uint64_t)f->frame_data + (uint64_t)f->iframe_localsplus <= avail &&
            word(obj + f->frame_frame) == obj + f->frame_data)
            stack_end(f, o, obj + f->frame_data, obj, avail);
        return;
    }
    if ((uint64_t)f->frame_locals > avail)
        return;
    skip_word(o, o->offset + f->frame_gen);
    int8_t state = *(const int8_t *)(obj + f->frame_running);
    if (f->frame_depth >= 0 ? state == 0 : state != 0)
        return;
    uintptr_t top = word(obj + f->frame_valuestack);
    if (f->frame_top >= 0 && word(obj + f->frame_top))
        top = word(obj + f->frame_top);
    else if (f->frame_depth >= 0)
        top += 8 * (uint64_t)*(const int32_t *)(obj + f->frame_depth);
    if (top >= obj + f->frame_locals && top - obj <= avail)
        o->scan_bytes = o->offset + (top - obj);
}

/* What the object at obj (offset off in block t) owns, and its words that are no references. */
static void describe(struct snap *s, const struct cpython *py, const struct pytype *ty,
                     struct snap_object *o, uintptr_t block, uint64_t size)
{
    int64_t off = o->offset;
    uintptr_t obj = block + (uintptr_t)off;
    if (ty->gc) {
        skip_word(o, off - 16);
        skip_word(o, off - 8);
    }
    if (ty->weaklistoffset)
        skip_word(o, off + ty->weaklistoffset);
    uint64_t avail = size - (uint64_t)off;
    switch (ty->kind) {
    case K_LIST:
        if (avail >= 40 && word(obj + VAR_SIZE) < (1ull << 40))
            snap_claim(s, o->block, word(obj + VAR_ITEMS), word(obj + VAR_SIZE) * 8);
        break;
    case K_DICT:
        if (avail >= 48)
            snap_claim(s, o->block,
                       word(obj + DICT_VALUES) ? word(obj + DICT_VALUES) : word(obj + DICT_KEYS),
                       UINT64_MAX);
        break;
    case K_SET:
        if (avail >= 48 && word(obj + SET_TABLE) != obj + SET_SMALLTABLE)
            snap_claim(s, o->block, word(obj + SET_TABLE), UINT64_MAX);
        break;
    case K_WEAKREF:
        skip_word(o, off + WR_OBJECT);
        skip_word(o, off + WR_PREV);
        skip_word(o, off + WR_NEXT);
        break;
    case K_GEN:
        if (py->off->gen_frame >= 0)
            stack_end(py->off, o, obj + py->off->gen_frame, obj, avail);
        break;
    case K_FRAME:
        frame_end(py, o, obj, avail);
        break;
    default:
        break;
    }
    /* 3.11 keeps an instance's attribute values in the pre-header's first word; 3.12 in the
     * second, tagged with 1. */
    if (ty->preheader && py->version == 0x030b)
        snap_claim(s, o->block, word(block), UINT64_MAX);
    else if (ty->preheader && py->version == 0x030c && (word(block + 8) & 1))
        snap_claim(s, o->block, word(block + 8), UINT64_MAX);
    fold_dict(s, py, o, word_at(cpython_dict_slot(py, ty, block, obj, avail)));
}

/* A GC object is untracked (_gc_next 0, _gc_prev 0 or the finalized flag) or its successor's
 * _gc_prev (flags in the low two bits) leads back to it. */
static int gc_linked(const struct snap *s, uintptr_t head)
{
    uintptr_t next = word(head);
    if (!next)
        return word(head + 8) <= 1;
    return !(next & 7) && snap_readable(s, next, next + 16) &&
           (word(next + 8) & ~(uintptr_t)3) == head;
}

/* CPython asks malloc for exactly the object's size when the type has no items (str sizes its
 * characters apart; 3.13 adds an instance's inline values: a header, a word and an insertion
 * order byte per value, for as many values as the type's shared keys allowed when it was
 * allocated, one more than the capacity in the header while those keys still grow). Stale
 * words in a reused block rarely pass this and the links. */
static int sized(const struct cpython *py, const struct pytype *ty, uintptr_t obj, uint64_t off,
                 uint64_t size)
{
    if (size < off + ty->basicsize)
        return 0;
    if (py->version >= 0x030d && (ty->flags & F_INLINE_VALUES)) {
        if (size < off + ty->basicsize + 8)
            return 0;
        uint64_t cap = *(const uint8_t *)(obj + ty->basicsize);
        for (uint64_t n = cap; n <= cap + 1; n++)
            if (size == off + ty->basicsize + 8 + 8 * n + ((n + 7) & ~7ull))
                return 1;
        return 0;
    }
    return ty->itemsize || ty->kind == K_STR || size == off + ty->basicsize;
}

static int classify(struct snap *s, struct layout *l, uint32_t t, uintptr_t address,
                    uint64_t size)
{
    struct cpython *py = (struct cpython *)l;
    static const struct {
        uint16_t offset;
        uint8_t gc, preheader;
    } at[3] = { { 0, 0, 0 }, { 16, 1, 0 }, { 32, 1, 1 } };
    for (int i = 0; i < 3; i++) {
        uint16_t off = at[i].offset;
        if (size < off + 16u)
            return 0;
        const struct pytype *ty = cpython_type(s, py, word(address + off + 8));
        if (!ty || ty->gc != at[i].gc || ty->preheader != at[i].preheader ||
            !sized(py, ty, address + off, off, size) || (ty->gc && !gc_linked(s, address + off - 16)))
            continue;
        /* No count can exceed the words that could hold a reference. A non-GC object has no
         * links to vouch for it, and a C struct of two pointers, the second to a type, looks
         * like one (select's module state: a str, then its poll type); a count that is an
         * address of readable memory is such a pointer (a count of millions, on an object
         * that nothing references millions of times, was the report). */
        int64_t refcnt = (int64_t)word(address + off);
        if (refcnt < 0 || (uint64_t)refcnt > s->max_refs || refcnt >= MAX_REFCNT)
            return 0;
        if (!at[i].gc && refcnt >= 4096 && !(refcnt & 7) &&
            snap_readable(s, (uintptr_t)refcnt, (uintptr_t)refcnt + 8))
            continue;
        struct snap_object *o = snap_add_object(s, t, ATOLL_DUMP_RUNTIME_CPYTHON, off,
                                                (uint64_t)refcnt, ty->name);
        /* Count 0: a dead object on one of the interpreter's free lists (or the stale start
         * of a reused block, which an owner's claim corrects): its words only chain the list. */
        if (o && refcnt)
            describe(s, py, ty, o, address, size);
        return o != NULL;
    }
    return 0;
}

struct layout *cpython_layout(struct snap *s)
{
    static struct cpython py;
    uint32_t module;
    memset(&py, 0, sizeof py);
    cvec_init(&py.members, sizeof(struct pymember));
    py.type_type = snap_symbol(s, "PyType_Type", &module);
    if (!py.type_type)
        return NULL;
    static const char *const names[K_KINDS][3] = {
        [K_LIST] = { "PyList_Type" },
        [K_DICT] = { "PyDict_Type" },
        [K_SET] = { "PySet_Type", "PyFrozenSet_Type" },
        [K_WEAKREF] = { "_PyWeakref_RefType", "_PyWeakref_ProxyType",
                        "_PyWeakref_CallableProxyType" },
        [K_STR] = { "PyUnicode_Type" },
        [K_TUPLE] = { "PyTuple_Type" },
        [K_LONG] = { "PyLong_Type" },
        [K_FUNCTION] = { "PyFunction_Type" },
        [K_CELL] = { "PyCell_Type" },
        [K_GEN] = { "PyGen_Type", "PyCoro_Type", "PyAsyncGen_Type" },
        [K_FRAME] = { "PyFrame_Type" },
        [K_CODE] = { "PyCode_Type" },
    };
    for (int k = 0; k < K_KINDS; k++)
        for (int i = 0; i < 3; i++)
            if (names[k][i])
                py.known[k][i] = snap_module_symbol(s, module, names[k][i]);
    py.dict_type = py.known[K_DICT][0];
    py.none = snap_module_symbol(s, module, "_Py_NoneStruct");
    py.true_ = snap_module_symbol(s, module, "_Py_TrueStruct");
    py.false_ = snap_module_symbol(s, module, "_Py_FalseStruct");
    /* Py_Version came with 3.11; before, the newest API function exported tells (interp.c). */
    uintptr_t version = snap_module_symbol(s, module, "Py_Version");
    if (version && snap_readable(s, version, version + 8))
        py.version = (unsigned)(word(version) >> 16) & 0xffff;
    else
        py.version = snap_module_symbol(s, module, "Py_Is")             ? 0x030a
                     : snap_module_symbol(s, module, "PyFrame_GetCode") ? 0x0309
                                                                        : 0x0308;
    py.off = cpython_offsets(py.version);
    if (!py.off)
        return NULL;
    py.l.classify = classify;
    py.l.label = cpython_label;
    py.l.runtime = ATOLL_DUMP_RUNTIME_CPYTHON;
    return &py.l;
}
