/* ATOLL_PYTHON_GC: CPython's collector set from outside, for an unmodified program. The
 * setting is applied from the audit hook's run event (atexit.c), when the interpreter has
 * started (site, sitecustomize, .pth files and a virtual environment's are done) and the main
 * program is about to run: no code is injected, nothing the program or its environment put
 * in place is replaced. `freeze` moves what startup left into the permanent generation
 * (gc.freeze()), then the thresholds apply. */
#include "internal.h"
#include "cpython/capi.h"
#include "cpython/pygc.h"

#include <stdlib.h>
#include <string.h>

static struct {
    char text[64];
    int given, bad;
    int off, freeze, thresholds;
    long t[3];
} set;

/* "t0,t1,t2": three numbers from 0 to 2^31 - 1. */
static int parse_thresholds(const char *s, long t[3])
{
    for (int i = 0; i < 3; i++) {
        if (*s < '0' || *s > '9')
            return -1;
        long v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s++ - '0');
            if (v > 0x7fffffff)
                return -1;
        }
        t[i] = v;
        if (*s != (i < 2 ? ',' : '\0'))
            return -1;
        s++;
    }
    return 0;
}

static int parse(const char *s)
{
    static const char freeze_plus[] = "freeze+";
    if (strcmp(s, "default") == 0)
        return 0;
    if (strcmp(s, "off") == 0)
        return set.off = 1, 0;
    if (strcmp(s, "freeze") == 0)
        return set.freeze = 1, 0;
    if (strncmp(s, freeze_plus, sizeof freeze_plus - 1) == 0) {
        set.freeze = 1;
        s += sizeof freeze_plus - 1;
    }
    set.thresholds = 1;
    return parse_thresholds(s, set.t);
}

void atoll_pygc_setting_load(void)
{
    const char *v = getenv("ATOLL_PYTHON_GC");
    if (!v || set.given)
        return;
    set.given = 1;
    atoll_fmt(set.text, sizeof set.text, "%s", v);
    set.bad = strlen(v) >= sizeof set.text || parse(v) != 0;
}

int atoll_pygc_setting_given(void)
{
    return set.given;
}

static void call_gc(py_object *gc, const char *method, const char *format, const long *t)
{
    py_object *r = format ? py.call_method(gc, method, format, (int)t[0], (int)t[1], (int)t[2])
                          : py.call_method(gc, method, NULL);
    if (r)
        py.decref(r);
    else {
        py.err_clear();
        atoll_log("ATOLL_PYTHON_GC=%s: gc.%s() failed; the collector is left as it is",
                  set.text, method);
    }
}

void atoll_pygc_setting_apply(void)
{
    if (!set.given)
        return;
    if (set.bad) {
        atoll_log("ATOLL_PYTHON_GC=%s is not default, off, freeze, t0,t1,t2 or freeze+t0,t1,t2 "
                  "(thresholds 0 to 2147483647); the collector is left as it is", set.text);
        return;
    }
    py_object *gc = py.import_module("gc");
    if (!gc) {
        py.err_clear();
        return;
    }
    if (set.freeze)
        call_gc(gc, "freeze", NULL, NULL);
    if (set.off)
        call_gc(gc, "disable", NULL, NULL);
    if (set.thresholds)
        call_gc(gc, "set_threshold", "iii", set.t);
    py.decref(gc);
}
