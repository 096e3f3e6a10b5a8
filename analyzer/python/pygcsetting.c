/* ATOLL_PYTHON_GC checked on the command line, so that `atoll run --python-gc` refuses a
 * setting the library would only warn about once the program runs. */
#include "python/pygcsetting.h"

#include <string.h>

static bool thresholds(const char *s)
{
    for (int i = 0; i < 3; i++) {
        unsigned long v = 0;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            if ((v = v * 10 + (unsigned long)(*s++ - '0')) > 0x7fffffff)
                return false;
        if (*s++ != (i < 2 ? ',' : '\0'))
            return false;
    }
    return true;
}

bool pygc_setting_valid(const char *s)
{
    static const char freeze_plus[] = "freeze+";
    if (!strcmp(s, "default") || !strcmp(s, "off") || !strcmp(s, "freeze"))
        return true;
    if (!strncmp(s, freeze_plus, sizeof freeze_plus - 1))
        s += sizeof freeze_plus - 1;
    return thresholds(s);
}
