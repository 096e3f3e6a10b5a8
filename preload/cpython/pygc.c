/* The telemetry of CPython's collector: a C function in gc.callbacks, which CPython calls with
 * the GIL held at the start and the stop of each of its collections, appends one line per
 * collection to pygc.jsonl in the dump directory (docs/python.md):
 *
 *   {"pid":P,"gen":G,"start_ns":T,"duration_ns":D,"collected":C,"uncollectable":U,
 *    "after_collection":K,"loaded_wall_ns":L}
 *
 * T is CLOCK_MONOTONIC at the start, D runs to the stop, K is the number of atoll's own
 * collections done before it started (a report of collection K + 1 covers it), L is
 * CLOCK_REALTIME when libatoll.so was loaded (the process's start: a report's share of the
 * run is its collections' time over the time from L to its dump). The entry is
 * appended at the run event (atexit.c), so a callback the program adds comes after it. Each
 * line is one write(2) to a file opened for appending, so forked children and threads never
 * interleave within a line, and nothing is kept in memory that an abrupt exit would lose. */
#include "internal.h"
#include "collect.h"
#include "cpython/capi.h"
#include "cpython/cpython.h"
#include "cpython/offsets.h"
#include "cpython/pygc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct {
    uint64_t start_ns, after;
    long long gen;
    int started, counting;
} cur;

/* The arguments CPython made to call gc.callbacks at the stop (a tuple holding the info dict),
 * kept alive until the next start and ignored by atoll's reports meanwhile (the tuple's one
 * reference is in atoll's memory, which no collection scans). CPython drops them right after
 * the callbacks, after a full collection cleared its free lists: on those lists, atoll's
 * emptying of them (cpython/freelists.c) would free them at the program's next allocation, and
 * gc.get_count() would go down across that allocation (CPython's test_gc.test_get_count checks
 * that it does not). Dropped at a start, they go to the free lists inside the collection, as
 * the collection's own garbage does. */
static py_object *held;

static void hold(py_object *args)
{
    const struct cpython_offsets *o = cpython_layout_found();
    if (held || !o)
        return;
    py.incref(args);
    held = args;
    atoll_profile_ignore((const char *)args - o->gc_head_size);
}

static void release_held(void)
{
    py_object *h = held;
    held = NULL;
    if (h)
        py.decref(h);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t loaded_wall_ns;

__attribute__((constructor)) static void note_load(void)
{
    loaded_wall_ns = clock_ns(CLOCK_REALTIME);
}

static long long info_int(py_object *info, const char *key)
{
    py_object *v = py.dict_get(info, key);
    long long n = v ? py.as_long_long(v) : -1;
    if (n < 0) {
        py.err_clear();
        return 0;
    }
    return n;
}

static void append_line(const char *line, size_t n)
{
    char dir[600], path[700];
    uint32_t pid = (uint32_t)getpid();
    atoll_output_dir(dir, sizeof dir, pid);
    atoll_fmt(path, sizeof path, "%s/pygc.jsonl", dir);
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
    int fd = (int)syscall(SYS_open, path, flags, 0600);
    if (fd < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
        fd = (int)syscall(SYS_open, path, flags, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, n) < 0)
        atoll_log("cannot append to %s: %s", path, atoll_error_text(errno));
    close(fd);
}

static void stop(py_object *info, py_object *args)
{
    uint64_t end = clock_ns(CLOCK_MONOTONIC);
    if (cur.counting)
        atoll_pygc_sites_close(info, args, (uint64_t)info_int(info, "collected"));
    char line[256];
    size_t n = atoll_fmt(line, sizeof line,
        "{\"pid\":%u,\"gen\":%llu,\"start_ns\":%llu,\"duration_ns\":%llu,\"collected\":%llu,"
        "\"uncollectable\":%llu,\"after_collection\":%llu,\"loaded_wall_ns\":%llu}\n",
        (unsigned)getpid(), (unsigned long long)cur.gen, (unsigned long long)cur.start_ns,
        (unsigned long long)(end - cur.start_ns), (unsigned long long)info_int(info, "collected"),
        (unsigned long long)info_int(info, "uncollectable"), (unsigned long long)cur.after,
        (unsigned long long)loaded_wall_ns);
    append_line(line, n < sizeof line ? n : sizeof line - 1);
}

static py_object *gc_callback(py_object *self, py_object *args)
{
    (void)self;
    const char *phase;
    py_object *info;
    if (!py.parse_tuple(args, "sO", &phase, &info)) {
        py.err_clear();
        return cpython_none();
    }
    if (phase[0] == 's' && phase[1] == 't' && phase[2] == 'a') {
        release_held();
        cur.gen = info_int(info, "generation");
        cur.after = __atomic_load_n(&atoll_collections_done, __ATOMIC_RELAXED);
        cur.counting = atoll_pygc_sites_open((unsigned)cur.gen, info, args) == 0;
        cur.started = 1;
        cur.start_ns = clock_ns(CLOCK_MONOTONIC);
    } else if (cur.started) {
        cur.started = 0;
        stop(info, args);
        hold(args);
    }
    return cpython_none();
}

static struct py_method_def callback_def = {
    "atoll_gc_callback", gc_callback, METH_VARARGS,
    "atoll's telemetry of the collector (libatoll.so is preloaded): one line of pygc.jsonl "
    "per collection",
};

/* ATOLL_PYTHON_GC_TELEMETRY: 1 (the default) or 0, which bench/pygc.sh compares. */
static int wanted(void)
{
    const char *v = getenv("ATOLL_PYTHON_GC_TELEMETRY");
    if (!v || !strcmp(v, "1"))
        return 1;
    if (!strcmp(v, "0"))
        return 0;
    atoll_log("ATOLL_PYTHON_GC_TELEMETRY=%s is not 0 or 1; using 1", v);
    return 1;
}

void atoll_pygc_telemetry_install(void)
{
    if (!atoll_g.profiling || !wanted())
        return;
    if (!cpython_frames_version())
        cpython_frames_init();
    py_object *gc = py.import_module("gc");
    py_object *callbacks = gc ? py.get_attr(gc, "callbacks") : NULL;
    py_object *fn = callbacks ? py.c_function_new(&callback_def, NULL, NULL) : NULL;
    py_object *r = fn ? py.call_method(callbacks, "append", "O", fn) : NULL;
    if (!r)
        py.err_clear();
    py_object *refs[] = { r, fn, callbacks, gc };
    cpython_decref_all(refs, 4);
}
