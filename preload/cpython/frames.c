/* The calling thread's Python frames, read on every allocation's path: loads only, and
 * pthread_getspecific and pthread_self, which neither lock nor allocate.
 *
 * The thread's own PyThreadState is the one the gilstate's TSS key in _PyRuntime holds for it:
 * CPython sets it for the main thread, for each thread `threading` starts and for each thread
 * PyGILState_Ensure adopts, and clears it when the thread state goes. That holds whether or not
 * the thread has the GIL: a thread waiting in C (a ctypes call, a blocking read) still has its
 * frames, which only the thread itself pushes and pops. Its thread_id must be this thread. */
#include "cpython.h"
#include "offsets.h"

#include <pthread.h>

/* How many frames a walk may look at: the max it returns and those CPython's own iteration
 * skips, which are one entry frame per call from C into Python (3.12 on), at most one a frame
 * returned, and the innermost frames still setting up. A cycle ends there too. */
#define STEPS(max) (2 * (max) + 8)

uintptr_t cpython_thread_state(const struct cpython_offsets *o)
{
    uintptr_t tss = cpython_found.runtime + (uintptr_t)o->runtime_tss;
    if (!CPY_LOAD(int, tss, o->tss_initialized))
        return 0;
    uintptr_t ts = (uintptr_t)pthread_getspecific(CPY_LOAD(pthread_key_t, tss, o->tss_key));
    if (!cpython_plausible(ts) ||
        CPY_LOAD(unsigned long, ts, o->ts_thread_id) != (unsigned long)pthread_self())
        return 0;
    return ts;
}

/* 3.8 to 3.10: PyFrameObjects linked by f_back. f_lasti counts bytes in 3.8 and 3.9, code
 * units in 3.10; -1 before the first instruction, which PyCode_Addr2Line takes as negative. */
static unsigned frame_objects(const struct cpython_offsets *o, uintptr_t frame,
                              struct cpython_frame *out, unsigned max)
{
    int scale = o->version >= 0x030a ? 2 : 1;
    unsigned n = 0;
    for (; n < max && cpython_plausible(frame);
         frame = CPY_LOAD(uintptr_t, frame, o->fr_previous)) {
        uintptr_t code = CPY_LOAD(uintptr_t, frame, o->fr_code);
        int lasti = CPY_LOAD(int, frame, o->fr_instr);
        if (!cpython_is_code(o, code) || lasti < -1 || lasti >= (1 << 28))
            break;
        out[n].code = (const void *)code;
        out[n].instr = (uint32_t)(lasti * scale);
        out[n].identity = cpython_identity(o, code);
        n++;
    }
    return n;
}

/* 3.11 on: _PyInterpreterFrames linked by previous. The offset is the instruction pointer
 * (prev_instr in 3.11 and 3.12, instr_ptr in 3.13) less the code's start, as
 * _PyInterpreterFrame_LASTI has it. Skipped as _PyFrame_IsIncomplete skips them: the frames
 * the C stack owns (3.12's entry frame has a trampoline's code, 3.13's none) and, but for a
 * generator's, the frames before their first traceable instruction. */
static unsigned interpreter_frames(const struct cpython_offsets *o, uintptr_t frame,
                                   struct cpython_frame *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned steps = 0; n < max && steps < STEPS(max) && cpython_plausible(frame);
         steps++, frame = CPY_LOAD(uintptr_t, frame, o->fr_previous)) {
        int owner = CPY_LOAD(signed char, frame, o->fr_owner);
        if (owner == o->owned_by_cstack)
            continue;
        uintptr_t code = CPY_LOAD(uintptr_t, frame, o->fr_code);
        if (!cpython_is_code(o, code))
            break;
        uintptr_t start = code + (uintptr_t)o->co_code;
        intptr_t bytes = (intptr_t)(CPY_LOAD(uintptr_t, frame, o->fr_instr) - start);
        if ((bytes & 1) || bytes < -2 || bytes >= 2 * CPY_LOAD(intptr_t, code, o->ob_size))
            break;
        if (owner != o->owned_by_generator &&
            bytes < 2 * (intptr_t)CPY_LOAD(int, code, o->co_firsttraceable))
            continue;
        out[n].code = (const void *)code;
        out[n].instr = (uint32_t)bytes;
        out[n].identity = cpython_identity(o, code);
        n++;
    }
    return n;
}

unsigned cpython_frames_read(struct cpython_frame *out, unsigned max)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t ts = o && max ? cpython_thread_state(o) : 0;
    if (!ts)
        return 0;
    uintptr_t frame = CPY_LOAD(uintptr_t, ts, o->ts_frame);
    if (o->cframe_current >= 0)
        frame = cpython_plausible(frame) ? CPY_LOAD(uintptr_t, frame, o->cframe_current) : 0;
    return o->version >= 0x030b ? interpreter_frames(o, frame, out, max)
                                : frame_objects(o, frame, out, max);
}
