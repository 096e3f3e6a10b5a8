/* Python's modules, as roots of their own. objgraph takes a module in sys.modules for a garbage
 * collector root, and a reader names what its globals hold `module.attr`. The dump has no
 * module names, but sys.modules is a dict whose entries are labelled by their keys' reprs: it is
 * the dict with the most entries whose values are module objects. */
#include "roots.h"

#include <stdlib.h>
#include <string.h>

static bool is_type(const struct dump *d, uint32_t v, const char *type)
{
    const char *t = report_type(d, v);
    return t && strcmp(t, type) == 0;
}

/* The module name a key label spells: a str key's repr without its quotes; NULL for another
 * key, or one cut short. */
static char *key_name(const struct dump *d, uint32_t eid)
{
    const struct atoll_dump_label *l = label_of_edge(d, eid);
    if (!l || l->kind != ATOLL_DUMP_LABEL_KEY)
        return NULL;
    const char *t = dump_string(d, l->text);
    size_t n = strlen(t);
    if (n < 3 || (t[0] != '\'' && t[0] != '"') || t[n - 1] != t[0])
        return NULL;
    return strndup(t + 1, n - 2);
}

static uint32_t module_edges(const struct dump *d, const struct graph *g, uint32_t v)
{
    uint32_t n = 0;
    for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++)
        n += is_type(d, g->to[e], "module") && label_of_edge(d, graph_eid(g, e));
    return n;
}

/* The module's `__dict__` when it is an object of its own (functions' __globals__ hold it). */
static uint32_t globals_of(const struct dump *d, const struct graph *g, uint32_t module)
{
    for (uint32_t e = g->off[module]; e < g->off[module + 1]; e++) {
        const struct atoll_dump_label *l = label_of_edge(d, graph_eid(g, e));
        if (l && l->kind == ATOLL_DUMP_LABEL_ATTRIBUTE &&
            strcmp(dump_string(d, l->text), "__dict__") == 0 && is_type(d, g->to[e], "dict"))
            return g->to[e];
    }
    return AN_NONE;
}

static int add(struct pymodules *pm, uint32_t block, uint32_t dict, char *name)
{
    for (uint32_t i = 0; i < pm->n; i++)
        if (pm->block[i] == block) {
            free(name);
            return 0;
        }
    uint32_t *b = realloc(pm->block, (pm->n + 1) * sizeof *b);
    if (b)
        pm->block = b;
    char **s = realloc(pm->name, (pm->n + 1) * sizeof *s);
    if (s)
        pm->name = s;
    uint32_t *g = realloc(pm->dict, (pm->n + 1) * sizeof *g);
    if (g)
        pm->dict = g;
    if (!b || !s || !g) {
        free(name);
        return -1;
    }
    /* __main__ first: a path from it is the one a reader of the script looks for */
    uint32_t at = strcmp(name, "__main__") == 0 ? 0 : pm->n;
    memmove(pm->block + at + 1, pm->block + at, (pm->n - at) * sizeof *b);
    memmove(pm->name + at + 1, pm->name + at, (pm->n - at) * sizeof *s);
    memmove(pm->dict + at + 1, pm->dict + at, (pm->n - at) * sizeof *g);
    pm->dict[at] = dict;
    pm->block[at] = block;
    pm->name[at] = name;
    pm->n++;
    return 0;
}

int pymodules_find(struct pymodules *pm, const struct dump *d, const struct graph *g)
{
    memset(pm, 0, sizeof *pm);
    uint32_t best = AN_NONE, most = 0;
    for (uint32_t k = 0; k < d->nobjects; k++) {
        uint32_t v = d->objects[k].block;
        if (d->objects[k].owner != v || d->objects[k].runtime != ATOLL_DUMP_RUNTIME_CPYTHON ||
            !is_type(d, v, "dict"))
            continue;
        uint32_t n = module_edges(d, g, v);
        if (n > most) {
            most = n;
            best = v;
        }
    }
    for (uint32_t e = best == AN_NONE ? 0 : g->off[best];
         best != AN_NONE && e < g->off[best + 1]; e++) {
        if (!is_type(d, g->to[e], "module"))
            continue;
        char *name = key_name(d, graph_eid(g, e));
        if (name && add(pm, g->to[e], globals_of(d, g, g->to[e]), name)) {
            pymodules_free(pm);
            return -1;
        }
    }
    return 0;
}

void pymodules_free(struct pymodules *pm)
{
    for (uint32_t i = 0; i < pm->n; i++)
        free(pm->name[i]);
    free(pm->block);
    free(pm->name);
    free(pm->dict);
    memset(pm, 0, sizeof *pm);
}
