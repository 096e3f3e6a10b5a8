/* CPython's three line tables, decoded as PyCode_Addr2Line decodes them in each version. A
 * table comes from a dump, so every read is bounded by its size: a damaged table gives -1 or a
 * wrong line, never a read past its end. */
#include "pylines.h"

/* 3.8, 3.9: co_lnotab, pairs (bytecode increment, signed line increment); a line holds from
 * its pair's address until the next pair's. */
static int64_t lnotab(int64_t line, const uint8_t *p, size_t size, int64_t addr)
{
    int64_t at = 0;
    for (size_t i = 0; i + 1 < size; i += 2) {
        at += p[i];
        if (at > addr)
            break;
        line += (int8_t)p[i + 1];
    }
    return line;
}

/* 3.10: co_linetable, pairs (length in bytes, signed line increment, -128: no line). */
static int64_t linetable310(int64_t line, const uint8_t *p, size_t size, int64_t addr)
{
    int64_t end = 0;
    for (size_t i = 0; i + 1 < size; i += 2) {
        int8_t delta = (int8_t)p[i + 1];
        if (delta != -128)
            line += delta;
        end += p[i];
        if (addr < end)
            return delta == -128 ? -1 : line;
    }
    return -1;
}

/* A signed varint of the location table: 6 bits a byte, low first, bit 6 for more to come;
 * the lowest bit of the value is the sign. */
static int64_t varint(const uint8_t *p, const uint8_t *end)
{
    uint32_t value = 0;
    for (unsigned shift = 0; p < end && shift < 32; shift += 6) {
        value |= (uint32_t)(*p & 63) << shift;
        if (!(*p++ & 64))
            break;
    }
    return value & 1 ? -(int64_t)(value >> 1) : (int64_t)(value >> 1);
}

/* 3.11 on: the location table. Each entry starts with a byte 1CCCCLLL: code C, length L + 1
 * code units. Codes 0-9 and 10-12 keep the line or add 0, 1, 2; 13 (no columns) and 14 (long)
 * add a signed varint; 15 is no location. */
static int64_t locations(int64_t line, const uint8_t *p, size_t size, int64_t addr)
{
    const uint8_t *end = p + size;
    int64_t at = 0;
    while (p < end && (*p & 0x80)) {
        unsigned code = (*p >> 3) & 15;
        if (code == 13 || code == 14)
            line += varint(p + 1, end);
        else if (code >= 10 && code <= 12)
            line += code - 10;
        at += ((*p & 7) + 1) * 2;
        if (addr < at)
            return code == 15 ? -1 : line;
        do
            p++;
        while (p < end && !(*p & 0x80));
    }
    return -1;
}

int pyline_addr2line(unsigned version, int32_t firstlineno, const uint8_t *table, size_t size,
                     uint32_t instr)
{
    int32_t addr = (int32_t)instr;
    if (version < 0x0308 || version > 0x030d)
        return -1;
    if (addr < 0)
        return firstlineno;
    int64_t line = version <= 0x0309 ? lnotab(firstlineno, table, size, addr)
                 : version == 0x030a ? linetable310(firstlineno, table, size, addr)
                                     : locations(firstlineno, table, size, addr);
    return line >= INT32_MIN && line <= INT32_MAX ? (int)line : -1;
}
