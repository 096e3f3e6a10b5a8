/* The collection tests' support: dumps taken through the API and read with the analyzer's
 * reader, the exact-shape assertion, and parked threads. */
#include "collect.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Collections this test process has run: the recorder numbers them the same way. */
static unsigned collections;

/* The frames below the caller's held the blocks being built (malloc's, the unwinder's, the
 * builders'); the collection's frames will lie there, and their unwritten slots are scanned. */
NOINLINE void scrub_stack(void)
{
    char buf[64 << 10];
    memset(buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

void *zalloc(size_t size)
{
    void *p = calloc(1, size);
    if (!p)
        ck_abort_msg("calloc(1, %zu) failed", size);
    return p;
}

static const char *output_dir(void)
{
    const char *dir = getenv("ATOLL_OUTPUT");
    ck_assert_msg(dir && *dir, "ATOLL_OUTPUT is not set");
    return dir;
}

static void open_taken(struct taken *t, unsigned trigger, unsigned generation)
{
    char err[256];
    ck_assert_msg(dump_open(&t->d, t->path, err, sizeof err) == 0, "%s: %s", t->path, err);
    const struct atoll_dump_process *p = t->d.proc;
    ck_assert_uint_eq(p->pid, (unsigned)getpid());
    ck_assert_uint_eq(p->trigger, trigger);
    ck_assert_uint_eq(p->generation, generation);
    ck_assert_uint_eq(p->collection, collections);
    if (generation == 2)
        ck_assert_uint_eq(p->heap_blocks, t->d.nblocks);
    else
        ck_assert_uint_ge(p->heap_blocks, t->d.nblocks);

    struct graph g;
    ck_assert_int_eq(graph_from_dump(&g, &t->d), 0);
    uint8_t *seed = reach_seeds_from_dump(&t->d);
    ck_assert_ptr_nonnull(seed);
    t->alive = reach_alive(&g, &t->d, seed);
    ck_assert_ptr_nonnull(t->alive);
    free(seed);
    graph_free(&g);
    int dead = 0;
    for (uint32_t i = 0; i < t->d.nblocks; i++)
        dead += !t->alive[i];
    ck_assert_msg(t->unreachable == dead, "the collection returned %d unreachable blocks, the "
                  "analyzer finds %d in its dump", t->unreachable, dead);
}

void dump_prepare(struct taken *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s/dump.%d.%u.atoll", output_dir(), (int)getpid(),
             collections + 1);
}

void dump_finish(struct taken *t, int unreachable)
{
    ck_assert_msg(unreachable >= 0, "atoll_dump: %s", strerror(errno));
    t->unreachable = unreachable;
    collections++;
    open_taken(t, ATOLL_DUMP_TRIGGER_DUMP, 2);
}

void collect_prepare(struct taken *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s/collect_tests.%d.%u.atoll", output_dir(),
             (int)getpid(), collections + 1);
}

void collect_finish(struct taken *t, int generation, int unreachable)
{
    ck_assert_msg(unreachable >= 0, "atoll_collect: %s", strerror(errno));
    t->unreachable = unreachable;
    collections++;
    open_taken(t, ATOLL_DUMP_TRIGGER_API, (unsigned)generation);
}

void drop_dump(struct taken *t)
{
    free(t->alive);
    dump_close(&t->d);
    unlink(t->path);
}

uint32_t block_at(const struct dump *d, const void *addr)
{
    uint32_t lo = 0, hi = d->nblocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->blocks[mid].address < (uintptr_t)addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->nblocks && d->blocks[lo].address == (uintptr_t)addr ? lo : AN_NONE;
}

uint32_t block_containing(const struct dump *d, const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    for (uint32_t i = 0; i < d->nblocks; i++)
        if (a >= d->blocks[i].address && a - d->blocks[i].address < d->blocks[i].size)
            return i;
    ck_abort_msg("no block contains %p", addr);
    return AN_NONE;
}

uint32_t thread_of(const struct dump *d, uint32_t tid)
{
    uint32_t found = AN_NONE, n = 0;
    for (uint32_t i = 0; i < d->nthreads; i++)
        if (d->threads[i].tid == tid) {
            found = i;
            n++;
        }
    ck_assert_msg(n == 1, "thread %u appears %u times in THREADS", tid, n);
    return found;
}

uint32_t module_of(const struct dump *d, const char *suffix)
{
    uint32_t found = AN_NONE, n = 0;
    size_t sl = strlen(suffix);
    for (uint32_t i = 0; i < d->nmodules; i++) {
        const char *path = dump_string(d, d->modules[i].path);
        size_t pl = strlen(path);
        if (pl >= sl && strcmp(path + pl - sl, suffix) == 0) {
            found = i;
            n++;
        }
    }
    ck_assert_msg(n == 1, "%u modules end in %s", n, suffix);
    return found;
}

int block_alive(const struct taken *t, const void *addr)
{
    uint32_t i = block_at(&t->d, addr);
    ck_assert_msg(i != AN_NONE, "no block at %p", addr);
    return t->alive[i];
}

static int among(const uint32_t *set, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v)
            return 1;
    return 0;
}

static const char *const kind_names[] = { "?", "stack", "register", "global", "tls", "mapping",
                                          "loader", "ignored" };

static const char *kind_name(uint32_t kind)
{
    return kind < N(kind_names) ? kind_names[kind] : "?";
}

/* The references into block i, for a failure message. */
static const char *refs_into(const struct dump *d, uint32_t i, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (uint32_t k = 0; k < d->nedges && len < size; k++)
        if (d->edges[k].to == i)
            len += (size_t)snprintf(buf + len, size - len, " edge from %#llx+%llu;",
                                    (unsigned long long)d->blocks[d->edges[k].from].address,
                                    (unsigned long long)d->edges[k].offset);
    for (uint32_t k = 0; k < d->nroots && len < size; k++)
        if (d->roots[k].target == i)
            len += (size_t)snprintf(buf + len, size - len, " root %s %u at %#llx;",
                                    kind_name(d->roots[k].kind), d->roots[k].index,
                                    (unsigned long long)d->roots[k].where);
    return buf;
}

void expect_shape(const struct dump *d, const struct want_block *blocks, size_t nblocks,
                  const struct want_edge *edges, size_t nedges,
                  const struct want_root *roots, size_t nroots)
{
    uint32_t idx[64];
    ck_assert_uint_le(nblocks, N(idx));
    for (size_t i = 0; i < nblocks; i++) {
        const struct want_block *w = &blocks[i];
        idx[i] = block_at(d, w->addr);
        ck_assert_msg(idx[i] != AN_NONE, "block %zu (%p) is not in the dump", i, w->addr);
        const struct atoll_dump_block *b = &d->blocks[idx[i]];
        ck_assert_msg(b->size == w->size, "block %zu (%p): size %llu, want %llu", i, w->addr,
                      (unsigned long long)b->size, (unsigned long long)w->size);
        char refs[512];
        ck_assert_msg(b->refcount == w->refcount,
                      "block %zu (%p): refcount %u, want %u; found:%s", i, w->addr, b->refcount,
                      w->refcount, refs_into(d, idx[i], refs, sizeof refs));
        ck_assert_msg(b->flags == w->flags, "block %zu (%p): flags %u, want %u", i, w->addr,
                      b->flags, w->flags);
        ck_assert_msg(b->generation == w->generation, "block %zu (%p): generation %u, want %u",
                      i, w->addr, b->generation, w->generation);
    }

    uint8_t used[64] = { 0 };
    ck_assert_uint_le(nedges, N(used));
    size_t matched = 0;
    for (uint32_t k = 0; k < d->nedges; k++) {
        const struct atoll_dump_edge *e = &d->edges[k];
        if (!among(idx, nblocks, e->from) && !among(idx, nblocks, e->to))
            continue;
        size_t j;
        for (j = 0; j < nedges; j++)
            if (!used[j] && block_at(d, edges[j].from) == e->from &&
                block_at(d, edges[j].to) == e->to && edges[j].offset == e->offset)
                break;
        ck_assert_msg(j < nedges, "unexpected edge %#llx+%llu -> %#llx",
                      (unsigned long long)d->blocks[e->from].address,
                      (unsigned long long)e->offset, (unsigned long long)d->blocks[e->to].address);
        used[j] = 1;
        matched++;
    }
    for (size_t j = 0; j < nedges; j++)
        ck_assert_msg(used[j], "missing edge %p+%llu -> %p", edges[j].from,
                      (unsigned long long)edges[j].offset, edges[j].to);
    ck_assert_uint_eq(matched, nedges);

    memset(used, 0, sizeof used);
    ck_assert_uint_le(nroots, N(used));
    matched = 0;
    for (uint32_t k = 0; k < d->nroots; k++) {
        const struct atoll_dump_root *r = &d->roots[k];
        if (!among(idx, nblocks, r->target))
            continue;
        size_t j;
        for (j = 0; j < nroots; j++)
            if (!used[j] && roots[j].kind == r->kind && roots[j].index == r->index &&
                roots[j].where == r->where && block_at(d, roots[j].target) == r->target)
                break;
        ck_assert_msg(j < nroots, "unexpected root %s %u at %#llx -> %#llx", kind_name(r->kind),
                      r->index, (unsigned long long)r->where,
                      (unsigned long long)d->blocks[r->target].address);
        used[j] = 1;
        matched++;
    }
    for (size_t j = 0; j < nroots; j++)
        ck_assert_msg(used[j], "missing root %s %u at %#llx -> %p", kind_name(roots[j].kind),
                      roots[j].index, (unsigned long long)roots[j].where, roots[j].target);
    ck_assert_uint_eq(matched, nroots);
}

static long futex(uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static void futex_set(uint32_t *word)
{
    __atomic_store_n(word, 1, __ATOMIC_RELEASE);
    futex(word, FUTEX_WAKE_PRIVATE, 1);
}

static void futex_await(uint32_t *word)
{
    while (!__atomic_load_n(word, __ATOMIC_ACQUIRE))
        futex(word, FUTEX_WAIT_PRIVATE, 0);
}

static void *park_main(void *arg)
{
    struct parked *p = arg;
    p->tid = (uint32_t)gettid();
    p->body(p);
    return NULL;
}

void park_start(struct parked *p, void (*body)(struct parked *))
{
    p->ready = p->go = 0;
    p->body = body;
    ck_assert_int_eq(pthread_create(&p->thread, NULL, park_main, p), 0);
    futex_await(&p->ready);
}

void park_until_go(struct parked *p)
{
    futex_set(&p->ready);
    futex_await(&p->go);
}

void park_finish(struct parked *p)
{
    futex_set(&p->go);
    ck_assert_int_eq(pthread_join(p->thread, NULL), 0);
}
