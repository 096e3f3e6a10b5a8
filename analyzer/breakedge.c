/* The reference to break in an isolated cycle: the internal edge whose removal lets plain
 * reference counting free the most members, as if the program had cleared that pointer before
 * dropping the cycle. Without the edge, a member stays unfreed when it is on a cycle that is
 * left, or reachable from one.
 *
 * Members are a bit set of up to 64, closed transitively per removed edge (k^2 word operations
 * each); bigger cycles get no suggestion. */
#include "analyzer.h"

#define BREAK_MAX 64

/* The index of block w among the members of c (sorted by block index). */
static uint32_t member_index(const struct sccs *s, uint32_t c, uint32_t w)
{
    uint32_t lo = s->first[c], hi = s->first[c + 1];
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (s->members[mid] < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - s->first[c];
}

/* The members not freed once edge `skip` is gone. */
static uint64_t kept_members(const struct graph *g, const struct sccs *s, uint32_t c,
                             uint32_t skip)
{
    uint32_t k = s->first[c + 1] - s->first[c];
    uint64_t reach[BREAK_MAX] = { 0 };
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v = s->members[s->first[c] + i];
        for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++)
            if (e != skip && s->comp[g->to[e]] == c)
                reach[i] |= 1ull << member_index(s, c, g->to[e]);
    }
    for (uint32_t m = 0; m < k; m++)
        for (uint32_t i = 0; i < k; i++)
            if (reach[i] >> m & 1)
                reach[i] |= reach[m];
    uint64_t kept = 0;
    for (uint32_t i = 0; i < k; i++)
        if (reach[i] >> i & 1)
            kept |= (1ull << i) | reach[i];
    return kept;
}

uint32_t break_edge(const struct graph *g, const struct sccs *s, uint32_t c, uint32_t *frees)
{
    uint32_t k = s->first[c + 1] - s->first[c], best = AN_NONE, best_frees = 0;
    *frees = 0;
    if (k > BREAK_MAX)
        return AN_NONE;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v = s->members[s->first[c] + i];
        for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
            if (s->comp[g->to[e]] != c)
                continue;
            uint32_t n = k - (uint32_t)__builtin_popcountll(kept_members(g, s, c, e));
            if (best == AN_NONE || n > best_frees) {
                best = e;
                best_frees = n;
            }
        }
    }
    *frees = best_frees;
    return best;
}
