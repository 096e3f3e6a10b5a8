/* tune.svg: each setting that ran as a point (atoll tune: overhead against the median
 * detection latency; for Python's collector: time in gc against peak RSS), y on a log scale
 * when its values span more than a factor of 100, the Pareto front drawn as a line through its
 * points, the budget as a dashed line and the recommended setting ringed. Plain SVG 1.1, no
 * script, no external font. */
#include "analyzer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 760
#define H 480
#define LEFT 90
#define RIGHT 30
#define TOP 40
#define BOTTOM 60

struct axes {
    double x0, x1, y0, y1;
    bool logy;
};

static double px(const struct axes *a, double x)
{
    return LEFT + (x - a->x0) / (a->x1 - a->x0) * (W - LEFT - RIGHT);
}

static double py(const struct axes *a, double y)
{
    double v = a->logy ? log10(fmax(y, 1)) : y;
    return H - BOTTOM - (v - a->y0) / (a->y1 - a->y0) * (H - TOP - BOTTOM);
}

static void fit(const struct svg_chart *c, struct axes *a)
{
    double xmin = 0, xmax = isnan(c->xline) ? 0 : c->xline, ymin = INFINITY, ymax = 0;
    xmin = fmin(xmin, xmax);
    if (!isnan(c->yline))
        ymin = ymax = c->yline;
    for (size_t i = 0; i < c->n; i++) {
        xmin = fmin(xmin, c->pts[i].x);
        xmax = fmax(xmax, c->pts[i].x);
        ymin = fmin(ymin, c->pts[i].y);
        ymax = fmax(ymax, c->pts[i].y);
    }
    if (!isfinite(ymin))
        ymin = 0, ymax = 1;
    a->logy = ymin >= 1 && ymax / ymin > 100;
    a->x0 = xmin;
    a->x1 = xmax > xmin ? xmax + (xmax - xmin) * 0.08 : xmin + 1;
    if (a->logy) {
        a->y0 = floor(log10(ymin));
        a->y1 = ceil(log10(ymax));
    } else {
        a->y0 = 0;
        a->y1 = ymax > 0 ? ymax * 1.1 : 1;
    }
    if (a->y1 <= a->y0)
        a->y1 = a->y0 + 1;
}

static void axes_draw(FILE *f, const struct svg_chart *c, const struct axes *a)
{
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>\n", LEFT, H - BOTTOM,
            W - RIGHT, H - BOTTOM);
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>\n", LEFT, TOP, LEFT,
            H - BOTTOM);
    for (int i = 0; i <= 5; i++) {
        double x = a->x0 + (a->x1 - a->x0) * i / 5;
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%.1f%s</text>\n", px(a, x),
                H - BOTTOM + 18, x, c->xunit);
    }
    int steps = a->logy ? (int)(a->y1 - a->y0) : 5;
    for (int i = 0; i <= steps; i++) {
        double v = a->y0 + (a->y1 - a->y0) * i / steps;
        double y = a->logy ? pow(10, v) : v;
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%.*f</text>\n", LEFT - 6,
                py(a, y) + 4, a->logy || a->y1 > 100 ? 0 : 1, y);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>\n", LEFT, py(a, y),
                W - RIGHT, py(a, y));
    }
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>%s</text>\n", (LEFT + W - RIGHT) / 2,
            H - 18, c->xlabel);
    fprintf(f, "<text x='20' y='%d' text-anchor='middle' transform='rotate(-90 20 %d)'>"
               "%s%s</text>\n",
            (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2, c->ylabel,
            a->logy ? " (log scale)" : "");
}

static int by_x(const void *x, const void *y)
{
    const struct svg_point *a = *(const struct svg_point *const *)x;
    const struct svg_point *b = *(const struct svg_point *const *)y;
    return a->x < b->x ? -1 : a->x > b->x;
}

static void front(FILE *f, const struct svg_chart *c, const struct axes *a)
{
    const struct svg_point **p = malloc((c->n + 1) * sizeof *p);
    size_t n = 0;
    for (size_t i = 0; p && i < c->n; i++)
        if (c->pts[i].pareto)
            p[n++] = &c->pts[i];
    if (n > 1) {
        qsort(p, n, sizeof *p, by_x);
        fputs("<polyline fill='none' stroke='#d62728' stroke-width='1.5' points='", f);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", px(a, p[i]->x), py(a, p[i]->y));
        fputs("'/>\n", f);
    }
    free(p);
}

int svg_chart_write(const struct svg_chart *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct axes a;
    fit(c, &a);
    fprintf(f, "<?xml version='1.0' encoding='UTF-8'?>\n"
               "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
               "font-family='sans-serif' font-size='12'>\n"
               "<rect width='100%%' height='100%%' fill='white'/>\n"
               "<text x='%d' y='24' font-size='15'>%s</text>\n",
            W, H, LEFT, c->title);
    axes_draw(f, c, &a);
    if (!isnan(c->xline))
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#1f77b4' "
                   "stroke-dasharray='6,4'/>\n", px(&a, c->xline), TOP, px(&a, c->xline),
                H - BOTTOM);
    if (!isnan(c->yline))
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#1f77b4' "
                   "stroke-dasharray='6,4'/>\n", LEFT, py(&a, c->yline), W - RIGHT,
                py(&a, c->yline));
    front(f, c, &a);
    for (size_t i = 0; i < c->n; i++) {
        const struct svg_point *p = &c->pts[i];
        double x = px(&a, p->x), y = py(&a, p->y);
        fprintf(f, "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'/>\n", x, y,
                p->pareto ? "#d62728" : "#777");
        if (p->recommended)
            fprintf(f, "<circle cx='%.1f' cy='%.1f' r='9' fill='none' stroke='#2ca02c' "
                       "stroke-width='2'/>\n", x, y);
        fprintf(f, "<text x='%.1f' y='%.1f'>%s</text>\n", x + 7, y - 6, p->label);
    }
    fputs("</svg>\n", f);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}
