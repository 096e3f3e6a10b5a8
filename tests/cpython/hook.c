/* The frame reader against CPython's own frame iteration at every object allocation of a
 * workload: an allocator hook (PyMem_SetAllocator, the MEM and OBJ domains, which run with
 * the GIL) reads the frames, then asks the interpreter through its API (PyEval_GetFrame,
 * f_back, f_code, PyFrame_GetLineNumber) and compares code and line frame by frame. This
 * catches what a call from Python cannot show: allocations while a frame is still being set
 * up, or in the middle of any instruction. The API's own allocations are passed through. */
#include "probe.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define MAX_FRAMES 64

typedef struct {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t n, size_t size);
    void *(*realloc)(void *ctx, void *p, size_t size);
    void (*free)(void *ctx, void *p);
} allocator;

enum { DOMAIN_MEM = 1, DOMAIN_OBJ = 2 };

static struct {
    void (*get_allocator)(int domain, allocator *a);
    void (*set_allocator)(int domain, allocator *a);
    void *(*get_frame)(void);
    void *(*getattr)(void *o, const char *name);
    int (*line_number)(void *frame);
    void (*decref)(void *o);
    void *none;
} py;

static allocator original[3];
static int inside;                      /* the GIL makes this the only thread in the hook */
static unsigned long allocations, frames_compared, mismatches;
static char first_mismatch[1024];
static char describe_buf[1 << 22];

static void mismatch(unsigned long allocation, unsigned i, const char *what, long read, long real)
{
    if (!mismatches++)
        snprintf(first_mismatch, sizeof first_mismatch,
                 "allocation %lu, frame %u: %s read %ld, interpreter %ld", allocation, i, what,
                 read, real);
}

static void compare(void)
{
    struct cpython_frame read[MAX_FRAMES];
    bool whole;
    unsigned n = cpython_frames_read(read, MAX_FRAMES, &whole), i = 0;
    void *frame = py.get_frame(), *owned = NULL;
    allocations++;
    for (; frame && frame != py.none && i < MAX_FRAMES; i++) {
        void *code = py.getattr(frame, "f_code");
        struct cpython_code_info info;
        int line = py.line_number(frame);
        if (i >= n)
            mismatch(allocations, i, "frames", n, i + 1);
        else if (read[i].code != code)
            mismatch(allocations, i, "code", (long)read[i].code, (long)code);
        else if (probe_line(&read[i], &info, describe_buf, sizeof describe_buf) != line)
            mismatch(allocations, i, "line", probe_line(&read[i], &info, describe_buf,
                                                        sizeof describe_buf), line);
        py.decref(code);
        void *back = py.getattr(frame, "f_back");
        if (owned)
            py.decref(owned);
        frame = owned = back;
    }
    if (owned)
        py.decref(owned);
    if (i != n)
        mismatch(allocations, i, "frames", n, i);
    frames_compared += i;
}

static void compare_once(void)
{
    if (!inside) {
        inside = 1;
        compare();
        inside = 0;
    }
}

static void *hook_malloc(void *ctx, size_t size)
{
    allocator *a = ctx;
    compare_once();
    return a->malloc(a->ctx, size);
}

static void *hook_calloc(void *ctx, size_t n, size_t size)
{
    allocator *a = ctx;
    compare_once();
    return a->calloc(a->ctx, n, size);
}

static void *hook_realloc(void *ctx, void *p, size_t size)
{
    allocator *a = ctx;
    compare_once();
    return a->realloc(a->ctx, p, size);
}

static void hook_free(void *ctx, void *p)
{
    allocator *a = ctx;
    a->free(a->ctx, p);
}

/* Starts comparing at each allocation; 0, or -1 when the interpreter's API is not found. */
int probe_hook_start(void)
{
    probe_init();
    *(void **)&py.get_allocator = dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
    *(void **)&py.set_allocator = dlsym(RTLD_DEFAULT, "PyMem_SetAllocator");
    *(void **)&py.get_frame = dlsym(RTLD_DEFAULT, "PyEval_GetFrame");
    *(void **)&py.getattr = dlsym(RTLD_DEFAULT, "PyObject_GetAttrString");
    *(void **)&py.line_number = dlsym(RTLD_DEFAULT, "PyFrame_GetLineNumber");
    *(void **)&py.decref = dlsym(RTLD_DEFAULT, "Py_DecRef");
    py.none = dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
    if (!py.get_allocator || !py.set_allocator || !py.get_frame || !py.getattr ||
        !py.line_number || !py.decref || !py.none)
        return -1;
    for (int d = DOMAIN_MEM; d <= DOMAIN_OBJ; d++) {
        py.get_allocator(d, &original[d]);
        allocator hook = { &original[d], hook_malloc, hook_calloc, hook_realloc, hook_free };
        py.set_allocator(d, &hook);
    }
    return 0;
}

/* Stops, and says what was compared; the first mismatch, if any, in first (cap bytes). */
void probe_hook_stop(unsigned long *allocated, unsigned long *compared, unsigned long *bad,
                     char *first, size_t cap)
{
    for (int d = DOMAIN_MEM; d <= DOMAIN_OBJ; d++)
        py.set_allocator(d, &original[d]);
    *allocated = allocations;
    *compared = frames_compared;
    *bad = mismatches;
    snprintf(first, cap, "%s", first_mismatch);
}
