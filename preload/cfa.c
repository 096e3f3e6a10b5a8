/* The frame rule at one PC, read from a module's .eh_frame through the binary search table of
 * its .eh_frame_hdr: the CIE's and then the FDE's call frame instructions run up to the PC,
 * as libunwind 1.6 runs them, and the row is kept if it has the form of struct atoll_rule.
 *
 * Only x86-64 registers matter: rbp (6), rsp (7) and the return address column (16). */
#include "internal.h"
#include "unwind.h"

#include <string.h>

enum { REG_RBP = 6, REG_RSP = 7, NREGS = 17, MAX_REMEMBER = 16 };

/* How a register is found in the caller, as DWARF says. */
enum where { W_SAME, W_UNDEF, W_CFAREL, W_OTHER };

struct reg_rule {
    uint8_t where;
    int64_t off;
};

struct row {
    int cfa_reg;            /* -1: an expression */
    int64_t cfa_off;
    struct reg_rule regs[NREGS];
};

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;
    uint8_t signal;
    uint8_t has_z;
    const uint8_t *insns, *insns_end;
};

struct reader {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t uleb(struct reader *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t sleb(struct reader *r)
{
    int64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= -((int64_t)1 << shift);
            return v;
        }
    }
    r->bad = 1;
    return 0;
}

static uint64_t fixed(struct reader *r, unsigned n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, n);
    r->p += n;
    return v;
}

/* A pointer in encoding enc (DW_EH_PE_*): absolute, pc-relative or relative to data_base. */
static uintptr_t encoded(struct reader *r, uint8_t enc, uintptr_t data_base)
{
    if (enc == 0xff)
        return 0;
    uintptr_t at = (uintptr_t)r->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: v = fixed(r, 8); break;
    case 0x01: v = uleb(r); break;
    case 0x02: v = fixed(r, 2); break;
    case 0x03: v = fixed(r, 4); break;
    case 0x04: v = fixed(r, 8); break;
    case 0x09: v = (uint64_t)sleb(r); break;
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)fixed(r, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)fixed(r, 4); break;
    case 0x0c: v = fixed(r, 8); break;
    default: r->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += at; break;
    case 0x30: v += data_base; break;
    default: r->bad = 1; return 0;
    }
    if (enc & 0x80)
        r->bad = 1; /* indirect: never used for the locations we read */
    return (uintptr_t)v;
}

/* The bounds of a CIE or FDE at p (its length field); NULL for a terminator or a bad entry. */
static const uint8_t *entry(const uint8_t *p, const uint8_t **end)
{
    uint32_t len32;
    memcpy(&len32, p, 4);
    if (len32 == 0 || len32 == 0xffffffffu)
        return NULL; /* a terminator, or 64-bit DWARF, which no x86-64 toolchain emits here */
    *end = p + 4 + len32;
    return p + 4;
}

static int parse_cie(const uint8_t *p, struct cie *c)
{
    const uint8_t *end;
    const uint8_t *body = entry(p, &end);
    if (!body)
        return -1;
    struct reader r = { body, end, 0 };
    if (fixed(&r, 4) != 0)
        return -1;
    uint8_t version = (uint8_t)fixed(&r, 1);
    const char *aug = (const char *)r.p;
    while (r.p < r.end && *r.p)
        r.p++;
    r.p++;
    if (aug[0] == 'e' && aug[1] == 'h')
        fixed(&r, 8);
    c->code_align = uleb(&r);
    c->data_align = sleb(&r);
    c->ra_reg = version == 1 ? fixed(&r, 1) : uleb(&r);
    c->fde_enc = 0;
    c->signal = 0;
    c->has_z = aug[0] == 'z';
    if (c->has_z) {
        uint64_t len = uleb(&r);
        const uint8_t *data_end = r.p + len;
        for (const char *a = aug + 1; *a && !r.bad; a++) {
            if (*a == 'R') {
                c->fde_enc = (uint8_t)fixed(&r, 1);
            } else if (*a == 'L') {
                fixed(&r, 1);
            } else if (*a == 'P') {
                uint8_t enc = (uint8_t)fixed(&r, 1);
                struct reader skip = r;
                encoded(&skip, enc & 0x7f, 0);
                r.p = skip.p;
                r.bad |= skip.bad;
            } else if (*a == 'S') {
                c->signal = 1;
            } else if (*a != 'B' && *a != 'G') {
                return -1;
            }
        }
        r.p = data_end;
    } else if (aug[0] != '\0' && !(aug[0] == 'e' && aug[1] == 'h' && aug[2] == '\0')) {
        return -1;
    }
    if (r.bad || r.p > end || c->ra_reg >= NREGS)
        return -1;
    c->insns = r.p;
    c->insns_end = end;
    return 0;
}

static void set_reg(struct row *row, uint64_t reg, uint8_t where, int64_t off)
{
    if (reg < NREGS) {
        row->regs[reg].where = where;
        row->regs[reg].off = off;
    }
}

/* Runs the instructions in [p, end) while the location is at most pc. initial is the row after
 * the CIE's instructions (for DW_CFA_restore), NULL while running those. Returns -1 on an
 * instruction it cannot follow. */
static int run(const struct cie *c, const uint8_t *p, const uint8_t *end, uintptr_t loc,
               uintptr_t pc, struct row *row, const struct row *initial)
{
    struct row saved[MAX_REMEMBER];
    unsigned nsaved = 0;
    struct reader r = { p, end, 0 };
    while (r.p < r.end && !r.bad) {
        uint8_t op = *r.p++;
        uint64_t reg, delta = 0;
        switch (op & 0xc0) {
        case 0x40:
            delta = (op & 0x3f) * c->code_align;
            break;
        case 0x80:
            set_reg(row, op & 0x3f, W_CFAREL, (int64_t)uleb(&r) * c->data_align);
            continue;
        case 0xc0:
            if (initial && (op & 0x3f) < NREGS)
                row->regs[op & 0x3f] = initial->regs[op & 0x3f];
            continue;
        default:
            break;
        }
        if (op & 0xc0) {
            if (loc + delta > pc)
                return 0;
            loc += delta;
            continue;
        }
        switch (op) {
        case 0x00: /* nop */
            break;
        case 0x01: /* set_loc */
            loc = encoded(&r, c->fde_enc, 0);
            if (loc > pc)
                return 0;
            break;
        case 0x02: case 0x03: case 0x04: /* advance_loc1, 2, 4 */
            delta = fixed(&r, op == 0x02 ? 1 : op == 0x03 ? 2 : 4) * c->code_align;
            if (loc + delta > pc)
                return 0;
            loc += delta;
            break;
        case 0x05: /* offset_extended */
            reg = uleb(&r);
            set_reg(row, reg, W_CFAREL, (int64_t)uleb(&r) * c->data_align);
            break;
        case 0x06: /* restore_extended */
            reg = uleb(&r);
            if (initial && reg < NREGS)
                row->regs[reg] = initial->regs[reg];
            break;
        case 0x07: /* undefined */
            set_reg(row, uleb(&r), W_UNDEF, 0);
            break;
        case 0x08: /* same_value */
            set_reg(row, uleb(&r), W_SAME, 0);
            break;
        case 0x09: /* register */
            reg = uleb(&r);
            uleb(&r);
            set_reg(row, reg, W_OTHER, 0);
            break;
        case 0x0a: /* remember_state */
            if (nsaved == MAX_REMEMBER)
                return -1;
            saved[nsaved++] = *row;
            break;
        case 0x0b: /* restore_state */
            if (nsaved == 0)
                return -1;
            *row = saved[--nsaved];
            break;
        case 0x0c: /* def_cfa */
            row->cfa_reg = (int)uleb(&r);
            row->cfa_off = (int64_t)uleb(&r);
            break;
        case 0x0d: /* def_cfa_register */
            row->cfa_reg = (int)uleb(&r);
            break;
        case 0x0e: /* def_cfa_offset */
            row->cfa_off = (int64_t)uleb(&r);
            break;
        case 0x0f: /* def_cfa_expression */
            row->cfa_reg = -1;
            r.p += uleb(&r);
            break;
        case 0x10: /* expression */
        case 0x16: /* val_expression */
            reg = uleb(&r);
            set_reg(row, reg, W_OTHER, 0);
            r.p += uleb(&r);
            break;
        case 0x11: /* offset_extended_sf */
            reg = uleb(&r);
            set_reg(row, reg, W_CFAREL, sleb(&r) * c->data_align);
            break;
        case 0x12: /* def_cfa_sf */
            row->cfa_reg = (int)uleb(&r);
            row->cfa_off = sleb(&r) * c->data_align;
            break;
        case 0x13: /* def_cfa_offset_sf */
            row->cfa_off = sleb(&r) * c->data_align;
            break;
        case 0x14: /* val_offset */
        case 0x15: /* val_offset_sf */
            reg = uleb(&r);
            if (op == 0x14)
                uleb(&r);
            else
                sleb(&r);
            set_reg(row, reg, W_OTHER, 0);
            break;
        case 0x2e: /* GNU_args_size */
            uleb(&r);
            break;
        case 0x2f: /* GNU_negative_offset_extended */
            reg = uleb(&r);
            set_reg(row, reg, W_CFAREL, -(int64_t)uleb(&r) * c->data_align);
            break;
        default:
            return -1;
        }
    }
    return r.bad ? -1 : 0;
}

static int small(int64_t v, int64_t limit)
{
    return v > -limit && v < limit;
}

/* The row in libunwind's terms (tdep_stash_frame): a standard frame, or not. */
static struct atoll_rule classify(const struct cie *c, const struct row *row)
{
    struct atoll_rule rule = { ATOLL_RULE_OTHER, 0, 0, 0 };
    const struct reg_rule *ra = &row->regs[c->ra_reg];
    const struct reg_rule *bp = &row->regs[REG_RBP], *sp = &row->regs[REG_RSP];
    if (c->signal) {
        rule.kind = ATOLL_RULE_SIGNAL;
        return rule;
    }
    if (ra->where == W_UNDEF) {
        rule.kind = ATOLL_RULE_END;
        return rule;
    }
    if ((row->cfa_reg != REG_RBP && row->cfa_reg != REG_RSP) || !small(row->cfa_off, 1 << 28))
        return rule;
    if (ra->where != W_CFAREL || ra->off != -8)
        return rule;
    if (!(bp->where == W_SAME || bp->where == W_UNDEF ||
          (bp->where == W_CFAREL && small(bp->off, 1 << 14) && bp->off != -1)))
        return rule;
    if (!(sp->where == W_SAME || sp->where == W_UNDEF ||
          (sp->where == W_CFAREL && small(sp->off, 1 << 14) && sp->off != -1)))
        return rule;
    rule.kind = row->cfa_reg == REG_RSP ? ATOLL_RULE_RSP : ATOLL_RULE_RBP;
    rule.cfa_off = (int32_t)row->cfa_off;
    if (bp->where == W_CFAREL) {
        rule.rbp_saved = 1;
        rule.rbp_off = (int16_t)bp->off;
    }
    return rule;
}

/* The FDE for pc through the sorted table of .eh_frame_hdr (version 1, entries as
 * datarel sdata4, as every x86-64 linker writes it). */
static const uint8_t *find_fde(uintptr_t hdr, uintptr_t pc)
{
    const uint8_t *h = (const uint8_t *)hdr;
    if (h[0] != 1 || h[3] != 0x3b)
        return NULL;
    struct reader r = { h + 4, h + 4 + 16, 0 };
    encoded(&r, h[1], hdr);
    uint64_t n = encoded(&r, h[2], hdr);
    if (r.bad || n == 0)
        return NULL;
    const int32_t *table = (const int32_t *)r.p;
    uint64_t lo = 0, hi = n;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (hdr + (intptr_t)table[2 * mid] <= pc)
            lo = mid;
        else
            hi = mid;
    }
    if (hdr + (intptr_t)table[2 * lo] > pc)
        return NULL;
    return (const uint8_t *)(hdr + (intptr_t)table[2 * lo + 1]);
}

struct atoll_rule atoll_cfa_rule(const struct atoll_module *m, uintptr_t pc)
{
    struct atoll_rule none = { ATOLL_RULE_NONE, 0, 0, 0 };
    struct atoll_rule other = { ATOLL_RULE_OTHER, 0, 0, 0 };
    if (!m->eh_frame_hdr)
        return none;
    const uint8_t *fde = find_fde(m->eh_frame_hdr, pc);
    if (!fde)
        return none;
    const uint8_t *end;
    const uint8_t *body = entry(fde, &end);
    if (!body)
        return none;
    uint32_t cie_off;
    memcpy(&cie_off, body, 4);
    struct cie c;
    if (cie_off == 0 || parse_cie(body - cie_off, &c) != 0)
        return other;
    struct reader r = { body + 4, end, 0 };
    uintptr_t start = encoded(&r, c.fde_enc, 0);
    uintptr_t range = encoded(&r, c.fde_enc & 0x0f, 0);
    if (r.bad || pc < start || pc - start >= range)
        return none;
    if (c.has_z)
        r.p += uleb(&r); /* the FDE's augmentation data (its LSDA pointer) */
    if (r.bad || r.p > end)
        return other;
    struct row row;
    memset(&row, 0, sizeof row);
    row.cfa_reg = REG_RSP;
    if (run(&c, c.insns, c.insns_end, start, UINTPTR_MAX, &row, NULL) != 0)
        return other;
    struct row initial = row;
    if (run(&c, r.p, end, start, pc, &row, &initial) != 0)
        return other;
    return classify(&c, &row);
}
