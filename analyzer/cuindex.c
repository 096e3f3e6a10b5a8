/* Which compile unit of a module's DWARF holds an address, without .debug_aranges. libdw
 * (0.188) finds a CU only through that section, which clang does not emit; here the ranges of
 * every CU (DW_AT_low_pc/high_pc or DW_AT_ranges) are read once into a sorted table, and an
 * address is a binary search. */
#include "analyzer.h"

#include <elfutils/libdw.h>
#include <stdlib.h>

struct cu_range {
    uint64_t lo, hi;            /* [lo, hi) */
    uint64_t maxhi;             /* the highest hi of this entry and all before it */
    uint64_t cu_off;            /* the CU DIE's offset in .debug_info */
};

struct cu_index {
    struct cu_range *r;
    size_t n, cap;
};

static int add(struct cu_index *ci, uint64_t lo, uint64_t hi, uint64_t cu_off)
{
    if (ci->n == ci->cap) {
        size_t cap = ci->cap ? ci->cap * 2 : 64;
        struct cu_range *r = realloc(ci->r, cap * sizeof *r);
        if (!r)
            return -1;
        ci->r = r;
        ci->cap = cap;
    }
    ci->r[ci->n++] = (struct cu_range){lo, hi, 0, cu_off};
    return 0;
}

static int lo_cmp(const void *a, const void *b)
{
    const struct cu_range *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

struct cu_index *cu_index_new(struct Dwarf *dw)
{
    struct cu_index *ci = calloc(1, sizeof *ci);
    if (!ci)
        return NULL;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu;
        if (dwarf_offdie(dw, off + hsize, &cu)) {
            Dwarf_Addr base, lo, hi;
            for (ptrdiff_t it = 0; (it = dwarf_ranges(&cu, it, &base, &lo, &hi)) > 0;)
                if (lo < hi && add(ci, lo, hi, off + hsize)) {
                    cu_index_free(ci);
                    return NULL;
                }
        }
        off = next;
    }
    qsort(ci->r, ci->n, sizeof *ci->r, lo_cmp);
    for (size_t i = 0; i < ci->n; i++)
        ci->r[i].maxhi = i && ci->r[i - 1].maxhi > ci->r[i].hi ? ci->r[i - 1].maxhi : ci->r[i].hi;
    return ci;
}

void cu_index_free(struct cu_index *ci)
{
    if (!ci)
        return;
    free(ci->r);
    free(ci);
}

bool cu_index_find(const struct cu_index *ci, uint64_t addr, uint64_t *cu_off)
{
    size_t lo = 0, hi = ci->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ci->r[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* ranges may overlap (a CU of a discarded section at 0, say): walk back while an earlier
     * range could still reach addr, the innermost (latest starting) first */
    for (size_t k = lo; k > 0 && ci->r[k - 1].maxhi > addr; k--)
        if (addr < ci->r[k - 1].hi) {
            *cu_off = ci->r[k - 1].cu_off;
            return true;
        }
    return false;
}
