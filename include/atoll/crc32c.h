/* CRC32C (Castagnoli), the checksum of dump sections, shared by the recorder and the reader.
 * Uses the SSE4.2 crc32 instruction when the CPU has it (8 bytes per instruction: a 300 MB dump
 * is checksummed in a few tens of milliseconds), else a table. Allocation-free and
 * async-signal-safe, so the preload may call it anywhere. */
#ifndef ATOLL_CRC32C_H
#define ATOLL_CRC32C_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t atoll_crc32c_table_update(uint32_t crc, const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    if (!__atomic_load_n(&table[1], __ATOMIC_ACQUIRE)) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            __atomic_store_n(&table[i], c, __ATOMIC_RELEASE);
        }
    }
    while (n--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static inline uint32_t
atoll_crc32c_hw_update(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
    }
    crc = (uint32_t)c;
    for (; n; n--)
        crc = __builtin_ia32_crc32qi(crc, *p++);
    return crc;
}
#endif

/* The CRC32C of some bytes followed by the n bytes at buf, given the CRC of the first part
 * (0 for none), so a section can be checksummed as it is written. */
static inline uint32_t atoll_crc32c_extend(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = (const uint8_t *)buf;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        return ~atoll_crc32c_hw_update(~crc, p, n);
#endif
    return ~atoll_crc32c_table_update(~crc, p, n);
}

/* CRC32C of n bytes at buf (initial value 0, as in iSCSI and ext4). */
static inline uint32_t atoll_crc32c(const void *buf, size_t n)
{
    return atoll_crc32c_extend(0, buf, n);
}

#endif
