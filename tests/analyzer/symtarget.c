/* A program built with -g whose real return addresses the symbolization tests put into a
 * synthetic dump. It prints its own module (path, load bias, extent, build-id) and, for a
 * plain call and a call from an inlined function, the return address and the source lines; and
 * the address of a global. */
#include "symmodule.h"

#include <stdio.h>

static int inline_line, inline_call_line, leaf_line;
/* a global whose words the root naming test names (sym_table and +40) */
long sym_table[16];

__attribute__((noinline)) static void *capture(void)
{
    return __builtin_return_address(0);
}

static inline __attribute__((always_inline)) void *inlined_helper(void)
{
    void *r = capture(); inline_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return r;
}

__attribute__((noinline)) void *leaf_caller(void)
{
    void *r = capture(); leaf_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return r;
}

__attribute__((noinline)) void *inline_caller(void)
{
    void *r = inlined_helper(); inline_call_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return r;
}

int main(void)
{
    print_module((const void *)main);
    void *a = leaf_caller();
    void *b = inline_caller();
    printf("leaf %p %d\n", a, leaf_line);
    printf("inline %p %d %d\n", b, inline_line, inline_call_line);
    printf("global %p\n", (void *)sym_table);
    return 0;
}
