/* CPython objects as the snapshot reads them: what objects.c (which blocks are objects) and
 * labels.c (how their references are spelled) share. The offsets were taken from each
 * version's headers (offsetof, with Py_BUILD_CORE for the internal structures); where they
 * move between versions they are in struct pyoffsets, filled for the version found. */
#ifndef ATOLL_CPYTHON_PYOBJ_H
#define ATOLL_CPYTHON_PYOBJ_H

#include "layouts.h"

#define TP_NAME 24
#define TP_BASICSIZE 32
#define TP_ITEMSIZE 40
#define TP_FLAGS 168
#define TP_WEAKLISTOFFSET 208
#define TP_MEMBERS 240
#define TP_BASE 256
#define TP_DICTOFFSET 288
#define TP_END 296                      /* through tp_dictoffset: fields read from a type */

#define F_INLINE_VALUES (1ul << 2)      /* 3.13 */
#define F_MANAGED_WEAKREF (1ul << 3)
#define F_MANAGED_DICT (1ul << 4)
#define F_HEAPTYPE (1ul << 9)
#define F_HAVE_GC (1ul << 14)
#define F_TYPE_SUBCLASS (1ul << 31)

#define MAX_REFCNT (1ll << 30)          /* above: immortal (3.12+) or no object */

#define VAR_SIZE 16                     /* ob_size of a variable-size object (list, tuple) */
#define VAR_ITEMS 24                    /* a tuple's items, a list's ob_item, an int's digits */

enum kind {
    K_OTHER, K_LIST, K_DICT, K_SET, K_WEAKREF, K_STR, K_TUPLE, K_LONG, K_FUNCTION, K_CELL,
    K_GEN, K_FRAME, K_CODE, K_KINDS
};

struct pytype {
    uintptr_t addr;                     /* 0: a free slot */
    uint32_t name;
    uint8_t kind, gc, preheader;
    int64_t weaklistoffset, dictoffset;
    uint64_t flags;
    uint64_t basicsize;
    uint64_t itemsize;                  /* 0: a fixed size (str excepted: its size varies) */
};

/* What moves between versions (0 where the version has no such field). */
struct pyoffsets {
    uint16_t func_globals, func_defaults, func_kwdefaults, func_closure, func_dict;
    uint16_t str_ascii, str_compact;    /* where a compact str's characters start */
    uint16_t keys_header;               /* a dict keys object's indices */
    uint16_t ht_cached_keys;            /* 3.11+: an instance's shared keys */
    uint16_t values_header;             /* 3.13: a PyDictValues' values */
    uint16_t co_nlocals, co_names;      /* 3.8-3.10: co_varnames (cellvars, freevars follow) */
    uint16_t co_nlocalsplus;            /* 3.11+: with co_names = co_localsplusnames */
    uint16_t frame_locals;              /* 3.8-3.10: f_localsplus */
    uint16_t frame_gen;                 /* 3.8-3.10: f_gen, a borrowed pointer */
    uint16_t frame_top;                 /* 3.8, 3.9: f_stacktop (NULL: no stack) */
    uint16_t frame_depth;               /* 3.10: f_stackdepth (int) */
    uint16_t frame_running;             /* 3.8, 3.9: f_executing; 3.10: f_state (0: executing) */
    uint16_t frame_data;                /* 3.11+: a frame object's own _PyInterpreterFrame */
    uint16_t gen_frame;                 /* 3.11+: gi_iframe */
    uint16_t iframe_code;               /* 3.11+: f_code (f_executable in 3.13) */
};

#define MISS_SLOTS 4096

/* A type's references by name (its and its bases' tp_members of object type: __slots__). */
struct pymember {
    uint64_t offset;                    /* from the object's start */
    uintptr_t name;                     /* the PyMemberDef's name, in the process */
    size_t len;
};

struct pymembers {
    uintptr_t type;                     /* 0: a free slot */
    uint32_t first, count;              /* in cpython.members */
};

struct cpython {
    struct layout l;
    uintptr_t type_type;
    uintptr_t known[K_KINDS][3];        /* the built-in types of each kind */
    uintptr_t dict_type;                /* exactly dict: an instance's __dict__ */
    uintptr_t none, true_, false_;
    unsigned version;                   /* 0x030b for 3.11; 0x0308 for 3.8 and 3.9 alike */
    struct pyoffsets off;
    struct pytype *types;
    size_t cap, used;
    uintptr_t miss[MISS_SLOTS];         /* words recently found not to be types */
    struct cvec members;                /* struct pymember, per type in member_types (labels.c) */
    struct pymembers *member_types;
    size_t member_cap, member_used;
};

/* The type at a, or NULL when a is not one (objects.c). */
const struct pytype *cpython_type(struct snap *s, struct cpython *py, uintptr_t a);
/* The length of the NUL-terminated name at name, of at most 255 printable characters, all
 * readable; 0 when it is none (objects.c). */
size_t cpython_name_length(const struct snap *s, uintptr_t name);
/* Where the object at obj (of type ty, in its block, avail bytes from obj to the block's end)
 * keeps its __dict__ pointer, or 0 (objects.c). */
uintptr_t cpython_dict_slot(const struct cpython *py, const struct pytype *ty, uintptr_t block,
                            uintptr_t obj, uint64_t avail);
/* repr.c: the str at a in UTF-8, or a dict key's repr ('k', 3, (1, 'a'), <T object>), as
 * many bytes as fit in cap; the length (0 when a is no str, for the former). */
size_t cpython_str_text(struct snap *s, struct cpython *py, uintptr_t a, char *buf, size_t cap);
size_t cpython_key_repr(struct snap *s, struct cpython *py, uintptr_t a, char *buf, size_t cap);
/* The offsets of a version (labeloffsets.c). */
struct pyoffsets cpython_label_offsets(unsigned version);

/* The label pass of the layout (labels.c): the labels of the words of block t, which object
 * `owner` (t itself, or the object that owns t) holds. */
void cpython_label(struct snap *s, struct layout *l, uint32_t t, uint32_t owner);

/* Whether [a, a + n) is inside the snapshot's readable memory. */
static inline int py_readable(const struct snap *s, uintptr_t a, size_t n)
{
    return a && snap_readable(s, a, a + n);
}

#endif
