/* The layout facts the snapshot reads that every CPython 3.8 to 3.13 shares (from the version
 * that brought them): type fields and flags, a variable-size object's items, a dict's, a
 * set's, a weak reference's and a cell's fields, a PyMemberDef. CPYTHON_FIXED lists each with
 * that version, for tests/cpython to check against every version's headers as it checks
 * offsets.h's tables. */
#ifndef ATOLL_CPYTHON_FIXED_H
#define ATOLL_CPYTHON_FIXED_H

#define TP_NAME 24
#define TP_BASICSIZE 32
#define TP_ITEMSIZE 40
#define TP_FLAGS 168
#define TP_WEAKLISTOFFSET 208
#define TP_MEMBERS 240
#define TP_BASE 256
#define TP_DICTOFFSET 288
#define TP_END (TP_DICTOFFSET + 8)      /* through tp_dictoffset: fields read from a type */

#define F_INLINE_VALUES (1ul << 2)      /* 3.13 */
#define F_MANAGED_WEAKREF (1ul << 3)    /* 3.12 */
#define F_MANAGED_DICT (1ul << 4)       /* 3.11 */
#define F_HEAPTYPE (1ul << 9)
#define F_HAVE_GC (1ul << 14)
#define F_TYPE_SUBCLASS (1ul << 31)

#define VAR_SIZE 16                     /* ob_size of a variable-size object (list, tuple) */
#define VAR_ITEMS 24                    /* a tuple's items, a list's ob_item, an int's digits */

#define DICT_KEYS 32                    /* ma_keys */
#define DICT_VALUES 40                  /* ma_values */
#define SET_TABLE 40
#define SET_SMALLTABLE 64
#define WR_OBJECT 16                    /* a weak reference's referent and list links */
#define WR_PREV 40
#define WR_NEXT 48
#define CELL_REF 16                     /* a cell's contents */

#define T_OBJECT 6                      /* a PyMemberDef's types that hold a reference */
#define T_OBJECT_EX 16
#define MEMBER_TYPE 8                   /* PyMemberDef: name, type, offset, flags, doc */
#define MEMBER_OFFSET 16
#define MEMBER_SIZE 40

#define CPYTHON_FIXED(X)                                                                       \
    X(TP_NAME, 0x0308) X(TP_BASICSIZE, 0x0308) X(TP_ITEMSIZE, 0x0308) X(TP_FLAGS, 0x0308)      \
    X(TP_WEAKLISTOFFSET, 0x0308) X(TP_MEMBERS, 0x0308) X(TP_BASE, 0x0308)                      \
    X(TP_DICTOFFSET, 0x0308) X(F_INLINE_VALUES, 0x030d) X(F_MANAGED_WEAKREF, 0x030c)           \
    X(F_MANAGED_DICT, 0x030b) X(F_HEAPTYPE, 0x0308) X(F_HAVE_GC, 0x0308)                       \
    X(F_TYPE_SUBCLASS, 0x0308) X(VAR_SIZE, 0x0308) X(VAR_ITEMS, 0x0308) X(DICT_KEYS, 0x0308)   \
    X(DICT_VALUES, 0x0308) X(SET_TABLE, 0x0308) X(SET_SMALLTABLE, 0x0308) X(WR_OBJECT, 0x0308) \
    X(WR_PREV, 0x0308) X(WR_NEXT, 0x0308) X(CELL_REF, 0x0308) X(T_OBJECT, 0x0308)              \
    X(T_OBJECT_EX, 0x0308) X(MEMBER_TYPE, 0x0308) X(MEMBER_OFFSET, 0x0308)                     \
    X(MEMBER_SIZE, 0x0308)

#endif
