/* A Python program's exit collection, run where its atexit callbacks run: after the main
 * program and its non-daemon threads have finished, before the interpreter's finalization,
 * whose gc.collect() would free every cycle before the library destructor could look.
 *
 * The way in is an audit hook (PEP 578): PySys_AddAuditHook is documented as callable before
 * Py_Initialize, and the runtime keeps the hooks added then across its initialization (3.8 to
 * 3.13), so the library constructor adds one with nothing to change in the program. Modules/
 * main.c raises a "cpython.run_*" event (file, module, command, stdin, startup, interactive
 * hook) just before it runs the main program, whatever the options (-I, -S, -E); there the hook
 * registers a C function with atexit.register (when the exit collection is on), applies
 * ATOLL_PYTHON_GC and adds the collector's telemetry (pygc.h). atexit calls its callbacks last
 * registered first, so the program's own, registered later, run before the collection; those
 * that site, sitecustomize or a .pth file registered run after it. An embedder's Py_Initialize and PyRun_*
 * raise no such event: a process that embeds Python keeps the destructor's collection.
 *
 * Then the hook takes its entry out of the runtime's list (the word of _PyRuntime that points
 * to it: the hooks added before initialization are its head): Python stops building each
 * event's arguments for a hook that would ignore them, and finalization no longer frees the
 * entry with PyMem_RawFree, which under the allocators' debug hooks (-X dev, PYTHONMALLOC=debug,
 * a debug build) aborts on a block malloc'd before initialization. The callback frees it. The
 * other event that takes the entry out is the one before finalization frees the hooks, for a
 * process that ran no main program.
 *
 * The C API is found with dlsym (capi.c) and called only from the hook and the callback, which
 * Python calls with the GIL held; never from the allocator. */
#include "internal.h"
#include "collect.h"
#include "cpython/capi.h"
#include "cpython/offsets.h"
#include "cpython/pygc.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

typedef int (*audit_hook_fn)(const char *event, py_object *args, void *data);

/* _Py_AuditHookEntry, the same from 3.8 to 3.13. */
struct hook_entry {
    struct hook_entry *next;
    audit_hook_fn hook;
    void *data;
};

static struct {
    struct hook_entry **runtime;       /* _PyRuntime, scanned for the list's head */
    size_t runtime_words;
    int exit_collection;               /* register the exit collection with atexit */
} hk;

static int audit_hook(const char *event, py_object *args, void *data);
static char hook_marker;                /* the hook's data: tells its entry from any other */
static int hook_done;
static struct hook_entry *unlinked;     /* taken out of the list, freed by the callback */

static py_object *exit_collection(py_object *self, py_object *unused)
{
    (void)self, (void)unused;
    if (unlinked) {
        free(unlinked);
        unlinked = NULL;
    }
    atoll_collect_at_exit();
    return cpython_none();
}

static struct py_method_def exit_def = {
    "atoll_exit_collection", exit_collection, METH_NOARGS,
    "atoll's collection at exit (libatoll.so is preloaded)",
};

static int resolve(void)
{
    void *runtime = dlsym(RTLD_DEFAULT, "_PyRuntime");
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!runtime || !dladdr1(runtime, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
        return -1;
    hk.runtime = runtime;
    hk.runtime_words = sym->st_size / sizeof(void *);
    return cpython_capi_resolve();
}

/* atexit.register(exit_collection). A failure leaves it to the destructor. */
static void register_callback(void)
{
    py_object *atexit = py.import_module("atexit");
    py_object *reg = atexit ? py.get_attr(atexit, "register") : NULL;
    py_object *fn = reg ? py.c_function_new(&exit_def, NULL, NULL) : NULL;
    py_object *r = fn ? py.call(reg, fn, NULL) : NULL;
    if (!r)
        py.err_clear();
    py_object *refs[] = { r, fn, reg, atexit };
    cpython_decref_all(refs, 4);
}

/* Whether e is our entry: a live block of ours that holds this hook and its marker. */
static int is_our_entry(const struct hook_entry *e)
{
    struct atoll_pool *p = atoll_pool_of(e);
    return p && atoll_block_check(p, e) == ATOLL_BLOCK_OK &&
           __atomic_load_n(&p->bsize, __ATOMIC_RELAXED) >= sizeof *e &&
           e->hook == audit_hook && e->data == &hook_marker;
}

/* Takes our entry out of the runtime's list: the constructor added the first hook, so the word
 * of _PyRuntime that points to it is the list's head. Python reads the entry's next after the
 * hook returns, so it is freed later, and never reported meanwhile. An entry that is no block
 * of atoll's pools (ATOLL_SMALL_MAX below its 24 bytes) is not found, and stays. */
static void unlink_entry(void)
{
    for (size_t i = 0; i < hk.runtime_words; i++) {
        struct hook_entry *e = hk.runtime[i];
        if (is_our_entry(e)) {
            hk.runtime[i] = e->next;
            atoll_profile_ignore(e);
            unlinked = e;
            return;
        }
    }
}

/* Set before register_callback, whose import raises events of its own; atomic for 3.13's
 * free-threaded build, where hooks may run in two threads at once. */
static int claim(void)
{
    return !__atomic_exchange_n(&hook_done, 1, __ATOMIC_ACQ_REL);
}

static int audit_hook(const char *event, py_object *args, void *data)
{
    static const char run[] = "cpython.run_";
    (void)args, (void)data;
    if (__atomic_load_n(&hook_done, __ATOMIC_RELAXED))
        return 0;
    if (strncmp(event, run, sizeof run - 1) == 0) {
        if (claim() && resolve() == 0) {
            atoll_pygc_setting_apply();
            atoll_pygc_telemetry_install();
            if (hk.exit_collection)
                register_callback();
            unlink_entry();
        }
    } else if (strcmp(event, "cpython._PySys_ClearAuditHooks") == 0) {
        if (claim() && resolve() == 0)
            unlink_entry();
    }
    return 0;
}

void atoll_cpython_atexit_install(int exit_collection)
{
    hk.exit_collection = exit_collection;
    int (*add_hook)(audit_hook_fn, void *) =
        (int (*)(audit_hook_fn, void *))cpython_symbol("PySys_AddAuditHook");
    if (add_hook)
        add_hook(audit_hook, &hook_marker);
}
