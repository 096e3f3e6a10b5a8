/* The JSON of `atoll diff` (docs/report-format.md, "Diff JSON"): complete whatever --top says,
 * every row with its frames, so that a reader needs neither dump. */
#include "diff.h"

#include <stdlib.h>

static void side(struct outbuf *o, const char *key, const struct analysis *a)
{
    const struct atoll_dump_process *p = a->d->proc;
    ob_printf(o, "  \"%s\": {\"pid\": %u, \"exe\": ", key, p->pid);
    ob_json_str(o, dump_string(a->d, p->exe));
    ob_printf(o, ", \"collection\": %u, \"trigger\": \"%s\", \"generation\": %u, "
              "\"time_ns\": %llu, \"blocks\": %llu, \"bytes\": %llu, "
              "\"reachable\": {\"blocks\": %llu, \"bytes\": %llu}, "
              "\"leaked\": {\"blocks\": %llu, \"bytes\": %llu}, \"isolated_cycles\": %u},\n",
              p->collection, trigger_name(p->trigger), p->generation,
              (unsigned long long)p->time_ns, (unsigned long long)a->all.blocks,
              (unsigned long long)a->all.bytes, (unsigned long long)a->reachable.blocks,
              (unsigned long long)a->reachable.bytes, (unsigned long long)a->leaked.blocks,
              (unsigned long long)a->leaked.bytes, a->ncycles);
}

static void gained(struct outbuf *o, uint64_t old, uint64_t new)
{
    ob_printf(o, "%lld", (long long)diff_gain(old, new));
}

static void counts(struct outbuf *o, const struct diff *df, const char *key, uint64_t blocks,
                   uint64_t bytes, uint64_t retained, uint64_t leaked, uint64_t leaked_bytes)
{
    ob_printf(o, "\"%s\": {\"blocks\": %llu, \"bytes\": %llu, \"retained_bytes\": ", key,
              (unsigned long long)blocks, (unsigned long long)bytes);
    if (df->retained)
        ob_u64(o, retained);
    else
        ob_str(o, "null");
    ob_printf(o, ", \"leaked_blocks\": %llu, \"leaked_bytes\": %llu}, ",
              (unsigned long long)leaked, (unsigned long long)leaked_bytes);
}

static void row(struct outbuf *o, const struct diff *df, const struct diff_row *r)
{
    counts(o, df, "old", r->old_blocks, r->old_bytes, r->old_retained, r->old_leaked,
           r->old_leaked_bytes);
    counts(o, df, "new", r->new_blocks, r->new_bytes, r->new_retained, r->new_leaked,
           r->new_leaked_bytes);
    ob_str(o, "\"gained\": {\"blocks\": ");
    gained(o, r->old_blocks, r->new_blocks);
    ob_str(o, ", \"bytes\": ");
    gained(o, r->old_bytes, r->new_bytes);
    ob_str(o, ", \"retained_bytes\": ");
    if (df->retained)
        gained(o, r->old_retained, r->new_retained);
    else
        ob_str(o, "null");
    ob_str(o, "}, \"survived\": ");
    if (df->same_process)
        ob_u64(o, r->survived);
    else
        ob_str(o, "null");
}

static void site_index(struct outbuf *o, const char *key, uint32_t site)
{
    ob_printf(o, "\"%s\": ", key);
    if (site == AN_NONE)
        ob_str(o, "null, ");
    else
        ob_printf(o, "%u, ", site);
}

static void sites(struct outbuf *o, const struct diff *df)
{
    ob_str(o, "  \"sites\": [");
    for (uint32_t i = 0; i < df->nsites; i++) {
        const struct diff_row *r = &df->sites[i];
        ob_str(o, i ? ",\n    {" : "\n    {");
        site_index(o, "old_site", r->old_site);
        site_index(o, "new_site", r->new_site);
        row(o, df, r);
        ob_str(o, ", \"frames\": ");
        if (r->new_site != AN_NONE)
            report_json_frames(o, df->new, r->new_site);
        else
            report_json_frames(o, df->old, r->old_site);
        ob_put(o, "}", 1);
    }
    ob_str(o, df->nsites ? "\n  ],\n" : "],\n");
}

static void types(struct outbuf *o, const struct diff *df)
{
    ob_str(o, "  \"types\": [");
    for (uint32_t i = 0; i < df->ntypes; i++) {
        ob_str(o, i ? ",\n    {\"type\": " : "\n    {\"type\": ");
        ob_json_str(o, df->types[i].type);
        ob_str(o, ", ");
        row(o, df, &df->types[i]);
        ob_put(o, "}", 1);
    }
    ob_str(o, df->ntypes ? "\n  ],\n" : "],\n");
}

static void leaks(struct outbuf *o, const struct diff *df)
{
    ob_str(o, "  \"new_leak_sites\": [");
    for (uint32_t i = 0; i < df->nnew_leaks; i++) {
        const struct diff_row *r = &df->sites[df->new_leaks[i]];
        ob_printf(o, "%s{\"row\": %u, \"blocks\": %llu, \"bytes\": %llu}", i ? ", " : "",
                  df->new_leaks[i], (unsigned long long)r->new_leaked,
                  (unsigned long long)r->new_leaked_bytes);
    }
    ob_str(o, "],\n");
}

static void shapes(struct outbuf *o, const struct diff *df)
{
    const struct analysis *a = df->new;
    struct viewer *vw = viewer_new(a);
    ob_str(o, "  \"new_cycle_shapes\": [");
    for (uint32_t i = 0; i < df->nnew_shapes; i++) {
        const struct diff_shape *s = &df->new_shapes[i];
        const struct shape_group *sg = &a->shapes[s->group];
        uint32_t c = sg->first_comp;
        ob_printf(o, "%s{\"kind\": \"%s\", \"length\": %u, \"count\": %llu, \"blocks\": %llu, "
                  "\"bytes\": %llu, \"shape\": ", i ? ",\n    " : "\n    ",
                  sg->simple ? "simple" : "complex", a->s.first[c + 1] - a->s.first[c],
                  (unsigned long long)s->count, (unsigned long long)s->blocks,
                  (unsigned long long)s->bytes);
        struct outbuf line;
        ob_init(&line, NULL);
        report_shape_line_by(&line, a, vw, sg);
        ob_put(&line, "", 1);
        ob_json_str(o, line.failed ? "?" : line.buf);
        free(line.buf);
        ob_put(o, "}", 1);
    }
    ob_str(o, df->nnew_shapes ? "\n  ]\n" : "]\n");
    viewer_free(vw);
}

void diff_json(struct outbuf *o, const struct diff *df)
{
    ob_str(o, "{\n  \"format\": \"atoll-diff\",\n  \"version\": 1,\n");
    side(o, "old", df->old);
    side(o, "new", df->new);
    ob_printf(o, "  \"same_process\": %s,\n", df->same_process ? "true" : "false");
    sites(o, df);
    types(o, df);
    leaks(o, df);
    shapes(o, df);
    ob_str(o, "}\n");
}
