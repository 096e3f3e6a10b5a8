/* Allocation stacks in the format's own terms, so that DevTools shows each object's allocation
 * stack: trace_function_infos (one per distinct frame: function, file, line) and trace_tree, a
 * calling-context tree whose root is "(root)" and whose path to a node is a stack, outermost
 * first. A site's frames are innermost first, Python's before native ones: walked backwards,
 * its innermost Python frame is the leaf, at the top of the stack DevTools draws. Each node
 * counts the blocks allocated at exactly its stack. */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FUNC_FIELDS = 6 };

static const char *base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

struct builder {
    struct export_traces *tr;
    struct strtab *t;
    struct strtab keys;         /* "name:script:line" per function info, after "" */
    struct u64map child;        /* parent << 32 | function -> node */
    struct outbuf scratch;
};

/* A frame's function info, added when new; UINT32_MAX when out of memory. */
static uint32_t function_of(struct builder *b, const struct frame_sym *f)
{
    struct outbuf *s = &b->scratch;
    if (f->function)
        ob_str(s, f->function);
    else if (*f->module) {
        ob_str(s, base(f->module));
        ob_put(s, "+", 1);
        ob_hex(s, f->module_offset);
    } else
        ob_hex(s, f->address);
    uint32_t name = strtab_intern_buf(b->t, s);
    uint32_t script = strtab_intern(b->t, f->file ? f->file : f->module);
    uint32_t line = f->file ? f->line : 0;
    char key[48];
    int n = snprintf(key, sizeof key, "%u:%u:%u", name, script, line);
    /* the keys' table starts with "": function k is key k + 1 */
    uint32_t k = strtab_intern_n(&b->keys, key, (size_t)n) - 1;
    if (name == UINT32_MAX || script == UINT32_MAX || k >= UINT32_MAX - 1 || s->failed)
        return UINT32_MAX;
    struct export_traces *tr = b->tr;
    if (k < tr->nfuncs)
        return k;
    if (!export_reserve((void **)&tr->func, &tr->func_cap, ((size_t)k + 1) * FUNC_FIELDS,
                 sizeof *tr->func))
        return UINT32_MAX;
    uint32_t *fi = tr->func + (size_t)k * FUNC_FIELDS;
    fi[0] = k;                  /* function_id */
    fi[1] = name;
    fi[2] = script;
    fi[3] = script;             /* script_id: one number per file */
    fi[4] = line;
    fi[5] = 0;                  /* column: not recorded */
    tr->nfuncs = k + 1;
    return k;
}

static uint32_t node_add(struct export_traces *tr, uint32_t parent, uint32_t fn)
{
    size_t cap = tr->nodes_cap;
    if (tr->nnodes == cap) {
        size_t c1 = cap, c2 = cap, c3 = cap, c4 = cap;
        if (!export_reserve((void **)&tr->parent, &c1, cap + 1, sizeof *tr->parent) ||
            !export_reserve((void **)&tr->fn, &c2, cap + 1, sizeof *tr->fn) ||
            !export_reserve((void **)&tr->count, &c3, cap + 1, sizeof *tr->count) ||
            !export_reserve((void **)&tr->size, &c4, cap + 1, sizeof *tr->size))
            return UINT32_MAX;
        tr->nodes_cap = c1;
    }
    uint32_t v = tr->nnodes++;
    tr->parent[v] = parent;
    tr->fn[v] = fn;
    tr->count[v] = tr->size[v] = 0;
    return v;
}

/* The node of a site's stack, made on the way. */
static uint32_t site_path(struct builder *b, const struct frame_sym *f, uint32_t n)
{
    uint32_t v = 0;
    for (uint32_t k = n; k-- > 0;) {
        uint32_t fn = function_of(b, &f[k]);
        bool added;
        uint64_t *c = fn == UINT32_MAX ? NULL : u64map_put(&b->child, (uint64_t)v << 32 | fn,
                                                           &added);
        if (!c)
            return UINT32_MAX;
        if (added) {
            uint32_t w = node_add(b->tr, v, fn);
            if (w == UINT32_MAX)
                return UINT32_MAX;
            *c = w;
        }
        v = (uint32_t)*c;
    }
    return v;
}

int export_traces_build(struct export_traces *tr, const struct dump *d, struct symbols *sym,
                        struct strtab *t)
{
    memset(tr, 0, sizeof *tr);
    struct builder b = {tr, t, {0}, {0}, {0}};
    uint64_t *count = calloc((size_t)d->nsites + 1, sizeof *count);
    uint64_t *bytes = calloc((size_t)d->nsites + 1, sizeof *bytes);
    tr->site_node = calloc((size_t)d->nsites + 1, sizeof *tr->site_node);
    ob_init(&b.scratch, NULL);
    int rc = -1;
    if (!count || !bytes || !tr->site_node || b.scratch.failed || strtab_init(&b.keys))
        goto out;
    for (uint32_t i = 0; i < d->nblocks; i++) {
        count[d->blocks[i].site]++;
        bytes[d->blocks[i].site] += d->blocks[i].size;
    }
    struct frame_sym root = {.function = "(root)", .module = ""};
    if (function_of(&b, &root) != 0 || node_add(tr, UINT32_MAX, 0) != 0)
        goto out;
    for (uint32_t s = 0; s < d->nsites; s++) {
        uint32_t n;
        const struct frame_sym *f = count[s] ? symbols_site(sym, s, &n) : NULL;
        if (!f)
            continue;
        uint32_t v = site_path(&b, f, n);
        if (v == UINT32_MAX)
            goto out;
        tr->count[v] += count[s];
        tr->size[v] += bytes[s];
        tr->site_node[s] = v + 1;
    }
    rc = 0;
out:
    free(count);
    free(bytes);
    free(b.scratch.buf);
    strtab_free(&b.keys);
    u64map_free(&b.child);
    return rc;
}

void export_traces_write_functions(const struct export_traces *tr, struct outbuf *o)
{
    for (size_t i = 0; i < (size_t)tr->nfuncs * FUNC_FIELDS; i++) {
        if (i)
            ob_put(o, i % FUNC_FIELDS ? "," : ",\n", i % FUNC_FIELDS ? 1 : 2);
        ob_u64(o, tr->func[i]);
    }
}

/* Nested as V8 writes it: [id,function_info_index,count,size,[children...]] for the root, each
 * child the same five values inside its parent's last array. Iterative: stacks are deep. */
int export_traces_write_tree(const struct export_traces *tr, struct outbuf *o)
{
    uint32_t n = tr->nnodes;
    uint32_t *first = calloc((size_t)n + 2, sizeof *first);
    uint32_t *kids = malloc(((size_t)n + 1) * sizeof *kids);
    uint32_t *stack = malloc(((size_t)n + 1) * sizeof *stack);
    uint32_t *next = malloc(((size_t)n + 1) * sizeof *next);
    int rc = -1;
    if (!first || !kids || !stack || !next)
        goto out;
    for (uint32_t v = 1; v < n; v++)
        first[tr->parent[v] + 2]++;
    for (uint32_t v = 0; v < n; v++)
        first[v + 2] += first[v + 1];
    for (uint32_t v = 1; v < n; v++)
        kids[first[tr->parent[v] + 1]++] = v;
    /* first[v]..first[v + 1] are v's children now */
    uint32_t top = 0;
    stack[top++] = 0;
    next[0] = first[0];
    bool comma = false;
    ob_put(o, "[", 1);
    while (top) {
        uint32_t v = stack[top - 1];
        if (next[v] == first[v]) {      /* entering v */
            if (comma)
                ob_put(o, ",", 1);
            ob_u64(o, (uint64_t)v + 1);
            ob_put(o, ",", 1);
            ob_u64(o, tr->fn[v]);
            ob_put(o, ",", 1);
            ob_u64(o, tr->count[v]);
            ob_put(o, ",", 1);
            ob_u64(o, tr->size[v]);
            ob_put(o, ",[", 2);
            comma = false;
        }
        if (next[v] < first[v + 1]) {
            uint32_t w = kids[next[v]++];
            next[w] = first[w];
            stack[top++] = w;
            continue;
        }
        ob_put(o, "]", 1);
        comma = true;
        top--;
    }
    ob_put(o, "]", 1);
    rc = 0;
out:
    free(first), free(kids), free(stack), free(next);
    return rc;
}

void export_traces_free(struct export_traces *tr)
{
    free(tr->site_node), free(tr->func), free(tr->parent), free(tr->fn), free(tr->count),
        free(tr->size);
    memset(tr, 0, sizeof *tr);
}
