/* The settings of Python's collector that atoll tune tries, in ATOLL_PYTHON_GC's syntax
 * (default, off, freeze, T0,T1,T2, freeze+T0,T1,T2, checked as `atoll run --python-gc` checks
 * them; "default" is the interpreter's own, the variable left unset), the grid of them, and
 * each one as the line to put in the program. */
#include "tune.h"

#include "python/pygcsetting.h"

#include <stdio.h>
#include <string.h>

/* t0 from CPython's old default (3.13's is 2000) up to where a run of this size never
 * collects; a few older generations' thresholds at the t0 most programs settle on; the
 * collector off; startup's objects frozen, alone and with raised thresholds. */
const char pytune_default_grid[] =
    "700,10,10 2000,10,10 5000,10,10 10000,10,10 20000,10,10 50000,10,10 100000,10,10 "
    "1000000,10,10 10000,20,20 10000,50,100 off freeze freeze+10000,10,10 "
    "freeze+100000,10,10";

/* The numbers of a setting ATOLL_PYTHON_GC accepts, "T0,T1,T2" or "freeze+T0,T1,T2"; false
 * for the settings without numbers. */
static bool thresholds(const char *s, long v[3])
{
    if (!strncmp(s, "freeze+", 7))
        s += 7;
    return sscanf(s, "%ld,%ld,%ld", &v[0], &v[1], &v[2]) == 3;
}

bool pytune_setting_ok(const char *s)
{
    long v[3];
    /* the library's syntax, but a t0 of 0 is called off: one name for one setting */
    return strlen(s) < 48 && pygc_setting_valid(s) && (!thresholds(s, v) || v[0] > 0);
}

int pytune_grid_parse(const char *list, char (*out)[48], int cap, char *err, size_t errlen)
{
    char buf[4096];
    int n = 0;
    if (strlen(list) >= sizeof buf) {
        snprintf(err, errlen, "--grid is too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, " ;", &save); t; t = strtok_r(NULL, " ;", &save)) {
        if (!pytune_setting_ok(t)) {
            snprintf(err, errlen, "bad --grid value '%.100s' (default, off, freeze, T0,T1,T2 "
                                  "or freeze+T0,T1,T2, T0 > 0)", t);
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (!strcmp(out[i], t)) {
                snprintf(err, errlen, "--grid has '%.47s' twice", t);
                return -1;
            }
        if (n == cap) {
            snprintf(err, errlen, "--grid has more than %d settings", cap);
            return -1;
        }
        snprintf(out[n++], 48, "%s", t);
    }
    if (!n)
        snprintf(err, errlen, "--grid has no settings");
    return n ? n : -1;
}

void pytune_line(const char *s, char *buf, size_t len)
{
    long v[3];
    bool freeze = !strncmp(s, "freeze", 6);
    if (!strcmp(s, "default"))
        snprintf(buf, len, "(nothing: the interpreter's default thresholds)");
    else if (!strcmp(s, "off"))
        snprintf(buf, len, "gc.disable()");
    else if (!strcmp(s, "freeze"))
        snprintf(buf, len, "gc.freeze()");
    else if (thresholds(s, v))
        snprintf(buf, len, "%sgc.set_threshold(%ld, %ld, %ld)", freeze ? "gc.freeze(); " : "",
                 v[0], v[1], v[2]);
    else
        snprintf(buf, len, "?");
}
