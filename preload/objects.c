/* Objects of refcounting runtimes in the snapshot: which dumped blocks the layouts (cpython/objects.c,
 * and the others listed in snap_find_objects) recognise as objects, which blocks those objects
 * own, and the OBJECTS section that tells the analyzer.
 *
 * A recognised object's own count replaces the conservative one in CPython's rule, so stale
 * pointers on stacks cannot keep its garbage alive: only a pointer to its start is a reference
 * to it, and only the references from other recognised blocks are subtracted from its count.
 * A block it owns (a list's item array) is referenced by its owner alone; the references the
 * owned block holds are the owner's, as CPython's tp_traverse reports them. An object that only
 * its owner references (a count of 1: an instance's __dict__) can be folded into it likewise;
 * what that object owned is then the owner's. */
#include "snapshot.h"
#include "layouts.h"

struct snap_claim {
    uint32_t owner, block;
    uint64_t scan_bytes;              /* UINT64_MAX: the whole block */
    uint32_t delta;                   /* where the pointer points into the block */
    uint32_t fold;                    /* the block is an object to fold into its owner */
};

struct snap_object *snap_add_object(struct snap *s, uint32_t t, uint16_t runtime, uint16_t offset,
                                    uint64_t refcount, uint32_t type)
{
    struct snap_object *o = cvec_push(&s->objects);
    if (!o)
        return NULL;
    *o = (struct snap_object){ .block = t, .owner = t, .type = type, .runtime = runtime,
                               .offset = offset, .refcount = refcount,
                               .scan_bytes = UINT64_MAX };
    s->object_of[t] = (uint32_t)(s->objects.len - 1);
    return o;
}

/* The block `pointer` points into belongs to object `owner`, which reaches it by that pointer;
 * its first scan_bytes hold the references. Checked once every object is known. */
void snap_claim(struct snap *s, uint32_t owner, uintptr_t pointer, uint64_t scan_bytes)
{
    uint64_t delta;
    uint32_t t = snap_find_block(s, pointer, &delta);
    if (t == ATOLL_NONE || t == owner)
        return;
    struct snap_claim *c = cvec_push(&s->claims);
    if (c)
        *c = (struct snap_claim){ .owner = owner, .block = t, .delta = (uint32_t)delta,
                                  .scan_bytes = scan_bytes == UINT64_MAX ? UINT64_MAX
                                                                         : delta + scan_bytes };
}

/* The object at `object`, which only object `owner` references (the layout read a count of 1),
 * is to be folded into it. Checked once every object is known. */
void snap_fold(struct snap *s, uint32_t owner, uintptr_t object)
{
    size_t before = s->claims.len;
    snap_claim(s, owner, object, UINT64_MAX);
    if (s->claims.len > before)
        ((struct snap_claim *)s->claims.data)[before].fold = 1;
}

/* The record of a block owned through claim c, of its owner's runtime. */
static struct snap_object owned_by(const struct snap *s, const struct snap_claim *c)
{
    const struct snap_object *owner =
        &((const struct snap_object *)s->objects.data)[s->object_of[c->owner]];
    return (struct snap_object){ .block = c->block, .owner = c->owner,
                                 .runtime = owner->runtime, .scan_bytes = c->scan_bytes };
}

/* Folds go first: an object of count 1 whose start the claim points to becomes a block its
 * claimant owns (a second claimant finds it owned and leaves it alone), keeping the words it
 * does not scan. */
static void settle_folds(struct snap *s)
{
    const struct snap_claim *c = s->claims.data;
    struct snap_object *objs = s->objects.data;
    for (size_t i = 0; i < s->claims.len; i++) {
        uint32_t k = s->object_of[c[i].block];
        if (!c[i].fold || k == ATOLL_NONE)
            continue;
        struct snap_object *o = &objs[k];
        if (o->owner == o->block && o->refcount == 1 && !o->weak && o->offset == c[i].delta &&
            objs[s->object_of[c[i].owner]].owner == c[i].owner) {
            o->owner = c[i].owner;
            o->type = 0;
            o->refcount = 0;
        }
    }
}

/* A block claimed by two objects belongs to neither; a live object is never owned, but what
 * looked like a dead one (count 0) is the stale start of a reused block when an object claims
 * it. What a folded object claims, its owner claims. */
static void settle_claims(struct snap *s)
{
    settle_folds(s);
    struct snap_claim *c = s->claims.data;
    for (size_t i = 0; i < s->claims.len; i++) {
        if (c[i].fold)
            continue;
        c[i].owner = ((const struct snap_object *)s->objects.data)[s->object_of[c[i].owner]].owner;
        uint32_t k = s->object_of[c[i].block];
        if (c[i].owner == ATOLL_NONE)
            continue;
        if (k == ATOLL_NONE) {
            struct snap_object *o = cvec_push(&s->objects);
            if (!o)
                return;
            *o = owned_by(s, &c[i]);
            s->object_of[c[i].block] = (uint32_t)(s->objects.len - 1);
            continue;
        }
        struct snap_object *o = &((struct snap_object *)s->objects.data)[k];
        if (o->owner == o->block && !o->refcount && !o->weak)
            *o = owned_by(s, &c[i]);
        else if (o->owner != o->block && o->owner != c[i].owner)
            o->owner = ATOLL_NONE;
    }
}

/* The roles go into the blocks' limits last: until then lookups see plain sizes. */
static void set_roles(struct snap *s)
{
    struct snap_object *o = s->objects.data;
    for (size_t i = 0; i < s->objects.len; i++) {
        uint32_t *limit = &s->refs[o[i].block].limit;
        if (o[i].owner == ATOLL_NONE)
            s->object_of[o[i].block] = ATOLL_NONE;
        else if (o[i].owner == o[i].block)
            *limit = SNAP_ROLE_OBJECT | (o[i].refcount || o[i].weak ? 0 : SNAP_ROLE_DEAD) |
                     o[i].offset;
        else
            *limit = SNAP_ROLE_OWNED | (*limit & SNAP_LIMIT_MASK);
    }
}

static void classify_block(struct snap *s, const struct snap_block *b, void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < s->nlayouts; i++)
        if (s->layouts[i]->classify(s, s->layouts[i], b->t, b->address, b->size))
            return;
}

static void detect(struct snap *s)
{
    struct layout *l;
    if ((l = cpython_layout(s)))
        s->layouts[s->nlayouts++] = l;
    if ((l = annotated_layout(s)))
        s->layouts[s->nlayouts++] = l;
    if ((l = gobject_layout(s)))
        s->layouts[s->nlayouts++] = l;
    if ((l = sharedptr_layout(s)))
        s->layouts[s->nlayouts++] = l;
}

void snap_find_objects(struct snap *s)
{
    detect(s);
    if (!s->nlayouts || !s->nblocks)
        return;
    /* Room for a record per block at once, in huge pages where it is big: grown by doubling,
     * the records of a big Python heap cost a page fault per 4 KiB, a third of the time. */
    cvec_init(&s->objects, sizeof(struct snap_object));
    cvec_init(&s->claims, sizeof(struct snap_claim));
    s->objects.data = cmem_alloc((size_t)s->nblocks * sizeof(struct snap_object));
    s->objects.cap = s->objects.data ? s->nblocks : 0;
    s->object_of = cmem_alloc((size_t)s->nblocks * sizeof *s->object_of);
    if (!s->object_of)
        return;
    memset(s->object_of, 0xff, (size_t)s->nblocks * sizeof *s->object_of);
    s->max_refs = s->heap_bytes / 8;
    for (size_t i = 0; i < s->nmaps; i++)
        if (s->maps[i].writable)
            s->max_refs += (s->maps[i].end - s->maps[i].start) / 8;
    snap_each_block(s, classify_block, NULL);
    settle_claims(s);
    set_roles(s);
}

/* OBJECTS, in block order. */
void snap_write_objects(struct snap *s, struct dump_out *w)
{
    const struct snap_object *o = s->objects.data;
    for (uint32_t t = 0; s->object_of && t < s->nblocks; t++) {
        uint32_t k = s->object_of[t];
        if (k == ATOLL_NONE)
            continue;
        struct atoll_dump_object r = { .block = t, .owner = o[k].owner, .type = o[k].type,
                                       .runtime = o[k].runtime, .offset = o[k].offset,
                                       .refcount = o[k].refcount, .weak = o[k].weak };
        dump_out_put(w, &r, sizeof r);
    }
}
