/* Prints, from one CPython version's own headers (compiled with -DPy_BUILD_CORE against
 * include/python3.X and its internal/), every layout fact the frame reader's table for that
 * version holds, one "name value" a line: offsets.sh compares them with the table. */
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

#define SHOW(name, value) printf("%s %ld\n", name, (long)(value))

/* The bit where a state bitfield of str starts, found by setting it alone. */
#define STATE_BIT(field)                                                                       \
    do {                                                                                       \
        PyASCIIObject s;                                                                       \
        unsigned word;                                                                         \
        memset(&s, 0, sizeof s);                                                               \
        s.state.field = 1;                                                                     \
        memcpy(&word, (char *)&s + offsetof(PyASCIIObject, state), sizeof word);               \
        SHOW("str_" #field "_bit", __builtin_ctz(word));                                       \
    } while (0)

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
    return 0;
}
