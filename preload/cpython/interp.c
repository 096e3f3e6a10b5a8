/* Finds the CPython in this process and holds the layout of each version it can read: the
 * tables below, each field checked against that version's headers by tests/cpython.
 *
 * The interpreter is found by its exported symbols, in the executable (Debian's python3.11
 * links libpython in) or in libpython. Its version comes from Py_Version (3.11 on); before, from
 * the newest API function the build exports (each release adds some, and a build cannot leave
 * them out, whatever the executable is called). PyCode_Type's size must then be the table's:
 * a debug or free-threaded build, whose objects are laid out otherwise, is not read. */
#include "cpython.h"
#include "offsets.h"

#include <dlfcn.h>
#include <link.h>
#include <stddef.h>

struct cpython_found cpython_found;

/* What every version 3.8 to 3.13 shares: Py_tss_t, the object and type headers, the str
 * state bits and bytes. */
#define COMMON                                                                                 \
    .tss_initialized = 0, .tss_key = 4, .ob_type = 8, .ob_size = 16, .tp_basicsize = 32,       \
    .tp_flags = 168, .flag_str = 1 << 28, .flag_bytes = 1 << 27, .str_length = 16,             \
    .str_state = 32, .str_kind_bit = 2, .str_compact_bit = 5, .str_ascii_bit = 6,              \
    .bytes_data = 32, .ts_interp = 16, .gc_count = 44, .gc_collecting = 200,                   \
    .gc_head_size = 16, .gc_generations = 24, .gc_generation_size = 24, .tuple_items = 24

/* 3.8 to 3.10: frames are objects, no data stack. */
#define NO_DATA_STACK .in_threads = -1, .ts_next = -1, .ts_datastack_top = -1,                 \
                      .ts_datastack_limit = -1

/* 3.8 to 3.11: the thread that holds the GIL is the gilstate's tstate_current. */
#define GILSTATE .ts_status = -1, .ts_gil_bit = -1

/* 3.8 and 3.9: the free lists are file-static variables (statics.c), in no header. */
#define STATIC_FREELISTS                                                                       \
    .in_list_items = -1, .in_list_count = -1, .list_max = -1, .in_dict_items = -1,            \
    .in_dict_count = -1, .in_keys_items = -1, .in_keys_count = -1, .dict_max = -1,             \
    .in_tuple_heads = -1, .in_tuple_counts = -1, .tuple_lists = -1, .tuple_first = -1,         \
    .tuple_max = -1

/* The free lists' sizes from 3.10. */
#define MAXIMA .list_max = 80, .dict_max = 80, .tuple_lists = 20, .tuple_max = 2000

/* A function's fields from 3.10, which put the common ones (globals, builtins, name, ...) first. */
#define FUNC_310 .func_globals = 16, .func_defaults = 56, .func_kwdefaults = 64, .func_closure = 72

/* 3.8 to 3.10: a dict's values are a bare array; a frame object holds its locals and stack;
 * co_varnames name the first locals, co_cellvars and co_freevars the cells. */
#define BARE_VALUES .values_header = -1, .co_nlocalsplus = -1, .frame_data = -1, .gen_frame = -1, \
                    .frame_frame = -1, .frame_valuestack = 64, .iframe_stacktop = -1,           \
                    .iframe_localsplus = -1, .co_cellvars = 88, .co_freevars = 80

/* 3.11 on: the locals are co_localsplusnames; frames live in a frame object or a generator. */
#define LOCALSPLUS .co_nlocals = 80, .co_localnames = 96, .frame_locals = -1, .frame_gen = -1,  \
                   .frame_top = -1, .frame_depth = -1, .frame_running = -1, .frame_frame = 24,  \
                   .frame_valuestack = -1, .iframe_stacktop = 64, .iframe_localsplus = 72,       \
                   .co_cellvars = -1, .co_freevars = -1

/* 3.8 to 3.10: PyFrameObject chains, str with wstr and a ready bit, no co_qualname. */
#define FRAME_OBJECTS                                                                          \
    .ts_thread_id = 176, .ts_frame = 24, .cframe_current = -1, .fr_previous = 24,             \
    .fr_code = 32, .fr_owner = -1, .owned_by_generator = -1, .owned_by_cstack = -1,            \
    .co_firstlineno = 40, .co_filename = 104, .co_qualname = 112, .co_linetable = 120,          \
    .co_code = -1, .co_firsttraceable = -1, .code_basicsize = 176, .str_ascii_size = 48,       \
    .str_compact_size = 72, .str_data = 72, .str_ready_bit = 7, NO_DATA_STACK

static const struct cpython_offsets tables[] = {
    { .version = 0x0308, COMMON, FRAME_OBJECTS, .runtime_tss = 1392, .fr_instr = 104,
      GILSTATE, STATIC_FREELISTS, .rt_main = 40, .rt_finalizing = 16,
      .rt_tstate_current = 1368, .rt_gc = 344, .in_gc = -1,
      .func_globals = 24, .func_defaults = 32, .func_kwdefaults = 40, .func_closure = 48,
      .keys_header = 40, .ht_cached_keys = 872, .co_nlocals = 28,
      .co_localnames = 72, BARE_VALUES, .frame_locals = 360, .frame_gen = 96, .frame_top = 72,
      .frame_depth = -1, .frame_running = 116 },
    { .version = 0x0309, COMMON, FRAME_OBJECTS, .runtime_tss = 584, .fr_instr = 104,
      GILSTATE, STATIC_FREELISTS, .rt_main = 40, .rt_finalizing = 16,
      .rt_tstate_current = 568, .rt_gc = -1, .in_gc = 616,
      .func_globals = 24, .func_defaults = 32, .func_kwdefaults = 40, .func_closure = 48,
      .keys_header = 40, .ht_cached_keys = 864, .co_nlocals = 28,
      .co_localnames = 72, BARE_VALUES, .frame_locals = 360, .frame_gen = 96, .frame_top = 72,
      .frame_depth = -1, .frame_running = 116 },
    { .version = 0x030a, COMMON, FRAME_OBJECTS, .runtime_tss = 584, .fr_instr = 96,
      GILSTATE, MAXIMA, .rt_main = 40, .rt_finalizing = 16, .rt_tstate_current = 568,
      .rt_gc = -1, .in_gc = 616, .in_list_items = 10040, .in_list_count = 10680,
      .in_dict_items = 10688, .in_dict_count = 11328, .in_keys_items = 11336,
      .in_keys_count = 11976, .in_tuple_heads = 9800, .in_tuple_counts = 9960,
      .tuple_first = 1, FUNC_310, .keys_header = 40, .ht_cached_keys = 872,
      .co_nlocals = 28, .co_localnames = 72, BARE_VALUES, .frame_locals = 352, .frame_gen = 88,
      .frame_top = -1, .frame_depth = 80, .frame_running = 108 },
    { .version = 0x030b, COMMON, .runtime_tss = 592, .ts_thread_id = 152, .ts_frame = 56,
      .cframe_current = 8, .fr_previous = 48, .fr_code = 32, .fr_instr = 56, .fr_owner = 69,
      .owned_by_generator = 1, .owned_by_cstack = -1, .co_firstlineno = 72,
      .co_filename = 112, .co_qualname = 128, .co_linetable = 136, .co_code = 184,
      .co_firsttraceable = 168, .code_basicsize = 184, .str_ascii_size = 48,
      .str_compact_size = 72, .str_data = 72, .str_ready_bit = 7, GILSTATE, MAXIMA,
      .rt_main = 48, .rt_finalizing = 24, .rt_tstate_current = 576, .rt_gc = -1,
      .in_gc = 648, .in_list_items = 3872, .in_list_count = 4512, .in_dict_items = 4520,
      .in_dict_count = 5160, .in_keys_items = 5168, .in_keys_count = 5808,
      .in_tuple_heads = 3632, .in_tuple_counts = 3792, .tuple_first = 0, .in_threads = 16,
      .ts_next = 8, .ts_datastack_top = 304, .ts_datastack_limit = 312, FUNC_310,
      .keys_header = 32, .ht_cached_keys = 872, .values_header = 0, LOCALSPLUS,
      .co_nlocalsplus = 76, .frame_data = 48, .gen_frame = 80 },
    { .version = 0x030c, COMMON, .runtime_tss = 1544, .ts_thread_id = 136, .ts_frame = 56,
      .cframe_current = 0, .fr_previous = 8, .fr_code = 0, .fr_instr = 56, .fr_owner = 70,
      .owned_by_generator = 1, .owned_by_cstack = 3, .co_firstlineno = 68,
      .co_filename = 112, .co_qualname = 128, .co_linetable = 136, .co_code = 192,
      .co_firsttraceable = 176, .code_basicsize = 192, .str_ascii_size = 40,
      .str_compact_size = 56, .str_data = 56, .str_ready_bit = -1, MAXIMA, .rt_main = 48,
      .rt_finalizing = 24, .rt_tstate_current = -1, .ts_status = 24, .ts_gil_bit = 4,
      .rt_gc = -1, .in_gc = 112, .in_list_items = 270072, .in_list_count = 270712,
      .in_dict_items = 270736, .in_dict_count = 272016, .in_keys_items = 271376,
      .in_keys_count = 272020, .in_tuple_heads = 269832, .in_tuple_counts = 269992,
      .tuple_first = 0,
      .in_threads = 72, .ts_next = 8, .ts_datastack_top = 240, .ts_datastack_limit = 248,
      FUNC_310, .keys_header = 32, .ht_cached_keys = 880, .values_header = 0, LOCALSPLUS,
      .co_nlocalsplus = 72, .frame_data = 48, .gen_frame = 72 },
    { .version = 0x030d, COMMON, .runtime_tss = 2160, .ts_thread_id = 152, .ts_frame = 72,
      .cframe_current = -1, .fr_previous = 8, .fr_code = 0, .fr_instr = 56, .fr_owner = 70,
      .owned_by_generator = 1, .owned_by_cstack = 3, .co_firstlineno = 68,
      .co_filename = 112, .co_qualname = 128, .co_linetable = 136, .co_code = 200,
      .co_firsttraceable = 184, .code_basicsize = 200, .str_ascii_size = 40,
      .str_compact_size = 56, .str_data = 56, .str_ready_bit = -1, MAXIMA, .rt_main = 640,
      .rt_finalizing = 608, .rt_tstate_current = -1, .ts_status = 32, .ts_gil_bit = 5,
      .rt_gc = -1, .in_gc = 7400, .in_list_items = 11208, .in_list_count = 11848,
      .in_dict_items = 11856, .in_dict_count = 12496, .in_keys_items = 12504,
      .in_keys_count = 13144, .in_tuple_heads = 10968, .in_tuple_counts = 11128,
      .tuple_first = 0,
      .in_threads = 7344, .ts_next = 8, .ts_datastack_top = 240, .ts_datastack_limit = 248,
      FUNC_310, .keys_header = 32, .ht_cached_keys = 880, .values_header = 8, LOCALSPLUS,
      .co_nlocalsplus = 72, .frame_data = 64, .gen_frame = 72 },
};

const struct cpython_offsets *cpython_offsets(unsigned version)
{
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        if (tables[i].version == version)
            return &tables[i];
    return NULL;
}

/* dlsym that leaves nothing behind: glibc keeps a failed lookup's message in two heap blocks
 * until dlerror is called twice (the first call returns it, the second frees it), and every
 * report of a program without CPython would count them reachable. */
void *cpython_symbol(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    if (!p) {
        dlerror();
        dlerror();
    }
    return p;
}

static unsigned version_of(void)
{
    const unsigned long *hex = cpython_symbol("Py_Version");
    if (hex)
        return (unsigned)(*hex >> 16) & 0xffff;
    static const struct {
        const char *symbol;
        unsigned version;
    } added[] = {
        { "PyAIter_Check", 0x030a },
        { "PyFrame_GetCode", 0x0309 },
        { "PyCode_NewWithPosOnlyArgs", 0x0308 },
    };
    for (size_t i = 0; i < sizeof added / sizeof *added; i++)
        if (cpython_symbol(added[i].symbol))
            return added[i].version;
    return 0;
}

unsigned cpython_frames_init(void)
{
    uintptr_t runtime = (uintptr_t)cpython_symbol("_PyRuntime");
    uintptr_t code_type = (uintptr_t)cpython_symbol("PyCode_Type");
    if (!runtime || !code_type)
        return 0;
    const struct cpython_offsets *o = cpython_offsets(version_of());
    if (!o || CPY_LOAD(int64_t, code_type, o->tp_basicsize) != o->code_basicsize)
        return 0;
    cpython_found.runtime = runtime;
    cpython_found.code_type = code_type;
    __atomic_store_n(&cpython_found.o, o, __ATOMIC_RELEASE);
    return o->version;
}

/* The code of _PyEval_EvalFrameDefault, where a native stack of Python code reaches the eval
 * loop; 0 if its size is not in the symbol table. */
int cpython_eval_loop(uintptr_t *lo, uintptr_t *hi)
{
    void *f = cpython_symbol("_PyEval_EvalFrameDefault");
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!f || !dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym || !sym->st_size)
        return 0;
    *lo = (uintptr_t)f;
    *hi = (uintptr_t)f + sym->st_size;
    return 1;
}

unsigned cpython_frames_version(void)
{
    const struct cpython_offsets *o = cpython_layout_found();
    return o ? o->version : 0;
}
