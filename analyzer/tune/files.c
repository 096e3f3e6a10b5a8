/* What the files of both targets' tune share: creating one in the output directory, closing it
 * with its write errors reported, and a setting's first failure as a JSON value. */
#include "tune.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

FILE *tune_file_create(const char *dir, const char *name, char *path, size_t len, char *err,
                       size_t errlen)
{
    snprintf(path, len, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}

int tune_file_close(FILE *f, const char *path, char *err, size_t errlen)
{
    int bad = ferror(f);
    if (fclose(f) || bad) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}

void tune_json_failure(FILE *f, unsigned failed, const char *why)
{
    if (!failed) {
        fputs("null", f);
        return;
    }
    struct outbuf o;
    ob_init(&o, f);
    ob_json_str(&o, why);
    ob_flush(&o);
    free(o.buf);
}
