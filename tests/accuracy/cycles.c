/* Three rings of 32-byte nodes, of 2, 3 and 5 members: three cycles of three shapes (cycles of
 * different lengths never share a shape). */
#include "acc.h"

static NOINLINE void leak(void)
{
    ring(2, 32);
    ring(3, 32);
    ring(5, 32);
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
