/* stress: 16 threads on every entry point of the malloc family at once, with the frees spread
 * over threads other than the allocating one, threads that die while their blocks live on, and
 * forks taken while all of it runs.
 *
 * Every block carries a pattern derived from (address, size, seed), verified before it is freed
 * and after realloc (the preserved prefix); calloc memory must be zero, every block must have
 * its alignment, and with atoll preloaded every small block must be atoll's. Blocks move
 * between threads through a lock-free inbox per thread slot, a mutex-protected shared queue, and
 * an orphanage that receives what a thread holds when it exits.
 *
 * Usage: stress TOTAL_OPS. Exit 0 when nothing was wrong, 1 otherwise. */
#define _GNU_SOURCE
#include "progcheck.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 16
#define LIVES 4                 /* threads per slot, one after another */
#define HELD 192                /* blocks a thread holds at most */
#define FORKS 3
#define CHILD_THREADS 3
#define CHILD_OPS 40000
#define SMALL_MAX 512           /* atoll's default ATOLL_SMALL_MAX */

enum kind { K_MALLOC, K_CALLOC, K_POSIX_MEMALIGN, K_ALIGNED_ALLOC, K_MEMALIGN };

struct rec {
    struct rec *next;
    void *p;
    size_t size;
    size_t align;
    uint64_t key;
};

struct slot {
    struct rec *inbox;          /* lock-free: pushed by anyone, taken whole by the slot */
    pthread_t thread;
    int running;
    int done;                   /* atomic: the current thread has finished its life */
    int lives_left;
    uint64_t seed;
};

struct mqueue {
    pthread_mutex_t lock;
    struct rec *head;
    size_t count;
};

/* One pool of blocks in flight: the parent's worker slots, or a fork child's own threads. */
struct world {
    struct slot *slots;
    int nslots;
    struct mqueue shared;
    struct mqueue orphans;
    long ops_per_life;
    long allocs;                /* atomic */
    long frees;                 /* atomic */
    long ops_done;              /* atomic */
};

struct worker {
    struct world *w;
    int slot;
    uint64_t rng;
    struct rec *held[HELD];
    int nheld;
};

static const char *const kind_names[] = { "malloc", "calloc", "posix_memalign", "aligned_alloc",
                                          "memalign" };

/* Mostly 0..600 bytes (both sides of atoll's 512-byte limit), some up to 8 KiB, a few up to
 * 64 KiB. */
static size_t pick_size(uint64_t *rng)
{
    uint64_t r = pc_rand(rng);
    unsigned pick = (unsigned)(r % 100);
    r >>= 8;
    if (pick < 90)
        return (size_t)(r % 601);
    if (pick < 98)
        return 601 + (size_t)(r % (8192 - 600));
    return 8193 + (size_t)(r % (65536 - 8192));
}

static void queue_push(struct mqueue *q, struct rec *r)
{
    pthread_mutex_lock(&q->lock);
    r->next = q->head;
    q->head = r;
    q->count++;
    pthread_mutex_unlock(&q->lock);
}

static struct rec *queue_pop(struct mqueue *q)
{
    pthread_mutex_lock(&q->lock);
    struct rec *r = q->head;
    if (r) {
        q->head = r->next;
        q->count--;
    }
    pthread_mutex_unlock(&q->lock);
    return r;
}

static void inbox_push(struct slot *s, struct rec *r)
{
    struct rec *head = __atomic_load_n(&s->inbox, __ATOMIC_RELAXED);
    do
        r->next = head;
    while (!__atomic_compare_exchange_n(&s->inbox, &head, r, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
}

static struct rec *inbox_take(struct slot *s)
{
    return __atomic_exchange_n(&s->inbox, NULL, __ATOMIC_ACQUIRE);
}

static void check_common(const char *what, const void *p, size_t size, size_t align)
{
    if (size >= 16)
        pc_verify_align(what, p, 16);
    if (align > 16)
        pc_verify_align(what, p, align);
    if (malloc_usable_size((void *)p) < size)
        pc_fail("%s: malloc_usable_size(%p) = %zu < %zu", what, p,
                malloc_usable_size((void *)p), size);
}

static struct rec *block_new(struct world *w, uint64_t *rng)
{
    struct rec *r = malloc(sizeof *r);
    if (!r) {
        pc_fail("malloc(%zu) for a record returned NULL", sizeof *r);
        return NULL;
    }
    size_t size = pick_size(rng);
    uint64_t x = pc_rand(rng);
    enum kind k = (enum kind)(x % 8 < 4 ? K_MALLOC : x % 8 == 4 ? K_CALLOC : 2 + (x >> 8) % 3);
    size_t align = 16;
    void *p = NULL;
    switch (k) {
    case K_MALLOC:
        p = malloc(size);
        break;
    case K_CALLOC: {
        size_t n = (x >> 8) % 2 ? size : 1, m = n == size ? 1 : size;
        p = calloc(n, m);
        break;
    }
    case K_POSIX_MEMALIGN:
    case K_ALIGNED_ALLOC:
    case K_MEMALIGN:
        align = (size_t)16 << ((x >> 12) % 9);  /* 16 .. 4096 */
        if (k == K_POSIX_MEMALIGN) {
            int err = posix_memalign(&p, align, size);
            if (err) {
                pc_fail("posix_memalign(%zu, %zu) = %d", align, size, err);
                p = NULL;
            }
        } else if (k == K_ALIGNED_ALLOC) {
            p = aligned_alloc(align, size);
        } else {
            p = memalign(align, size);
        }
        break;
    }
    if (!p) {
        pc_fail("%s(%zu) (alignment %zu) returned NULL", kind_names[k], size, align);
        free(r);
        return NULL;
    }
    check_common(kind_names[k], p, size, align);
    if (k == K_CALLOC)
        pc_verify_zero("calloc", p, size);
    size_t footprint = size ? (size + align - 1) / align * align : align;
    pc_verify_owner(kind_names[k], p, align == 16 ? size <= SMALL_MAX : footprint <= SMALL_MAX);
    r->p = p;
    r->size = size;
    r->align = align;
    r->key = pc_key(p, size, x);
    pc_fill(p, size, r->key);
    __atomic_fetch_add(&w->allocs, 1, __ATOMIC_RELAXED);
    return r;
}

static void block_free(struct world *w, struct rec *r, const char *where)
{
    pc_verify(where, r->p, r->size, r->key);
    free(r->p);
    free(r);
    __atomic_fetch_add(&w->frees, 1, __ATOMIC_RELAXED);
}

/* Grow or shrink; realloc(p, 0) frees and returns NULL in glibc 2.36, and so must atoll. */
static struct rec *block_realloc(struct world *w, struct rec *r, uint64_t *rng)
{
    uint64_t x = pc_rand(rng);
    size_t size = x % 64 == 0 ? 0 : pick_size(rng);
    pc_verify("before realloc", r->p, r->size, r->key);
    void *p = realloc(r->p, size);
    if (size == 0) {
        if (p)
            pc_fail("realloc(%p, 0) returned %p, expected NULL", r->p, p);
        free(r);
        __atomic_fetch_add(&w->frees, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    if (!p) {
        pc_fail("realloc(%p, %zu) returned NULL", r->p, size);
        return r;
    }
    pc_verify("after realloc", p, size < r->size ? size : r->size, r->key);
    check_common("realloc", p, size, 16);
    r->p = p;
    r->size = size;
    r->align = 16;
    r->key = pc_key(p, size, x);
    pc_fill(p, size, r->key);
    return r;
}

/* A block received from another thread: free it, or keep it when there is room. */
static void receive(struct worker *wk, struct rec *r)
{
    pc_verify("received", r->p, r->size, r->key);
    if (wk->nheld < HELD && pc_rand(&wk->rng) % 2)
        wk->held[wk->nheld++] = r;
    else
        block_free(wk->w, r, "free of a received block");
}

static struct rec *take_held(struct worker *wk)
{
    int i = (int)(pc_rand(&wk->rng) % (uint64_t)wk->nheld);
    struct rec *r = wk->held[i];
    wk->held[i] = wk->held[--wk->nheld];
    return r;
}

static void one_op(struct worker *wk)
{
    struct world *w = wk->w;
    unsigned op = (unsigned)(pc_rand(&wk->rng) % 100);
    if (wk->nheld == 0 || (op < 36 && wk->nheld < HELD)) {
        struct rec *r = block_new(w, &wk->rng);
        if (r)
            wk->held[wk->nheld++] = r;
    } else if (op < 56) {
        block_free(w, take_held(wk), "free");
    } else if (op < 66) {
        struct rec *r = block_realloc(w, take_held(wk), &wk->rng);
        if (r)
            wk->held[wk->nheld++] = r;
    } else if (op < 82) {
        struct rec *r = take_held(wk);
        if (op % 2)
            inbox_push(&w->slots[pc_rand(&wk->rng) % (uint64_t)w->nslots], r);
        else
            queue_push(&w->shared, r);
    } else if (op < 92) {
        for (struct rec *r = inbox_take(&w->slots[wk->slot]), *next; r; r = next) {
            next = r->next;
            receive(wk, r);
        }
    } else if (op < 97) {
        struct rec *r = queue_pop(op % 2 ? &w->shared : &w->orphans);
        if (r)
            receive(wk, r);
    } else {
        struct rec *r = wk->held[pc_rand(&wk->rng) % (uint64_t)wk->nheld];
        pc_verify("held", r->p, r->size, r->key);
    }
}

struct life {
    struct world *w;
    int slot;
};

/* One thread's life: its ops, then everything it holds goes to the orphanage, to be freed by
 * threads that did not allocate it, after this one has exited. */
static void *life_main(void *arg)
{
    struct life *l = arg;
    struct worker *wk = calloc(1, sizeof *wk);
    if (!wk) {
        pc_fail("calloc for a worker failed");
        return NULL;
    }
    wk->w = l->w;
    wk->slot = l->slot;
    struct slot *s = &l->w->slots[l->slot];
    wk->rng = s->seed = s->seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    free(l);
    for (long i = 0; i < wk->w->ops_per_life; i++) {
        one_op(wk);
        if (i % 1024 == 1023)
            __atomic_fetch_add(&wk->w->ops_done, 1024, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&wk->w->ops_done, wk->w->ops_per_life % 1024, __ATOMIC_RELAXED);
    for (int i = 0; i < wk->nheld; i++)
        queue_push(&wk->w->orphans, wk->held[i]);
    free(wk);
    __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static int start_life(struct world *w, int slot)
{
    struct life *l = malloc(sizeof *l);
    if (!l) {
        pc_fail("malloc for a life failed");
        return 0;
    }
    l->w = w;
    l->slot = slot;
    struct slot *s = &w->slots[slot];
    s->done = 0;
    s->lives_left--;
    int err = pthread_create(&s->thread, NULL, life_main, l);
    if (err) {
        pc_fail("pthread_create: %s", strerror(err));
        free(l);
        return 0;
    }
    s->running = 1;
    return 1;
}

/* Frees everything still in flight: inboxes, shared queue, orphanage. */
static void drain_world(struct world *w)
{
    struct rec *r;
    for (int i = 0; i < w->nslots; i++) {
        for (struct rec *next, *q = inbox_take(&w->slots[i]); q; q = next) {
            next = q->next;
            block_free(w, q, "final free of an inbox block");
        }
    }
    while ((r = queue_pop(&w->shared)))
        block_free(w, r, "final free of a shared block");
    while ((r = queue_pop(&w->orphans)))
        block_free(w, r, "final free of an orphan");
}

static int world_init(struct world *w, int nslots, long ops_per_life, int lives, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->slots = calloc((size_t)nslots, sizeof *w->slots);
    if (!w->slots)
        return 0;
    w->nslots = nslots;
    w->ops_per_life = ops_per_life;
    pthread_mutex_init(&w->shared.lock, NULL);
    pthread_mutex_init(&w->orphans.lock, NULL);
    for (int i = 0; i < nslots; i++) {
        w->slots[i].lives_left = lives;
        w->slots[i].seed = seed + (uint64_t)i * 7919;
    }
    return 1;
}

static int world_balanced(struct world *w, const char *who)
{
    long a = __atomic_load_n(&w->allocs, __ATOMIC_RELAXED);
    long f = __atomic_load_n(&w->frees, __ATOMIC_RELAXED);
    if (a != f) {
        pc_fail("%s: %ld blocks allocated but %ld freed", who, a, f);
        return 0;
    }
    return 1;
}

/* The fork child: the parent's queues may be locked by threads that do not exist here, so it
 * touches only what the forking thread held (blocks allocated by many parent threads, whose
 * heaps the child's threads now inherit) and a world of its own. */
static void child_run(struct rec *mine, uint64_t seed)
{
    alarm(60);
    struct world cw;
    if (!world_init(&cw, CHILD_THREADS, CHILD_OPS, 1, seed)) {
        pc_fail("child: world_init failed");
        _exit(1);
    }
    for (struct rec *next; mine; mine = next) {
        next = mine->next;
        pc_verify("child: block held at fork", mine->p, mine->size, mine->key);
        free(mine->p);
        free(mine);
    }
    for (int i = 0; i < CHILD_THREADS; i++)
        start_life(&cw, i);
    for (int i = 0; i < CHILD_THREADS; i++)
        if (cw.slots[i].running)
            pthread_join(cw.slots[i].thread, NULL);
    drain_world(&cw);
    world_balanced(&cw, "child");
    _exit(pc_failures() ? 1 : 0);
}

/* What the forking thread holds across fork: blocks of its own and blocks of other threads. */
static struct rec *gather_for_fork(struct world *w, uint64_t *rng)
{
    struct rec *list = NULL;
    for (int i = 0; i < 64; i++) {
        struct rec *r = i % 2 ? block_new(w, rng) : queue_pop(i % 4 == 0 ? &w->orphans : &w->shared);
        if (!r)
            continue;
        r->next = list;
        list = r;
    }
    return list;
}

static void fork_now(struct world *w, uint64_t *rng, int n)
{
    struct rec *mine = gather_for_fork(w, rng);
    pid_t pid = fork();
    if (pid < 0) {
        pc_fail("fork: %s", strerror(errno));
    } else if (pid == 0) {
        child_run(mine, *rng + (uint64_t)n);
    } else {
        int st;
        if (waitpid(pid, &st, 0) != pid)
            pc_fail("waitpid: %s", strerror(errno));
        else if (WIFSIGNALED(st))
            pc_fail("fork child %d killed by signal %d%s", n, WTERMSIG(st),
                    WTERMSIG(st) == SIGALRM ? " (deadlock: alarm)" : "");
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            pc_fail("fork child %d exited with status %d", n, WEXITSTATUS(st));
    }
    for (struct rec *next; mine; mine = next) {
        next = mine->next;
        block_free(w, mine, "parent: free of a block held at fork");
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || atol(argv[1]) < SLOTS * LIVES) {
        fprintf(stderr, "usage: %s TOTAL_OPS (at least %d)\n", argv[0], SLOTS * LIVES);
        return 2;
    }
    long total = atol(argv[1]);
    pc_expect_init();
    struct world w;
    if (!world_init(&w, SLOTS, total / (SLOTS * LIVES), LIVES, 12345)) {
        fprintf(stderr, "world_init failed\n");
        return 1;
    }
    uint64_t rng = 0x853C49E6748FEA9BULL;
    for (int i = 0; i < SLOTS; i++)
        start_life(&w, i);
    int forks = 0;
    long budget = w.ops_per_life * SLOTS * LIVES;
    for (;;) {
        int running = 0;
        for (int i = 0; i < SLOTS; i++) {
            struct slot *s = &w.slots[i];
            if (s->running && __atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
                pthread_join(s->thread, NULL);
                s->running = 0;
            }
            if (!s->running && s->lives_left > 0)
                start_life(&w, i);
            running += s->running;
        }
        if (!running)
            break;
        long done = __atomic_load_n(&w.ops_done, __ATOMIC_RELAXED);
        if (forks < FORKS && done >= budget / (FORKS + 1) * (forks + 1))
            fork_now(&w, &rng, ++forks);
        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
    }
    drain_world(&w);
    world_balanced(&w, "parent");
    if (forks != FORKS)
        pc_fail("forked %d times, expected %d", forks, FORKS);
    unsigned long bad = pc_failures();
    if (bad) {
        fprintf(stderr, "stress: %lu failures\n", bad);
        return 1;
    }
    printf("stress: %ld blocks allocated and freed by %d threads, %d forks, atoll %s\n", w.allocs,
           SLOTS * LIVES, forks, pc_atoll_present() ? "present" : "absent");
    return 0;
}
