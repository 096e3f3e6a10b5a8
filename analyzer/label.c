/* The labels of references (LABELS, docs/dump-format.md): found by edge, spelled as the
 * runtime's language spells them (".orders", "[0]", "['k']", "<cell>"), and keyed for shapes. */
#include "analyzer.h"

#include <string.h>

const struct atoll_dump_label *label_of_edge(const struct dump *d, uint32_t eid)
{
    const struct atoll_dump_edge *e = &d->edges[eid];
    uint32_t lo = 0, hi = d->nlabels;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct atoll_dump_label *l = &d->labels[mid];
        if (l->from < e->from || (l->from == e->from && l->offset < e->offset))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->nlabels && d->labels[lo].from == e->from && d->labels[lo].offset == e->offset)
        return &d->labels[lo];
    return NULL;
}

bool label_spell(struct outbuf *o, const struct dump *d, uint32_t eid)
{
    const struct atoll_dump_label *l = label_of_edge(d, eid);
    if (!l)
        return false;
    switch (l->kind) {
    case ATOLL_DUMP_LABEL_ATTRIBUTE:
        ob_put(o, ".", 1);
        ob_str(o, dump_string(d, l->text));
        break;
    case ATOLL_DUMP_LABEL_INDEX:
        ob_put(o, "[", 1);
        ob_u64(o, l->index);
        ob_put(o, "]", 1);
        break;
    case ATOLL_DUMP_LABEL_KEY:
        ob_put(o, "[", 1);
        ob_str(o, dump_string(d, l->text));
        ob_put(o, "]", 1);
        break;
    default:
        ob_str(o, dump_string(d, l->text));
        break;
    }
    return true;
}

/* Names (attributes, and the other labels) are part of a shape; an index or a key is not: which
 * item of a list, or which entry of a cache, holds the reference is data, and ten thousand
 * entries each in a cycle are one finding. */
uint64_t label_shape_key(const struct dump *d, uint32_t eid)
{
    const struct atoll_dump_label *l = label_of_edge(d, eid);
    if (!l)
        return 0;
    uint64_t h = 0xcbf29ce484222325ull;
    if (l->kind == ATOLL_DUMP_LABEL_ATTRIBUTE || l->kind == ATOLL_DUMP_LABEL_OTHER)
        for (const char *c = dump_string(d, l->text); *c; c++)
            h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
    return 1ull << 61 | (h >> 8) << 4 | l->kind;
}
