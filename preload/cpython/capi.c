/* CPython's C API as atoll finds it in the process (capi.h): resolved once, from the first
 * place Python calls atoll with the GIL held. */
#include "cpython/capi.h"
#include "cpython/offsets.h"

#include <stddef.h>

struct py_capi py;

static int resolved;    /* 1: found, -1: some function is missing */

#define FIND(field, name) ((py.field = (__typeof__(py.field))cpython_symbol(name)) != NULL)

int cpython_capi_resolve(void)
{
    if (!resolved) {
        int ok = FIND(import_module, "PyImport_ImportModule") &&
                 FIND(get_attr, "PyObject_GetAttrString") &&
                 FIND(c_function_new, "PyCFunction_NewEx") &&
                 FIND(call, "PyObject_CallFunctionObjArgs") &&
                 FIND(call_method, "PyObject_CallMethod") &&
                 FIND(parse_tuple, "PyArg_ParseTuple") &&
                 FIND(dict_get, "PyDict_GetItemString") &&
                 FIND(as_long_long, "PyLong_AsLongLong") &&
                 FIND(decref, "Py_DecRef") && FIND(incref, "Py_IncRef") &&
                 FIND(err_clear, "PyErr_Clear") && FIND(none, "_Py_NoneStruct");
        resolved = ok ? 1 : -1;
    }
    return resolved == 1 ? 0 : -1;
}

py_object *cpython_none(void)
{
    py.incref(py.none);
    return py.none;
}

void cpython_decref_all(py_object *const *refs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (refs[i])
            py.decref(refs[i]);
}
