/* The text of `atoll diff` (docs/report-format.md, "Diff"): the two collections, the totals,
 * the rows that grew most by site and by type with their stacks, and what is new in NEW: leak
 * sites and cycle shapes. */
#include "diff.h"

static void signed_u64(struct outbuf *o, uint64_t old, uint64_t new)
{
    ob_str(o, new >= old ? "+" : "-");
    ob_u64(o, new >= old ? new - old : old - new);
}

static void collection(struct outbuf *o, const char *which, const struct dump *d)
{
    const struct atoll_dump_process *p = d->proc;
    ob_printf(o, "%s %s (pid %u), collection %u (%s)", which, dump_string(d, p->exe), p->pid,
              p->collection, trigger_name(p->trigger));
}

static void header(struct outbuf *o, const struct diff *df)
{
    const struct dump *od = df->old->d, *nd = df->new->d;
    ob_str(o, "atoll diff: ");
    collection(o, "OLD", od);
    ob_str(o, " -> ");
    collection(o, "NEW", nd);
    ob_printf(o, ", generation %u\n", nd->proc->generation);
    if (df->same_process)
        ob_str(o, "  one process: NEW's blocks that OLD had are known by their allocation "
                  "sequence numbers (survived)\n");
    else
        ob_str(o, "  two runs: sites matched by their frames; no block survives from one run "
                  "to the other\n");
}

static void totals_line(struct outbuf *o, const char *what, const struct totals *a,
                        const struct totals *b)
{
    ob_printf(o, "  %-16s %llu bytes in %llu blocks -> %llu bytes in %llu blocks (", what,
              (unsigned long long)a->bytes, (unsigned long long)a->blocks,
              (unsigned long long)b->bytes, (unsigned long long)b->blocks);
    signed_u64(o, a->bytes, b->bytes);
    ob_str(o, " bytes, ");
    signed_u64(o, a->blocks, b->blocks);
    ob_str(o, " blocks)\n");
}

static void summary(struct outbuf *o, const struct diff *df)
{
    const struct analysis *a = df->old, *b = df->new;
    ob_str(o, "\nSUMMARY\n");
    totals_line(o, "all blocks:", &a->all, &b->all);
    totals_line(o, "still reachable:", &a->reachable, &b->reachable);
    totals_line(o, "leaked:", &a->leaked, &b->leaked);
    ob_printf(o, "  %-16s %u -> %u (", "isolated cycles:", a->ncycles, b->ncycles);
    signed_u64(o, a->ncycles, b->ncycles);
    ob_str(o, ")\n");
}

/* "+256000 bytes in +4000 blocks (64000 bytes in 1000 blocks -> ...)", the survivors and the
 * retained bytes when known. */
static void row_counts(struct outbuf *o, const struct diff *df, const struct diff_row *r,
                       const char *unit)
{
    signed_u64(o, r->old_bytes, r->new_bytes);
    ob_str(o, " bytes in ");
    signed_u64(o, r->old_blocks, r->new_blocks);
    ob_printf(o, " %s (%llu bytes in %llu -> %llu bytes in %llu)", unit,
              (unsigned long long)r->old_bytes, (unsigned long long)r->old_blocks,
              (unsigned long long)r->new_bytes, (unsigned long long)r->new_blocks);
    if (df->same_process)
        ob_printf(o, ", %llu survived", (unsigned long long)r->survived);
    if (df->retained) {
        ob_str(o, ", retaining ");
        signed_u64(o, r->old_retained, r->new_retained);
        ob_printf(o, " bytes (%llu -> %llu)", (unsigned long long)r->old_retained,
                  (unsigned long long)r->new_retained);
    }
}

/* A site row's stack, from the dump that has it (NEW's when both do). */
static void row_frames(struct outbuf *o, const struct diff *df, const struct diff_row *r)
{
    if (r->new_site != AN_NONE)
        report_site_frames(o, df->new, r->new_site);
    else
        report_site_frames(o, df->old, r->old_site);
}

static void sites(struct outbuf *o, const struct diff *df, uint32_t top)
{
    uint32_t n = df->nsites < top ? df->nsites : top;
    ob_printf(o, "\nGROWTH BY SITE (%u of %u sites that changed, by bytes gained)\n", n,
              df->nsites);
    for (uint32_t i = 0; i < n; i++) {
        ob_printf(o, "#%u ", i + 1);
        row_counts(o, df, &df->sites[i], "blocks");
        ob_str(o, ", allocated at:\n");
        row_frames(o, df, &df->sites[i]);
    }
}

static void types(struct outbuf *o, const struct diff *df, uint32_t top)
{
    uint32_t n = df->ntypes < top ? df->ntypes : top;
    ob_printf(o, "\nGROWTH BY TYPE (%u of %u types that changed, by bytes gained)\n", n,
              df->ntypes);
    for (uint32_t i = 0; i < n; i++) {
        ob_printf(o, "#%u %s: ", i + 1, df->types[i].type);
        row_counts(o, df, &df->types[i], "objects");
        ob_put(o, "\n", 1);
    }
}

static void leaks(struct outbuf *o, const struct diff *df, uint32_t top)
{
    uint32_t n = df->nnew_leaks < top ? df->nnew_leaks : top;
    ob_printf(o, "\nNEW LEAK SITES (%u of %u)\n", n, df->nnew_leaks);
    for (uint32_t i = 0; i < n; i++) {
        const struct diff_row *r = &df->sites[df->new_leaks[i]];
        ob_printf(o, "#%u %llu bytes in %llu blocks leaked, allocated at:\n", i + 1,
                  (unsigned long long)r->new_leaked_bytes, (unsigned long long)r->new_leaked);
        row_frames(o, df, r);
    }
}

static void shapes(struct outbuf *o, const struct diff *df, uint32_t top)
{
    uint32_t n = df->nnew_shapes < top ? df->nnew_shapes : top;
    struct viewer *vw = viewer_new(df->new);
    ob_printf(o, "\nNEW CYCLE SHAPES (%u of %u)\n", n, df->nnew_shapes);
    for (uint32_t i = 0; i < n; i++) {
        const struct diff_shape *s = &df->new_shapes[i];
        ob_printf(o, "#%u %llu %s of %llu bytes in %llu blocks:\n      ", i + 1,
                  (unsigned long long)s->count, s->count == 1 ? "cycle" : "cycles",
                  (unsigned long long)s->bytes, (unsigned long long)s->blocks);
        report_shape_line_by(o, df->new, vw, &df->new->shapes[s->group]);
        ob_put(o, "\n", 1);
    }
    viewer_free(vw);
}

void diff_text(struct outbuf *o, const struct diff *df, uint32_t top)
{
    header(o, df);
    summary(o, df);
    sites(o, df, top);
    if (df->ntypes)
        types(o, df, top);
    if (df->nnew_leaks)
        leaks(o, df, top);
    if (df->nnew_shapes)
        shapes(o, df, top);
}
