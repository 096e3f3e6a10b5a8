/* CPython's free lists of containers, kept empty in profile mode, so that each list, dict and
 * tuple is a malloc of its own, recorded where it was made.
 *
 * An object CPython takes back from a free list is never malloc'd again: its block would keep
 * the site of its first allocation. No reading of the interpreter's memory can tell afterwards
 * where an object was taken: a Python line that takes one and calls no allocator leaves no
 * trace of itself. So atoll keeps the lists empty: at each allocator call of the thread that
 * holds the main interpreter's GIL, it frees what they hold, as gc.collect() does when it
 * clears them (PyObject_GC_Del: the young generation's count goes down by one; the block is
 * freed), and CPython then mallocs every such object where it is made. The lists of tuples,
 * one a size, linked through their objects, are left full and empty at once (count at its
 * maximum, no head): nothing is pushed, nothing popped. The arrays (lists, dicts, dict keys)
 * take their pop on a non-zero count, so they cannot be closed: what the thread frees and
 * takes again between two of its allocator calls comes back "reborn", and is returned to the
 * caller to get that call's site. Their slots are cleared when emptied, so a reborn object is
 * the one left in a slot at or above the count. Floats, which hold no reference and so are in
 * no cycle, are left to their list: closing it made a loop of float arithmetic 3 times slower.
 *
 * Only the GIL's holder touches the lists (CPython changes them under the GIL), never during a
 * collection (gc clears them) or once finalization started; CPython's own clears take an
 * object off a list before they free it. Every object freed must be dead (count 0), of its
 * type, at the start of a live block of atoll's: anything else (PYTHONMALLOC is not malloc, a
 * build laid out otherwise) and the lists are left alone from then on. */
#include "internal.h"
#include "cpython.h"
#include "offsets.h"
#include "statics.h"

#include <pthread.h>

#define TUPLE_MAX_OLD 2000 /* PyTuple_MAXFREELIST, in Objects/tupleobject.c before 3.10 */

enum { LISTS, DICTS, KEYS, ARRAYS };

/* Where a list is: offsets from the interpreter state (3.10 on) or addresses (3.8, 3.9). */
struct array {
    uintptr_t items, count;
    int32_t max;
    uint32_t presize;       /* the object's start in its block */
    uintptr_t type;         /* 0: dict keys, which have no object header, and whose count
                             * CPython leaves at 1 when a dict's resize drops them */
    int gc;                 /* freeing it lowers the young generation's count */
};

/* The tuples' lists, one a size, linked through ob_item[0]. */
struct chain {
    uintptr_t heads, counts;
    int32_t lists, max;
    int32_t link;
    uint32_t presize;
    uintptr_t type;
};

static struct {
    int on;
    int relative;           /* offsets from the interpreter state */
    struct array arrays[ARRAYS];
    struct chain tuples;
} fl;

/* What the watch reads once the lists are left alone: nothing to do, ever. */
static const int32_t no_count;
static const uintptr_t no_first;
static int32_t tuples_full;

static void give_up(const char *why, uintptr_t op)
{
    __atomic_store_n(&fl.on, 0, __ATOMIC_RELAXED);
    struct atoll_pyfree_watch *w = &atoll_pyfree_watch;
    w->main = NULL;
    for (int i = 0; i < ARRAYS; i++) {
        w->count[i] = &no_count;
        w->first[i] = &no_first;
    }
    tuples_full = w->tuples_max;
    __atomic_store_n(&w->tuples, &tuples_full, __ATOMIC_RELEASE);
    if (atoll_verbose)
        atoll_log("CPython's free lists are left alone: %s at %p", why, (void *)op);
}

static int ours(uintptr_t block)
{
    struct atoll_pool *p = atoll_pool_of((const void *)block);
    return p && atoll_block_check(p, (const void *)block) == ATOLL_BLOCK_OK;
}

/* An object a free list holds: dead, of its type, at the start of a block of atoll's. Dict
 * keys: a count of 0 or 1 (see struct array). */
static int dead(const struct cpython_offsets *o, uintptr_t op, uint32_t presize, uintptr_t type)
{
    if (!cpython_plausible(op))
        return 0;
    intptr_t refs = CPY_LOAD(intptr_t, op, 0);
    return (type ? refs == 0 && CPY_LOAD(uintptr_t, op, o->ob_type) == type
                 : refs == 0 || refs == 1) &&
           ours(op - presize);
}

/* An object taken back from a free list and alive again. */
static int alive(const struct cpython_offsets *o, uintptr_t op, uint32_t presize, uintptr_t type)
{
    return cpython_plausible(op) && CPY_LOAD(intptr_t, op, 0) > 0 &&
           CPY_LOAD(uintptr_t, op, o->ob_type) == type && ours(op - presize);
}

/* Frees op as PyObject_GC_Del (young: the young generation's count) or PyObject_Free would. */
static void release(uintptr_t op, uint32_t presize, int *young)
{
    if (young && *young > 0)
        (*young)--;
    atoll_free_unchecked((void *)(op - presize));
}

/* Empties a, then hands the reborn objects to out (up to max); how many. */
static unsigned empty(const struct cpython_offsets *o, const struct array *a, uintptr_t base,
                      int *young, void **out, unsigned max)
{
    int32_t *count = (int32_t *)(base + a->count);
    uintptr_t *items = (uintptr_t *)(base + a->items);
    int32_t n = *count;
    if (n < 0)
        return 0;   /* finalized: CPython marks it so */
    if (n > a->max) {
        give_up("a free list's count beyond its size", (uintptr_t)count);
        return 0;
    }
    while (n > 0) {
        uintptr_t op = items[n - 1];
        if (!dead(o, op, a->presize, a->type)) {
            give_up("a free list holds no dead object of atoll's", op);
            return 0;
        }
        items[--n] = 0;
        *count = n;
        release(op, a->presize, a->gc ? young : NULL);
    }
    unsigned found = 0;
    for (int32_t j = 0; j < a->max && items[j] && found < max; j++) {
        uintptr_t op = items[j];
        items[j] = 0;
        if (a->type && alive(o, op, a->presize, a->type))
            out[found++] = (void *)(op - a->presize);
    }
    return found;
}

/* Frees what the tuples' lists hold and leaves them full and empty. CPython resets them all at
 * once (gc.collect's clear, finalization's), so the first one tells. */
static void close_chain(const struct cpython_offsets *o, const struct chain *c, uintptr_t base,
                        int *young)
{
    int32_t *counts = (int32_t *)(base + c->counts);
    uintptr_t *heads = (uintptr_t *)(base + c->heads);
    if (counts[0] == c->max || counts[0] < 0)
        return;
    for (int32_t i = 0; i < c->lists; i++) {
        if (counts[i] == c->max || counts[i] < 0)
            continue;
        if (counts[i] > c->max) {
            give_up("a free list's count beyond its size", (uintptr_t)&counts[i]);
            return;
        }
        for (int32_t steps = 0; heads[i]; steps++) {
            uintptr_t op = heads[i];
            if (steps >= c->max || !dead(o, op, c->presize, c->type)) {
                give_up("a free list holds no dead object of atoll's", op);
                return;
            }
            heads[i] = CPY_LOAD(uintptr_t, op, c->link);
            release(op, c->presize, young);
        }
        counts[i] = c->max;
    }
}

/* The main interpreter's state when the calling thread holds its GIL and the lists may be
 * touched (no collection, no finalization), with its young generation's count; else 0. Up to
 * 3.11 the GIL's holder is the gilstate's tstate_current, and the thread whose id it holds is
 * the caller: no lookup of the caller's own thread state. */
static uintptr_t holder(const struct cpython_offsets *o, int **young)
{
    uintptr_t rt = cpython_found.runtime;
    uintptr_t interp = CPY_LOAD(uintptr_t, rt, o->rt_main);
    if (!cpython_plausible(interp) || CPY_LOAD(uintptr_t, rt, o->rt_finalizing))
        return 0;
    uintptr_t ts;
    if (o->rt_tstate_current >= 0) {
        ts = CPY_LOAD(uintptr_t, rt, o->rt_tstate_current);
        if (!cpython_plausible(ts) ||
            CPY_LOAD(unsigned long, ts, o->ts_thread_id) != (unsigned long)pthread_self())
            return 0;
    } else {
        ts = cpython_thread_state(o);
        if (!ts || !(CPY_LOAD(uint32_t, ts, o->ts_status) >> o->ts_gil_bit & 1))
            return 0;
    }
    if (CPY_LOAD(uintptr_t, ts, o->ts_interp) != interp)
        return 0;
    uintptr_t gc = o->rt_gc >= 0 ? rt + (uintptr_t)o->rt_gc : interp + (uintptr_t)o->in_gc;
    if (CPY_LOAD(int, gc, o->gc_collecting))
        return 0;
    *young = (int *)(gc + (uintptr_t)o->gc_count);
    return interp;
}

struct atoll_pyfree_watch atoll_pyfree_watch;

/* Points the watch at the lists of the interpreter state at base (0: the lists are statics);
 * published by tuples, which the fast check reads first. */
static void watch_base(uintptr_t base)
{
    struct atoll_pyfree_watch *w = &atoll_pyfree_watch;
    __atomic_store_n(&w->tuples, NULL, __ATOMIC_RELEASE);
    for (int i = 0; i < ARRAYS; i++) {
        w->count[i] = (const int32_t *)(base + fl.arrays[i].count);
        w->first[i] = (const uintptr_t *)(base + fl.arrays[i].items);
    }
    w->tuples_max = fl.tuples.max;
    w->base = base;
    __atomic_store_n(&w->tuples, (const int32_t *)(base + fl.tuples.counts), __ATOMIC_RELEASE);
}

/* The lists' state for the slow path: 1 when there is nothing to do (no main interpreter
 * yet, or atoll_pyfree_idle holds once the watch is on its lists). */
static int idle(const struct cpython_offsets *o)
{
    uintptr_t base = 0;
    if (fl.relative) {
        base = CPY_LOAD(uintptr_t, cpython_found.runtime, o->rt_main);
        if (!cpython_plausible(base))
            return 1;
    }
    if (!atoll_pyfree_watch.tuples || base != atoll_pyfree_watch.base)
        watch_base(base);
    return atoll_pyfree_idle();
}

unsigned atoll_pyfree_check(void **reborn, unsigned max)
{
    const struct cpython_offsets *o = cpython_layout_found();
    int *young;
    uintptr_t interp;
    if (!o || !__atomic_load_n(&fl.on, __ATOMIC_RELAXED) || idle(o) ||
        !(interp = holder(o, &young)))
        return 0;
    uintptr_t base = fl.relative ? interp : 0;
    unsigned n = 0;
    for (int i = 0; i < ARRAYS && fl.on; i++)
        n += empty(o, &fl.arrays[i], base, young, reborn + n, max - n);
    if (fl.on)
        close_chain(o, &fl.tuples, base, young);
    return n;
}

/* 3.8, 3.9: the free lists' variables, by source file. */
static int find_statics(struct array *a, struct chain *t)
{
    struct cpython_static s[] = {
        { "listobject.c", "free_list", 640, 0 },   { "listobject.c", "numfree", 4, 0 },
        { "dictobject.c", "free_list", 640, 0 },   { "dictobject.c", "numfree", 4, 0 },
        { "dictobject.c", "keys_free_list", 640, 0 }, { "dictobject.c", "numfreekeys", 4, 0 },
        { "tupleobject.c", "free_list", 160, 0 },  { "tupleobject.c", "numfree", 80, 0 },
    };
    void *inside = cpython_symbol("PyList_New");
    if (!inside || cpython_statics_find(inside, s, sizeof s / sizeof *s) != 0)
        return -1;
    for (int i = 0; i < ARRAYS; i++) {
        a[i].items = s[2 * i].address;
        a[i].count = s[2 * i + 1].address;
        a[i].max = 80;
    }
    t->heads = s[6].address + sizeof(uintptr_t);   /* entry 0: the empty tuple */
    t->counts = s[7].address + sizeof(int32_t);
    t->lists = 19;
    t->max = TUPLE_MAX_OLD;
    return 0;
}

bool atoll_pyfree_init(void)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t list = (uintptr_t)cpython_symbol("PyList_Type");
    uintptr_t dict = (uintptr_t)cpython_symbol("PyDict_Type");
    uintptr_t tuple = (uintptr_t)cpython_symbol("PyTuple_Type");
    if (!o || !list || !dict || !tuple)
        return false;
    struct array *a = fl.arrays;
    struct chain *t = &fl.tuples;
    uint32_t gc = (uint32_t)o->gc_head_size;
    a[LISTS] = (struct array){ .presize = gc, .type = list, .gc = 1 };
    a[DICTS] = (struct array){ .presize = gc, .type = dict, .gc = 1 };
    a[KEYS] = (struct array){ .presize = 0, .type = 0, .gc = 0 };
    *t = (struct chain){ .link = o->tuple_items, .presize = gc, .type = tuple };
    if (o->in_list_items < 0) {
        if (find_statics(a, t) != 0)
            return false;
    } else {
        const int32_t fields[ARRAYS][2] = { { o->in_list_items, o->in_list_count },
                                            { o->in_dict_items, o->in_dict_count },
                                            { o->in_keys_items, o->in_keys_count } };
        for (int i = 0; i < ARRAYS; i++) {
            a[i].items = (uintptr_t)fields[i][0];
            a[i].count = (uintptr_t)fields[i][1];
            a[i].max = i == LISTS ? o->list_max : o->dict_max;
        }
        t->heads = (uintptr_t)o->in_tuple_heads + sizeof(uintptr_t) * (uintptr_t)o->tuple_first;
        t->counts = (uintptr_t)o->in_tuple_counts + sizeof(int32_t) * (uintptr_t)o->tuple_first;
        t->lists = o->tuple_lists - o->tuple_first;
        t->max = o->tuple_max;
        fl.relative = 1;
        atoll_pyfree_watch.main = (const uintptr_t *)(cpython_found.runtime + (uintptr_t)o->rt_main);
    }
    __atomic_store_n(&fl.on, 1, __ATOMIC_RELAXED);
    return true;
}
