/* One process's section of the HTML report: what the text report says (docs/report-format.md),
 * as tables the page's script renders and sorts: the summary, every leak group with its stack
 * (Python frames, then native ones), the top cycle shapes drawn, every shape, the refcount
 * leaks. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

static void summary_row(struct outbuf *o, const char *what, const struct totals *t,
                        const char *tail)
{
    ob_str(o, "<tr><th>");
    ob_str(o, what);
    ob_printf(o, "</th><td>%llu bytes in %llu blocks%s</td></tr>\n",
              (unsigned long long)t->bytes, (unsigned long long)t->blocks, tail);
}

static void heading(struct outbuf *o, const struct merged *m)
{
    const struct dump *d = m->last->d;
    const struct atoll_dump_process *p = d->proc;
    ob_str(o, "<section class=\"process\">\n<h2>");
    html_str(o, dump_string(d, p->exe));
    ob_printf(o, " (pid %u), collection %u (%s), generation %u</h2>\n<p class=\"argv\">", p->pid,
              p->collection, trigger_name(p->trigger), p->generation);
    const char *arg = dump_string(d, p->argv);
    for (uint32_t i = 0; i < p->argc; i++, arg += strlen(arg) + 1) {
        ob_str(o, i ? " " : "");
        html_str(o, arg);
    }
    ob_str(o, "</p>\n");
}

static void summary(struct outbuf *o, const struct merged *m)
{
    bool merged = m->ncollections > 1;
    ob_str(o, "<h3>Summary</h3>\n<table class=\"summary\">\n");
    if (merged)
        ob_printf(o, "<tr><th>merged</th><td>%u collections (what any of them found, each block "
                     "once)</td></tr>\n", m->ncollections);
    summary_row(o, "definitely lost", &m->definite, "");
    summary_row(o, "indirectly lost", &m->indirect, "");
    summary_row(o, "still reachable", &m->reachable, merged ? " (at the last collection)" : "");
    summary_row(o, "suppressed", &m->suppressed_t, "");
    ob_printf(o, "<tr><th>isolated cycles</th><td>%u cycles, %llu blocks, %llu bytes",
              m->ncycles, (unsigned long long)m->cycle_blocks.blocks,
              (unsigned long long)m->cycle_blocks.bytes);
    if (m->gone_cycles)
        ob_printf(o, " (%u gone by the last collection)", m->gone_cycles);
    ob_printf(o, "</td></tr>\n<tr><th>refcount leaks</th><td>%u objects</td></tr>\n</table>\n",
              m->last->nrefleaks);
}

/* "pPID-NAME", the id of one of the process's tables. */
static void table_id(char *id, size_t size, const struct merged *m, const char *name)
{
    snprintf(id, size, "p%u-%s", m->last->d->proc->pid, name);
}

static void leaks(struct outbuf *o, const struct merged *m)
{
    static const char *const cols[] = {"bytes", "blocks", "lost", "type", "allocated at", "",
                                       "first found by collection", "gone"};
    char id[64];
    table_id(id, sizeof id, m, "leaks");
    ob_printf(o, "<h3>Leak sites (%u)</h3>\n<p class=\"hint\">Click a row for its stack, a "
                 "column's title to sort.</p>\n", m->nleaks);
    struct html_table *t = html_table_new(o, id, "nnssfkns", cols, m->nleaks);
    for (uint32_t i = 0; t && i < m->nleaks && !html_table_full(t); i++) {
        const struct merged_leak *l = &m->leaks[i];
        html_row_begin(t);
        html_cell_u64(t, l->bytes);
        html_cell_u64(t, l->blocks);
        html_cell_str(t, l->cls == CLASS_DEFINITE ? "definitely" : "indirectly");
        html_cell_str(t, l->type);
        html_cell_site(t, m->last, l->site);
        html_cell_u64(t, l->first);
        html_cell_str(t, l->at_last ? "" : "gone");
        html_row_end(t);
    }
    html_table_end(t);
}

static void shapes(struct outbuf *o, const struct merged *m, uint32_t top)
{
    static const char *const cols[] = {"cycles", "bytes", "blocks", "retained bytes",
                                       "retained blocks", "first found by collection", "gone",
                                       "shape"};
    char id[64];
    table_id(id, sizeof id, m, "shapes");
    ob_printf(o, "<h3>Cycle shapes (%u)</h3>\n", m->nshapes);
    html_cycle_pictures(o, m, top);
    struct html_table *t = html_table_new(o, id, "nnnnnnns", cols, m->nshapes);
    for (uint32_t i = 0; t && i < m->nshapes && !html_table_full(t); i++) {
        const struct merged_shape *sh = &m->shapes[i];
        struct cycle_view tmp = {0};
        const struct cycle_view *v = merged_view(m, sh->example, false, &tmp);
        struct outbuf line;
        ob_init(&line, NULL);
        if (v)
            report_view_line(&line, m->last, v);
        ob_put(&line, "", 1);
        html_row_begin(t);
        html_cell_u64(t, sh->count);
        html_cell_u64(t, sh->bytes);
        html_cell_u64(t, sh->blocks);
        html_cell_u64(t, sh->retained_bytes);
        html_cell_u64(t, sh->retained_blocks);
        html_cell_u64(t, sh->first);
        html_cell_u64(t, sh->gone);
        html_cell_str(t, v && !line.failed ? line.buf : "?");
        html_row_end(t);
        o->failed |= !v;
        free(line.buf);
        cycle_view_free(&tmp);
    }
    html_table_end(t);
}

static void refcount_leaks(struct outbuf *o, const struct merged *m)
{
    static const char *const cols[] = {"type", "address", "refcount", "references found",
                                       "surplus", "allocated at", ""};
    const struct analysis *a = m->last;
    const struct dump *d = a->d;
    char id[64], addr[32];
    table_id(id, sizeof id, m, "refleaks");
    ob_printf(o, "<h3>Refcount leaks (%u objects counted more than referenced)</h3>\n",
              a->nrefleaks);
    struct html_table *t = html_table_new(o, id, "ssnnnfk", cols, a->nrefleaks);
    for (uint32_t i = 0; t && i < a->nrefleaks && !html_table_full(t); i++) {
        uint32_t v = a->refleaks[i].block;
        const struct atoll_dump_object *ob = &d->objects[d->object_of[v]];
        snprintf(addr, sizeof addr, "0x%llx",
                 (unsigned long long)(d->blocks[v].address + ob->offset));
        html_row_begin(t);
        html_cell_str(t, dump_string(d, ob->type));
        html_cell_str(t, addr);
        html_cell_u64(t, ob->refcount);
        html_cell_u64(t, d->blocks[v].refcount);
        html_cell_u64(t, a->refleaks[i].surplus);
        html_cell_site(t, a, d->blocks[v].site);
        html_row_end(t);
    }
    html_table_end(t);
}

void html_process(struct outbuf *o, const struct merged *m, uint32_t top)
{
    heading(o, m);
    summary(o, m);
    leaks(o, m);
    shapes(o, m, top);
    if (m->last->nretainers) {
        html_retainers(o, m);
        html_why_paths(o, m, top);
    }
    if (m->last->nrefleaks)
        refcount_leaks(o, m);
    ob_str(o, "</section>\n");
}
