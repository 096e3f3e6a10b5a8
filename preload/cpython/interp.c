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
#include <stddef.h>

struct cpython_found cpython_found;

/* What every version 3.8 to 3.13 shares: Py_tss_t, the object and type headers, the str
 * state bits and bytes. */
#define COMMON                                                                                 \
    .tss_initialized = 0, .tss_key = 4, .ob_type = 8, .ob_size = 16, .tp_basicsize = 32,       \
    .tp_flags = 168, .flag_str = 1 << 28, .flag_bytes = 1 << 27, .str_length = 16,             \
    .str_state = 32, .str_kind_bit = 2, .str_compact_bit = 5, .str_ascii_bit = 6,              \
    .bytes_data = 32

/* 3.8 to 3.10: PyFrameObject chains, str with wstr and a ready bit, no co_qualname. */
#define FRAME_OBJECTS                                                                          \
    .ts_thread_id = 176, .ts_frame = 24, .cframe_current = -1, .fr_previous = 24,             \
    .fr_code = 32, .fr_owner = -1, .owned_by_generator = -1, .owned_by_cstack = -1,            \
    .co_firstlineno = 40, .co_filename = 104, .co_qualname = 112, .co_linetable = 120,          \
    .co_code = -1, .co_firsttraceable = -1, .code_basicsize = 176, .str_ascii_size = 48,       \
    .str_compact_size = 72, .str_data = 72, .str_ready_bit = 7

static const struct cpython_offsets tables[] = {
    { .version = 0x0308, COMMON, FRAME_OBJECTS, .runtime_tss = 1392, .fr_instr = 104 },
    { .version = 0x0309, COMMON, FRAME_OBJECTS, .runtime_tss = 584, .fr_instr = 104 },
    { .version = 0x030a, COMMON, FRAME_OBJECTS, .runtime_tss = 584, .fr_instr = 96 },
    { .version = 0x030b, COMMON, .runtime_tss = 592, .ts_thread_id = 152, .ts_frame = 56,
      .cframe_current = 8, .fr_previous = 48, .fr_code = 32, .fr_instr = 56, .fr_owner = 69,
      .owned_by_generator = 1, .owned_by_cstack = -1, .co_firstlineno = 72,
      .co_filename = 112, .co_qualname = 128, .co_linetable = 136, .co_code = 184,
      .co_firsttraceable = 168, .code_basicsize = 184, .str_ascii_size = 48,
      .str_compact_size = 72, .str_data = 72, .str_ready_bit = 7 },
    { .version = 0x030c, COMMON, .runtime_tss = 1544, .ts_thread_id = 136, .ts_frame = 56,
      .cframe_current = 0, .fr_previous = 8, .fr_code = 0, .fr_instr = 56, .fr_owner = 70,
      .owned_by_generator = 1, .owned_by_cstack = 3, .co_firstlineno = 68,
      .co_filename = 112, .co_qualname = 128, .co_linetable = 136, .co_code = 192,
      .co_firsttraceable = 176, .code_basicsize = 192, .str_ascii_size = 40,
      .str_compact_size = 56, .str_data = 56, .str_ready_bit = -1 },
    { .version = 0x030d, COMMON, .runtime_tss = 2160, .ts_thread_id = 152, .ts_frame = 72,
      .cframe_current = -1, .fr_previous = 8, .fr_code = 0, .fr_instr = 56, .fr_owner = 70,
      .owned_by_generator = 1, .owned_by_cstack = 3, .co_firstlineno = 68,
      .co_filename = 112, .co_qualname = 128, .co_linetable = 136, .co_code = 200,
      .co_firsttraceable = 184, .code_basicsize = 200, .str_ascii_size = 40,
      .str_compact_size = 56, .str_data = 56, .str_ready_bit = -1 },
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

unsigned cpython_frames_version(void)
{
    const struct cpython_offsets *o = cpython_layout_found();
    return o ? o->version : 0;
}
