/* early_tls: a library opened with dlopen whose __thread variables therefore live in dynamic
 * TLS, which glibc allocates with malloc inside __tls_get_addr on a thread's first access, and
 * frees when the thread is gone. Built twice: with a small block (atoll's) and a large one. */
#include <stddef.h>
#include <stdint.h>

#ifndef TLS_BYTES
#error "TLS_BYTES must be defined"
#endif

static __thread unsigned char tls_data[TLS_BYTES] = { [0] = 0xA5, [TLS_BYTES - 1] = 0x5A };
static __thread uint64_t tls_zero[4];

/* 0 when this thread sees the initial image: the first and last bytes set, the rest zero. */
int tls_check_fresh(void)
{
    if (tls_data[0] != 0xA5 || tls_data[TLS_BYTES - 1] != 0x5A)
        return 1;
    for (size_t i = 1; i < TLS_BYTES - 1; i++)
        if (tls_data[i])
            return 1;
    for (size_t i = 0; i < 4; i++)
        if (tls_zero[i])
            return 1;
    return 0;
}

void *tls_address(void)
{
    return tls_data;
}

size_t tls_size(void)
{
    return TLS_BYTES;
}
