// A C++ program built with -g for the demangling tests. It prints its own module and a return
// address inside a namespaced member function (named from DWARF), and the module and address
// of the C++ runtime's operator new (named from the ELF symbol table, _Znwm).
#include "symmodule.h"

#include <cstdio>
#include <dlfcn.h>
#include <new>

static int make_line;
static volatile int sink;
// a reference to operator new, so the program links the C++ runtime that dlsym finds it in
void *(*volatile keep_new)(std::size_t) = &::operator new;

__attribute__((noinline)) static void *capture()
{
    return __builtin_return_address(0);
}

namespace shapes {
struct Ring {
    static void *make(int sides);
};

// sides comes from argc, so the compiler cannot specialize make into a clone for a constant
__attribute__((noinline)) void *Ring::make(int sides)
{
    sink = sides;
    void *r = capture(); make_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return r;
}
}  // namespace shapes

int main(int argc, char **)
{
    void *r = shapes::Ring::make(argc - 1);
    void *op_new = dlsym(RTLD_DEFAULT, "_Znwm");
    print_module(r);
    std::printf("make %p %d\n", r, make_line);
    print_module(op_new);
    std::printf("new %p\n", op_new);
    return 0;
}
