/* Which setting of Python's collector atoll tune recommends. The budget is memory: a setting's
 * peak RSS may exceed the default setting's by budget_pct at most, so a setting that keeps
 * cyclic garbage (the collector off, thresholds it never reaches) is recommended only when what
 * it kept fits. Within it, the least time in gc (or with --objective pause the shortest worst
 * pause), the other figure then the smaller peak RSS breaking ties. The Pareto front is taken
 * over the objective and peak RSS, the two things traded. */
#include "tune.h"

static double objective(const struct pytune_result *t, const struct pytune_row *r)
{
    return t->by_pause ? r->m.worst_ms : r->m.gc_ms;
}

static double other(const struct pytune_result *t, const struct pytune_row *r)
{
    return t->by_pause ? r->m.gc_ms : r->m.worst_ms;
}

static bool dominates(const struct pytune_result *t, const struct pytune_row *a,
                      const struct pytune_row *b)
{
    double oa = objective(t, a), ob = objective(t, b);
    return oa <= ob && a->peak_rss_kb <= b->peak_rss_kb &&
           (oa < ob || a->peak_rss_kb < b->peak_rss_kb);
}

static bool better(const struct pytune_result *t, const struct pytune_row *a,
                   const struct pytune_row *b)
{
    if (objective(t, a) != objective(t, b))
        return objective(t, a) < objective(t, b);
    if (other(t, a) != other(t, b))
        return other(t, a) < other(t, b);
    return a->peak_rss_kb < b->peak_rss_kb;
}

void pytune_decide(struct pytune_result *t)
{
    const struct pytune_row *d = &t->rows[t->dflt];
    t->recommended = -1;
    for (size_t i = 0; i < t->n; i++) {
        struct pytune_row *r = &t->rows[i];
        r->pareto = r->recommended = r->within = false;
        if (r->failed || d->failed)
            continue;
        r->rss_pct = d->peak_rss_kb > 0 ? 100.0 * ((double)r->peak_rss_kb /
                                                   (double)d->peak_rss_kb - 1) : 0;
        /* in kB, so that the default itself is always within */
        r->within = (double)r->peak_rss_kb <=
                    (double)d->peak_rss_kb * (1 + t->budget_pct / 100) + 1e-9;
        r->pareto = true;
        for (size_t j = 0; j < t->n && r->pareto; j++)
            if (j != i && !t->rows[j].failed && dominates(t, &t->rows[j], r))
                r->pareto = false;
        if (r->within && (t->recommended < 0 || better(t, r, &t->rows[t->recommended])))
            t->recommended = (int)i;
    }
    if (t->recommended >= 0)
        t->rows[t->recommended].recommended = true;
}
