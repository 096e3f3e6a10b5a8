/* A Python frame's line number from its code object's line table, as CPython computes it. */
#ifndef ATOLL_PYLINES_H
#define ATOLL_PYLINES_H

#include <stddef.h>
#include <stdint.h>

/* PyCode_Addr2Line of CPython `version` (0x0308 to 0x030d) for the instruction at byte offset
 * instr (negative, as two's complement: before the first instruction, so firstlineno), from
 * the code's co_firstlineno and its co_lnotab (3.8, 3.9) or co_linetable (3.10 on). -1: no
 * line (an instruction without location, an offset past the table, an unknown version). */
int pyline_addr2line(unsigned version, int32_t firstlineno, const uint8_t *table, size_t size,
                     uint32_t instr);

#endif
