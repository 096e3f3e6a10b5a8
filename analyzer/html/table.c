/* The tables of the HTML report as data: `<table class="lazy">` and, in a script element of
 * type application/json, its columns, its rows (arrays of values) and the frames and stacks
 * its rows name, each frame's text once. The page's script renders the rows on demand, so a
 * table of 10^5 leak sites costs the browser only the rows shown. What the page may hold is
 * bounded: HTML_ROWS_MAX rows, the stacks of the first HTML_STACKS_MAX rows, HTML_TEXT_MAX
 * bytes per string. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

struct html_table {
    struct outbuf *o;
    uint64_t total, rows;
    uint32_t cell;
    char *frames_text, *stacks_text;    /* the JSON of frames and stacks, built on the way */
    size_t frames_len, stacks_len;
    FILE *frames_f, *stacks_f;
    struct outbuf frames, stacks;
    struct u64map frame_ids;            /* a frame's text hash -> its number + 1 */
    struct u64map stack_ids;            /* a site -> its stack's number + 1 */
    uint64_t nframes, nstacks;
};

struct html_table *html_table_new(struct outbuf *o, const char *id, const char *spec,
                                  const char *const *names, uint64_t total)
{
    struct html_table *t = calloc(1, sizeof *t);
    if (t) {
        t->frames_f = open_memstream(&t->frames_text, &t->frames_len);
        t->stacks_f = open_memstream(&t->stacks_text, &t->stacks_len);
    }
    if (!t || !t->frames_f || !t->stacks_f) {
        o->failed = true;
        if (t && t->frames_f)
            fclose(t->frames_f), free(t->frames_text);
        if (t && t->stacks_f)
            fclose(t->stacks_f), free(t->stacks_text);
        free(t);
        return NULL;
    }
    ob_init(&t->frames, t->frames_f);
    ob_init(&t->stacks, t->stacks_f);
    t->o = o;
    t->total = total;
    ob_str(o, "<table class=\"lazy\" data-src=\"");
    html_str(o, id);
    ob_str(o, "\"></table>\n<script type=\"application/json\" id=\"");
    html_str(o, id);
    ob_str(o, "\">{\"spec\": ");
    html_json_str(o, spec);
    ob_str(o, ", \"cols\": [");
    for (size_t i = 0; i < strlen(spec); i++) {
        ob_str(o, i ? ", " : "");
        html_json_str(o, names[i]);
    }
    ob_str(o, "],\n\"rows\": [");
    return t;
}

bool html_table_full(const struct html_table *t)
{
    return t->rows >= HTML_ROWS_MAX;
}

void html_row_begin(struct html_table *t)
{
    ob_str(t->o, t->rows++ ? ",\n[" : "\n[");
    t->cell = 0;
}

void html_row_end(struct html_table *t)
{
    ob_put(t->o, "]", 1);
}

static void cell(struct html_table *t)
{
    if (t->cell++)
        ob_put(t->o, ",", 1);
}

void html_cell_u64(struct html_table *t, uint64_t v)
{
    cell(t);
    ob_u64(t->o, v);
}

void html_cell_i64(struct html_table *t, int64_t v)
{
    cell(t);
    if (v < 0)
        ob_put(t->o, "-", 1);
    ob_u64(t->o, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void html_cell_str(struct html_table *t, const char *s)
{
    cell(t);
    if (s)
        html_json_str(t->o, s);
    else
        ob_str(t->o, "null");
}

/* The number of a text in the table's frames (a frame's, or a site's short name), added when
 * new. */
static uint64_t text_id(struct html_table *t, const char *text, bool python)
{
    bool added;
    uint64_t *id = u64map_put(&t->frame_ids, u64map_hash_string(text) ^ python, &added);
    if (!id) {
        t->o->failed = true;
        return 0;
    }
    if (added) {
        *id = ++t->nframes;
        ob_str(&t->frames, *id > 1 ? ",\n[" : "\n[");
        html_json_str(&t->frames, text);
        ob_str(&t->frames, python ? ",1]" : ",0]");
    }
    return *id - 1;
}

static uint64_t frame_id(struct html_table *t, const struct frame_sym *f)
{
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    report_frame(&tmp, f);
    ob_put(&tmp, "", 1);
    uint64_t id = text_id(t, tmp.failed ? "?" : tmp.buf, f->python);
    free(tmp.buf);
    return id;
}

/* The number of a site's stack, written when new and the page may hold more; -1 for none. */
static int64_t stack_id(struct html_table *t, const struct frame_sym *f, uint32_t n,
                        uint32_t site)
{
    uint64_t *id = u64map_get(&t->stack_ids, site);
    if (id)
        return (int64_t)*id - 1;
    if (t->rows > HTML_STACKS_MAX || !n)
        return -1;
    bool added;
    if (!(id = u64map_put(&t->stack_ids, site, &added))) {
        t->o->failed = true;
        return -1;
    }
    *id = ++t->nstacks;
    ob_str(&t->stacks, *id > 1 ? ",\n[" : "\n[");
    for (uint32_t k = 0; k < n; k++) {
        ob_str(&t->stacks, k ? "," : "");
        ob_u64(&t->stacks, frame_id(t, &f[k]));
    }
    ob_put(&t->stacks, "]", 1);
    return (int64_t)*id - 1;
}

void html_cell_site(struct html_table *t, const struct analysis *a, uint32_t site)
{
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    report_site_label(&tmp, a, site);       /* first: symbols_site's frames last one call */
    ob_put(&tmp, "", 1);
    uint32_t n = 0;
    const struct frame_sym *f = a->sym ? symbols_site(a->sym, site, &n) : NULL;
    cell(t);
    ob_u64(t->o, text_id(t, tmp.failed ? "?" : tmp.buf, n && f->python));
    free(tmp.buf);
    cell(t);
    int64_t s = stack_id(t, f, n, site);
    if (s < 0)
        ob_str(t->o, "-1");
    else
        ob_u64(t->o, (uint64_t)s);
}

void html_cell_no_site(struct html_table *t)
{
    cell(t);
    ob_str(t->o, "null");
    cell(t);
    ob_str(t->o, "-1");
}

void html_table_end(struct html_table *t)
{
    if (!t)
        return;
    struct outbuf *o = t->o;
    ob_flush(&t->frames);
    ob_flush(&t->stacks);
    bool failed = t->frames.failed || t->stacks.failed;
    free(t->frames.buf), free(t->stacks.buf);
    failed |= fclose(t->frames_f) != 0;
    failed |= fclose(t->stacks_f) != 0;
    ob_str(o, "],\n\"frames\": [");
    if (!failed)
        ob_put(o, t->frames_text, t->frames_len);
    ob_str(o, "],\n\"stacks\": [");
    if (!failed)
        ob_put(o, t->stacks_text, t->stacks_len);
    ob_printf(o, "],\n\"total\": %llu}</script>\n", (unsigned long long)t->total);
    o->failed |= failed;
    free(t->frames_text), free(t->stacks_text);
    u64map_free(&t->frame_ids);
    u64map_free(&t->stack_ids);
    free(t);
}
