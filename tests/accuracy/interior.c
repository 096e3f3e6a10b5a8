/* A ring of three 48-byte blocks whose only outside reference is a global pointing 20 bytes
 * into one of them (as a pointer to a member does): atoll counts an interior pointer as a
 * reference, so nothing is lost (Valgrind calls the ring "possibly lost", not lost). With
 * "drop" the global is cleared and the ring is a leaked cycle. */
#include "acc.h"

char *inside;

int main(int argc, char **argv)
{
    inside = (char *)ring(3, 48) + 20;
    if (dropping(argc, argv))
        inside = NULL;
    scrub_stack();
    return 0;
}
