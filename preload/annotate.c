/* Annotations of refcounted C objects (atoll_annotate, atoll_annotate_site in atoll.h) and the
 * layout that reads them in a snapshot (runtime ANNOTATED).
 *
 * Two uthash tables in atoll's own memory: by block (address and allocation stamp, so a block
 * freed and reused at the same address is not taken for the annotated one) and by allocation
 * site (the block's recorded call stack id). They change under a lock inside a critical
 * section, so a snapshot, which stops the threads outside those, reads them without it. */
#include "utconf.h"
#include "layouts.h"

#include <atoll.h>
#include <errno.h>
#include <string.h>

#define TYPE_MAX 64

struct annotation {
    UT_hash_handle hh;
    uint64_t key;                       /* the block's address, or its site */
    uint64_t stamp;                     /* the block's allocation stamp (by block) */
    uint32_t refcount_offset;
    uint8_t refcount_width;
    uint64_t skip;
    uint32_t type_string;               /* a snapshot's string offset + 1 (its own copy) */
    char type[TYPE_MAX];
};

static struct annotation *by_block, *by_site;

/* The block's metadata in a snapshot or in the running process: its site and stamp. */
static int block_meta(const void *block, uint32_t *site, uint64_t *stamp)
{
    struct atoll_block_meta meta;
    if (!atoll_block_live(block, &meta))
        return -1;
    *site = meta.site;
    *stamp = meta.stamp;
    return 0;
}

static int annotate(const void *block, const struct atoll_layout *layout, int per_site)
{
    unsigned w = layout ? layout->refcount_width : 0;
    uint32_t site;
    uint64_t stamp;
    if (!atoll_g.profiling) {
        errno = ENOTSUP;
        return -1;
    }
    if (!layout || (w != 1 && w != 2 && w != 4 && w != 8) || layout->refcount_offset % w ||
        block_meta(block, &site, &stamp) != 0) {
        errno = EINVAL;
        return -1;
    }
    struct annotation *a = atoll_imeta_calloc(sizeof *a);
    if (!a) {
        errno = ENOMEM;
        return -1;
    }
    *a = (struct annotation){ .key = per_site ? site : (uint64_t)(uintptr_t)block,
                              .stamp = stamp, .refcount_offset = layout->refcount_offset,
                              .refcount_width = (uint8_t)w, .skip = layout->no_references };
    const char *type = layout->type ? layout->type : "annotated";
    size_t n = strnlen(type, TYPE_MAX - 1);
    memcpy(a->type, type, n);
    struct annotation **table = per_site ? &by_site : &by_block, *old;
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_ANNOTATE);
    HASH_REPLACE(hh, *table, key, sizeof a->key, a, old);
    atoll_lock_drop(ATOLL_LOCK_ANNOTATE);
    atoll_critical_exit();
    if (old)
        atoll_imeta_free(old, sizeof *old);
    return 0;
}

ATOLL_EXPORT int atoll_annotate(const void *block, const struct atoll_layout *layout)
{
    return annotate(block, layout, 0);
}

ATOLL_EXPORT int atoll_annotate_site(const void *block, const struct atoll_layout *layout)
{
    return annotate(block, layout, 1);
}

/* ---- in the snapshot */

static uint64_t read_count(uintptr_t at, unsigned width)
{
    switch (width) {
    case 1: return *(const uint8_t *)at;
    case 2: return *(const uint16_t *)at;
    case 4: return *(const uint32_t *)at;
    default: return *(const uint64_t *)at;
    }
}

/* The large block at address, from the snapshot's sorted copy of the table. */
static const struct atoll_block_meta *large_meta(const struct snap *s, uintptr_t address)
{
    size_t a = 0, b = s->nlarge;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (s->large[mid].address < address)
            a = mid + 1;
        else
            b = mid;
    }
    return a < s->nlarge && s->large[a].address == address ? &s->large[a].meta : NULL;
}

static int classify(struct snap *s, struct layout *l, uint32_t t, uintptr_t address,
                    uint64_t size)
{
    (void)l;
    uint32_t site;
    uint64_t stamp;
    struct atoll_pool *p = atoll_pool_of((const void *)address);
    if (p) {
        const struct atoll_small_meta *m = atoll_small_meta_of(p, (const void *)address);
        site = m->site;
        stamp = m->stamp;
    } else {
        const struct atoll_block_meta *m = large_meta(s, address);
        if (!m)
            return 0;
        site = m->site;
        stamp = m->stamp;
    }
    uint64_t key = address;
    struct annotation *a;
    HASH_FIND(hh, by_block, &key, sizeof key, a);
    if (!a || a->stamp != stamp) {
        key = site;
        HASH_FIND(hh, by_site, &key, sizeof key, a);
    }
    if (!a || a->refcount_offset + a->refcount_width > size)
        return 0;
    uint64_t count = read_count(address + a->refcount_offset, a->refcount_width);
    if (!count)
        return 0;
    if (!a->type_string)
        a->type_string = snap_add_string(s, a->type, strlen(a->type)) + 1;
    struct snap_object *o = snap_add_object(s, t, ATOLL_DUMP_RUNTIME_ANNOTATED, 0, count,
                                            a->type_string - 1);
    if (!o)
        return 0;
    o->skip = a->skip;
    /* the count's own word is no reference either */
    o->skip |= a->refcount_offset < 64 * 8 ? 1ull << (a->refcount_offset / 8) : 0;
    return 1;
}

struct layout *annotated_layout(struct snap *s)
{
    static struct layout l = { .classify = classify };
    (void)s;
    return by_block || by_site ? &l : NULL;
}
