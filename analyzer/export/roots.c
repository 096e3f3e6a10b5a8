/* The roots in the snapshot, named as `atoll why` names them (retention/rootname.c): one
 * synthetic node per named root (a global by its symbol, a thread's stack by the function whose
 * frame holds the word, a register, TLS, ...), each ROOTS record an edge from it named by where
 * its word is (`[+136]` inside a global); and, for Python, one synthetic node per global of each
 * module sys.modules names (`__main__._cache`), with a `shortcut` edge to the object: the
 * viewers show the name among the object's retainers and leave shortcut edges out of
 * dominators, so retained sizes stay atoll's. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

void export_root_edge(struct outbuf *o, struct root_namer *rn, const struct dump *d, uint32_t r)
{
    if (!root_where_text(o, rn, r))
        ob_str(o, root_kind_name(d->roots[r].kind));
}

/* A module global's name: the module's, a dot, and the key without its quotes ('_cache'). */
static bool global_name(struct outbuf *o, const char *module, const char *key)
{
    size_t n = strlen(key);
    if (n < 3 || key[0] != '\'' || key[n - 1] != '\'')
        return false;
    ob_str(o, module);
    ob_put(o, ".", 1);
    ob_put(o, key + 1, n - 2);
    return true;
}

int export_globals_find(struct export_globals *gl, const struct dump *d,
                        const struct export_plan *p, struct strtab *t)
{
    memset(gl, 0, sizeof *gl);
    struct pymodules pm;
    struct outbuf scratch;
    size_t cap = 0, cap2 = 0;
    ob_init(&scratch, NULL);
    int rc = -1;
    if (scratch.failed || pymodules_find(&pm, d, &p->g)) {
        free(scratch.buf);
        return -1;
    }
    for (uint32_t k = 0; k < pm.n; k++) {
        uint32_t h = pm.dict[k] != AN_NONE ? pm.dict[k] : pm.block[k];
        for (uint32_t i = p->eoff[h]; i < p->eoff[h + 1]; i++) {
            uint32_t e = p->eids ? p->eids[i] : i;
            const struct atoll_dump_label *l = label_of_edge(d, e);
            if (!l || l->kind != ATOLL_DUMP_LABEL_KEY ||
                !global_name(&scratch, pm.name[k], dump_string(d, l->text)))
                continue;
            uint32_t name = strtab_intern_buf(t, &scratch);
            if (name == UINT32_MAX || scratch.failed ||
                !export_reserve((void **)&gl->name, &cap, (size_t)gl->n + 1, sizeof *gl->name) ||
                !export_reserve((void **)&gl->target, &cap2, (size_t)gl->n + 1,
                                sizeof *gl->target))
                goto out;
            gl->name[gl->n] = name;
            gl->target[gl->n++] = d->edges[e].to;
        }
    }
    rc = 0;
out:
    free(scratch.buf);
    pymodules_free(&pm);
    return rc;
}

void export_globals_free(struct export_globals *gl)
{
    free(gl->name);
    free(gl->target);
    memset(gl, 0, sizeof *gl);
}
