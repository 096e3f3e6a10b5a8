/* Retained sizes per site and per type. A site's (type's) retained size is the sum of the
 * retained sizes of its blocks that no other block of the site (type) dominates: a list of a
 * million nodes from one site retains the list once, not a million nested suffixes (Chrome's
 * class retained size, MAT's "minimum retained size"). One depth-first walk down the dominator
 * tree counts, per site and per type, the blocks of it open on the current path; a block is
 * counted when none is. A block an object owns has its owner's type; other blocks have none. */
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>

struct sums {
    const struct dump *d;
    const uint32_t *canon;
    struct u64map types;        /* type string offset -> its number */
    uint32_t ntypes;
    uint32_t *obj_type;         /* per OBJECTS record of an object: its type's number */
    uint32_t *type_str;         /* number -> string offset */
    struct retainer *site_row, *type_row;
    uint32_t *open_site, *open_type;
};

static uint32_t site_of(const struct sums *s, uint32_t v)
{
    uint32_t site = s->d->blocks[v].site;
    return s->canon ? s->canon[site] : site;
}

static uint32_t type_of(const struct sums *s, uint32_t v)
{
    const struct dump *d = s->d;
    uint32_t k = d->object_of ? d->object_of[dump_owner(d, v)] : AN_NONE;
    return k == AN_NONE ? AN_NONE : s->obj_type[k];
}

/* Numbers the objects' types: obj_type[k] for OBJECTS record k of an object. */
static int number_types(struct sums *s)
{
    const struct dump *d = s->d;
    for (uint32_t k = 0; k < d->nobjects; k++) {
        const struct atoll_dump_object *o = &d->objects[k];
        s->obj_type[k] = AN_NONE;
        if (o->owner != o->block)
            continue;
        bool added;
        uint64_t *num = u64map_put(&s->types, o->type, &added);
        if (!num)
            return -1;
        if (added) {
            s->type_str[s->ntypes] = o->type;
            *num = s->ntypes++;
        }
        s->obj_type[k] = (uint32_t)*num;
    }
    return 0;
}

static void add(struct retainer *r, uint64_t size)
{
    r->blocks++;
    r->bytes += size;
}

/* The children of each block in the dominator tree: kids[koff[v]..koff[v+1]]; the virtual
 * root's are at koff[n]..koff[n+1]. */
static int children(const struct dominators *dm, uint32_t **koff_out, uint32_t **kids_out)
{
    size_t n = dm->count;
    uint32_t *koff = an_calloc(n + 2, sizeof *koff), *kids = an_malloc((n + 1) * sizeof *kids);
    if (!koff || !kids) {
        free(koff), free(kids);
        return -1;
    }
    for (uint32_t v = 0; v < dm->count; v++)
        koff[(dm->idom[v] == DOM_ROOT ? n : dm->idom[v]) + 1]++;
    for (size_t v = 0; v <= n; v++)
        koff[v + 1] += koff[v];
    for (uint32_t i = 0; i < dm->count; i++) {
        uint32_t v = dm->order[i], up = dm->idom[v];
        kids[koff[up == DOM_ROOT ? n : up]++] = v;
    }
    memmove(koff + 1, koff, (n + 1) * sizeof *koff);
    koff[0] = 0;
    *koff_out = koff;
    *kids_out = kids;
    return 0;
}

static void enter(struct sums *s, const struct dominators *dm, uint32_t v)
{
    uint32_t site = site_of(s, v);
    uint64_t size = s->d->blocks[v].size;
    add(&s->site_row[site], size);
    if (!s->open_site[site]++) {
        s->site_row[site].retained_blocks += dm->retained_blocks[v];
        s->site_row[site].retained_bytes += dm->retained_bytes[v];
    }
    uint32_t t = type_of(s, v);
    if (t != AN_NONE) {
        add(&s->type_row[t], size);
        if (!s->open_type[t]++) {
            s->type_row[t].retained_blocks += dm->retained_blocks[v];
            s->type_row[t].retained_bytes += dm->retained_bytes[v];
        }
    }
}

static void leave(struct sums *s, uint32_t v)
{
    s->open_site[site_of(s, v)]--;
    uint32_t t = type_of(s, v);
    if (t != AN_NONE)
        s->open_type[t]--;
}

static int walk(struct sums *s, const struct dominators *dm)
{
    uint32_t *koff, *kids;
    if (children(dm, &koff, &kids))
        return -1;
    size_t n = dm->count;
    uint32_t *sv = an_malloc((n + 1) * sizeof *sv), *sk = an_malloc((n + 1) * sizeof *sk);
    int rc = -1;
    if (!sv || !sk)
        goto out;
    uint32_t sp = 0;
    for (uint32_t r = koff[n]; r < koff[n + 1]; r++) {
        enter(s, dm, kids[r]);
        sv[sp] = kids[r];
        sk[sp++] = koff[kids[r]];
        while (sp) {
            uint32_t v = sv[sp - 1];
            if (sk[sp - 1] == koff[v + 1]) {
                leave(s, v);
                sp--;
                continue;
            }
            uint32_t w = kids[sk[sp - 1]++];
            enter(s, dm, w);
            sv[sp] = w;
            sk[sp++] = koff[w];
        }
    }
    rc = 0;
out:
    free(koff), free(kids), free(sv), free(sk);
    return rc;
}

static const struct dump *cmp_dump;

static int row_cmp(const void *x, const void *y)
{
    const struct retainer *a = x, *b = y;
    if (a->retained_bytes != b->retained_bytes)
        return a->retained_bytes > b->retained_bytes ? -1 : 1;
    if (a->retained_blocks != b->retained_blocks)
        return a->retained_blocks > b->retained_blocks ? -1 : 1;
    if ((a->site == AN_NONE) != (b->site == AN_NONE))
        return a->site == AN_NONE ? 1 : -1;
    if (a->site != AN_NONE)
        return a->site < b->site ? -1 : a->site > b->site;
    return strcmp(dump_string(cmp_dump, a->type), dump_string(cmp_dump, b->type));
}

int retainers_compute(const struct dominators *dm, const struct dump *d, const uint32_t *canon,
                      struct retainer **out, uint32_t *nout)
{
    struct sums s = {.d = d, .canon = canon};
    size_t nobj = (size_t)d->nobjects + 1;
    s.site_row = calloc((size_t)d->nsites + 1, sizeof *s.site_row);
    s.open_site = calloc((size_t)d->nsites + 1, sizeof *s.open_site);
    s.type_row = calloc(nobj, sizeof *s.type_row);
    s.open_type = calloc(nobj, sizeof *s.open_type);
    s.type_str = malloc(nobj * sizeof *s.type_str);
    s.obj_type = malloc(nobj * sizeof *s.obj_type);
    struct retainer *rows = NULL;
    int rc = -1;
    if (!s.site_row || !s.open_site || !s.type_row || !s.open_type || !s.type_str || !s.obj_type ||
        number_types(&s) || walk(&s, dm))
        goto out;
    rows = malloc(((size_t)d->nsites + s.ntypes + 1) * sizeof *rows);
    if (!rows)
        goto out;
    uint32_t n = 0;
    for (uint32_t site = 0; site < d->nsites; site++)
        if (s.site_row[site].blocks) {
            rows[n] = s.site_row[site];
            rows[n].site = site;
            rows[n++].type = AN_NONE;
        }
    for (uint32_t t = 0; t < s.ntypes; t++) {
        rows[n] = s.type_row[t];
        rows[n].site = AN_NONE;
        rows[n++].type = s.type_str[t];
    }
    cmp_dump = d;
    qsort(rows, n, sizeof *rows, row_cmp);
    *out = rows;
    *nout = n;
    rows = NULL;
    rc = 0;
out:
    free(rows);
    free(s.site_row), free(s.open_site), free(s.type_row), free(s.open_type), free(s.type_str);
    free(s.obj_type);
    u64map_free(&s.types);
    return rc;
}
