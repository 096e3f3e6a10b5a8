/* The HTML report's pictures of the top cycle shapes: each shape's dot drawing (report_dot.c)
 * rendered by Graphviz when the page is written and put inline as SVG, under the shape's
 * counts and its text line (`Node -.peer-> Node -.peer-> Node`). Without Graphviz the page says
 * so where the pictures would be, and one line on stderr does too. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

/* What the text report writes for it, escaped. */
static void text_line(struct outbuf *o, const struct merged *m, uint32_t i)
{
    struct cycle_view tmp = {0};
    const struct cycle_view *v = merged_view(m, m->shapes[i].example, false, &tmp);
    struct outbuf line;
    ob_init(&line, NULL);
    if (!v) {
        o->failed = true;
    } else {
        report_view_line(&line, m->last, v);
        ob_put(&line, "", 1);
        ob_str(o, "<pre class=\"shape\">");
        html_str(o, line.failed ? "?" : line.buf);
        ob_str(o, "</pre>\n");
    }
    free(line.buf);
    cycle_view_free(&tmp);
}

/* Shape i drawn by dot, inline; -1 with the reason in err when dot cannot draw it. */
static int picture(struct outbuf *o, const struct merged *m, uint32_t i, char *err,
                   size_t errlen)
{
    char *dot = NULL, *svg = NULL;
    size_t dot_len = 0, svg_len = 0;
    FILE *df = open_memstream(&dot, &dot_len), *sf = open_memstream(&svg, &svg_len);
    int rc = -1;
    snprintf(err, errlen, "out of memory");
    if (df && sf) {
        struct outbuf ob;
        ob_init(&ob, df);
        report_dot_shape(&ob, m, i);
        ob_flush(&ob);
        free(ob.buf);
        bool ok = !ob.failed && fclose(df) == 0;
        df = NULL;
        if (ok)
            rc = graphviz_svg(dot, dot_len, sf, err, errlen);
    }
    if (df)
        fclose(df);
    if (sf && fclose(sf))
        rc = -1;
    const char *start = svg ? strstr(svg, "<svg") : NULL;     /* no XML prolog inside HTML */
    if (!rc && start)
        ob_put(o, start, svg_len - (size_t)(start - svg));
    if (!rc)
        *err = '\0';
    free(dot), free(svg);
    return rc;
}

void html_shape_figure(struct outbuf *o, const struct merged *m, uint32_t i, char *err,
                       size_t errlen)
{
    const struct merged_shape *sh = &m->shapes[i];
    ob_printf(o, "<figure class=\"cycle\" id=\"p%u-shape-%u\"><figcaption>#%u: %llu %s of %llu "
                 "bytes in %llu blocks, retaining %llu bytes in %llu blocks</figcaption>\n",
              m->last->d->proc->pid, i, i + 1, (unsigned long long)sh->count,
              sh->count == 1 ? "cycle" : "cycles", (unsigned long long)sh->bytes,
              (unsigned long long)sh->blocks, (unsigned long long)sh->retained_bytes,
              (unsigned long long)sh->retained_blocks);
    text_line(o, m, i);
    if (!*err && picture(o, m, i, err, errlen))
        fprintf(stderr, "atoll: the HTML report has no cycle pictures: %s\n", err);
    if (*err) {
        ob_str(o, "<p class=\"note\">No picture: ");
        html_str(o, err);
        ob_str(o, "</p>\n");
    }
    ob_str(o, "</figure>\n");
}

void html_cycle_pictures(struct outbuf *o, const struct merged *m, uint32_t top)
{
    uint32_t n = m->nshapes < top ? m->nshapes : top;
    char err[512] = "";
    for (uint32_t i = 0; i < n && !o->failed; i++)
        html_shape_figure(o, m, i, err, sizeof err);
}
