/* The layout of what the frame reader, the free lists' keeper and the snapshot's object reader
 * read, one table per CPython version (held in interp.c), and what interp.c found in this
 * process, for frames.c, code.c and freelists.c (objects.c, labels.c and repr.c look their
 * version's table up). Every field of a table is checked against that version's own headers
 * (tests/cpython/offsets_probe.c); -1: the version has no such field (3.8 and 3.9 keep their
 * free lists in file-static variables that no header declares: statics.c finds those). */
#ifndef ATOLL_CPYTHON_OFFSETS_H
#define ATOLL_CPYTHON_OFFSETS_H

#include <stdint.h>

/* What the snapshot reads (the last seven lines): a function's globals, defaults, kwdefaults and
 * closure; where a dict keys object's indices start (keys_header), a heap type's shared keys
 * (ht_cached_keys), where a PyDictValues' values start (values_header: 3.13's after their
 * capacity); a code object's co_nlocals, its local names (co_localnames: co_varnames before
 * 3.11, then co_localsplusnames) and co_nlocalsplus (3.11+); a frame object's f_localsplus,
 * f_gen (a borrowed pointer), f_stacktop (3.8, 3.9), f_stackdepth (3.10), whether it runs
 * (frame_running: f_executing, 3.10 f_state), its own _PyInterpreterFrame (frame_data, 3.11+)
 * and the pointer to the one it runs (frame_frame: f_frame, 3.11+), f_valuestack (3.8 to
 * 3.10); a generator's gi_iframe (gen_frame, 3.11+); an _PyInterpreterFrame's stacktop and
 * localsplus (3.11+); a code object's co_cellvars and co_freevars (3.8 to 3.10). */
#define CPYTHON_OFFSETS(X)                                                                     \
    X(runtime_tss) X(tss_initialized) X(tss_key)                                               \
    X(ts_thread_id) X(ts_frame) X(cframe_current)                                              \
    X(fr_previous) X(fr_code) X(fr_instr) X(fr_owner) X(owned_by_generator) X(owned_by_cstack) \
    X(co_firstlineno) X(co_filename) X(co_qualname) X(co_linetable) X(co_code)                 \
    X(co_firsttraceable) X(code_basicsize)                                                     \
    X(ob_type) X(ob_size) X(tp_basicsize) X(tp_flags) X(flag_str) X(flag_bytes)                \
    X(str_length) X(str_state) X(str_ascii_size) X(str_compact_size) X(str_data)               \
    X(str_kind_bit) X(str_compact_bit) X(str_ascii_bit) X(str_ready_bit) X(bytes_data)         \
    X(rt_main) X(rt_finalizing) X(rt_tstate_current) X(ts_interp) X(ts_status) X(ts_gil_bit)   \
    X(rt_gc) X(in_gc) X(gc_count) X(gc_collecting) X(gc_head_size)                            \
    X(gc_generations) X(gc_generation_size)                                                    \
    X(in_list_items) X(in_list_count) X(list_max)                                             \
    X(in_dict_items) X(in_dict_count) X(in_keys_items) X(in_keys_count) X(dict_max)           \
    X(in_tuple_heads) X(in_tuple_counts) X(tuple_lists) X(tuple_first) X(tuple_max)           \
    X(tuple_items)                                                                            \
    X(in_threads) X(ts_next) X(ts_datastack_top) X(ts_datastack_limit)                         \
    X(func_globals) X(func_defaults) X(func_kwdefaults) X(func_closure)                        \
    X(keys_header) X(ht_cached_keys) X(values_header)                                          \
    X(co_nlocals) X(co_localnames) X(co_nlocalsplus)                                           \
    X(frame_locals) X(frame_gen) X(frame_top) X(frame_depth) X(frame_running) X(frame_data)    \
    X(gen_frame) X(frame_frame) X(frame_valuestack) X(iframe_stacktop) X(iframe_localsplus)   \
    X(co_cellvars) X(co_freevars)

struct cpython_offsets {
    unsigned version;                 /* 0x0308 for 3.8 */
#define CPYTHON_FIELD(name) int32_t name;
    CPYTHON_OFFSETS(CPYTHON_FIELD)
#undef CPYTHON_FIELD
};

/* The table of a version (0x0308 to 0x030d), or NULL. */
const struct cpython_offsets *cpython_offsets(unsigned version);
/* dlsym(RTLD_DEFAULT, name), leaving no message of a failed lookup in the heap. */
void *cpython_symbol(const char *name);

struct cpython_found {
    const struct cpython_offsets *o;  /* NULL: no interpreter (published last, release) */
    uintptr_t runtime;                /* _PyRuntime */
    uintptr_t code_type;              /* PyCode_Type */
};

extern struct cpython_found cpython_found;

static inline const struct cpython_offsets *cpython_layout_found(void)
{
    return __atomic_load_n(&cpython_found.o, __ATOMIC_ACQUIRE);
}

/* The calling thread's PyThreadState (frames.c), or 0: loads, pthread_getspecific and
 * pthread_self only. */
uintptr_t cpython_thread_state(const struct cpython_offsets *o);

/* A word of the interpreter's memory at address + offset. */
#define CPY_LOAD(type, address, offset) (*(const type *)((uintptr_t)(address) + (intptr_t)(offset)))

/* Whether p may point at an object: not NULL, and aligned as every CPython object is. */
static inline int cpython_plausible(uintptr_t p)
{
    return p >= 4096 && !(p & 7);
}

static inline int cpython_is_code(const struct cpython_offsets *o, uintptr_t p)
{
    return cpython_plausible(p) && CPY_LOAD(uintptr_t, p, o->ob_type) == cpython_found.code_type;
}

/* The rotation the frame hashes chain their per-frame products with (frames.c, stacks.c). */
static inline uint64_t cpython_rotl(uint64_t v, unsigned k)
{
    return v << k | v >> (64 - k);
}

/* What tells the code object at c from the next one at its address (cpython_code_identity). On
 * every allocation's path, once per frame, inlined in the frame walk: independent products of
 * the fields (no chain of multiplications for the CPU to wait on) and no mix: the site cache's
 * hash and the code table's slot both mix what they take. */
static inline uint64_t cpython_identity(const struct cpython_offsets *o, uintptr_t c)
{
    return c * 0x9E3779B97F4A7C15ull ^
           CPY_LOAD(uintptr_t, c, o->co_filename) * 0xBF58476D1CE4E5B9ull ^
           CPY_LOAD(uintptr_t, c, o->co_qualname) * 0x94D049BB133111EBull ^
           CPY_LOAD(uintptr_t, c, o->co_linetable) * 0xD6E8FEB86659FD93ull ^
           (uint64_t)(uint32_t)CPY_LOAD(int32_t, c, o->co_firstlineno) * 0xC2B2AE3D27D4EB4Full;
}

#endif
