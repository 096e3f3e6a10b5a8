/* The objects CPython's collector frees, counted by allocation site and type, exactly as
 * gc.callbacks' `collected` counts them (docs/python.md).
 *
 * `collected` counts the unreachable tracked objects of the generations collected. A free
 * during a collection says neither: untracked tuples and dicts, and objects of older
 * generations, die in the same cascade, and by the time free() is called the object is
 * untracked (its GC header cleared). So:
 *   - at the start (gc.callbacks' "start", the GIL held), the blocks of the objects in
 *     generations 0 to G go into a set, but for the info dict and the arguments CPython made
 *     to call the callbacks, which die before the collection begins;
 *   - 3.9 on, the collector marks the unreachable ones (_PyGC_PREV_MASK_COLLECTING stays set
 *     in their _gc_prev until they are untracked; move_unreachable clears it on the reachable
 *     ones). No block is freed from update_refs to the end of move_unreachable, so at the first
 *     free after the collection began (it resets the collected generation's count, which the
 *     start set to a sentinel), the set is cut down to the members with the mark; members
 *     freed before leave the set uncounted. A member already untracked then with
 *     a count of 0, and the member whose free this is, are being freed (or were, onto a free
 *     list) and lost their mark: an unreachable object, or a reachable one dying in the
 *     garbage's cascade (its only holder an older object the garbage held). They count at the
 *     stop, all of them, when the collector's `collected` says they were unreachable (the
 *     other members counted and they make it up), else none. 3.8 clears the marks before it
 *     frees anything (check_garbage), and its set is not cut down;
 *   - each member freed afterwards is counted, and at the stop, each member left in atoll's
 *     heap with a count of 0 (CPython kept it on a free list: lists, dicts, 3.8 to 3.10's
 *     frames), or taken back from a free list for the stop's info dict or arguments.
 * Only the thread that runs the collection is watched. Objects resurrected by __del__, or
 * dying because a weakref callback, a gc callback or __del__ dropped a reference, can make the
 * two counts differ; so can, on 3.8, a reachable object dying in the garbage's cascade. Needs PYTHONMALLOC=malloc (each object a block of
 * atoll's). */
#include "internal.h"
#include "cpython/offsets.h"
#include "cpython/pygc.h"

#include <stdbool.h>
#include <string.h>

#define TOMB ((uintptr_t)2)         /* a removed member; blocks are 16-aligned */
#define PRE ((uintptr_t)1)          /* the block starts with a pre-header (3.11+) */
#define AMB ((uintptr_t)4)          /* being freed when the marks were read: unknown */
#define FLAGS ((uintptr_t)15)
#define PENDING_MAX 64
#define SENTINEL (1 << 30)
#define PREV_MASK_COLLECTING 2
#define F_MANAGED_WEAKREF (1ul << 3)
#define F_MANAGED_DICT (1ul << 4)
#define TP_NAME 24

int atoll_pygc_window;

static struct {
    struct atoll_pygc_site *e;
    size_t cap, used;
} sites;

/* What count() needs of an object, read before its block goes. */
struct freed {
    uint32_t site;
    uint32_t len;
    uintptr_t type;
    uint64_t size;
    const char *name;
};

/* A set of blocks, open addressing. */
struct table {
    uintptr_t *slots;
    size_t cap, n;
};

/* One table a generation: a generation's collections are about as big one to the next, while
 * one table resized for each (a young collection's 1,000 members, an old one's 100,000) cost a
 * fresh zeroed table, faulted in, nearly every collection. The young generations' tables are
 * kept; the oldest's, which holds every tracked object and is needed rarely, is given back
 * after each of its collections and made again at the size it last had. */
#define OLDEST 2
static struct table tables[3];
static size_t oldest_cap = 1024;

static struct {
    struct table *t;                /* the collected generation's */
    const void *thread;             /* &atoll_tls of the collecting thread */
    int filtered;
    int *count;                     /* the collected generation's count in CPython's state */
    uint64_t counted;               /* in this collection */
    struct freed pending[PENDING_MAX];  /* members of unknown standing, freed */
    unsigned npending;
} young = { .t = &tables[0] };

static size_t hash_of(uintptr_t a, size_t cap)
{
    return (size_t)((a >> 4) * 0x9E3779B97F4A7C15ull >> 24) & (cap - 1);
}

static uintptr_t *young_slot(uintptr_t block)
{
    struct table *t = young.t;
    size_t i = hash_of(block, t->cap);
    for (;;) {
        uintptr_t v = t->slots[i];
        if (!v || (v & ~FLAGS) == block)
            return &t->slots[i];
        i = (i + 1) & (t->cap - 1);
    }
}

static uintptr_t gc_head(uintptr_t v)
{
    return (v & ~FLAGS) + (v & PRE ? 16 : 0);
}

/* The block of the object whose GC header is at h, with PRE; 0 when it is no block of
 * atoll's (PYTHONMALLOC is not malloc). */
static uintptr_t block_of(const struct cpython_offsets *o, uintptr_t h)
{
    uintptr_t type = CPY_LOAD(uintptr_t, h + 16, o->ob_type);
    unsigned long flags = CPY_LOAD(unsigned long, type, o->tp_flags);
    uintptr_t pre = o->version >= 0x030b && (flags & (F_MANAGED_DICT | F_MANAGED_WEAKREF));
    uintptr_t b = h - (pre ? 16 : 0);
    struct atoll_block_meta meta;
    return atoll_block_live((const void *)b, &meta) ? b | pre : 0;
}

static uintptr_t gc_state(const struct cpython_offsets *o)
{
    uintptr_t rt = cpython_found.runtime;
    if (o->rt_gc >= 0)
        return rt + (uintptr_t)o->rt_gc;
    uintptr_t interp = CPY_LOAD(uintptr_t, rt, o->rt_main);
    return cpython_plausible(interp) ? interp + (uintptr_t)o->in_gc : 0;
}

/* A zeroed table of cap slots (a power of two) in place of the current one; its members moved
 * over. */
static int young_resize(size_t cap)
{
    struct table *t = young.t;
    uintptr_t *s = atoll_imeta_calloc(cap * sizeof *s), *old = t->slots;
    size_t oldcap = t->cap;
    if (!s)
        return -1;
    t->slots = s;
    t->cap = cap;
    t->n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i] > TOMB) {
            *young_slot(old[i] & ~FLAGS) = old[i];
            t->n++;
        }
    if (old)
        atoll_imeta_free(old, oldcap * sizeof *old);
    return 0;
}

static int young_insert(uintptr_t v)
{
    struct table *t = young.t;
    if (2 * (t->n + 1) > t->cap && young_resize(2 * t->cap) != 0)
        return -1;
    uintptr_t *slot = young_slot(v & ~FLAGS);
    t->n += !*slot;
    *slot = v;
    return 0;
}

int atoll_pygc_sites_open(unsigned generation, const void *info, const void *args)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t gc = o && generation < 3 ? gc_state(o) : 0;
    atoll_pygc_window = 0;
    if (!gc)
        return -1;
    young.t = &tables[generation];
    young.t->n = 0;
    if (!young.t->slots && young_resize(generation == OLDEST ? oldest_cap : 1024) != 0)
        return -1;
    for (unsigned g = 0; g <= generation; g++) {
        uintptr_t head = gc + (uintptr_t)(o->gc_generations + (int32_t)g * o->gc_generation_size);
        for (uintptr_t h = CPY_LOAD(uintptr_t, head, 0); h != head; h = CPY_LOAD(uintptr_t, h, 0)) {
            uintptr_t v = h + 16 == (uintptr_t)info || h + 16 == (uintptr_t)args ? 0
                                                                                 : block_of(o, h);
            if (v && young_insert(v) != 0) {
                memset(young.t->slots, 0, young.t->cap * sizeof *young.t->slots);
                return -1;
            }
        }
    }
    young.thread = &atoll_tls;
    young.filtered = o->version < 0x0309;
    /* The collection resets the counts of the generations it collects as it begins: the count of
     * generation G is left at a value it cannot reach otherwise (collections are not started
     * while one runs, whatever it counts meanwhile), and read back at each free. */
    young.count = (int *)(gc + (uintptr_t)(o->gc_count + (int32_t)generation * o->gc_generation_size));
    *young.count = SENTINEL;
    young.counted = 0;
    young.npending = 0;
    __atomic_store_n(&atoll_pygc_window, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Whether the collection has begun, and so (no block being freed before move_unreachable is
 * done) has marked its unreachable objects: it set the count of the generation collected, which
 * the start left at SENTINEL, to 0. */
static int marked(void)
{
    return *young.count < SENTINEL / 2;
}

/* Keeps the members the collector found unreachable: tracked with the mark. An untracked member
 * with a count of 0 is being freed (or was, onto a free list): the mark is gone, and whether it
 * was unreachable is settled at the stop. */
static void keep_unreachable(void)
{
    struct table *t = young.t;
    for (size_t i = 0; i < t->cap; i++) {
        uintptr_t v = t->slots[i], h = gc_head(v);
        if (v <= TOMB)
            continue;
        if (!CPY_LOAD(uintptr_t, h, 0))
            t->slots[i] = CPY_LOAD(intptr_t, h + 16, 0) == 0 ? v | AMB : TOMB;
        else if (!(CPY_LOAD(uintptr_t, h, 8) & PREV_MASK_COLLECTING))
            t->slots[i] = TOMB;
    }
    young.filtered = 1;
}

static struct atoll_pygc_site *site_slot(struct atoll_pygc_site *e, size_t cap, uint32_t site,
                                         uintptr_t type, const char *name, size_t len)
{
    size_t i = hash_of(type ^ ((uintptr_t)site << 4), cap);
    for (;; i = (i + 1) & (cap - 1)) {
        struct atoll_pygc_site *s = &e[i];
        if (!s->type || (s->type == type && s->site == site && s->name_len == len &&
                         memcmp(s->name, name, len) == 0))
            return s;
    }
}

static int sites_grow(void)
{
    size_t cap = sites.cap ? 2 * sites.cap : 256;
    struct atoll_pygc_site *e = atoll_imeta_calloc(cap * sizeof *e);
    if (!e)
        return -1;
    for (size_t i = 0; i < sites.cap; i++) {
        struct atoll_pygc_site *s = &sites.e[i];
        if (s->type)
            *site_slot(e, cap, s->site, s->type, s->name, s->name_len) = *s;
    }
    struct atoll_pygc_site *old = sites.e;
    size_t oldcap = sites.cap;
    __atomic_store_n(&sites.e, e, __ATOMIC_RELEASE);
    sites.cap = cap;
    if (old)
        atoll_imeta_free(old, oldcap * sizeof *old);
    return 0;
}

/* The object of member v; false when its block is no longer atoll's. */
static bool describe(const struct cpython_offsets *o, uintptr_t v, struct freed *f)
{
    uintptr_t b = v & ~FLAGS;
    struct atoll_pool *p = atoll_pool_of((const void *)b);
    struct atoll_block_meta meta;
    if (p) {
        const struct atoll_small_meta *m = atoll_small_meta_of(p, (const void *)b);
        f->site = m->site;
        f->size = m->size;
    } else if (atoll_large_find((const void *)b, &meta)) {
        f->site = meta.site;
        f->size = meta.size;
    } else {
        return false;
    }
    f->type = CPY_LOAD(uintptr_t, gc_head(v) + 16, o->ob_type);
    f->name = (const char *)CPY_LOAD(uintptr_t, f->type, TP_NAME);
    f->len = f->name ? (uint32_t)strnlen(f->name, sizeof sites.e->name - 1) : 0;
    return true;
}

/* One object freed by the collector, counted at its site and type. */
static void count(const struct freed *f)
{
    if (2 * (sites.used + 1) > sites.cap && sites_grow() != 0)
        return;
    struct atoll_pygc_site *s = site_slot(sites.e, sites.cap, f->site, f->type, f->name, f->len);
    if (!s->type) {
        s->site = f->site;
        s->type = f->type;
        s->name_len = f->len;
        memcpy(s->name, f->name, f->len);
        sites.used++;
    }
    s->objects++;
    s->bytes += f->size;
    young.counted++;
}

/* Counts member v, or keeps it for the stop when its standing is unknown. */
static void count_member(uintptr_t v)
{
    struct freed f;
    if (!describe(cpython_layout_found(), v, &f))
        return;
    if ((v & AMB) && young.npending < PENDING_MAX)
        young.pending[young.npending++] = f;
    else
        count(&f);
}

void atoll_pygc_sites_freed(const void *ptr)
{
    if (young.thread != &atoll_tls)
        return;
    uintptr_t *slot = young_slot((uintptr_t)ptr);
    if (!young.filtered) {
        if (!marked()) {
            if (*slot)
                *slot = TOMB;
            return;
        }
        keep_unreachable();
        if (*slot > TOMB)
            *slot |= AMB;
    }
    if (*slot > TOMB) {
        count_member(*slot);
        *slot = TOMB;
    }
}

/* The members of unknown standing count when the collector's own count says they were
 * unreachable: all of them, or none. */
void atoll_pygc_sites_close(const void *info, const void *args, uint64_t collected)
{
    __atomic_store_n(&atoll_pygc_window, 0, __ATOMIC_RELEASE);
    young.thread = NULL;
    atoll_critical_enter();
    struct table *t = young.t;
    for (size_t i = 0; i < t->cap; i++) {
        uintptr_t v = t->slots[i];
        uintptr_t op = gc_head(v) + 16;
        if (young.filtered && v > TOMB &&
            (CPY_LOAD(intptr_t, op, 0) == 0 || op == (uintptr_t)info || op == (uintptr_t)args))
            count_member(v);
        t->slots[i] = 0;
    }
    if (young.counted + young.npending == collected)
        for (unsigned i = 0; i < young.npending; i++)
            count(&young.pending[i]);
    if (t == &tables[OLDEST]) {
        oldest_cap = t->cap;
        atoll_imeta_free(t->slots, t->cap * sizeof *t->slots);
        *t = (struct table){ NULL, 0, 0 };
    }
    atoll_critical_exit();
}

const struct atoll_pygc_site *atoll_pygc_sites(size_t *cap)
{
    *cap = sites.cap;
    return sites.e;
}
