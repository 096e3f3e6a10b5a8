/* The dead part of each Python thread's data stack (3.11 on), for the snapshot's roots.
 *
 * From 3.11 CPython keeps a thread's frames (_PyInterpreterFrame: code, locals, value stack)
 * in chunks of anonymous mmap'ed memory, pushed and popped like a stack. A frame that returned
 * is left as it was above the thread's datastack_top, its locals included, until another call
 * writes over it: a root scan of that memory would take its stale words for references (and
 * an object since made in the block one of them points to for a referenced one, hiding a
 * refcount leak). So [datastack_top, datastack_limit) of each thread of the main interpreter,
 * the dead part of its current chunk, is no root. Read in the snapshot child, every word
 * checked readable first; a thread list longer than MAX_THREADS is cut there. */
#include "snapshot.h"
#include "offsets.h"

#define MAX_THREADS 4096

static int load(const struct snap *s, uintptr_t at, uintptr_t *out)
{
    if (!snap_readable(s, at, at + sizeof *out))
        return 0;
    *out = *(const uintptr_t *)at;
    return 1;
}

unsigned snap_python_dead_stacks(const struct snap *s, uintptr_t (*out)[2], unsigned max)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t interp, ts;
    if (!o || o->in_threads < 0 ||
        !load(s, cpython_found.runtime + (uintptr_t)o->rt_main, &interp) || !interp ||
        !load(s, interp + (uintptr_t)o->in_threads, &ts))
        return 0;
    unsigned n = 0;
    for (unsigned k = 0; ts && k < MAX_THREADS && n < max; k++) {
        uintptr_t top, limit, next;
        if (!load(s, ts + (uintptr_t)o->ts_datastack_top, &top) ||
            !load(s, ts + (uintptr_t)o->ts_datastack_limit, &limit) ||
            !load(s, ts + (uintptr_t)o->ts_next, &next))
            break;
        if (top && top < limit) {
            out[n][0] = top;
            out[n][1] = limit;
            n++;
        }
        ts = next;
    }
    return n;
}
