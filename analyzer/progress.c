/* A one-line progress indicator on stderr for long analyses, only when stderr is a terminal
 * (the caller decides), overwritten in place and erased at the end. */
#include "analyzer.h"

static bool enabled;

void progress_enable(bool on)
{
    enabled = on;
}

void progress(const char *phase)
{
    if (enabled) {
        fprintf(stderr, "\ratoll: %s...\033[K", phase);
        fflush(stderr);
    }
}

void progress_done(void)
{
    if (enabled) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
