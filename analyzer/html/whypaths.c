/* The HTML report's `why` paths: for each of the top retainers (sites and types by the bytes
 * they keep alive), the path from a named root to its heaviest block, as `atoll why` writes it
 * (retention/why.h), so that the page says who holds what costs most. */
#include "html.h"
#include "retention/retention.h"
#include "retention/why.h"

#include <stdlib.h>

/* Whether block v is one of row r's: of its site, or an object of its type. */
static bool of_row(const struct analysis *a, const struct retainer *r, uint32_t v)
{
    const struct dump *d = a->d;
    if (r->site != AN_NONE) {
        uint32_t s = d->blocks[v].site;
        return (a->site_canon ? a->site_canon[s] : s) == r->site;
    }
    uint32_t k = d->object_of ? d->object_of[v] : AN_NONE;
    return k != AN_NONE && d->objects[k].owner == v && d->objects[k].type == r->type;
}

/* The heaviest block (by retained bytes) of each of the first n rows into best[]. */
static void heaviest(const struct analysis *a, uint32_t n, uint32_t *best)
{
    for (uint32_t i = 0; i < n; i++)
        best[i] = AN_NONE;
    for (uint32_t v = 0; v < a->d->nblocks; v++) {
        if (dump_owner(a->d, v) != v)
            continue;
        for (uint32_t i = 0; i < n; i++)
            if (of_row(a, &a->retainers[i], v) &&
                (best[i] == AN_NONE ||
                 a->dom->retained_bytes[v] > a->dom->retained_bytes[best[i]]))
                best[i] = v;
    }
}

static void path(struct outbuf *o, const struct why *w, uint32_t rank, uint32_t v)
{
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    why_path_text(&tmp, w, rank, v);
    ob_put(&tmp, "", 1);
    if (tmp.failed) {
        o->failed = true;
    } else {
        ob_str(o, "<pre class=\"why\">");
        html_str(o, tmp.buf);
        ob_str(o, "</pre>\n");
    }
    free(tmp.buf);
}

void html_why_paths(struct outbuf *o, const struct merged *m, uint32_t top)
{
    const struct analysis *a = m->last;
    uint32_t n = a->nretainers < top ? a->nretainers : top;
    if (!a->dom || !a->sym || !n)
        return;
    uint32_t *best = malloc(n * sizeof *best);
    struct why w;
    if (!best || why_open(&w, a)) {
        if (best)
            why_close(&w);
        free(best);
        o->failed = true;
        return;
    }
    heaviest(a, n, best);
    ob_printf(o, "<h3>Why alive: the path from a root to the heaviest block of each of the top "
                 "%u retainers</h3>\n", n);
    for (uint32_t i = 0; i < n; i++)
        if (best[i] != AN_NONE)
            path(o, &w, i + 1, best[i]);
    why_close(&w);
    free(best);
}
