/* `atoll diff --format html`: the two collections and their totals, the growth tables by site
 * (with stacks) and by type, the new leak sites, and the new cycle shapes drawn as NEW has them
 * (docs/report-format.md, "Diff"); every row of each table, sortable. */
#include "html.h"
#include "diff/diff.h"

#include <string.h>

static void collection(struct outbuf *o, const char *which, const struct dump *d)
{
    const struct atoll_dump_process *p = d->proc;
    ob_printf(o, "<tr><th>%s</th><td>", which);
    html_str(o, dump_string(d, p->exe));
    ob_printf(o, " (pid %u), collection %u (%s), generation %u</td></tr>\n", p->pid,
              p->collection, trigger_name(p->trigger), p->generation);
}

static void totals(struct outbuf *o, const char *what, const struct totals *a,
                   const struct totals *b)
{
    ob_printf(o, "<tr><th>%s</th><td>%llu bytes in %llu blocks</td><td>%llu bytes in %llu "
                 "blocks</td><td>%+lld bytes, %+lld blocks</td></tr>\n", what,
              (unsigned long long)a->bytes, (unsigned long long)a->blocks,
              (unsigned long long)b->bytes, (unsigned long long)b->blocks,
              (long long)diff_gain(a->bytes, b->bytes), (long long)diff_gain(a->blocks, b->blocks));
}

static void summary(struct outbuf *o, const struct diff *df)
{
    const struct analysis *a = df->old, *b = df->new;
    ob_str(o, "<section class=\"diff\">\n<h2>What grew</h2>\n<table class=\"summary\">\n");
    collection(o, "OLD", a->d);
    collection(o, "NEW", b->d);
    ob_str(o, df->same_process ? "<tr><th>matched</th><td>one process: NEW's blocks that OLD "
                                 "had are known by their allocation sequence numbers "
                                 "(survived)</td></tr>\n"
                               : "<tr><th>matched</th><td>two runs: sites matched by their "
                                 "frames; no block survives from one run to the other"
                                 "</td></tr>\n");
    ob_str(o, "</table>\n<table class=\"summary\">\n<tr><th></th><th>OLD</th><th>NEW</th>"
              "<th>gained</th></tr>\n");
    totals(o, "all blocks", &a->all, &b->all);
    totals(o, "still reachable", &a->reachable, &b->reachable);
    totals(o, "leaked", &a->leaked, &b->leaked);
    ob_printf(o, "<tr><th>isolated cycles</th><td>%u</td><td>%u</td><td>%+lld</td></tr>\n"
                 "</table>\n", a->ncycles, b->ncycles,
              (long long)diff_gain(a->ncycles, b->ncycles));
}

/* The columns of a growth row, then its name: a site (frames and stack) or a type. */
static void growth(struct outbuf *o, const struct diff *df, const char *name,
                   const struct diff_row *rows, uint32_t n, bool by_site)
{
    static const char *const cols[] = {"bytes gained", "blocks gained", "old bytes",
                                       "new bytes", "old blocks", "new blocks", "survived",
                                       "retained bytes gained", "", ""};
    const char *names[10];
    memcpy(names, cols, sizeof cols);
    names[8] = by_site ? "allocated at" : "type";
    char id[64];
    snprintf(id, sizeof id, "diff-%s", name);
    struct html_table *t = html_table_new(o, id, by_site ? "nnnnnnnnfk" : "nnnnnnnns", names,
                                          n);
    for (uint32_t i = 0; t && i < n && !html_table_full(t); i++) {
        const struct diff_row *r = &rows[i];
        html_row_begin(t);
        html_cell_i64(t, diff_gain(r->old_bytes, r->new_bytes));
        html_cell_i64(t, diff_gain(r->old_blocks, r->new_blocks));
        html_cell_u64(t, r->old_bytes);
        html_cell_u64(t, r->new_bytes);
        html_cell_u64(t, r->old_blocks);
        html_cell_u64(t, r->new_blocks);
        if (df->same_process)
            html_cell_u64(t, r->survived);
        else
            html_cell_str(t, NULL);
        if (df->retained)
            html_cell_i64(t, diff_gain(r->old_retained, r->new_retained));
        else
            html_cell_str(t, NULL);
        if (!by_site)
            html_cell_str(t, r->type);
        else if (r->new_site != AN_NONE)
            html_cell_site(t, df->new, r->new_site);
        else
            html_cell_site(t, df->old, r->old_site);
        html_row_end(t);
    }
    html_table_end(t);
}

static void new_leaks(struct outbuf *o, const struct diff *df)
{
    static const char *const cols[] = {"bytes leaked", "blocks leaked", "allocated at", ""};
    ob_printf(o, "<h3>New leak sites (%u)</h3>\n", df->nnew_leaks);
    struct html_table *t = html_table_new(o, "diff-new-leaks", "nnfk", cols, df->nnew_leaks);
    for (uint32_t i = 0; t && i < df->nnew_leaks && !html_table_full(t); i++) {
        const struct diff_row *r = &df->sites[df->new_leaks[i]];
        html_row_begin(t);
        html_cell_u64(t, r->new_leaked_bytes);
        html_cell_u64(t, r->new_leaked);
        html_cell_site(t, df->new, r->new_site);
        html_row_end(t);
    }
    html_table_end(t);
}

/* The new shapes, each drawn as NEW's report draws it (the same shape, found by its hash). */
static void new_shapes(struct outbuf *o, const struct diff *df, uint32_t top)
{
    ob_printf(o, "<h3>New cycle shapes (%u)</h3>\n", df->nnew_shapes);
    struct merged m = {0};
    char err[512] = "";
    if (merge_begin(&m, df->new, true) || merge_end(&m)) {
        o->failed = true;
        merge_free(&m);
        return;
    }
    for (uint32_t i = 0; i < df->nnew_shapes && i < top; i++) {
        uint64_t hash = df->new->shapes[df->new_shapes[i].group].hash;
        for (uint32_t k = 0; k < m.nshapes; k++)
            if (m.shapes[k].hash == hash) {
                html_shape_figure(o, &m, k, err, sizeof err);
                break;
            }
    }
    merge_free(&m);
}

void html_diff(struct outbuf *o, const struct diff *df, uint32_t top)
{
    summary(o, df);
    ob_printf(o, "<h3>Growth by site (%u sites that changed, by bytes gained)</h3>\n"
                 "<p class=\"hint\">Click a row for its stack, a column's title to sort.</p>\n",
              df->nsites);
    growth(o, df, "sites", df->sites, df->nsites, true);
    ob_printf(o, "<h3>Growth by type (%u types that changed, by bytes gained)</h3>\n",
              df->ntypes);
    growth(o, df, "types", df->types, df->ntypes, false);
    new_leaks(o, df);
    new_shapes(o, df, top);
    ob_str(o, "</section>\n");
}
