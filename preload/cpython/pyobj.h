/* CPython objects as the snapshot reads them: what objects.c (which blocks are objects) and
 * labels.c (how their references are spelled) share. The offsets are checked against each
 * version's headers (tests/cpython): fixed.h has those every version shares, offsets.h's
 * tables (interp.c) those that move between versions. */
#ifndef ATOLL_CPYTHON_PYOBJ_H
#define ATOLL_CPYTHON_PYOBJ_H

#include "fixed.h"
#include "layouts.h"
#include "offsets.h"

#define MAX_REFCNT (1ll << 30)          /* above: immortal (3.12+) or no object */

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
    unsigned version;                   /* 0x030b for 3.11 */
    const struct cpython_offsets *off; /* the version's table (offsets.h) */
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

/* The label pass of the layout (labels.c): the labels of the words of block t, which object
 * `owner` (t itself, or the object that owns t) holds. */
void cpython_label(struct snap *s, struct layout *l, uint32_t t, uint32_t owner);

/* Whether [a, a + n) is inside the snapshot's readable memory. */
static inline int py_readable(const struct snap *s, uintptr_t a, size_t n)
{
    return a && snap_readable(s, a, a + n);
}

#endif
