/* The suppressions file (`--suppressions FILE`) and the matching of its patterns. Any text must
 * load or be refused with a one-line reason, and a pattern, whatever its `*`, `^` and `$`,
 * must match without reading past either string. The input up to its first NUL is the file;
 * what follows is a name the patterns are matched against (as a frame's function, file and
 * module), beside a fixed C++ frame. */
#include "analyzer.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t text = nul ? (size_t)(nul - data) : size;
    char *name = nul ? strndup((const char *)nul + 1, size - text - 1) : strdup("");
    struct suppressions *sp = suppress_new();
    char err[512];
    if (!name || !sp) {
        free(name);
        suppress_free(sp);
        return 0;
    }
    if (suppress_load(sp, fuzz_file(data, text), err, sizeof err) == 0) {
        const struct frame_sym frames[] = {
            {.function = "ns::Ring::make(int)", .file = "/src/ring.cc", .line = 12,
             .module = "/usr/lib/libring.so.1", .mangled = "_ZN2ns4Ring4makeEi"},
            {.function = name, .file = name, .module = name},
        };
        suppress_match_frames(sp, frames, 2);
    } else {
        fuzz_check_reason(err);
    }
    suppress_free(sp);
    free(name);
    return 0;
}
