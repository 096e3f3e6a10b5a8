/* Options, all from the environment, parsed in one place. A bad value gets one line on stderr
 * naming the variable, and the default is used. Parsing runs at the first allocation if the
 * environment is set up by then, else from the library constructor. */
#include "internal.h"
#include "collect.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

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

/* "t0,t1,t2", each 0 to 2^31. */
static int parse_thresholds(const char *v, uint32_t out[3])
{
    char part[16];
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        while (*v && *v != ',' && n < sizeof part - 1)
            part[n++] = *v++;
        part[n] = 0;
        long t = parse_long(part, 0, 0x7FFFFFFF);
        if (t < 0 || (i < 2 && *v != ',') || (i == 2 && *v))
            return -1;
        out[i] = (uint32_t)t;
        if (*v)
            v++;
    }
    return 0;
}

static int parse_signal(const char *v)
{
    static const struct {
        const char *name;
        int sig;
    } names[] = { { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP },
                  { "PROF", SIGPROF }, { "URG", SIGURG }, { "WINCH", SIGWINCH } };
    if (strncmp(v, "SIG", 3) == 0)
        v += 3;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i].name) == 0)
            return names[i].sig;
    if (strncmp(v, "RTMIN+", 6) == 0) {
        long k = parse_long(v + 6, 0, 8);
        return k < 0 ? -1 : SIGRTMIN + (int)k;
    }
    long n = parse_long(v, 1, 64);
    return n > 0 && n != SIGKILL && n != SIGSTOP ? (int)n : -1;
}

/* Options of the collector, read from the constructor (they need libc). */
void atoll_options_load_collector(void)
{
    const char *v;
    atoll_g.stack_depth = 32;
    if ((v = env("ATOLL_STACK_DEPTH"))) {
        long n = parse_long(v, 1, ATOLL_MAX_STACK_DEPTH);
        if (n < 0)
            atoll_log("ATOLL_STACK_DEPTH=%s is not a number from 1 to %d; using 32", v,
                      ATOLL_MAX_STACK_DEPTH);
        else
            atoll_g.stack_depth = (unsigned)n;
    }
    if ((v = env("ATOLL_UNWIND_CHECK")))
        atoll_g.unwind_check =
            parse_word("ATOLL_UNWIND_CHECK", v, (const char *const[]){ "0", "1", NULL }) == 1;
    if ((v = env("ATOLL_THRESHOLD")) && parse_thresholds(v, atoll_cc.threshold) != 0) {
        atoll_log("ATOLL_THRESHOLD=%s is not t0,t1,t2 (three numbers); using 0,10,10", v);
        atoll_cc.threshold[0] = 0;
        atoll_cc.threshold[1] = atoll_cc.threshold[2] = 10;
    }
    if ((v = env("ATOLL_SIGNAL")) && (atoll_cc.signal = parse_signal(v)) < 0) {
        atoll_log("ATOLL_SIGNAL=%s is not a signal name (USR1, USR2, HUP, PROF, URG, WINCH, "
                  "RTMIN+n) or number; no collection signal", v);
        atoll_cc.signal = 0;
    }
    atoll_g.python_stacks = 1;
    if ((v = env("ATOLL_PYTHON_STACKS")))
        atoll_g.python_stacks =
            parse_word("ATOLL_PYTHON_STACKS", v, (const char *const[]){ "1", "0", NULL }) != 1;
    atoll_g.python_freelists = 1;
    if ((v = env("ATOLL_PYTHON_FREELISTS")))
        atoll_g.python_freelists =
            parse_word("ATOLL_PYTHON_FREELISTS", v, (const char *const[]){ "1", "0", NULL }) != 1;
    if ((v = env("ATOLL_AT_EXIT")))
        atoll_cc.at_exit = parse_word("ATOLL_AT_EXIT", v, (const char *const[]){ "1", "0", NULL }) != 1;
    atoll_cc.exit_line = 1;
    if ((v = env("ATOLL_EXIT_LINE")))
        atoll_cc.exit_line =
            parse_word("ATOLL_EXIT_LINE", v, (const char *const[]){ "1", "0", NULL }) != 1;
    if ((v = env("ATOLL_FOLLOW")))
        atoll_cc.follow = parse_word("ATOLL_FOLLOW", v, (const char *const[]){ "1", "0", NULL }) != 1;
    else
        atoll_cc.follow = 1;
    if (!getcwd(atoll_cc.start_dir, sizeof atoll_cc.start_dir))
        atoll_fmt(atoll_cc.start_dir, sizeof atoll_cc.start_dir, ".");
    if ((v = env("ATOLL_OUTPUT")) && *v) {
        if (v[0] == '/')
            atoll_fmt(atoll_cc.output, sizeof atoll_cc.output, "%s", v);
        else
            atoll_fmt(atoll_cc.output, sizeof atoll_cc.output, "%s/%s", atoll_cc.start_dir, v);
    }
}

static int loaded;

void atoll_options_load(void)
{
    if (loaded || !environ)
        return;
    loaded = 1;
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd))
        atoll_fmt(cwd, sizeof cwd, ".");
    atoll_log_configure(env("ATOLL_LOG"), cwd);
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
    atoll_fast_paths_update();
    if ((v = env("ATOLL_MODE")) && parse_word("ATOLL_MODE", v, modes) == ATOLL_MODE_ALLOC)
        atoll_g.mode = ATOLL_MODE_ALLOC;
    if ((v = env("ATOLL_ON_ERROR")))
        atoll_g.on_error_abort = parse_word("ATOLL_ON_ERROR", v, on_error) == 1;
    if ((v = env("ATOLL_STATS")))
        atoll_g.stats_at_exit = parse_word("ATOLL_STATS", v, flags) == 1;
    if ((v = env("ATOLL_VERBOSE")))
        atoll_verbose = parse_word("ATOLL_VERBOSE", v, flags) == 1;
}
