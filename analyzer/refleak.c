/* Refcount leaks: a recognised object whose own count is higher than the references atoll
 * found to it from everywhere (blocks and roots). The surplus is a reference that nothing
 * holds: an increment without its decrement, the classic bug of C extensions. */
#include "analyzer.h"

#include <stdlib.h>

static int by_surplus(const void *x, const void *y)
{
    const struct refcount_leak *a = x, *b = y;
    if (a->surplus != b->surplus)
        return a->surplus > b->surplus ? -1 : 1;
    return a->block < b->block ? -1 : a->block > b->block;
}

int refcount_leaks_find(const struct dump *d, struct refcount_leak **out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    uint32_t count = 0;
    for (uint32_t k = 0; k < d->nobjects; k++) {
        const struct atoll_dump_object *o = &d->objects[k];
        count += o->owner == o->block && o->refcount > d->blocks[o->block].refcount;
    }
    if (!count)
        return 0;
    struct refcount_leak *l = malloc((size_t)count * sizeof *l);
    if (!l)
        return -1;
    for (uint32_t k = 0; k < d->nobjects; k++) {
        const struct atoll_dump_object *o = &d->objects[k];
        if (o->owner == o->block && o->refcount > d->blocks[o->block].refcount)
            l[(*n)++] = (struct refcount_leak){ o->block,
                                                o->refcount - d->blocks[o->block].refcount };
    }
    qsort(l, *n, sizeof *l, by_surplus);
    *out = l;
    return 0;
}
