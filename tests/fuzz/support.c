/* What the targets share. An input is written to one memfd and read back through
 * /proc/self/fd: the readers open it as they open a user's file, and nothing is left on disk. */
#include "fuzz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        if ((fd = memfd_create("fuzz-input", MFD_CLOEXEC)) < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    return path;
}

FILE *fuzz_sink(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w")))
        abort();
    return f;
}

void fuzz_check_reason(const char *err)
{
    bool text = *err;
    for (const char *c = err; *c; c++)
        text = text && (unsigned char)*c >= 0x20 && *c != 0x7f;
    if (!text) {
        fprintf(stderr, "not one line of text: \"%s\"\n", err);
        abort();
    }
}
