/* Prints, from one CPython version's own headers (compiled with -DPy_BUILD_CORE against
 * include/python3.X and its internal/), every layout fact the version's table (offsets.h) and
 * fixed.h hold, one "name value" a line: run.py compares them with offsets_table's. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_runtime.h>
#else
#include <internal/pycore_pystate.h>
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_frame.h>
#endif
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_interp.h>
#endif
#if PY_VERSION_HEX >= 0x030d0000
#include <internal/pycore_freelist.h>
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_dict.h>
#else
/* Objects/dict-common.h, which is not installed: PyDictKeysObject as 3.8 to 3.10 declare it. */
struct keys_3_8 {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    void *dk_lookup;
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
};
#endif
#if PY_VERSION_HEX >= 0x030d0000
#include <internal/pycore_genobject.h>
#endif
#include <structmember.h>

#define SHOW(name, value) printf("%s %ld\n", name, (long)(value))

/* The bit where a bitfield of a struct starts, found by setting it alone. */
#define FIELD_BIT(name, type, member, field)                                                   \
    do {                                                                                       \
        type s;                                                                                \
        unsigned word;                                                                         \
        memset(&s, 0, sizeof s);                                                               \
        s.member.field = 1;                                                                    \
        memcpy(&word, (char *)&s + offsetof(type, member), sizeof word);                       \
        SHOW(name, __builtin_ctz(word));                                                       \
    } while (0)

/* The free lists, from 3.10 in the interpreter state (3.13: its object_state.freelists). */
#if PY_VERSION_HEX >= 0x030d0000
#define FREELIST(name) object_state.freelists.name
#define LIST_ITEMS lists.items
#define LIST_COUNT lists.numfree
#define DICT_ITEMS dicts.items
#define DICT_COUNT dicts.numfree
#define KEYS_ITEMS dictkeys.items
#define KEYS_COUNT dictkeys.numfree
#define TUPLE_HEADS tuples.items
#define TUPLE_COUNTS tuples.numfree
#else
#define FREELIST(name) name
#define LIST_ITEMS list.free_list
#define LIST_COUNT list.numfree
#define DICT_ITEMS dict_state.free_list
#define DICT_COUNT dict_state.numfree
#define KEYS_ITEMS dict_state.keys_free_list
#define KEYS_COUNT dict_state.keys_numfree
#define TUPLE_HEADS tuple.free_list
#define TUPLE_COUNTS tuple.numfree
#endif

/* The bit where a state bitfield of str starts. */
#define STATE_BIT(field) FIELD_BIT("str_" #field "_bit", PyASCIIObject, state, field)

int main(void)
{
#if PY_VERSION_HEX >= 0x030c0000
    SHOW("runtime_tss", offsetof(_PyRuntimeState, autoTSSkey));
#else
    SHOW("runtime_tss", offsetof(_PyRuntimeState, gilstate.autoTSSkey));
#endif
    SHOW("tss_initialized", offsetof(Py_tss_t, _is_initialized));
    SHOW("tss_key", offsetof(Py_tss_t, _key));
    SHOW("ts_thread_id", offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030d0000
    SHOW("ts_frame", offsetof(PyThreadState, current_frame));
#elif PY_VERSION_HEX >= 0x030b0000
    SHOW("ts_frame", offsetof(PyThreadState, cframe));
    SHOW("cframe_current", offsetof(_PyCFrame, current_frame));
#else
    SHOW("ts_frame", offsetof(PyThreadState, frame));
#endif
#if PY_VERSION_HEX >= 0x030b0000
    SHOW("fr_previous", offsetof(_PyInterpreterFrame, previous));
    SHOW("fr_owner", offsetof(_PyInterpreterFrame, owner));
    SHOW("owned_by_generator", FRAME_OWNED_BY_GENERATOR);
#if PY_VERSION_HEX >= 0x030d0000
    SHOW("fr_code", offsetof(_PyInterpreterFrame, f_executable));
    SHOW("fr_instr", offsetof(_PyInterpreterFrame, instr_ptr));
#else
    SHOW("fr_code", offsetof(_PyInterpreterFrame, f_code));
    SHOW("fr_instr", offsetof(_PyInterpreterFrame, prev_instr));
#endif
#if PY_VERSION_HEX >= 0x030c0000
    SHOW("owned_by_cstack", FRAME_OWNED_BY_CSTACK);
#endif
    SHOW("co_qualname", offsetof(PyCodeObject, co_qualname));
    SHOW("co_linetable", offsetof(PyCodeObject, co_linetable));
    SHOW("co_code", offsetof(PyCodeObject, co_code_adaptive));
    SHOW("co_firsttraceable", offsetof(PyCodeObject, _co_firsttraceable));
    SHOW("code_basicsize", offsetof(PyCodeObject, co_code_adaptive));
#else
    SHOW("fr_previous", offsetof(PyFrameObject, f_back));
    SHOW("fr_code", offsetof(PyFrameObject, f_code));
    SHOW("fr_instr", offsetof(PyFrameObject, f_lasti));
    SHOW("co_qualname", offsetof(PyCodeObject, co_name));
#if PY_VERSION_HEX >= 0x030a0000
    SHOW("co_linetable", offsetof(PyCodeObject, co_linetable));
#else
    SHOW("co_linetable", offsetof(PyCodeObject, co_lnotab));
#endif
    SHOW("code_basicsize", sizeof(PyCodeObject));
#endif
    SHOW("co_firstlineno", offsetof(PyCodeObject, co_firstlineno));
    SHOW("co_filename", offsetof(PyCodeObject, co_filename));
    SHOW("ob_type", offsetof(PyObject, ob_type));
    SHOW("ob_size", offsetof(PyVarObject, ob_size));
    SHOW("tp_basicsize", offsetof(PyTypeObject, tp_basicsize));
    SHOW("tp_flags", offsetof(PyTypeObject, tp_flags));
    SHOW("flag_str", Py_TPFLAGS_UNICODE_SUBCLASS);
    SHOW("flag_bytes", Py_TPFLAGS_BYTES_SUBCLASS);
    SHOW("str_length", offsetof(PyASCIIObject, length));
    SHOW("str_state", offsetof(PyASCIIObject, state));
    SHOW("str_ascii_size", sizeof(PyASCIIObject));
    SHOW("str_compact_size", sizeof(PyCompactUnicodeObject));
    SHOW("str_data", offsetof(PyUnicodeObject, data));
    STATE_BIT(kind);
    STATE_BIT(compact);
    STATE_BIT(ascii);
#if PY_VERSION_HEX < 0x030c0000
    STATE_BIT(ready);
#endif
    SHOW("bytes_data", offsetof(PyBytesObject, ob_sval));

    SHOW("rt_main", offsetof(_PyRuntimeState, interpreters.main));
#if PY_VERSION_HEX >= 0x03090000
    SHOW("rt_finalizing", offsetof(_PyRuntimeState, _finalizing));
#else
    SHOW("rt_finalizing", offsetof(_PyRuntimeState, finalizing));
#endif
    SHOW("ts_interp", offsetof(PyThreadState, interp));
#if PY_VERSION_HEX >= 0x030d0000
    SHOW("ts_status", offsetof(PyThreadState, _status));
    FIELD_BIT("ts_gil_bit", PyThreadState, _status, holds_gil);
#elif PY_VERSION_HEX >= 0x030c0000
    SHOW("ts_status", offsetof(PyThreadState, _status));
    FIELD_BIT("ts_gil_bit", PyThreadState, _status, active);
#else
    SHOW("rt_tstate_current", offsetof(_PyRuntimeState, gilstate.tstate_current));
#endif
#if PY_VERSION_HEX >= 0x03090000
    SHOW("in_gc", offsetof(PyInterpreterState, gc));
#else
    SHOW("rt_gc", offsetof(_PyRuntimeState, gc));
#endif
    SHOW("gc_count", offsetof(struct _gc_runtime_state, generations[0].count));
    SHOW("gc_collecting", offsetof(struct _gc_runtime_state, collecting));
    SHOW("gc_head_size", sizeof(PyGC_Head));
    SHOW("tuple_items", offsetof(PyTupleObject, ob_item));
#if PY_VERSION_HEX >= 0x030b0000
    SHOW("in_threads", offsetof(PyInterpreterState, threads.head));
    SHOW("ts_next", offsetof(PyThreadState, next));
    SHOW("ts_datastack_top", offsetof(PyThreadState, datastack_top));
    SHOW("ts_datastack_limit", offsetof(PyThreadState, datastack_limit));
#endif
#if PY_VERSION_HEX >= 0x030a0000
    SHOW("in_list_items", offsetof(PyInterpreterState, FREELIST(LIST_ITEMS)));
    SHOW("in_list_count", offsetof(PyInterpreterState, FREELIST(LIST_COUNT)));
    SHOW("list_max", PyList_MAXFREELIST);
    SHOW("in_dict_items", offsetof(PyInterpreterState, FREELIST(DICT_ITEMS)));
    SHOW("in_dict_count", offsetof(PyInterpreterState, FREELIST(DICT_COUNT)));
    SHOW("in_keys_items", offsetof(PyInterpreterState, FREELIST(KEYS_ITEMS)));
    SHOW("in_keys_count", offsetof(PyInterpreterState, FREELIST(KEYS_COUNT)));
    SHOW("dict_max", PyDict_MAXFREELIST);
    SHOW("in_tuple_heads", offsetof(PyInterpreterState, FREELIST(TUPLE_HEADS)));
    SHOW("in_tuple_counts", offsetof(PyInterpreterState, FREELIST(TUPLE_COUNTS)));
    SHOW("tuple_max", PyTuple_MAXFREELIST);
#if PY_VERSION_HEX >= 0x030b0000
    /* One list a size from 1 (the empty tuple is a static singleton). */
    SHOW("tuple_lists", PyTuple_NFREELISTS);
    SHOW("tuple_first", 0);
#else
    /* Entry 0 is the empty tuple, entries 1 to PyTuple_MAXSAVESIZE - 1 the free lists. */
    SHOW("tuple_lists", PyTuple_MAXSAVESIZE);
    SHOW("tuple_first", 1);
#endif
#endif

    SHOW("func_globals", offsetof(PyFunctionObject, func_globals));
    SHOW("func_defaults", offsetof(PyFunctionObject, func_defaults));
    SHOW("func_kwdefaults", offsetof(PyFunctionObject, func_kwdefaults));
    SHOW("func_closure", offsetof(PyFunctionObject, func_closure));
#if PY_VERSION_HEX >= 0x030b0000
    SHOW("keys_header", offsetof(PyDictKeysObject, dk_indices));
    SHOW("values_header", offsetof(PyDictValues, values));
    SHOW("co_localnames", offsetof(PyCodeObject, co_localsplusnames));
    SHOW("co_nlocalsplus", offsetof(PyCodeObject, co_nlocalsplus));
    SHOW("frame_data", offsetof(PyFrameObject, _f_frame_data));
    SHOW("frame_frame", offsetof(PyFrameObject, f_frame));
    SHOW("iframe_stacktop", offsetof(_PyInterpreterFrame, stacktop));
    SHOW("iframe_localsplus", offsetof(_PyInterpreterFrame, localsplus));
    SHOW("gen_frame", offsetof(PyGenObject, gi_iframe));
#else
    SHOW("keys_header", offsetof(struct keys_3_8, dk_indices));
    /* ma_values is a bare array of values: no PyDictValues. */
    _Static_assert(__builtin_types_compatible_p(__typeof__(((PyDictObject *)0)->ma_values),
                                                PyObject **), "ma_values");
    SHOW("co_localnames", offsetof(PyCodeObject, co_varnames));
    SHOW("frame_locals", offsetof(PyFrameObject, f_localsplus));
    SHOW("frame_gen", offsetof(PyFrameObject, f_gen));
    SHOW("frame_valuestack", offsetof(PyFrameObject, f_valuestack));
    SHOW("co_cellvars", offsetof(PyCodeObject, co_cellvars));
    SHOW("co_freevars", offsetof(PyCodeObject, co_freevars));
#if PY_VERSION_HEX >= 0x030a0000
    SHOW("frame_depth", offsetof(PyFrameObject, f_stackdepth));
    SHOW("frame_running", offsetof(PyFrameObject, f_state));
#else
    SHOW("frame_top", offsetof(PyFrameObject, f_stacktop));
    SHOW("frame_running", offsetof(PyFrameObject, f_executing));
#endif
#endif
    SHOW("ht_cached_keys", offsetof(PyHeapTypeObject, ht_cached_keys));
    SHOW("co_nlocals", offsetof(PyCodeObject, co_nlocals));

    /* Those of pyobj.h, the same in every version that has them (fixed.h). */
    SHOW("TP_NAME", offsetof(PyTypeObject, tp_name));
    SHOW("TP_BASICSIZE", offsetof(PyTypeObject, tp_basicsize));
    SHOW("TP_ITEMSIZE", offsetof(PyTypeObject, tp_itemsize));
    SHOW("TP_FLAGS", offsetof(PyTypeObject, tp_flags));
    SHOW("TP_WEAKLISTOFFSET", offsetof(PyTypeObject, tp_weaklistoffset));
    SHOW("TP_MEMBERS", offsetof(PyTypeObject, tp_members));
    SHOW("TP_BASE", offsetof(PyTypeObject, tp_base));
    SHOW("TP_DICTOFFSET", offsetof(PyTypeObject, tp_dictoffset));
#if PY_VERSION_HEX >= 0x030d0000
    SHOW("F_INLINE_VALUES", Py_TPFLAGS_INLINE_VALUES);
#endif
#if PY_VERSION_HEX >= 0x030c0000
    SHOW("F_MANAGED_WEAKREF", Py_TPFLAGS_MANAGED_WEAKREF);
#endif
#if PY_VERSION_HEX >= 0x030b0000
    SHOW("F_MANAGED_DICT", Py_TPFLAGS_MANAGED_DICT);
#endif
    SHOW("F_HEAPTYPE", Py_TPFLAGS_HEAPTYPE);
    SHOW("F_HAVE_GC", Py_TPFLAGS_HAVE_GC);
    SHOW("F_TYPE_SUBCLASS", Py_TPFLAGS_TYPE_SUBCLASS);
    SHOW("VAR_SIZE", offsetof(PyVarObject, ob_size));
    SHOW("DICT_KEYS", offsetof(PyDictObject, ma_keys));
    SHOW("DICT_VALUES", offsetof(PyDictObject, ma_values));
    SHOW("SET_TABLE", offsetof(PySetObject, table));
    SHOW("SET_SMALLTABLE", offsetof(PySetObject, smalltable));
    SHOW("WR_OBJECT", offsetof(PyWeakReference, wr_object));
    SHOW("WR_PREV", offsetof(PyWeakReference, wr_prev));
    SHOW("WR_NEXT", offsetof(PyWeakReference, wr_next));
    SHOW("CELL_REF", offsetof(PyCellObject, ob_ref));
#if PY_VERSION_HEX >= 0x030c0000
    size_t digits = offsetof(PyLongObject, long_value.ob_digit);
#else
    size_t digits = offsetof(PyLongObject, ob_digit);
#endif
    /* One value for a tuple's items, a list's ob_item and an int's digits, or none. */
    size_t items = offsetof(PyTupleObject, ob_item);
    SHOW("VAR_ITEMS", items == offsetof(PyListObject, ob_item) && items == digits ? (long)items
                                                                                   : -1);
    SHOW("T_OBJECT", T_OBJECT);
    SHOW("T_OBJECT_EX", T_OBJECT_EX);
    SHOW("MEMBER_TYPE", offsetof(PyMemberDef, type));
    SHOW("MEMBER_OFFSET", offsetof(PyMemberDef, offset));
    SHOW("MEMBER_SIZE", sizeof(PyMemberDef));
    return 0;
}
