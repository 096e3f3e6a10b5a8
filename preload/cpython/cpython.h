/* CPython read from outside: what atoll reads from the interpreter's memory, per version, to
 * give each allocation its Python stack. Nothing here calls into Python: a frame is read as the
 * interpreter left it in memory, from the thread that runs it.
 *
 * interp.c finds the interpreter (its symbols, its version) and holds the per-version offsets;
 * frames.c reads the calling thread's frame chain; code.c copies a code object's names and
 * line table. The analyzer turns an instruction offset into a line (analyzer/python/lines.c)
 * from the line table copied here. What is read, per version:
 *
 *   all        _PyRuntime's gilstate TSS key -> pthread_getspecific -> this thread's
 *              PyThreadState (its thread_id must be pthread_self()); version: Py_Version
 *              (3.11+), else the newest API function exported (PyAIter_Check 3.10,
 *              PyFrame_GetCode 3.9, PyCode_NewWithPosOnlyArgs 3.8); PyCode_Type's
 *              tp_basicsize must be the table's (no debug or free-threaded build)
 *   3.8, 3.9   tstate->frame, PyFrameObject f_back, f_code, f_lasti (bytes); co_name,
 *              co_lnotab; str with wstr and a ready bit
 *   3.10       as 3.9, but f_lasti counts code units (x 2 for bytes) and co_linetable
 *   3.11       tstate->cframe->current_frame, _PyInterpreterFrame previous, f_code,
 *              prev_instr, owner; co_qualname, co_linetable, co_code_adaptive,
 *              _co_firsttraceable (frames before it are skipped, as CPython does)
 *   3.12       as 3.11, other offsets; entry frames (owner FRAME_OWNED_BY_CSTACK) skipped;
 *              str without wstr
 *   3.13       tstate->current_frame, f_executable (must be a code object), instr_ptr
 *
 * The instruction offset is _PyInterpreterFrame_LASTI (or f_lasti) in bytes, which is
 * PyCode_Addr2Line's argument for frame.f_lineno: prev_instr is the instruction last started
 * in 3.11 and 3.12, instr_ptr the current one in 3.13. */
#ifndef ATOLL_CPYTHON_H
#define ATOLL_CPYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One frame of the calling thread's Python stack. */
struct cpython_frame {
    const void *code;                 /* the PyCodeObject it runs */
    uint32_t instr;                   /* byte offset of the instruction it is executing:
                                       * PyCode_Addr2Line's argument (negative, as two's
                                       * complement, before its first instruction) */
    uint64_t identity;                /* cpython_code_identity(code) */
};

/* What a report needs of a code object, copied into the caller's buffer. */
struct cpython_code_info {
    const char *filename;             /* co_filename, UTF-8, NUL-terminated */
    const char *qualname;             /* co_qualname (3.11+), co_name before */
    int32_t firstlineno;
    const uint8_t *linetable;         /* co_lnotab (3.8, 3.9), co_linetable (3.10 on) */
    uint32_t linetable_size;
};

/* Finds the interpreter in this process. Call once libc is up (the library constructor); it
 * may use dlsym, dladdr and dl_iterate_phdr. Returns the version (0x030b for 3.11), or 0 when
 * the process holds no CPython 3.8 to 3.13 (then cpython_frames_read returns 0). */
unsigned cpython_frames_init(void);
unsigned cpython_frames_version(void);
int cpython_eval_loop(uintptr_t *lo, uintptr_t *hi);

/* The calling thread's Python frames, innermost first, at most max; 0 when it runs no Python
 * code. *whole is false when the walk stopped at a frame it could not read (a code pointer
 * that is no code object, an instruction outside its code), which may read otherwise later
 * with the same frames. On every allocation's path: no lock, no allocation, no call that may
 * take either. */
unsigned cpython_frames_read(struct cpython_frame *out, unsigned max, bool *whole);

/* A hash of what cpython_frames_read(out, max) reads from the calling thread's frames; 0 when
 * it runs no Python code. Two calls with equal keys read the same frames as long as no code
 * object they name was freed in between. Cheaper than the read: no code object is looked at. */
uint64_t cpython_frames_key(unsigned max);

/* Equal for two reads of one live code object; different, but for a hash collision, when
 * another code object has taken its address since (it hashes the address, co_filename,
 * co_qualname, co_linetable and co_firstlineno). */
uint64_t cpython_code_identity(const void *code);

/* Copies code's names and line table into buf (cap bytes). 0, or -1 if it does not fit or is
 * not a code object of this interpreter. code must be alive: the caller keeps it so (a freed
 * code object's memory is read as it is, and may describe the next one at that address). */
int cpython_code_describe(const void *code, struct cpython_code_info *out, char *buf, size_t cap);

#endif
