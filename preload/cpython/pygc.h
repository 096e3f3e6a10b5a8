/* CPython's own collector seen from atoll: its telemetry (pygc.c), ATOLL_PYTHON_GC
 * (pygcset.c), and the objects it frees counted by allocation site and type (pygcsites.c).
 * What Python calls runs with the GIL held, from the audit hook's run event (atexit.c) on. */
#ifndef ATOLL_CPYTHON_PYGC_H
#define ATOLL_CPYTHON_PYGC_H

#include <stddef.h>
#include <stdint.h>

/* pygcset.c: ATOLL_PYTHON_GC, read by the constructor; applied at the run event. */
void atoll_pygc_setting_load(void);
int atoll_pygc_setting_given(void);
void atoll_pygc_setting_apply(void);

/* pygc.c: appends atoll's entry to gc.callbacks (profile mode): one line of pygc.jsonl per
 * collection. */
void atoll_pygc_telemetry_install(void);

/* pygcsites.c: between the start and the stop of a collection (the thread that runs it), the
 * blocks of the objects of the generations it collects (but for info and args, what CPython
 * made to call gc.callbacks, which die before the collection); the ones it frees are
 * counted. */
extern int atoll_pygc_window;
int atoll_pygc_sites_open(unsigned generation, const void *info, const void *args);
/* info and args: what CPython made to call gc.callbacks at the stop, which may be objects it
 * took back from its free lists (collected, then made again); collected: its count. */
void atoll_pygc_sites_close(const void *info, const void *args, uint64_t collected);
/* From atoll_profile_forget, before ptr's record goes: called only while the window is open. */
void atoll_pygc_sites_freed(const void *ptr);

/* The counts so far, for the dump (read in the snapshot: no lock taken). */
struct atoll_pygc_site {
    uint32_t site;
    uint32_t name_len;
    uintptr_t type;
    uint64_t objects, bytes;
    char name[64];
};
const struct atoll_pygc_site *atoll_pygc_sites(size_t *cap);

#endif
