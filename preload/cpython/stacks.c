/* Python stacks of allocations: the calling thread's Python frames, joined to its native call
 * stack into one site, Python frames first (the FRAMES encoding in include/atoll/dump.h). The
 * joined site holds the native site by reference (ATOLL_SITE_NATIVE), not a copy of its frames:
 * start-up alone joins some 20,000 stacks, which would cost megabytes; the dump writer expands
 * the reference.
 *
 * The interpreter runs many Python lines from one native frame (3.11 on, a Python call does
 * not even recurse in C), so the native site alone cannot tell them apart and its memo cannot
 * stand for the whole. A per-thread cache maps a hash of (the frames, the native site) to the
 * joined site. The hash is 64 bits and is the whole check: two different stacks would share a
 * site only on a collision, at odds of 2^-64 a pair.
 *
 * The frames are hashed as they lie in memory (cpython_frames_key: each frame's code pointer,
 * instruction and owner), with no look at the code objects, while every code object a frame
 * named was a block of atoll's (profile.c counts each one freed in atoll_pycode_epoch, part of
 * the hash) or a static object of the interpreter's image (3.11's deep-frozen modules), never
 * freed: then no new code object at an old one's address can pass for it. Otherwise (PYTHONMALLOC is not malloc: small code objects live in
 * pymalloc's arenas) the frames are read and checked first, and each code object is hashed by
 * its identity. A walk that stopped at a frame it could not read is not kept: that frame may
 * read otherwise later.
 *
 * The cache lives in the thread's heap (reused with it, like the stack walker's), 4 ways a set:
 * a direct-mapped table of 512 missed 0.5% to 7.5% of the calls of tests/workloads/pyobjs.py
 * from one run to the next (the code objects' addresses move the conflicts), and a miss joins
 * the stack again. */
#include "internal.h"
#include "snapshot.h"
#include "unwind.h"
#include "cpython/cpython.h"
#include "cpython/offsets.h"

#define SETS 1024
#define WAYS 4

struct slot {
    uint64_t hash;
    uint32_t site;
};

struct pystacks {
    struct slot slots[SETS][WAYS];
};

static struct pystacks *cache_of(struct atoll_heap *h)
{
    if (ATOLL_LIKELY(h->pystacks != NULL))
        return h->pystacks;
    if (h == &atoll_empty_heap)
        return NULL;
    return h->pystacks = atoll_os_alloc(sizeof(struct pystacks));
}

uintptr_t atoll_pycode_type;
uint64_t atoll_pycode_epoch;
uintptr_t atoll_pycode_image_lo, atoll_pycode_image_hi;

void atoll_pystack_start(void)
{
    struct atoll_module image;
    atoll_pycode_type = cpython_found.code_type;
    if (atoll_module_find(cpython_found.runtime, &image)) {
        atoll_pycode_image_lo = image.lo;
        atoll_pycode_image_hi = image.hi;
    }
}

static uint64_t mix(uint64_t h)
{
    h = (h ^ h >> 33) * 0xFF51AFD7ED558CCDull;
    h = (h ^ h >> 33) * 0xC4CEB9FE1A85EC53ull;
    return (h ^ h >> 33) | 1;
}

/* The frames read and checked, each code object by its identity. Products per frame that do
 * not wait on each other; only an add and a rotation chain them, so the order of the frames
 * counts. */
static uint64_t read_key(const struct cpython_frame *fr, unsigned n)
{
    uint64_t a = 0, b = n;
    for (unsigned i = 0; i < n; i++) {
        a = cpython_rotl(a, 23) + fr[i].identity;
        b = cpython_rotl(b, 29) + (fr[i].instr + 1) * 0x94D049BB133111EBull;
    }
    return a ^ cpython_rotl(b, 32);
}

/* The joined site, or native when the stack cannot be joined (out of atoll's memory). */
static uint32_t join(const struct cpython_frame *fr, unsigned n, uint32_t native)
{
    void *frames[ATOLL_MAX_STACK_DEPTH + 1];
    for (unsigned i = 0; i < n; i++) {
        uint32_t id = atoll_pycode_intern(fr[i].code, fr[i].identity);
        if (id == ATOLL_NONE)
            return native;
        frames[i] = (void *)(uintptr_t)(ATOLL_DUMP_FRAME_PYTHON | (uint64_t)id << 32 |
                                        fr[i].instr);
    }
    frames[n] = (void *)(uintptr_t)(ATOLL_SITE_NATIVE | native);
    uint32_t site = atoll_site_intern(frames, n + 1);
    return site ? site : native;
}

uint32_t atoll_pystack_site(uint32_t native)
{
    struct cpython_frame fr[ATOLL_MAX_STACK_DEPTH];
    unsigned n = 0;
    bool whole = true, read = __atomic_load_n(&atoll_pycode_foreign, __ATOMIC_RELAXED);
    uint64_t key;
    if (!read) {
        key = cpython_frames_key(atoll_g.stack_depth);
        if (!key)
            return native;
        key += __atomic_load_n(&atoll_pycode_epoch, __ATOMIC_RELAXED) * 0xD6E8FEB86659FD93ull;
    } else {
        n = cpython_frames_read(fr, atoll_g.stack_depth, &whole);
        if (!n)
            return native;
        key = read_key(fr, n);
    }
    uint64_t h = mix(key ^ native * 0x9E3779B97F4A7C15ull);
    struct pystacks *c = cache_of(atoll_tls.heap);
    struct slot *set = c ? c->slots[(h >> 32) % SETS] : NULL;
    for (unsigned i = 0; set && i < WAYS; i++)
        if (set[i].hash == h)
            return set[i].site;
    if (!read)
        n = cpython_frames_read(fr, atoll_g.stack_depth, &whole);
    uint32_t site = n ? join(fr, n, native) : native;
    if (set && whole && (site != native || !n)) {
        /* The newest first; the oldest goes. */
        memmove(set + 1, set, (WAYS - 1) * sizeof *set);
        set[0] = (struct slot){ h, site };
    }
    return site;
}
