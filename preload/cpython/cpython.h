/* CPython read from outside: what atoll reads from the interpreter's memory, per version, to
 * give each allocation its Python stack. Nothing here calls into Python: a frame is read as the
 * interpreter left it in memory, from the thread that runs it.
 *
 * frames.c reads the calling thread's frame chain; interp.c finds the interpreter (its
 * symbols, its version) and holds the per-version offsets. The analyzer turns an instruction
 * offset into a line (analyzer/python/lines.c) from the line table copied here. */
#ifndef ATOLL_CPYTHON_H
#define ATOLL_CPYTHON_H

#include <stddef.h>
#include <stdint.h>

/* One frame of the calling thread's Python stack. */
struct cpython_frame {
    const void *code;                 /* the PyCodeObject it runs */
    uint32_t instr;                   /* byte offset of the instruction it is executing:
                                       * PyCode_Addr2Line's argument */
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

/* The calling thread's Python frames, innermost first, at most max; 0 when it runs no Python
 * code. On every allocation's path: no lock, no allocation, no call that may take either. */
unsigned cpython_frames_read(struct cpython_frame *out, unsigned max);

/* Equal for two reads of one live code object; different, but for a hash collision, when
 * another code object has taken its address since. */
uint64_t cpython_code_identity(const void *code);

/* Copies code's names and line table into buf (cap bytes). 0, or -1 if it does not fit or is
 * not a code object of this interpreter. */
int cpython_code_describe(const void *code, struct cpython_code_info *out, char *buf, size_t cap);

#endif
