/* C++ names as Valgrind and LeakSanitizer show them: Itanium-mangled names (`_Z...`) are
 * demangled with the C++ runtime's __cxa_demangle, each distinct name once (a stack of a big
 * C++ program repeats the same functions at many addresses), and the results live until
 * demangler_free. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

/* libstdc++'s (and libc++abi's) demangler, declared here as the C++ ABI defines it */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct dm_slot {
    const char *mangled;        /* borrowed: the caller keeps it alive */
    char *plain;
    uint64_t hash;
};

struct demangler {
    struct dm_slot *slots;
    size_t nslots, used;
};

struct demangler *demangler_new(void)
{
    struct demangler *dm = calloc(1, sizeof *dm);
    if (!dm)
        return NULL;
    dm->nslots = 256;
    if (!(dm->slots = calloc(dm->nslots, sizeof *dm->slots))) {
        free(dm);
        return NULL;
    }
    return dm;
}

void demangler_free(struct demangler *dm)
{
    if (!dm)
        return;
    for (size_t i = 0; i < dm->nslots; i++)
        free(dm->slots[i].plain);
    free(dm->slots);
    free(dm);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static int grow(struct demangler *dm)
{
    size_t nn = dm->nslots * 2;
    struct dm_slot *ns = calloc(nn, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < dm->nslots; i++) {
        if (!dm->slots[i].mangled)
            continue;
        size_t p = dm->slots[i].hash & (nn - 1);
        while (ns[p].mangled)
            p = (p + 1) & (nn - 1);
        ns[p] = dm->slots[i];
    }
    free(dm->slots);
    dm->slots = ns;
    dm->nslots = nn;
    return 0;
}

const char *demangle(struct demangler *dm, const char *name)
{
    /* __cxa_demangle also decodes bare type codes: a C function named "f" would read "float" */
    if (!dm || !name || strncmp(name, "_Z", 2) != 0)
        return name;
    if (dm->used * 2 >= dm->nslots && grow(dm))
        return name;
    uint64_t h = hash_str(name);
    size_t p = h & (dm->nslots - 1);
    while (dm->slots[p].mangled) {
        if (dm->slots[p].hash == h && strcmp(dm->slots[p].mangled, name) == 0)
            return dm->slots[p].plain ? dm->slots[p].plain : name;
        p = (p + 1) & (dm->nslots - 1);
    }
    int status;
    char *plain = __cxa_demangle(name, NULL, NULL, &status);
    /* a name that does not demangle is remembered too, so it is tried once */
    dm->slots[p] = (struct dm_slot){name, status == 0 ? plain : NULL, h};
    if (status != 0)
        free(plain);
    dm->used++;
    return dm->slots[p].plain ? dm->slots[p].plain : name;
}
