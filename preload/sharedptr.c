/* libstdc++'s std::shared_ptr control blocks (std::_Sp_counted_base<_S_atomic> and the classes
 * derived from it), recognised by their vtable's RTTI:
 *
 *   [vptr, int use_count, int weak_count, ...]
 *   _Sp_counted_ptr_inplace<T, ...>   (make_shared)  the T lives in the block, at +16
 *   _Sp_counted_ptr<T*, ...>, _Sp_counted_deleter<T*, ...>: the T is a block of its own, and
 *                                      the control block's last word points to it: the control
 *                                      block owns it
 *
 * Every shared_ptr holds a pointer to the control block, so the control block is the object
 * and use_count its count; weak_ptrs point to it too and weak_count counts them (plus one
 * while use_count > 0): they are the object's weak references. The pointers to the T that
 * shared_ptrs and weak_ptrs also hold are no references (not to the object's start, or to a
 * block the control block owns).
 *
 * A block is a control block when its first word is a vtable whose typeinfo (vtable[-1]) is a
 * __si_class_type_info (found by libstdc++'s exported symbol: a program linked with
 * -static-libstdc++ is not recognised) named std::_Sp_counted_*; every word is checked
 * readable first. The type recorded is the managed type, demangled
 * (`Node`, `ns::Tree<int>`), or the control block's mangled class name when it is outside what
 * mangled.c understands. */
#include "layouts.h"
#include "mangled.h"

#include <string.h>

enum cb_kind { CB_NONE, CB_INPLACE, CB_SEPARATE };

/* Vtables seen: whose they are, and the managed type's name. */
struct vtable_entry {
    uintptr_t vptr;                     /* 0: a free slot */
    uint32_t type;
    uint8_t kind;
};

#define VTABLE_SLOTS 4096
#define MAX_COUNT (1 << 30)

struct sharedptr {
    struct layout l;
    uintptr_t si_vtable;                /* __si_class_type_info's vtable + 16 */
    struct vtable_entry seen[VTABLE_SLOTS];
};

static const struct {
    const char *prefix;
    enum cb_kind kind;
} classes[] = {
    { "St23_Sp_counted_ptr_inplaceI", CB_INPLACE },
    { "St15_Sp_counted_ptrI", CB_SEPARATE },
    { "St19_Sp_counted_deleterI", CB_SEPARATE },
};

/* What the vtable at vptr says the block is; the type's name goes to *type. */
static enum cb_kind inspect(struct snap *s, const struct sharedptr *sp, uintptr_t vptr,
                            uint32_t *type)
{
    if ((vptr & 7) || !snap_readable(s, vptr - 8, vptr))
        return CB_NONE;
    uintptr_t ti = word(vptr - 8);
    if (!ti || (ti & 7) || !snap_readable(s, ti, ti + 24) || word(ti) != sp->si_vtable)
        return CB_NONE;
    uintptr_t name = word(ti + 8);
    char mangled[512];
    size_t len = 0;
    for (; len < sizeof mangled; len++) {
        if (!snap_readable(s, name + len, name + len + 1))
            return CB_NONE;
        if (!(mangled[len] = *(const char *)(name + len)))
            break;
    }
    if (len == sizeof mangled)
        return CB_NONE;
    const char *m = mangled[0] == '*' ? mangled + 1 : mangled;
    size_t mlen = len - (size_t)(m - mangled);
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        size_t n = strlen(classes[i].prefix);
        if (mlen <= n || memcmp(m, classes[i].prefix, n) != 0)
            continue;
        char plain[256];
        size_t plen = mangled_type_name(m + n, mlen - n, plain, sizeof plain);
        const char *shown = plain;
        /* _Sp_counted_ptr and _Sp_counted_deleter are templates of the pointer type. */
        if (plen && classes[i].kind == CB_SEPARATE && plain[plen - 1] == '*')
            plen--;
        if (!plen)
            shown = m, plen = mlen;
        *type = snap_add_string(s, shown, plen);
        return classes[i].kind;
    }
    return CB_NONE;
}

static const struct vtable_entry *vtable_of(struct snap *s, struct sharedptr *sp, uintptr_t vptr)
{
    size_t i = (size_t)((vptr >> 3) * 0x9E3779B97F4A7C15ull >> 20) & (VTABLE_SLOTS - 1);
    for (size_t probe = 0; probe < 64; probe++, i = (i + 1) & (VTABLE_SLOTS - 1)) {
        struct vtable_entry *e = &sp->seen[i];
        if (e->vptr == vptr)
            return e;
        if (!e->vptr) {
            uint32_t type = 0;
            enum cb_kind kind = inspect(s, sp, vptr, &type);
            *e = (struct vtable_entry){ .vptr = vptr, .type = type, .kind = (uint8_t)kind };
            return e;
        }
    }
    return NULL;
}

static int classify(struct snap *s, struct layout *l, uint32_t t, uintptr_t address,
                    uint64_t size)
{
    struct sharedptr *sp = (struct sharedptr *)l;
    if (size < 24)
        return 0;
    uintptr_t vptr = word(address);
    if (!vptr || (vptr & 7))
        return 0;
    const struct vtable_entry *e = vtable_of(s, sp, vptr);
    if (!e || e->kind == CB_NONE)
        return 0;
    int32_t use = *(const int32_t *)(address + 8), weak = *(const int32_t *)(address + 12);
    if (use < 0 || use >= MAX_COUNT || weak < 1 || weak >= MAX_COUNT)
        return 0;
    struct snap_object *o =
        snap_add_object(s, t, ATOLL_DUMP_RUNTIME_SHARED_PTR, 0, (uint64_t)use, e->type);
    if (!o)
        return 0;
    o->weak = (uint64_t)(weak - (use > 0));
    o->skip = 3;                        /* the vtable and the counts */
    if (e->kind == CB_SEPARATE && use > 0) {
        uintptr_t managed = word(address + ((size - 8) & ~(uint64_t)7));
        uint64_t delta;
        if (snap_find_block(s, managed, &delta) != ATOLL_NONE && !delta)
            snap_claim(s, t, managed, UINT64_MAX);
    }
    return 1;
}

struct layout *sharedptr_layout(struct snap *s)
{
    static struct sharedptr sp;
    memset(&sp, 0, sizeof sp);
    uintptr_t si = snap_symbol(s, "_ZTVN10__cxxabiv120__si_class_type_infoE", NULL);
    if (!si)
        return NULL;
    sp.si_vtable = si + 16;
    sp.l.classify = classify;
    return &sp.l;
}
