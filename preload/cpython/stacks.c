/* Python stacks of allocations: the calling thread's Python frames, joined to its native call
 * stack into one site, Python frames first (the FRAMES encoding in include/atoll/dump.h).
 *
 * The interpreter runs many Python lines from one native frame (3.11 on, a Python call does
 * not even recurse in C), so the native site alone cannot tell them apart and its memo cannot
 * stand for the whole. A per-thread cache maps a hash of (each frame's code identity and
 * instruction, the native site) to the joined site: a hot Python line costs the frame walk,
 * the hash and one compare. The hash is 64 bits and is the whole check: two different stacks
 * would share a site only on a collision, at odds of 2^-64 a pair. */
#include "internal.h"
#include "snapshot.h"
#include "cpython/cpython.h"

#define SLOTS 256

struct slot {
    uint64_t hash;
    uint32_t site;
};

static __thread struct slot cache[SLOTS] __attribute__((tls_model("initial-exec")));

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0xBF58476D1CE4E5B9ull;
    h = (h << 27 | h >> 37) * 0x94D049BB133111EBull;
    return h;
}

/* The joined site, or native when the stack cannot be joined (out of atoll's memory). */
static uint32_t join(const struct cpython_frame *fr, const uint64_t *ids, unsigned n,
                     uint32_t native)
{
    void *frames[2 * ATOLL_MAX_STACK_DEPTH + 8];
    for (unsigned i = 0; i < n; i++) {
        uint32_t code = atoll_pycode_intern(fr[i].code, ids[i]);
        if (code == ATOLL_NONE)
            return native;
        frames[i] = (void *)(uintptr_t)(ATOLL_DUMP_FRAME_PYTHON | (uint64_t)code << 32 |
                                        fr[i].instr);
    }
    uint32_t depth;
    void *const *nf = atoll_site_frames(native, &depth);
    if (depth > ATOLL_MAX_STACK_DEPTH + 8)
        depth = ATOLL_MAX_STACK_DEPTH + 8;
    for (uint32_t k = 0; k < depth; k++)
        frames[n + k] = nf[k];
    uint32_t site = atoll_site_intern(frames, n + depth);
    return site ? site : native;
}

uint32_t atoll_pystack_site(uint32_t native)
{
    struct cpython_frame fr[ATOLL_MAX_STACK_DEPTH];
    uint64_t ids[ATOLL_MAX_STACK_DEPTH];
    unsigned n = cpython_frames_read(fr, atoll_g.stack_depth);
    if (!n)
        return native;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ native;
    for (unsigned i = 0; i < n; i++) {
        ids[i] = cpython_code_identity(fr[i].code);
        h = mix(mix(h, ids[i]), fr[i].instr);
    }
    h |= 1;
    struct slot *s = &cache[(h >> 7) % SLOTS];
    if (s->hash == h)
        return s->site;
    uint32_t site = join(fr, ids, n, native);
    if (site != native) {
        s->hash = h;
        s->site = site;
    }
    return site;
}
