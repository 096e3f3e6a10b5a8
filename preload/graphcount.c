/* The counts a collection reports at once (atoll_collect's return value, the exit line):
 * unreachable blocks by CPython's rule on the dumped set, and how many isolated cycles they
 * form. The full analysis (classification, retention, grouping) is the analyzer's. */
#include "snapshot.h"

/* Iterative Tarjan over the unreachable blocks: the number of strongly connected components
 * with a cycle (two or more blocks, or one with an edge to itself). */
static uint64_t count_cycles(const struct snap *s, const uint32_t *first, const uint8_t *dead)
{
    uint32_t n = s->nblocks;
    const struct atoll_dump_edge *e = s->edges.data;
    uint32_t *index = cmem_alloc((size_t)n * 4), *low = cmem_alloc((size_t)n * 4);
    uint32_t *stack = cmem_alloc((size_t)n * 4), *calls = cmem_alloc((size_t)n * 4);
    uint32_t *next_edge = cmem_alloc((size_t)n * 4);
    uint8_t *on_stack = cmem_alloc(n);
    uint64_t cycles = 0;
    if (!index || !low || !stack || !calls || !next_edge || !on_stack)
        return 0;
    uint32_t counter = 1, sp = 0;
    for (uint32_t root = 0; root < n; root++) {
        if (!dead[root] || index[root])
            continue;
        uint32_t depth = 0;
        calls[depth++] = root;
        index[root] = low[root] = counter++;
        next_edge[root] = first[root];
        stack[sp++] = root;
        on_stack[root] = 1;
        while (depth) {
            uint32_t v = calls[depth - 1];
            if (next_edge[v] < first[v + 1]) {
                uint32_t w = e[next_edge[v]++].to;
                if (!dead[w])
                    continue;
                if (!index[w]) {
                    index[w] = low[w] = counter++;
                    next_edge[w] = first[w];
                    stack[sp++] = w;
                    on_stack[w] = 1;
                    calls[depth++] = w;
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            depth--;
            if (depth && low[v] < low[calls[depth - 1]])
                low[calls[depth - 1]] = low[v];
            if (low[v] != index[v])
                continue;
            uint32_t size = 0, w;
            int self_loop = 0;
            do {
                w = stack[--sp];
                on_stack[w] = 0;
                size++;
            } while (w != v);
            for (uint32_t k = first[v]; k < first[v + 1]; k++)
                self_loop |= e[k].to == v;
            cycles += size > 1 || self_loop;
        }
    }
    return cycles;
}

void snap_count_unreachable(const struct snap *s, uint64_t *blocks, uint64_t *bytes,
                            uint64_t *cycles)
{
    uint32_t n = s->nblocks;
    const struct atoll_dump_edge *e = s->edges.data;
    size_t ne = s->edges.len;
    uint32_t *first = cmem_alloc(((size_t)n + 1) * 4);
    uint32_t *inside = cmem_alloc((size_t)n * 4), *queue = cmem_alloc((size_t)n * 4);
    uint8_t *dead = cmem_alloc((size_t)n + 1);
    *blocks = *bytes = *cycles = 0;
    if (!first || !inside || !queue || !dead)
        return;
    for (size_t k = 0; k < ne; k++) {
        first[e[k].from + 1]++;
        inside[e[k].to]++;
    }
    for (uint32_t v = 0; v < n; v++)
        first[v + 1] += first[v];
    uint32_t head = 0, tail = 0;
    for (uint32_t v = 0; v < n; v++) {
        dead[v] = 1;
        if (s->blocks[v].refcount > inside[v]) {
            dead[v] = 0;
            queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t k = first[v]; k < first[v + 1]; k++)
            if (dead[e[k].to]) {
                dead[e[k].to] = 0;
                queue[tail++] = e[k].to;
            }
    }
    for (uint32_t v = 0; v < n; v++)
        if (dead[v]) {
            (*blocks)++;
            *bytes += s->blocks[v].size;
        }
    *cycles = count_cycles(s, first, dead);
}
