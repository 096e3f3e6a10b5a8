/* GObject instances (GLib 2.x), found by libgobject's exported symbols:
 *
 *   [private data (private_size bytes)] [GTypeClass *g_class, guint ref_count, guint flags,
 *                                        GData *qdata, ...]
 *
 * Every instance is its own block only when g_slice hands out malloc's blocks: always since
 * GLib 2.76, before that only with G_SLICE=always-malloc (atoll run sets it); otherwise the
 * layout stays off. The object starts at its private data's size (a multiple of 16; tried up to
 * 256 bytes in).
 *
 * An instance's class is trusted only when GLib's own structures say so, read inside live
 * blocks: the class is a block whose first word is its GType; a derived GType is a pointer to
 * GLib's TypeNode, a block that holds itself (supers[0]) and ends with [G_TYPE_OBJECT, 0] (the
 * end of its supers[], so the type derives from GObject), and one of whose words points to a
 * block (its TypeData) that points back to the class. Only then is g_type_name called (it
 * reads the node and the quark table, without locks or allocation). GObject itself
 * (G_TYPE_OBJECT) has a static node: its class is trusted when its block has
 * sizeof(GObjectClass).
 *
 * The instance's qdata array (GData, flags in its low 3 bits) belongs to the object: the data
 * set on it (g_object_set_data_full) are the object's references. A weak reference
 * (g_object_weak_ref) is a block the qdata points to, which points back to the object: a
 * reference from outside the recognised blocks, but the object's count exceeds the references
 * from them only when something else holds it. Each GWeakRef location (listed under
 * "GObject-weak-locations", a GSList) holds a pointer to the object that its count leaves out: weak. */
#include "layouts.h"

#include <stdlib.h>
#include <string.h>

#define G_TYPE_OBJECT 80                /* G_TYPE_MAKE_FUNDAMENTAL (20) */
#define G_TYPE_FUNDAMENTAL_MAX 1020
#define GOBJECT_CLASS_SIZE 136
#define MAX_PRIVATE 256
#define MAX_REFCOUNT (1u << 30)
#define MAX_QDATA 4096
#define MAX_WEAK_LOCATIONS 65536

struct gclass {
    uintptr_t addr;                     /* 0: a free slot */
    uint32_t name;
};

#define CLASS_SLOTS 1024
#define MISS_SLOTS 4096

typedef const char *type_name_fn(uintptr_t gtype);
typedef const char *quark_fn(uint32_t quark);

struct gobject {
    struct layout l;
    type_name_fn *type_name;
    quark_fn *quark_to_string;
    struct gclass classes[CLASS_SLOTS];
    uintptr_t miss[MISS_SLOTS];         /* words recently found not to be classes */
};

/* The size of the dumped block that starts at a, or 0. */
static uint64_t block_at(struct snap *s, uintptr_t a)
{
    uint64_t delta;
    if (!a || (a & 7))
        return 0;
    uint32_t t = snap_find_block(s, a, &delta);
    return t == ATOLL_NONE || delta ? 0 : s->refs[t].limit & SNAP_LIMIT_MASK;
}

/* Some word of the block at a (size bytes) equals v. */
static int holds(uintptr_t a, uint64_t size, uintptr_t v)
{
    for (uint64_t off = 0; off + 8 <= size && off < 64 * 8; off += 8)
        if (word(a + off) == v)
            return 1;
    return 0;
}

/* Whether node is the TypeNode of a GObject type whose class is cls (see the top). */
static int object_type_node(struct snap *s, uintptr_t node, uintptr_t cls)
{
    uint64_t size = block_at(s, node);
    if (size < 32 || size > 4096 || word(node + size - 8) != 0 ||
        word(node + size - 16) != G_TYPE_OBJECT || !holds(node, size - 16, node))
        return 0;
    for (uint64_t off = 0; off + 8 <= size - 16; off += 8) {
        uintptr_t data = word(node + off);
        uint64_t dsize = data != node ? block_at(s, data) : 0;
        if (dsize && holds(data, dsize, cls))
            return 1;
    }
    return 0;
}

/* A NUL-terminated printable name of at most 255 characters, all readable; its length or 0. */
static size_t name_length(const struct snap *s, const char *name)
{
    for (size_t n = 0; n < 256; n++) {
        if (!snap_readable(s, (uintptr_t)name + n, (uintptr_t)name + n + 1))
            return 0;
        unsigned char c = (unsigned char)name[n];
        if (!c)
            return n;
        if (c < 32 || c > 126)
            return 0;
    }
    return 0;
}

static size_t slot_of(uintptr_t a, size_t slots)
{
    return (size_t)((a >> 3) * 0x9E3779B97F4A7C15ull >> 20) & (slots - 1);
}

/* The class at cls, validated, or NULL. */
static const struct gclass *class_at(struct snap *s, struct gobject *g, uintptr_t cls)
{
    if (!cls || (cls & 7))
        return NULL;
    size_t i = slot_of(cls, CLASS_SLOTS);
    for (size_t probe = 0; probe < CLASS_SLOTS && g->classes[i].addr; probe++) {
        if (g->classes[i].addr == cls)
            return &g->classes[i];
        i = (i + 1) & (CLASS_SLOTS - 1);
    }
    uintptr_t *miss = &g->miss[slot_of(cls, MISS_SLOTS)];
    if (*miss == cls || g->classes[i].addr)
        return NULL;
    uint64_t size = block_at(s, cls);
    uintptr_t gtype = size >= 8 ? word(cls) : 0;
    int ok = gtype == G_TYPE_OBJECT ? size == GOBJECT_CLASS_SIZE
                                    : size >= GOBJECT_CLASS_SIZE && gtype > G_TYPE_FUNDAMENTAL_MAX &&
                                          object_type_node(s, gtype, cls);
    const char *name = ok ? g->type_name(gtype) : NULL;
    size_t len = name ? name_length(s, name) : 0;
    if (!len) {
        *miss = cls;
        return NULL;
    }
    g->classes[i] = (struct gclass){ .addr = cls, .name = snap_add_string(s, name, len) };
    return &g->classes[i];
}

/* GData: { guint32 len, alloc; { GQuark key; gpointer data; GDestroyNotify destroy; } [] }:
 * owned, and read for the GWeakRef locations (a GSList). */
static void describe_qdata(struct snap *s, const struct gobject *g, struct snap_object *o,
                           uintptr_t obj)
{
    uintptr_t gdata = word(obj + 16) & ~(uintptr_t)7;
    uint64_t size = block_at(s, gdata);
    if (!size)
        return;
    snap_claim(s, o->block, gdata, UINT64_MAX);
    uint32_t len = *(const uint32_t *)gdata;
    for (uint32_t i = 0; i < len && i < MAX_QDATA && 8 + 24 * (uint64_t)(i + 1) <= size; i++) {
        uintptr_t e = gdata + 8 + 24 * (uintptr_t)i;
        const char *k = g->quark_to_string(*(const uint32_t *)e);
        if (!k || name_length(s, k) != 22 || memcmp(k, "GObject-weak-locations", 22) != 0)
            continue;
        /* 2.74 keeps the list's head in a block of its own */
        uintptr_t head = word(e + 8);
        uintptr_t node = block_at(s, head) >= 8 ? word(head) : 0;
        for (uint32_t n = 0; node && n < MAX_WEAK_LOCATIONS && block_at(s, node) >= 16; n++) {
            o->weak++;
            node = word(node + 8);
        }
    }
}

static int classify(struct snap *s, struct layout *l, uint32_t t, uintptr_t address,
                    uint64_t size)
{
    struct gobject *g = (struct gobject *)l;
    for (uint64_t off = 0; off <= MAX_PRIVATE && off + 24 <= size; off += 16) {
        const struct gclass *c = class_at(s, g, word(address + off));
        if (!c)
            continue;
        uint32_t refcount = *(const uint32_t *)(address + off + 8);
        if (!refcount || refcount >= MAX_REFCOUNT)
            return 0;
        struct snap_object *o =
            snap_add_object(s, t, ATOLL_DUMP_RUNTIME_GOBJECT, (uint16_t)off, refcount, c->name);
        if (!o)
            return 0;
        /* the class, the count and flags */
        o->skip = 3ull << (off / 8);
        describe_qdata(s, g, o, address + off);
        return 1;
    }
    return 0;
}

/* Whether GLib's g_slice hands out malloc's blocks (see the top): G_SLICE names always-malloc
 * (or all), as GLib reads it at its first slice (getenv neither locks nor allocates). */
static int slices_are_blocks(struct snap *s)
{
    uintptr_t minor = snap_symbol(s, "glib_minor_version", NULL);
    if (minor && snap_readable(s, minor, minor + 4) && *(const uint32_t *)minor >= 76)
        return 1;
    const char *v = getenv("G_SLICE");
    while (v && *v) {
        size_t n = strcspn(v, ",:; ");
        if ((n == 13 && !memcmp(v, "always-malloc", 13)) || (n == 3 && !memcmp(v, "all", 3)))
            return 1;
        v += n + (v[n] != 0);
    }
    return 0;
}

struct layout *gobject_layout(struct snap *s)
{
    static struct gobject g;
    uint32_t module;
    memset(&g, 0, sizeof g);
    uintptr_t type_name = snap_symbol(s, "g_type_name", &module);
    uintptr_t quark = snap_symbol(s, "g_quark_to_string", NULL);
    if (!type_name || !quark || !snap_module_symbol(s, module, "g_object_new") ||
        !slices_are_blocks(s))
        return NULL;
    g.type_name = (type_name_fn *)type_name;
    g.quark_to_string = (quark_fn *)quark;
    g.l.classify = classify;
    return &g.l;
}
