/* The few functions of CPython's C API that atoll calls, found with dlsym (no Python headers:
 * objects are opaque). They are called only where Python calls atoll with the GIL held (the
 * audit hook, atexit's and gc.callbacks' entries), never from the allocator. */
#ifndef ATOLL_CPYTHON_CAPI_H
#define ATOLL_CPYTHON_CAPI_H

#include <stdint.h>

typedef struct py_object py_object;
typedef py_object *(*c_function_fn)(py_object *self, py_object *args);

/* PyMethodDef, the same in every version. */
struct py_method_def {
    const char *name;
    c_function_fn meth;
    int flags;
    const char *doc;
};
#define METH_VARARGS 0x0001
#define METH_NOARGS 0x0004

struct py_capi {
    py_object *(*import_module)(const char *name);
    py_object *(*get_attr)(py_object *o, const char *name);
    py_object *(*c_function_new)(struct py_method_def *def, py_object *self, py_object *module);
    py_object *(*call)(py_object *callable, ...);           /* PyObject_CallFunctionObjArgs */
    py_object *(*call_method)(py_object *o, const char *name, const char *format, ...);
    int (*parse_tuple)(py_object *args, const char *format, ...);
    py_object *(*dict_get)(py_object *dict, const char *key);       /* borrowed */
    long long (*as_long_long)(py_object *o);
    void (*decref)(py_object *o);
    void (*incref)(py_object *o);
    void (*err_clear)(void);
    py_object *none;
};

extern struct py_capi py;

/* Resolves py once; 0 when every function was found. */
int cpython_capi_resolve(void);
/* Py_None, a new reference: what a C function returns for nothing. */
py_object *cpython_none(void);
/* Drops the references in refs that are not NULL. */
void cpython_decref_all(py_object *const *refs, unsigned n);

#endif
