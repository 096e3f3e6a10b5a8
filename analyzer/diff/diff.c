/* The growth tables of `atoll diff`: every block of OLD and of NEW counted in the row of its
 * site and, for an object, of its type; a block of NEW that OLD had too (the same allocation
 * sequence number in the same process) counted as survived; the rows that changed kept, by
 * bytes gained. Then the leak sites and cycle shapes NEW has and OLD had not. */
#include "diff.h"

#include <stdlib.h>
#include <string.h>

/* The rows of one table, found by key. */
struct table {
    struct u64map index;            /* key -> row + 1 */
    struct diff_row *rows;
    uint64_t *keys;
    uint32_t n, cap;
};

static uint32_t row_for(struct table *t, uint64_t key)
{
    bool added;
    uint64_t *slot = u64map_put(&t->index, key, &added);
    if (!slot)
        return AN_NONE;
    if (!added)
        return (uint32_t)*slot - 1;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 64;
        struct diff_row *rows = realloc(t->rows, cap * sizeof *rows);
        uint64_t *keys = rows ? realloc(t->keys, cap * sizeof *keys) : NULL;
        if (rows)
            t->rows = rows;
        if (!keys)
            return AN_NONE;
        t->keys = keys;
        t->cap = cap;
    }
    t->rows[t->n] = (struct diff_row){.old_site = AN_NONE, .new_site = AN_NONE};
    t->keys[t->n] = key;
    *slot = ++t->n;
    return t->n - 1;
}

static void table_free(struct table *t)
{
    u64map_free(&t->index);
    free(t->rows), free(t->keys);
}

/* The type of the object block v is or belongs to, or NULL. */
static const char *type_of(const struct dump *d, uint32_t v)
{
    uint32_t k = d->object_of ? d->object_of[v] : AN_NONE;
    if (k == AN_NONE)
        return NULL;
    uint32_t owner = d->objects[k].owner;
    uint32_t ko = d->object_of[owner];
    return ko == AN_NONE ? NULL : dump_string(d, d->objects[ko].type);
}

/* Per block of one dump: its site row and type row (AN_NONE: none). */
struct side {
    const struct analysis *a;
    uint64_t *site_keys;
    uint32_t *site_row, *type_row;
    uint64_t *site_ret, *type_ret;
};

static void side_free(struct side *s)
{
    free(s->site_keys), free(s->site_row), free(s->type_row);
    free(s->site_ret), free(s->type_ret);
}

static int assign_rows(struct side *sd, const struct dump *other, struct table *sites,
                       struct table *types, bool is_new)
{
    const struct dump *d = sd->a->d;
    size_t n = (size_t)d->nblocks + 1;
    sd->site_keys = diff_site_keys(sd->a, other);
    sd->site_row = an_malloc(n * sizeof *sd->site_row);
    sd->type_row = an_malloc(n * sizeof *sd->type_row);
    if (!sd->site_keys || !sd->site_row || !sd->type_row)
        return -1;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        uint32_t site = d->blocks[i].site, r = row_for(sites, sd->site_keys[site]);
        if (r == AN_NONE)
            return -1;
        uint32_t *example = is_new ? &sites->rows[r].new_site : &sites->rows[r].old_site;
        if (*example == AN_NONE)
            *example = site;
        sd->site_row[i] = r;
        const char *type = type_of(d, i);
        sd->type_row[i] = AN_NONE;
        if (!type)
            continue;
        if ((r = row_for(types, u64map_hash_string(type))) == AN_NONE)
            return -1;
        if (!types->rows[r].type && !(types->rows[r].type = strdup(type)))
            return -1;
        sd->type_row[i] = r;
    }
    return 0;
}

/* The counts of one dump into the rows; survived (NEW only) from the seqs OLD had. */
static void count(const struct side *sd, struct table *sites, struct table *types, bool is_new,
                  const struct u64map *old_seqs)
{
    const struct analysis *a = sd->a;
    const struct dump *d = a->d;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        uint64_t size = d->blocks[i].size;
        bool leaked = !a->alive[i] && !a->suppressed[i];
        bool survived = old_seqs && u64map_get(old_seqs, d->blocks[i].seq);
        struct diff_row *r = &sites->rows[sd->site_row[i]];
        *(is_new ? &r->new_blocks : &r->old_blocks) += 1;
        *(is_new ? &r->new_bytes : &r->old_bytes) += size;
        *(is_new ? &r->new_leaked : &r->old_leaked) += leaked;
        *(is_new ? &r->new_leaked_bytes : &r->old_leaked_bytes) += leaked ? size : 0;
        r->survived += survived;
        if (sd->type_row[i] == AN_NONE)
            continue;
        bool object = dump_owner(d, i) == i;
        r = &types->rows[sd->type_row[i]];
        *(is_new ? &r->new_blocks : &r->old_blocks) += object;
        *(is_new ? &r->new_bytes : &r->old_bytes) += size;
        *(is_new ? &r->new_leaked : &r->old_leaked) += leaked && object;
        *(is_new ? &r->new_leaked_bytes : &r->old_leaked_bytes) += leaked ? size : 0;
        r->survived += survived && object;
    }
}

static int retained(struct side *sd, const struct table *sites, const struct table *types)
{
    sd->site_ret = calloc((size_t)sites->n + 1, sizeof *sd->site_ret);
    sd->type_ret = calloc((size_t)types->n + 1, sizeof *sd->type_ret);
    if (!sd->site_ret || !sd->type_ret)
        return -1;
    return diff_retained(sd->a, sd->site_row, sd->type_row, sd->site_ret, sd->type_ret, sites->n,
                         types->n);
}

static bool changed(const struct diff_row *r)
{
    return r->old_blocks != r->new_blocks || r->old_bytes != r->new_bytes ||
           r->old_retained != r->new_retained || r->old_leaked != r->new_leaked;
}

static const uint64_t *cmp_keys;
static const struct diff_row *cmp_rows;

/* By bytes gained, blocks gained, retained bytes gained, descending; then by key, so that the
 * order is the same from run to run. */
static int row_cmp(const void *x, const void *y)
{
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    const struct diff_row *a = &cmp_rows[i], *b = &cmp_rows[j];
    int64_t da[3] = {diff_gain(a->old_bytes, a->new_bytes), diff_gain(a->old_blocks, a->new_blocks),
                     diff_gain(a->old_retained, a->new_retained)};
    int64_t db[3] = {diff_gain(b->old_bytes, b->new_bytes), diff_gain(b->old_blocks, b->new_blocks),
                     diff_gain(b->old_retained, b->new_retained)};
    for (int k = 0; k < 3; k++)
        if (da[k] != db[k])
            return da[k] > db[k] ? -1 : 1;
    return cmp_keys[i] < cmp_keys[j] ? -1 : cmp_keys[i] > cmp_keys[j];
}

/* The rows that changed, sorted, into *out; the names of the others freed. */
static int finish(struct table *t, struct diff_row **out, uint32_t *nout)
{
    uint32_t *order = malloc(((size_t)t->n + 1) * sizeof *order), n = 0;
    *out = malloc(((size_t)t->n + 1) * sizeof **out);
    if (!order || !*out) {
        free(order);
        return -1;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        if (changed(&t->rows[i]))
            order[n++] = i;
        else
            free((char *)t->rows[i].type);
    }
    cmp_keys = t->keys;
    cmp_rows = t->rows;
    qsort(order, n, sizeof *order, row_cmp);
    for (uint32_t i = 0; i < n; i++)
        (*out)[i] = t->rows[order[i]];
    *nout = n;
    t->n = 0;
    free(order);
    return 0;
}

static const char *base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* One process (docs/report-format.md, "Diff"): the same pid, OLD the earlier collection, and
 * OLD's sites a prefix of NEW's, since a process's site table only grows (an exec, or another
 * run given the same pid, starts another). */
static bool same_process(const struct dump *o, const struct dump *n)
{
    return o->proc->pid == n->proc->pid && o->proc->collection < n->proc->collection &&
           o->proc->time_ns <= n->proc->time_ns && o->nsites <= n->nsites &&
           o->nframes <= n->nframes &&
           (!o->nsites || !memcmp(o->sites, n->sites, o->nsites * sizeof *o->sites)) &&
           (!o->nframes || !memcmp(o->frames, n->frames, o->nframes * sizeof *o->frames));
}

/* OLD and NEW must be of one program and hold the same generations. */
static int comparable(const struct dump *o, const struct dump *n, char *err, size_t errlen)
{
    const char *eo = dump_string(o, o->proc->exe), *en = dump_string(n, n->proc->exe);
    if (strcmp(base(eo), base(en)) != 0) {
        snprintf(err, errlen, "OLD is a dump of %s, NEW of %s: diff compares two dumps of one "
                 "program", eo, en);
        return -1;
    }
    if (o->proc->generation != n->proc->generation) {
        snprintf(err, errlen, "OLD holds generations 0 to %u, NEW 0 to %u: diff compares dumps "
                 "of the same generations (a full collection holds 0 to 2)",
                 o->proc->generation, n->proc->generation);
        return -1;
    }
    return 0;
}

static const struct diff_row *cmp_new_leaks;

static int new_leak_cmp(const void *x, const void *y)
{
    const struct diff_row *a = &cmp_new_leaks[*(const uint32_t *)x];
    const struct diff_row *b = &cmp_new_leaks[*(const uint32_t *)y];
    if (a->new_leaked_bytes != b->new_leaked_bytes)
        return a->new_leaked_bytes > b->new_leaked_bytes ? -1 : 1;
    if (a->new_leaked != b->new_leaked)
        return a->new_leaked > b->new_leaked ? -1 : 1;
    return *(const uint32_t *)x < *(const uint32_t *)y ? -1 : 1;
}

/* The sites that leak in NEW and leaked nothing in OLD. */
static int new_leaks(struct diff *df)
{
    df->new_leaks = malloc(((size_t)df->nsites + 1) * sizeof *df->new_leaks);
    if (!df->new_leaks)
        return -1;
    for (uint32_t i = 0; i < df->nsites; i++)
        if (df->sites[i].new_leaked && !df->sites[i].old_leaked)
            df->new_leaks[df->nnew_leaks++] = i;
    cmp_new_leaks = df->sites;
    qsort(df->new_leaks, df->nnew_leaks, sizeof *df->new_leaks, new_leak_cmp);
    return 0;
}

static int shape_cmp(const void *x, const void *y)
{
    const struct diff_shape *a = x, *b = y;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return a->group < b->group ? -1 : a->group > b->group;
}

/* The cycle shapes of NEW that OLD has not, each known by shape_key over the site keys. */
static int new_shapes(struct diff *df, const struct side *old, const struct side *new)
{
    struct u64map seen = {0};
    bool added;
    int rc = -1;
    const struct analysis *o = old->a, *n = new->a;
    df->new_shapes = malloc(((size_t)n->nshapes + 1) * sizeof *df->new_shapes);
    if (!df->new_shapes)
        goto out;
    for (uint32_t g = 0; g < o->nshapes; g++) {
        uint64_t k = shape_key(&o->g, &o->s, o->d, o->shapes[g].first_comp, old->site_keys);
        if (!k || !u64map_put(&seen, k, &added))
            goto out;
    }
    for (uint32_t g = 0; g < n->nshapes; g++) {
        const struct shape_group *sg = &n->shapes[g];
        uint64_t k = shape_key(&n->g, &n->s, n->d, sg->first_comp, new->site_keys);
        if (!k)
            goto out;
        if (!u64map_get(&seen, k))
            df->new_shapes[df->nnew_shapes++] = (struct diff_shape){g, sg->count, sg->blocks,
                                                                    sg->bytes};
    }
    qsort(df->new_shapes, df->nnew_shapes, sizeof *df->new_shapes, shape_cmp);
    rc = 0;
out:
    u64map_free(&seen);
    return rc;
}

int diff_compute(struct diff *df, const struct analysis *old, const struct analysis *new,
                 char *err, size_t errlen)
{
    memset(df, 0, sizeof *df);
    df->old = old;
    df->new = new;
    if (comparable(old->d, new->d, err, errlen))
        return -1;
    df->same_process = same_process(old->d, new->d);
    struct table sites = {0}, types = {0};
    struct side so = {.a = old}, sn = {.a = new};
    struct u64map seqs = {0};
    int rc = -1;
    if (assign_rows(&so, new->d, &sites, &types, false) ||
        assign_rows(&sn, old->d, &sites, &types, true))
        goto out;
    int ro = retained(&so, &sites, &types), rn = ro < 0 ? ro : retained(&sn, &sites, &types);
    if (ro < 0 || rn < 0)
        goto out;
    df->retained = ro && rn;
    for (uint32_t i = 0; df->retained && i < sites.n; i++)
        sites.rows[i].old_retained = so.site_ret[i], sites.rows[i].new_retained = sn.site_ret[i];
    for (uint32_t i = 0; df->retained && i < types.n; i++)
        types.rows[i].old_retained = so.type_ret[i], types.rows[i].new_retained = sn.type_ret[i];
    bool added;
    for (uint32_t i = 0; df->same_process && i < old->d->nblocks; i++)
        if (!u64map_put(&seqs, old->d->blocks[i].seq, &added))
            goto out;
    count(&so, &sites, &types, false, NULL);
    count(&sn, &sites, &types, true, df->same_process ? &seqs : NULL);
    if (finish(&sites, &df->sites, &df->nsites) || finish(&types, &df->types, &df->ntypes) ||
        new_leaks(df) || new_shapes(df, &so, &sn))
        goto out;
    rc = 0;
out:
    if (rc)
        snprintf(err, errlen, "out of memory");
    for (uint32_t i = 0; i < types.n; i++)
        free((char *)types.rows[i].type);
    table_free(&sites), table_free(&types);
    side_free(&so), side_free(&sn);
    u64map_free(&seqs);
    return rc;
}

void diff_free(struct diff *df)
{
    for (uint32_t i = 0; i < df->ntypes; i++)
        free((char *)df->types[i].type);
    free(df->sites), free(df->types), free(df->new_leaks), free(df->new_shapes);
    memset(df, 0, sizeof *df);
}
