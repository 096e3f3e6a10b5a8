/* Where CPython's structures keep what the labels read, per version: the offsets that move
 * between 3.8 and 3.13 (pyobj.h has those that do not), in the order of struct pyoffsets.
 * Taken with offsetof from each version's headers, the internal ones with Py_BUILD_CORE. 3.10
 * put a function's common fields (globals, builtins, name, ...) first; 3.12 dropped a str's
 * wstr; 3.11 moved frames into _PyInterpreterFrame. */
#include "pyobj.h"

static const struct pyoffsets table[] = {
    /* func: globals defaults kwdefaults closure dict | str: ascii compact | keys | cached keys
     * | values | code: nlocals names nlocalsplus | frame: locals gen top depth running | frame
     * data | gen | iframe code */
    { 24, 32, 40, 48, 72, 48, 72, 40, 0, 0, 28, 72, 0, 360, 96, 72, 0, 116, 0, 0, 0 }, /* 3.8/9 */
    { 16, 56, 64, 72, 88, 48, 72, 40, 0, 0, 28, 72, 0, 352, 88, 0, 80, 108, 0, 0, 0 }, /* 3.10 */
    { 16, 56, 64, 72, 88, 48, 72, 32, 872, 0, 80, 96, 76, 0, 0, 0, 0, 0, 48, 80, 32 }, /* 3.11 */
    { 16, 56, 64, 72, 88, 40, 56, 32, 880, 0, 80, 96, 72, 0, 0, 0, 0, 0, 48, 72, 0 },  /* 3.12 */
    { 16, 56, 64, 72, 88, 40, 56, 32, 880, 8, 80, 96, 72, 0, 0, 0, 0, 0, 64, 72, 0 },  /* 3.13 */
};

struct pyoffsets cpython_label_offsets(unsigned version)
{
    if (version < 0x030a)
        return table[0];
    return table[version >= 0x030d ? 4 : version - 0x0309];
}
