/* Collections: when they run (exit, signal, API, threshold), which generation, and the hand-off
 * to the snapshot.
 *
 * Thresholds follow CPython's gc: counter 0 is allocations minus frees since the last
 * collection; past threshold 0 a generation-0 collection runs; every threshold-1 of those a
 * generation-1 collection runs instead; every threshold-2 of those, a full one. A block's
 * generation is not stored: a block records the number of collections before its birth (its
 * epoch), and gen_of_epoch[] says what generation the blocks of each epoch have reached. After
 * a collection of generation g every epoch at generation <= g moves up one, which touches only
 * the few epochs still below 2. */
#include "internal.h"
#include "collect.h"
#include "world.h"

#include <errno.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t atoll_collections_done;
struct atoll_collect_config atoll_cc = { .threshold = { 0, 10, 10 }, .at_exit = 1, .enabled = 1 };

static uint8_t *gen_of_epoch;           /* ATOLL_EPOCH_MAX + 1 entries */
static uint64_t oldest_young_epoch;     /* epochs before this one are all generation 2 */
static int64_t count0;
static uint32_t count1, count2;         /* gen-0 collections since the last gen-1, gen-1 since gen-2 */
static int busy;
static int signal_waiting;              /* a collection signal's request, not yet run */
static long pending_child;
static int exit_collected;              /* the exit collection has run (or is running) */
static struct atoll_collect_result *shared_result;

uint8_t atoll_generation_of(uint64_t stamp)
{
    uint64_t epoch = stamp & ATOLL_EPOCH_MAX;
    return epoch < oldest_young_epoch ? 2 : gen_of_epoch[epoch];
}

static void promote(unsigned g)
{
    uint64_t done = atoll_collections_done;
    for (uint64_t e = oldest_young_epoch; e < done && e <= ATOLL_EPOCH_MAX; e++)
        if (gen_of_epoch[e] <= g && gen_of_epoch[e] < 2)
            gen_of_epoch[e]++;
    while (oldest_young_epoch < done && oldest_young_epoch <= ATOLL_EPOCH_MAX &&
           gen_of_epoch[oldest_young_epoch] == 2)
        oldest_young_epoch++;
}

int atoll_collect_init(void)
{
    gen_of_epoch = atoll_os_reserve(ATOLL_EPOCH_MAX + 1);
    shared_result = mmap(NULL, sizeof *shared_result, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!gen_of_epoch || shared_result == MAP_FAILED)
        return -1;
    return 0;
}

static void reap(int wait_for_it)
{
    if (pending_child <= 0)
        return;
    int status;
    long r;
    do
        r = syscall(SYS_wait4, pending_child, &status, __WCLONE | (wait_for_it ? 0 : WNOHANG), NULL);
    while (r < 0 && errno == EINTR);
    if (r != 0)
        __atomic_store_n(&pending_child, 0, __ATOMIC_RELEASE);
}

/* Profile mode, with the result page set up. */
static bool can_collect(void)
{
    return atoll_g.profiling && shared_result;
}

/* One collection, with busy held; lets it go. */
static int run_held(unsigned g, unsigned trigger, const char *path, int wait,
                    struct atoll_collect_result *out, const struct atoll_entry *entry)
{
    int saved_errno = errno;
    reap(1);
    struct atoll_collect_job job = { .generation = g, .trigger = trigger,
                                     .collection = (uint32_t)atoll_collections_done + 1,
                                     .pid = (uint32_t)getpid(), .ppid = (uint32_t)getppid(),
                                     .path = path };
    clock_gettime(CLOCK_REALTIME, &job.wall_start);
    shared_result->status = -1;
    if (entry) {
        atoll_world.collector_sp = entry->sp;
        memcpy(atoll_world.collector_regs, entry->regs, sizeof atoll_world.collector_regs);
    }
    atoll_world_stop();
    atoll_world.collector_sp = 0;
    memset(atoll_world.collector_regs, 0, sizeof atoll_world.collector_regs);
    job.last_seq = atoll_profile_last_seq();
    uint64_t t0 = atoll_world.stop_ns;
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    job.mono_start_ns = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec - t0;
    long pid = atoll_world_snapshot();
    if (pid == 0)
        atoll_snapshot_main(&job, shared_result);   /* does not return */
    /* Before the threads run again: a block born from now on is of the next epoch, which this
     * collection did not see and must not promote. */
    if (pid > 0)
        atoll_collections_done++;
    atoll_world_resume();
    int rc = 0;
    if (pid < 0) {
        saved_errno = errno;
        rc = -1;
    } else {
        promote(g);
        count0 = 0;
        if (g >= 1)
            count1 = 0;
        else
            count1++;
        if (g == 2)
            count2 = 0;
        else if (g == 1)
            count2++;
        __atomic_store_n(&pending_child, pid, __ATOMIC_RELEASE);
        if (wait) {
            reap(1);
            /* The child publishes its status last; if wait4 came back early (an interrupted
             * or refused wait), wait for that status while the child still exists. */
            while (__atomic_load_n(&shared_result->status, __ATOMIC_ACQUIRE) == -1 &&
                   syscall(SYS_kill, pid, 0) == 0)
                sched_yield();
            if (out)
                *out = *shared_result;
            if (shared_result->status != 0) {
                saved_errno = EIO;
                rc = -1;
            }
        }
    }
    __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
    errno = saved_errno;
    return rc;
}

/* The collections the signal asked for. Its handler never waits for busy: the thread it
 * interrupts may be the one holding it (a signal in the middle of a collection), or one that
 * every other thread waits for. It notes the request and runs it here if busy is free; if not,
 * whoever holds busy runs it when it lets go. */
static void serve_signals(void)
{
    int saved_errno = errno;
    while (__atomic_load_n(&signal_waiting, __ATOMIC_ACQUIRE)) {
        if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
            break;
        if (__atomic_exchange_n(&signal_waiting, 0, __ATOMIC_ACQ_REL))
            run_held(2, ATOLL_DUMP_TRIGGER_SIGNAL, NULL, 0, NULL, NULL);
        else
            __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
    }
    errno = saved_errno;
}

/* One collection of generation g. With wait set, waits for the snapshot to finish and fills
 * *out; returns 0, or -1 with errno. */
int atoll_collect_run(unsigned g, unsigned trigger, const char *path, int wait,
                      struct atoll_collect_result *out, const struct atoll_entry *entry)
{
    if (!can_collect()) {
        errno = ENOTSUP;
        return -1;
    }
    while (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
        sched_yield();
    int rc = run_held(g, trigger, path, wait, out, entry);
    serve_signals();
    return rc;
}

/* Which generation a threshold-triggered collection collects (CPython's scheme). */
static unsigned auto_generation(void)
{
    const uint32_t *t = atoll_cc.threshold;
    if (t[2] && count2 + 1 >= t[2] && t[1] && count1 + 1 >= t[1])
        return 2;
    if (t[1] && count1 + 1 >= t[1])
        return 1;
    return 0;
}

/* Whether the last snapshot is still at work. A threshold collection that comes due meanwhile
 * waits for it to finish, with the program running on: starting it would make the program wait
 * for the last one (on pyobjs.py at t0 = 7,000, the program sat idle for most of its run). A
 * snapshot that died without publishing its status is seen exited by a waitid that leaves it
 * to be reaped, tried once every 1024 allocations past the threshold. */
static int snapshot_running(int64_t count)
{
    long pid = __atomic_load_n(&pending_child, __ATOMIC_ACQUIRE);
    if (pid <= 0 || __atomic_load_n(&shared_result->status, __ATOMIC_ACQUIRE) != -1)
        return 0;
    if (count & 1023)
        return 1;
    siginfo_t info;
    info.si_pid = 0;
    int saved_errno = errno;            /* this runs inside free, which keeps errno */
    long r = syscall(SYS_waitid, P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT | __WCLONE, NULL);
    errno = saved_errno;
    return !(r == 0 && info.si_pid == pid);
}

/* From inside a critical section: only note that a collection is due. */
void atoll_collect_count(int32_t delta)
{
    int64_t c = __atomic_add_fetch(&count0, delta, __ATOMIC_RELAXED);
    if (atoll_cc.threshold[0] && atoll_cc.enabled && c > (int64_t)atoll_cc.threshold[0] &&
        !__atomic_load_n(&busy, __ATOMIC_RELAXED) && !snapshot_running(c))
        atoll_tls.stop_pending |= ATOLL_PENDING_COLLECT;
}

/* Runs the collections a thread noted while it could not run them. */
void atoll_collect_pending(int pending)
{
    if ((pending & ATOLL_PENDING_SIGNAL) && can_collect()) {
        __atomic_store_n(&signal_waiting, 1, __ATOMIC_RELEASE);
        serve_signals();
    }
    if ((pending & ATOLL_PENDING_COLLECT) && atoll_cc.enabled &&
        __atomic_load_n(&count0, __ATOMIC_RELAXED) > (int64_t)atoll_cc.threshold[0] &&
        !__atomic_load_n(&busy, __ATOMIC_RELAXED))
        atoll_collect_run(auto_generation(), ATOLL_DUMP_TRIGGER_THRESHOLD, NULL, 0, NULL, NULL);
}

static void on_collect_signal(int sig)
{
    (void)sig;
    if (atoll_tls.critical) {
        atoll_tls.stop_pending |= ATOLL_PENDING_SIGNAL;
        return;
    }
    atoll_collect_pending(ATOLL_PENDING_SIGNAL);
}

int atoll_collect_install_signal(int sig)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_collect_signal;
    sa.sa_flags = SA_RESTART;
    return sigaction(sig, &sa, NULL);
}

int64_t atoll_collect_get_count(void)
{
    return __atomic_load_n(&count0, __ATOMIC_RELAXED);
}

void atoll_collect_get_counts(int64_t counts[3])
{
    counts[0] = __atomic_load_n(&count0, __ATOMIC_RELAXED);
    counts[1] = count1;
    counts[2] = count2;
}

/* At exit: a full collection, and one line if it found something of the process's own making
 * (or ATOLL_VERBOSE asks), unless ATOLL_EXIT_LINE=0 (atoll run, which reports every dump). A forked child's inherited blocks are its parent's to report: what
 * it lost of them is no finding of its own (CPython leaks the locks it inherits on purpose).
 * Once per process: a Python program's runs at its atexit time (cpython/atexit.c), and the
 * destructor's would then dump the finalized interpreter's heap after it, which atoll run would
 * report as the process's last dump. */
void atoll_collect_at_exit(void)
{
    if (!atoll_cc.at_exit || !atoll_g.profiling ||
        __atomic_exchange_n(&exit_collected, 1, __ATOMIC_ACQ_REL))
        return;
    struct atoll_collect_result r;
    struct atoll_entry entry = { .sp = atoll_profile_program_sp() };
    int rc = atoll_collect_run(2, ATOLL_DUMP_TRIGGER_EXIT, NULL, 1, &r, &entry);
    if (rc != 0) {
        atoll_log("the collection at exit failed (errno %d)", errno);
        return;
    }
    if (!atoll_cc.exit_line || (!r.own_findings && !atoll_verbose))
        return;
    atoll_log("%llu blocks (%llu bytes) unreachable at exit, %llu isolated cycles, "
              "%llu refcount leaks; dump: %s; analyze: atoll analyze %s",
              (unsigned long long)r.unreachable_blocks, (unsigned long long)r.unreachable_bytes,
              (unsigned long long)r.cycles, (unsigned long long)r.refcount_leaks, r.dump_path,
              r.dump_path);
}

/* The result page is MAP_SHARED: a forked child must not share it with its parent. A child
 * has an exit collection of its own. */
void atoll_collect_after_fork_child(void)
{
    pending_child = 0;
    exit_collected = 0;
    busy = 0;
    signal_waiting = 0;
    if (shared_result) {
        void *fresh = mmap(NULL, sizeof *shared_result, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        shared_result = fresh == MAP_FAILED ? NULL : fresh;
    }
}
