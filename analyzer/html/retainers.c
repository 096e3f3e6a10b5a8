/* The HTML report's retainers: the sites and types of the last collection by the bytes they
 * keep alive, from the dominator tree of the whole heap (retention/retainers.c), as the text
 * report's TOP RETAINERS, every row in a table. */
#include "html.h"
#include "retention/retention.h"

void html_retainers(struct outbuf *o, const struct merged *m)
{
    static const char *const cols[] = {"retained bytes", "retained blocks", "bytes", "blocks",
                                       "type", "allocated at", ""};
    const struct analysis *a = m->last;
    char id[64];
    snprintf(id, sizeof id, "p%u-retainers", a->d->proc->pid);
    ob_printf(o, "<h3>Retainers (%u sites and types, by the bytes they keep alive)</h3>\n",
              a->nretainers);
    struct html_table *t = html_table_new(o, id, "nnnnsfk", cols, a->nretainers);
    for (uint32_t i = 0; t && i < a->nretainers && !html_table_full(t); i++) {
        const struct retainer *r = &a->retainers[i];
        html_row_begin(t);
        html_cell_u64(t, r->retained_bytes);
        html_cell_u64(t, r->retained_blocks);
        html_cell_u64(t, r->bytes);
        html_cell_u64(t, r->blocks);
        html_cell_str(t, r->type != AN_NONE ? dump_string(a->d, r->type) : NULL);
        if (r->site != AN_NONE)
            html_cell_site(t, a, r->site);
        else
            html_cell_no_site(t);
        html_row_end(t);
    }
    html_table_end(t);
}
