/* The calling thread's Python frames, read on every allocation's path: loads only, and
 * pthread_getspecific and pthread_self, which neither lock nor allocate.
 *
 * The thread's own PyThreadState is the GIL holder's when that is this thread (up to 3.11,
 * where _PyRuntime names it), else the one the gilstate's TSS key in _PyRuntime holds for it:
 * CPython sets it for the main thread, for each thread `threading` starts and for each thread
 * PyGILState_Ensure adopts, and clears it when the thread state goes. That holds whether or not
 * the thread has the GIL: a thread waiting in C (a ctypes call, a blocking read) still has its
 * frames, which only the thread itself pushes and pops. Its thread_id must be this thread. */
#include "cpython.h"
#include "offsets.h"

#include <pthread.h>
#include <stdbool.h>

/* How many frames a walk may look at: the max it returns and those CPython's own iteration
 * skips, which are one entry frame per call from C into Python (3.12 on), at most one a frame
 * returned, and the innermost frames still setting up. A cycle ends there too. */
#define STEPS(max) (2 * (max) + 8)

uintptr_t cpython_thread_state(const struct cpython_offsets *o)
{
    /* Up to 3.11, _PyRuntime names the GIL's holder: when that is this thread (nearly every
     * allocation of a Python program), it is the thread state it runs, found with no call. */
    if (o->rt_tstate_current >= 0) {
        uintptr_t ts = CPY_LOAD(uintptr_t, cpython_found.runtime, o->rt_tstate_current);
        if (cpython_plausible(ts) &&
            CPY_LOAD(unsigned long, ts, o->ts_thread_id) == (unsigned long)pthread_self())
            return ts;
    }
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
                              struct cpython_frame *out, unsigned max, bool *whole)
{
    int scale = o->version >= 0x030a ? 2 : 1;
    unsigned n = 0;
    for (; n < max && cpython_plausible(frame);
         frame = CPY_LOAD(uintptr_t, frame, o->fr_previous)) {
        uintptr_t code = CPY_LOAD(uintptr_t, frame, o->fr_code);
        int lasti = CPY_LOAD(int, frame, o->fr_instr);
        if (!cpython_is_code(o, code) || lasti < -1 || lasti >= (1 << 28)) {
            *whole = false;
            break;
        }
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
                                   struct cpython_frame *out, unsigned max, bool *whole)
{
    unsigned n = 0;
    for (unsigned steps = 0; n < max && steps < STEPS(max) && cpython_plausible(frame);
         steps++, frame = CPY_LOAD(uintptr_t, frame, o->fr_previous)) {
        int owner = CPY_LOAD(signed char, frame, o->fr_owner);
        if (owner == o->owned_by_cstack)
            continue;
        uintptr_t code = CPY_LOAD(uintptr_t, frame, o->fr_code);
        if (!cpython_is_code(o, code)) {
            *whole = false;
            break;
        }
        uintptr_t start = code + (uintptr_t)o->co_code;
        intptr_t bytes = (intptr_t)(CPY_LOAD(uintptr_t, frame, o->fr_instr) - start);
        if ((bytes & 1) || bytes < -2 || bytes >= 2 * CPY_LOAD(intptr_t, code, o->ob_size)) {
            *whole = false;
            break;
        }
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

/* The innermost frame of the calling thread, or 0. */
static uintptr_t innermost(const struct cpython_offsets *o)
{
    uintptr_t ts = cpython_thread_state(o);
    if (!ts)
        return 0;
    uintptr_t frame = CPY_LOAD(uintptr_t, ts, o->ts_frame);
    if (o->cframe_current >= 0)
        frame = cpython_plausible(frame) ? CPY_LOAD(uintptr_t, frame, o->cframe_current) : 0;
    return frame;
}

unsigned cpython_frames_read(struct cpython_frame *out, unsigned max, bool *whole)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t frame = o && max ? innermost(o) : 0;
    *whole = true;
    if (!frame)
        return 0;
    return o->version >= 0x030b ? interpreter_frames(o, frame, out, max, whole)
                                : frame_objects(o, frame, out, max, whole);
}

/* Everything a walk of at most max frames reads from the frames themselves, hashed: each
 * frame's code, instruction and owner, up to the end of the chain or as many frames as the
 * walk may look at. Equal keys mean equal walks while the code objects named stay the same
 * (the caller sees to that): what a walk reads of a code object does not change while it
 * lives. Four loads a frame (link, code, instruction, owner), products that do not wait on
 * each other, and no test of what the loads point at; the sum is left unmixed (the caller
 * mixes it with the native site). */
uint64_t cpython_frames_key(unsigned max)
{
    const struct cpython_offsets *o = cpython_layout_found();
    uintptr_t frame = o && max ? innermost(o) : 0;
    if (!frame)
        return 0;
    unsigned limit = o->version >= 0x030b ? STEPS(max) : max, steps = 0;
    uint64_t a = 0, b = 0;
    for (; steps < limit && cpython_plausible(frame);
         steps++, frame = CPY_LOAD(uintptr_t, frame, o->fr_previous)) {
        uintptr_t code = CPY_LOAD(uintptr_t, frame, o->fr_code);
        uint64_t instr = o->version >= 0x030b ? CPY_LOAD(uintptr_t, frame, o->fr_instr)
                                              : (uint64_t)CPY_LOAD(uint32_t, frame, o->fr_instr);
        uint64_t owner = o->fr_owner >= 0 ? (uint64_t)CPY_LOAD(uint8_t, frame, o->fr_owner) : 0;
        a = cpython_rotl(a, 23) + code * 0xBF58476D1CE4E5B9ull;
        b = cpython_rotl(b, 29) + (instr ^ owner << 56) * 0x94D049BB133111EBull;
    }
    return ((a ^ cpython_rotl(b, 32)) + steps * 0x9E3779B97F4A7C15ull + frame) | 1;
}
