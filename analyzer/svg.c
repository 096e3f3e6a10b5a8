/* tune.svg: each setting that ran as a point, overhead (x, %) against the median detection
 * latency (y, allocations, a log scale when the values span more than a factor of 100), the
 * Pareto front drawn as a line through its points, the budget as a dashed vertical line and the
 * recommended setting ringed. Plain SVG 1.1, no script, no external font. */
#include "tune/tune.h"

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

static void fit(const struct tune_result *t, struct axes *a)
{
    double xmin = fmin(0, t->budget_pct), xmax = t->budget_pct, ymin = INFINITY, ymax = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct tune_row *r = &t->rows[i];
        if (r->failed)
            continue;
        xmin = fmin(xmin, r->overhead_pct);
        xmax = fmax(xmax, r->overhead_pct);
        ymin = fmin(ymin, r->m.lat_allocs_median);
        ymax = fmax(ymax, r->m.lat_allocs_median);
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

static void axes_draw(FILE *f, const struct axes *a)
{
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>\n", LEFT, H - BOTTOM,
            W - RIGHT, H - BOTTOM);
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>\n", LEFT, TOP, LEFT,
            H - BOTTOM);
    for (int i = 0; i <= 5; i++) {
        double x = a->x0 + (a->x1 - a->x0) * i / 5;
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%.1f%%</text>\n", px(a, x),
                H - BOTTOM + 18, x);
    }
    int steps = a->logy ? (int)(a->y1 - a->y0) : 5;
    for (int i = 0; i <= steps; i++) {
        double v = a->y0 + (a->y1 - a->y0) * i / steps;
        double y = a->logy ? pow(10, v) : v;
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%.0f</text>\n", LEFT - 6,
                py(a, y) + 4, y);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>\n", LEFT, py(a, y),
                W - RIGHT, py(a, y));
    }
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>overhead (wall time)</text>\n",
            (LEFT + W - RIGHT) / 2, H - 18);
    fprintf(f, "<text x='20' y='%d' text-anchor='middle' transform='rotate(-90 20 %d)'>"
               "median detection latency (allocations%s)</text>\n",
            (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2, a->logy ? ", log scale" : "");
}

static int by_overhead(const void *x, const void *y)
{
    const struct tune_row *a = *(const struct tune_row *const *)x;
    const struct tune_row *b = *(const struct tune_row *const *)y;
    return a->overhead_pct < b->overhead_pct ? -1 : a->overhead_pct > b->overhead_pct;
}

static void front(FILE *f, const struct tune_result *t, const struct axes *a)
{
    const struct tune_row **p = malloc((t->n + 1) * sizeof *p);
    size_t n = 0;
    for (size_t i = 0; p && i < t->n; i++)
        if (t->rows[i].pareto)
            p[n++] = &t->rows[i];
    if (n > 1) {
        qsort(p, n, sizeof *p, by_overhead);
        fputs("<polyline fill='none' stroke='#d62728' stroke-width='1.5' points='", f);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", px(a, p[i]->overhead_pct),
                    py(a, p[i]->m.lat_allocs_median));
        fputs("'/>\n", f);
    }
    free(p);
}

int svg_plot(const struct tune_result *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct axes a;
    fit(t, &a);
    fprintf(f, "<?xml version='1.0' encoding='UTF-8'?>\n"
               "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
               "font-family='sans-serif' font-size='12'>\n"
               "<rect width='100%%' height='100%%' fill='white'/>\n"
               "<text x='%d' y='24' font-size='15'>atoll tune: overhead against detection "
               "latency (budget %.1f%%, %s baseline)</text>\n",
            W, H, LEFT, t->budget_pct, t->baseline);
    axes_draw(f, &a);
    fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#1f77b4' "
               "stroke-dasharray='6,4'/>\n", px(&a, t->budget_pct), TOP, px(&a, t->budget_pct),
            H - BOTTOM);
    front(f, t, &a);
    for (size_t i = 0; i < t->n; i++) {
        const struct tune_row *r = &t->rows[i];
        if (r->failed)
            continue;
        double x = px(&a, r->overhead_pct), y = py(&a, r->m.lat_allocs_median);
        fprintf(f, "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'/>\n", x, y,
                r->pareto ? "#d62728" : "#777");
        if (r->recommended)
            fprintf(f, "<circle cx='%.1f' cy='%.1f' r='9' fill='none' stroke='#2ca02c' "
                       "stroke-width='2'/>\n", x, y);
        fprintf(f, "<text x='%.1f' y='%.1f'>%s%s%s</text>\n", x + 7, y - 6, r->s.threshold,
                *r->s.small_max ? " small " : "", r->s.small_max);
    }
    fputs("</svg>\n", f);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}
