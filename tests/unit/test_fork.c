/* fork while four threads allocate: the child frees the blocks they held and allocates
 * heavily in its main thread and in two new threads. fork waits for every lock of atoll's, and
 * the child adopts no heap of a thread that was running at the fork. */
#include "unit.h"
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define SLOTS 64
#define ROUNDS 4
#define CHILD_BLOCKS 100000
#define WINDOW 256

/* A block's size and contents follow from its slot, so any thread can check any block. */
static size_t slot_size(unsigned slot)
{
    return 1 + (slot * 37u) % 700u;              /* small and large blocks */
}

static void stamp(unsigned char *p, unsigned slot)
{
    size_t n = slot_size(slot);
    for (size_t i = 0; i < n && i < 64; i++)
        p[i] = (unsigned char)(slot * 3 + i);
}

static int stamped(const unsigned char *p, unsigned slot)
{
    size_t n = slot_size(slot);
    for (size_t i = 0; i < n && i < 64; i++)
        if (p[i] != (unsigned char)(slot * 3 + i))
            return 0;
    return 1;
}

static unsigned next_rand(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

struct worker {
    void *slots[SLOTS];                           /* atomic */
    unsigned long iterations;                     /* atomic */
    unsigned errors;
    unsigned seed;
    pthread_t thread;
};

static struct worker workers[WORKERS];
static int stop;

static void *work(void *arg)
{
    struct worker *w = arg;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        unsigned slot = next_rand(&w->seed) % SLOTS;
        unsigned char *p = malloc(slot_size(slot));
        if (!p) {
            w->errors++;
            continue;
        }
        stamp(p, slot);
        unsigned char *old = __atomic_exchange_n(&w->slots[slot], p, __ATOMIC_SEQ_CST);
        if (old && !stamped(old, slot))
            w->errors++;
        free(old);
        __atomic_add_fetch(&w->iterations, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Allocates and frees n blocks through a window of live ones; the number of corrupt blocks. */
static unsigned churn(unsigned n, unsigned seed)
{
    unsigned char *live[WINDOW] = { 0 };
    unsigned errors = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned k = next_rand(&seed) % WINDOW;
        unsigned slot = k % SLOTS;
        if (live[k]) {
            errors += !stamped(live[k], slot);
            free(live[k]);
        }
        live[k] = malloc(slot_size(slot));
        if (!live[k]) {
            errors++;
            continue;
        }
        stamp(live[k], slot);
    }
    for (unsigned k = 0; k < WINDOW; k++) {
        if (live[k]) {
            errors += !stamped(live[k], k % SLOTS);
            free(live[k]);
        }
    }
    return errors;
}

static void *churn_thread(void *arg)
{
    return (void *)(uintptr_t)churn(CHILD_BLOCKS, (unsigned)(uintptr_t)arg);
}

/* The child: no Check calls here, only an exit status. */
static void child(void)
{
    unsigned errors = 0;
    for (int w = 0; w < WORKERS; w++) {
        for (unsigned s = 0; s < SLOTS; s++) {
            unsigned char *p = __atomic_load_n(&workers[w].slots[s], __ATOMIC_RELAXED);
            if (p) {
                errors += !stamped(p, s);
                free(p);
            }
        }
    }
    errors += churn(CHILD_BLOCKS, 12345);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, churn_thread, (void *)(uintptr_t)(777 + i)) != 0)
            _exit(3);
    for (int i = 0; i < 2; i++) {
        void *r;
        if (pthread_join(t[i], &r) != 0)
            _exit(4);
        errors += (unsigned)(uintptr_t)r;
    }
    _exit(errors ? 1 : 0);
}

static void wait_for_progress(unsigned long more)
{
    for (int w = 0; w < WORKERS; w++) {
        unsigned long target = __atomic_load_n(&workers[w].iterations, __ATOMIC_RELAXED) + more;
        while (__atomic_load_n(&workers[w].iterations, __ATOMIC_RELAXED) < target)
            sched_yield();
    }
}

START_TEST(fork_while_threads_allocate)
{
    for (int w = 0; w < WORKERS; w++) {
        workers[w].seed = 0x9e3779b9u * (unsigned)(w + 1);
        ck_assert_int_eq(pthread_create(&workers[w].thread, NULL, work, &workers[w]), 0);
    }
    int status[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        wait_for_progress(2000);
        pid_t pid = fork();
        if (pid == 0)
            child();
        status[r] = -1;
        if (pid > 0 && waitpid(pid, &status[r], 0) != pid)
            status[r] = -2;
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    unsigned errors = 0;
    for (int w = 0; w < WORKERS; w++) {
        ck_assert_int_eq(pthread_join(workers[w].thread, NULL), 0);
        errors += workers[w].errors;
    }
    for (int r = 0; r < ROUNDS; r++) {
        ck_assert_msg(WIFEXITED(status[r]) && WEXITSTATUS(status[r]) == 0,
                      "child %d: wait status %#x", r, status[r]);
    }
    ck_assert_uint_eq(errors, 0);
}
END_TEST

/* One lock held by another thread for 50 ms across the fork: the child must see the table as
 * the holder left it, so fork waits. The holder's last store before it lets go is the proof. */
struct holder {
    enum atoll_lock_id id;
    int holding, released;                        /* atomic */
};

static void *hold_lock(void *arg)
{
    struct holder *h = arg;
    atoll_lock_take(h->id);
    __atomic_store_n(&h->holding, 1, __ATOMIC_SEQ_CST);
    nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
    __atomic_store_n(&h->released, 1, __ATOMIC_SEQ_CST);
    atoll_lock_drop(h->id);
    return NULL;
}

START_TEST(fork_waits_for_every_lock)
{
    for (unsigned id = 0; id < ATOLL_NLOCKS; id++) {
        struct holder h = { .id = (enum atoll_lock_id)id };
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, hold_lock, &h), 0);
        while (!__atomic_load_n(&h.holding, __ATOMIC_SEQ_CST))
            sched_yield();
        pid_t pid = fork();
        if (pid == 0) {
            int unlocked = 1;
            for (unsigned j = 0; j < ATOLL_NLOCKS; j++)
                unlocked &= !atoll_lock_held((enum atoll_lock_id)j);
            _exit(!__atomic_load_n(&h.released, __ATOMIC_SEQ_CST) ? 1 : !unlocked ? 2 : 0);
        }
        int status = -1;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "lock %u: child status %#x (1: forked while held, 2: left locked)", id,
                      status);
        for (unsigned j = 0; j < ATOLL_NLOCKS; j++)
            ck_assert(!atoll_lock_held((enum atoll_lock_id)j));
    }
}
END_TEST

static struct atoll_heap *heap_of_exited, *heap_of_running;
static int running_may_end;                       /* atomic */

static void *exit_with_heap(void *arg)
{
    (void)arg;
    free(hide(malloc(32)));
    heap_of_exited = atoll_tls.heap;
    return NULL;
}

static void *run_with_heap(void *arg)
{
    (void)arg;
    free(hide(malloc(32)));
    __atomic_store_n(&heap_of_running, atoll_tls.heap, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&running_may_end, __ATOMIC_SEQ_CST))
        sched_yield();
    return NULL;
}

#define CHILD_THREADS 3
static pthread_barrier_t all_have_heaps;

static void *heap_in_child(void *arg)
{
    free(hide(malloc(32)));
    *(struct atoll_heap **)arg = atoll_tls.heap;
    pthread_barrier_wait(&all_have_heaps);      /* no thread exits (freeing its heap) early */
    return NULL;
}

/* The child's new threads take the heap of a thread that exited before the fork (complete) and
 * fresh ones, never the heap of the thread that was running (it may be mid-change). */
START_TEST(fork_child_adopts_only_abandoned_heaps)
{
    pthread_t e, r;
    /* In this order: a thread started after e's exit would adopt e's heap. */
    ck_assert_int_eq(pthread_create(&r, NULL, run_with_heap, NULL), 0);
    while (!__atomic_load_n(&heap_of_running, __ATOMIC_SEQ_CST))
        sched_yield();
    ck_assert_int_eq(pthread_create(&e, NULL, exit_with_heap, NULL), 0);
    ck_assert_int_eq(pthread_join(e, NULL), 0);
    ck_assert_ptr_ne(heap_of_exited, heap_of_running);
    pid_t pid = fork();
    if (pid == 0) {
        struct atoll_heap *heaps[CHILD_THREADS];
        pthread_t t[CHILD_THREADS];
        pthread_barrier_init(&all_have_heaps, NULL, CHILD_THREADS);
        for (int i = 0; i < CHILD_THREADS; i++)
            if (pthread_create(&t[i], NULL, heap_in_child, &heaps[i]) != 0)
                _exit(3);
        for (int i = 0; i < CHILD_THREADS; i++)
            pthread_join(t[i], NULL);
        int adopted_exited = 0;
        for (int i = 0; i < CHILD_THREADS; i++) {
            if (heaps[i] == heap_of_running)
                _exit(1);
            adopted_exited |= heaps[i] == heap_of_exited;
        }
        _exit(!adopted_exited ? 2 : atoll_tls.critical != 0 ? 4 : 0);
    }
    __atomic_store_n(&running_may_end, 1, __ATOMIC_SEQ_CST);
    ck_assert_int_eq(pthread_join(r, NULL), 0);
    int status = -1;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child status %#x (1: adopted a running thread's heap, 2: not the exited "
                  "thread's, 4: left in a critical section)", status);
}
END_TEST

Suite *fork_suite(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("fork");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fork_while_threads_allocate);
    tcase_add_test(tc, fork_waits_for_every_lock);
    tcase_add_test(tc, fork_child_adopts_only_abandoned_heaps);
    suite_add_tcase(s, tc);
    return s;
}
