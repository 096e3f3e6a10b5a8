/* Options, all from the environment, parsed in one place. A bad value gets one line on stderr
 * naming the variable, and the default is used. Parsing runs at the first allocation if the
 * environment is set up by then, else from the library constructor. */
#include "internal.h"

#include <string.h>

extern char **environ;

static const char *env(const char *name)
{
    size_t len = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

/* Decimal value of s within [lo, hi], or -1. */
static long parse_long(const char *s, long lo, long hi)
{
    long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > hi)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

/* Index of value in the NULL-terminated words, or -1 after reporting it. */
static int parse_word(const char *name, const char *value, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(value, words[i]) == 0)
            return i;
    atoll_log("%s=%s is not one of %s|%s; using %s", name, value, words[0], words[1], words[0]);
    return -1;
}

static int loaded;

void atoll_options_load(void)
{
    if (loaded || !environ)
        return;
    loaded = 1;
    static const char *const modes[] = { "profile", "alloc", NULL };
    static const char *const on_error[] = { "report", "abort", NULL };
    static const char *const flags[] = { "0", "1", NULL };
    const char *v;
    atoll_g.small_limit = ATOLL_SMALL_LIMIT + 1;
    if ((v = env("ATOLL_SMALL_MAX"))) {
        long n = parse_long(v, 0, ATOLL_SMALL_LIMIT);
        if (n < 0)
            atoll_log("ATOLL_SMALL_MAX=%s is not a number from 0 to %d; using %d", v,
                      ATOLL_SMALL_LIMIT, ATOLL_SMALL_LIMIT);
        else
            atoll_g.small_limit = n ? (size_t)n + 1 : 0;
    }
    if ((v = env("ATOLL_MODE")) && parse_word("ATOLL_MODE", v, modes) == ATOLL_MODE_ALLOC)
        atoll_g.mode = ATOLL_MODE_ALLOC;
    if ((v = env("ATOLL_ON_ERROR")))
        atoll_g.on_error_abort = parse_word("ATOLL_ON_ERROR", v, on_error) == 1;
    if ((v = env("ATOLL_STATS")))
        atoll_g.stats_at_exit = parse_word("ATOLL_STATS", v, flags) == 1;
}
