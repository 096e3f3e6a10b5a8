/* Stopping the program's threads for a collection, and the snapshot, without ptrace.
 *
 * The collector sends every other thread a signal. Its handler saves the thread's registers
 * (the signal's ucontext) and stack pointer, says so, and waits on a futex until the collector
 * lets it go. A thread inside an atoll critical section (a malloc in profile mode, a table
 * update) only notes the request and stops itself when it leaves the section, so no thread is
 * ever stopped holding one of atoll's locks or half-way through a record. A thread that does
 * not answer in time (the signal replaced by the program), or that blocks the signal (its
 * /proc status says so, read once the others had a millisecond), is left running; its stack is
 * then scanned whole.
 *
 * With every thread parked the collector takes a copy-on-write snapshot of the process with a
 * raw clone (no atfork handlers, no C-library lock, no SIGCHLD: the program's wait() never sees
 * it) and lets the threads go at once. The snapshot does the scanning and writing. */
#include "internal.h"
#include "collect.h"
#include "world.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define STOP_TIMEOUT_NS (200 * 1000 * 1000ull)
#define STOP_GRACE_NS (1000 * 1000ull)          /* then threads that block the signal are let be */

struct atoll_world atoll_world;
static uint32_t resume_word;            /* futex: bumped to let the threads go */
static uint32_t parked;                 /* threads that have saved their state */
static int stopping;                    /* a stop is under way */
static int stop_signal;

static long sys_futex(uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void park(const ucontext_t *uc)
{
    int saved_errno = errno;
    uint32_t gen = __atomic_load_n(&resume_word, __ATOMIC_ACQUIRE);
    uint32_t slot = __atomic_fetch_add(&atoll_world.nthreads, 1, __ATOMIC_ACQ_REL);
    if (slot < ATOLL_WORLD_MAX_THREADS) {
        struct atoll_world_thread *t = &atoll_world.threads[slot];
        t->tid = (uint32_t)syscall(SYS_gettid);
        t->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
        t->tp = (uintptr_t)__builtin_thread_pointer();
        for (int r = 0; r < ATOLL_WORLD_NREGS; r++)
            t->regs[r] = (uintptr_t)uc->uc_mcontext.gregs[r];
        t->flags = ATOLL_DUMP_THREAD_STOPPED;
    }
    __atomic_fetch_add(&parked, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&resume_word, __ATOMIC_ACQUIRE) == gen)
        sys_futex(&resume_word, FUTEX_WAIT_PRIVATE, gen);
    errno = saved_errno;
}

static void on_stop_signal(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)info;
    if (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
        return;
    if (atoll_tls.critical) {
        atoll_tls.stop_pending |= ATOLL_PENDING_STOP;
        return;
    }
    park(ctx);
}

/* A thread leaving its last critical section with something noted: a stop to obey, or a
 * collection to run (a threshold passed, or the collection signal came, while it was inside). */
void atoll_world_stop_deferred(void)
{
    int pending = atoll_tls.stop_pending;
    atoll_tls.stop_pending = 0;
    if ((pending & ATOLL_PENDING_STOP) && __atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
        ucontext_t uc;
        memset(&uc, 0, sizeof uc);
        getcontext(&uc);
        /* From our caller's frame up: this one holds uc, whose registers are roots already. */
        uc.uc_mcontext.gregs[REG_RSP] = (greg_t)((uintptr_t)__builtin_frame_address(0) + 16);
        park(&uc);
    }
    if (pending & (ATOLL_PENDING_COLLECT | ATOLL_PENDING_SIGNAL))
        atoll_collect_pending(pending);
}

int atoll_world_install(void)
{
    /* libthread_db's record of sizeof(struct pthread), which is x86-64's TLS_TCB_SIZE. */
    const uint32_t *tcb = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
    atoll_world.tcb_size = tcb ? *tcb : 0;
    /* The same library's field descriptor: size in bits, count, offset. */
    const uint32_t *tid = dlsym(RTLD_DEFAULT, "_thread_db_pthread_tid");
    atoll_world.tid_offset =
        tid && tid[0] == 32 && tid[1] == 1 && tid[2] + 4 <= atoll_world.tcb_size ? tid[2] : 0;
    stop_signal = SIGRTMAX - 3;
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_stop_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    return sigaction(stop_signal, &sa, NULL);
}

/* The other threads of the process, from /proc/self/task, read with raw system calls (no
 * opendir: it allocates). */
static unsigned list_threads(uint32_t *tids, unsigned max, uint32_t self)
{
    int fd = (int)syscall(SYS_open, "/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned n = 0;
    char buf[4096];
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            off += d->reclen;
            uint32_t tid = 0;
            const char *s = d->name;
            if (*s < '0' || *s > '9')
                continue;
            for (; *s >= '0' && *s <= '9'; s++)
                tid = tid * 10 + (uint32_t)(*s - '0');
            if (tid != self && n < max)
                tids[n++] = tid;
        }
    }
    close(fd);
    return n;
}

/* Whether thread tid blocks the stop signal now (SigBlk in its /proc status): it cannot park
 * until it unblocks it, and many never do (jemalloc's background thread blocks every signal
 * for life), so the collection does not wait for it. */
static int blocks_stop_signal(uint32_t tid)
{
    char path[64], buf[2048];
    atoll_fmt(path, sizeof path, "/proc/self/task/%u/status", tid);
    int fd = (int)syscall(SYS_open, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0)
        return 0;
    buf[got] = 0;
    const char *p = strstr(buf, "SigBlk:");
    if (!p)
        return 0;
    for (p += 7; *p == ' ' || *p == '\t'; p++)
        ;
    uint64_t mask = atoll_parse_hex(&p);
    return (mask >> (stop_signal - 1)) & 1;
}

/* Stops every other thread; returns when all have parked or the time is up. The calling
 * thread is recorded too, as thread 0, with the registers of this call. */
void atoll_world_stop(void)
{
    uint32_t self = (uint32_t)syscall(SYS_gettid);
    uint64_t start = now_ns();
    atoll_world.nthreads = 1;
    struct atoll_world_thread *me = &atoll_world.threads[0];
    ucontext_t uc;
    /* getcontext leaves some registers unset (rax, r10, r11): no stale word may pass for one. */
    memset(&uc, 0, sizeof uc);
    getcontext(&uc);
    me->tid = self;
    /* The stack from our caller's frame up. The snapshot is a clone that runs on this stack,
     * from our caller's frame down, and must not find its own working values (the addresses of
     * the blocks it indexes) among the roots; this frame holds nothing of the program's but
     * uc, whose registers are roots already. */
    me->sp = (uintptr_t)__builtin_frame_address(0) + 16;
    me->tp = (uintptr_t)__builtin_thread_pointer();
    for (int r = 0; r < ATOLL_WORLD_NREGS; r++)
        me->regs[r] = (uintptr_t)uc.uc_mcontext.gregs[r];
    me->flags = ATOLL_DUMP_THREAD_STOPPED;
    if (atoll_world.collector_sp > me->sp) {
        /* Our own registers and frames hold nothing of the program's: what it had in
         * registers when it called in is what the caller saved there. */
        me->sp = atoll_world.collector_sp;
        for (int r = 0; r < ATOLL_WORLD_NREGS; r++)
            me->regs[r] = atoll_world.collector_regs[r];
    }
    __atomic_store_n(&parked, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);

    unsigned n = list_threads(atoll_world.others, ATOLL_WORLD_MAX_THREADS - 1, self);
    unsigned sent = 0;
    pid_t pid = getpid();
    for (unsigned i = 0; i < n; i++)
        if (syscall(SYS_tgkill, pid, atoll_world.others[i], stop_signal) == 0)
            atoll_world.others[sent++] = atoll_world.others[i];
    atoll_world.nothers = sent;
    unsigned expected = sent;
    int checked = 0;
    while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) < expected &&
           now_ns() - start < STOP_TIMEOUT_NS) {
        if (!checked && now_ns() - start > STOP_GRACE_NS) {
            checked = 1;
            for (unsigned i = 0; i < sent; i++)
                expected -= (unsigned)blocks_stop_signal(atoll_world.others[i]);
        }
        sched_yield();
    }
    atoll_world.stop_ns = now_ns() - start;
}

void atoll_world_resume(void)
{
    __atomic_store_n(&stopping, 0, __ATOMIC_RELEASE);
    __atomic_fetch_add(&resume_word, 1, __ATOMIC_RELEASE);
    sys_futex(&resume_word, FUTEX_WAKE_PRIVATE, INT32_MAX);
}

/* The snapshot: a child that shares nothing writable with us from now on. Returns its pid in
 * the parent, 0 in the child, -1 on failure. */
long atoll_world_snapshot(void)
{
    return syscall(SYS_clone, 0, NULL, NULL, NULL, NULL);
}

/* A stop under way in the parent has no collector in the child. */
void atoll_world_after_fork_child(void)
{
    __atomic_store_n(&stopping, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&parked, 0, __ATOMIC_RELAXED);
}
