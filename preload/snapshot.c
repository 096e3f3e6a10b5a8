/* The snapshot child: the collection's work after the program has resumed.
 *
 *   index the live blocks -> roots and blocks scanned (edges streamed to the dump file)
 *   -> the unreachable count, beside the rest of the dump -> one line of collections.jsonl
 *   -> result to the parent
 *
 * It runs in a copy-on-write copy of the process, started with one thread. Any lock in it may
 * be held (by a thread that does not exist here), so it calls nothing that may lock or
 * allocate: memory is mmap'd, output is write(2). Where it may use two CPUs it starts threads
 * of its own (cthread.c): a dump writer, a scan helper, the count. */
#include "snapshot.h"
#include "collect.h"
#include "world.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

size_t atoll_static_tls_size;

#define CMEM_HUGE ((size_t)4 << 20)

/* Huge pages where the kernel allows them: a collection of a big heap fills hundreds of
 * megabytes of fresh arrays, and a page fault per 4 KiB was a tenth of its time. */
void *cmem_alloc(size_t bytes)
{
    void *p = atoll_os_track(mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                             bytes ? bytes : 1);
    if (!p)
        return NULL;
    if (bytes >= CMEM_HUGE)
        madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

void cmem_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}

/* Memory the child has written and no longer needs, kept for cmem_reuse: on this VM a page
 * that has not been touched lately costs some 3 ms a MB the first time (the host backs the
 * guest's memory lazily and takes free pages back), a written one nothing. */
#define SPARES 8
static struct {
    char *p;
    size_t bytes;
} spares[SPARES];

void cmem_recycle(void *p, size_t bytes)
{
    for (unsigned i = 0; i < SPARES; i++)
        if (!__atomic_load_n(&spares[i].p, __ATOMIC_ACQUIRE)) {
            spares[i].bytes = bytes;
            __atomic_store_n(&spares[i].p, p, __ATOMIC_RELEASE);
            return;
        }
    cmem_free(p, bytes);
}

/* Zeroed memory: the front of a recycled region that is big enough (its rest stays spare), or
 * fresh memory. For arrays written whole: the region is cleared whole. */
void *cmem_reuse(size_t bytes)
{
    size_t need = (bytes + 4095) & ~(size_t)4095;
    for (unsigned i = 0; i < SPARES; i++) {
        char *p = __atomic_exchange_n(&spares[i].p, NULL, __ATOMIC_ACQ_REL);
        if (!p)
            continue;
        if (spares[i].bytes < need) {
            __atomic_store_n(&spares[i].p, p, __ATOMIC_RELEASE);
            continue;
        }
        memset(p, 0, bytes);
        if (spares[i].bytes > need) {
            spares[i].bytes -= need;
            __atomic_store_n(&spares[i].p, p + need, __ATOMIC_RELEASE);
        }
        return p;
    }
    return cmem_alloc(bytes);
}

void cvec_init(struct cvec *v, size_t elem)
{
    v->data = NULL;
    v->len = v->cap = 0;
    v->elem = elem;
}

/* cvec_push when full: doubles the capacity. */
void *cvec_grow(struct cvec *v)
{
    size_t cap = v->cap ? v->cap * 2 : 4096;
    void *grown = v->data ? mremap(v->data, v->cap * v->elem, cap * v->elem, MREMAP_MAYMOVE)
                          : cmem_alloc(cap * v->elem);
    if (grown == MAP_FAILED || !grown || (v->data && !atoll_os_track(grown, cap * v->elem)))
        return NULL;
    if (cap * v->elem >= CMEM_HUGE)
        madvise(grown, cap * v->elem, MADV_HUGEPAGE);
    v->data = grown;
    v->cap = cap;
    return (char *)v->data + v->len++ * v->elem;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = (int)syscall(SYS_open, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = 0;
    ssize_t got;
    while (len < cap && (got = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)got;
    close(fd);
    return len;
}

/* exe and argv into STRINGS; the executable's base name for the dump's file name. */
static void process_strings(struct snap *s, struct atoll_dump_process *proc, const char **base)
{
    static char exe[4096], cmdline[65536];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    proc->exe = snap_add_string(s, exe, strlen(exe));
    const char *slash = strrchr(exe, '/');
    *base = slash ? slash + 1 : exe;
    size_t len = read_file("/proc/self/cmdline", cmdline, sizeof cmdline);
    proc->argv = (uint32_t)s->strings.len;
    for (size_t i = 0; i < len;) {
        size_t arg = strnlen(cmdline + i, len - i);
        snap_add_string(s, cmdline + i, arg);
        proc->argc++;
        i += arg + 1;
    }
    if (!proc->argc)
        proc->argv = snap_add_string(s, "", 0);
}

static void add_unstopped_threads(void)
{
    for (uint32_t i = 0; i < atoll_world.nothers; i++) {
        uint32_t tid = atoll_world.others[i], t;
        for (t = 0; t < atoll_world.nthreads; t++)
            if (atoll_world.threads[t].tid == tid)
                break;
        if (t < atoll_world.nthreads || atoll_world.nthreads >= ATOLL_WORLD_MAX_THREADS)
            continue;
        struct atoll_world_thread *th = &atoll_world.threads[atoll_world.nthreads++];
        memset(th, 0, sizeof *th);
        th->tid = tid;
        th->flags = ATOLL_DUMP_THREAD_WHOLE_STACK;
    }
}

static const char *trigger_name(unsigned t)
{
    static const char *const names[] = { "exit", "signal", "api", "threshold", "dump" };
    return t < 5 ? names[t] : "unknown";
}

static void append_jsonl(const char *dir, const struct atoll_collect_job *job,
                         const struct snap *s, const struct atoll_collect_result *r,
                         uint64_t pause_ns, uint64_t scan_ns, uint64_t dump_ns, uint64_t size)
{
    char path[700], line[2048];
    atoll_fmt(path, sizeof path, "%s/collections.jsonl", dir);
    size_t n = atoll_fmt(line, sizeof line,
        "{\"collection\":%u,\"pid\":%d,\"generation\":%u,\"trigger\":\"%s\",\"time_ns\":%llu,"
        "\"pause_ms\":%llu.%03llu,\"scan_ms\":%llu.%03llu,\"dump_ms\":%llu.%03llu,"
        "\"blocks\":%u,\"bytes\":%llu,\"heap_blocks\":%llu,\"heap_bytes\":%llu,"
        "\"words_scanned\":%llu,\"roots_bytes\":%llu,\"references\":%llu,\"roots\":%llu,"
        "\"unreachable_blocks\":%llu,\"unreachable_bytes\":%llu,\"cycles\":%llu,"
        "\"threshold\":[%u,%u,%u],\"dump\":\"%s\",\"dump_bytes\":%llu,\"last_seq\":%llu}\n",
        job->collection, (int)job->pid, job->generation, trigger_name(job->trigger),
        (unsigned long long)job->wall_start.tv_sec * 1000000000ull + (unsigned long long)job->wall_start.tv_nsec,
        (unsigned long long)(pause_ns / 1000000), (unsigned long long)(pause_ns / 1000 % 1000),
        (unsigned long long)(scan_ns / 1000000), (unsigned long long)(scan_ns / 1000 % 1000),
        (unsigned long long)(dump_ns / 1000000), (unsigned long long)(dump_ns / 1000 % 1000),
        s->nblocks, (unsigned long long)r->bytes, (unsigned long long)s->heap_blocks,
        (unsigned long long)s->heap_bytes, (unsigned long long)s->words_scanned,
        (unsigned long long)s->root_bytes, (unsigned long long)s->nedges,
        (unsigned long long)s->roots.len, (unsigned long long)r->unreachable_blocks,
        (unsigned long long)r->unreachable_bytes, (unsigned long long)r->cycles,
        atoll_cc.threshold[0], atoll_cc.threshold[1], atoll_cc.threshold[2], r->dump_path,
        (unsigned long long)size, (unsigned long long)job->last_seq);
    int fd = (int)syscall(SYS_open, path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, n < sizeof line ? n : sizeof line - 1) < 0)
        atoll_log("cannot append to %s: %s", path, atoll_error_text(errno));
    close(fd);
}

static _Noreturn void fail(struct atoll_collect_result *result)
{
    __atomic_store_n(&result->status, 1, __ATOMIC_RELEASE);
    syscall(SYS_exit_group, 1);
    __builtin_unreachable();
}

/* The unreachable count, beside the writing of the dump where there is a second CPU: it reads
 * the graph, which nothing changes after the scan. */
struct count_job {
    struct snap *s;
    struct snap_counts c;
    int failed;
};

static int count_main(void *arg)
{
    struct count_job *j = arg;
    j->failed = snap_count_unreachable(j->s, &j->c) != 0;
    return 0;
}

_Noreturn void atoll_snapshot_main(const struct atoll_collect_job *job,
                                   struct atoll_collect_result *result)
{
    uint64_t scan_start = mono_ns();
    uint64_t pause_ns = scan_start - job->mono_start_ns;
    uint32_t pid = job->pid;
    struct snap s;
    memset(&s, 0, sizeof s);
    s.generation = job->generation;
    s.static_tls = atoll_static_tls_size;
    cvec_init(&s.to, sizeof(uint32_t));
    cvec_init(&s.roots, sizeof(struct atoll_dump_root));
    cvec_init(&s.modules, sizeof(struct atoll_dump_module));
    cvec_init(&s.strings, 1);
    snap_add_string(&s, "", 0);
    add_unstopped_threads();

    struct atoll_dump_process proc;
    memset(&proc, 0, sizeof proc);
    const char *base;
    process_strings(&s, &proc, &base);
    if (snap_read_maps(&s) != 0 || snap_index_blocks(&s) != 0) {
        atoll_log("collection %u: out of memory in the snapshot", job->collection);
        fail(result);
    }
    snap_find_objects(&s);

    struct atoll_collect_result r;
    memset(&r, 0, sizeof r);
    char dir[600];
    atoll_output_dir(dir, sizeof dir, pid);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        atoll_log("cannot create the output directory %s: %s", dir, atoll_error_text(errno));
        fail(result);
    }
    if (job->path)
        atoll_fmt(r.dump_path, sizeof r.dump_path, "%s", job->path);
    else
        atoll_fmt(r.dump_path, sizeof r.dump_path, "%s/%s.%u.%u.atoll", dir, base, pid,
                  job->collection);
    static struct dump_out out;
    int err = dump_out_open(&out, r.dump_path);
    if (err) {
        atoll_log("cannot write the dump %s: %s", r.dump_path, atoll_error_text(err));
        fail(result);
    }

    s.out = &out;
    dump_out_begin(&out, ATOLL_DUMP_SEC_EDGES, sizeof(struct atoll_dump_edge));
    snap_scan_roots(&s);
    snap_scan_blocks(&s);
    r.blocks = s.nblocks;
    r.bytes = s.bytes;
    struct count_job count = { .s = &s };
    struct cthread counter = { 0, NULL };
    if (!cthread_useful() || cthread_start(&counter, count_main, &count) != 0)
        count_main(&count);
    snap_write_tail(&s);
    dump_out_end(&out);
    uint64_t scan_ns = mono_ns() - scan_start;
    uint64_t dump_start = mono_ns(), size = 0;

    proc.pid = pid;
    proc.ppid = job->ppid;
    proc.time_ns = (uint64_t)job->wall_start.tv_sec * 1000000000ull + (uint64_t)job->wall_start.tv_nsec;
    proc.trigger = job->trigger;
    proc.generation = job->generation;
    memcpy(proc.threshold, atoll_cc.threshold, sizeof proc.threshold);
    proc.collection = job->collection;
    proc.stack_depth = atoll_g.stack_depth;
    proc.pause_ns = pause_ns;
    proc.heap_blocks = s.heap_blocks;
    proc.heap_bytes = s.heap_bytes;

    snap_find_labels(&s);
    err = snap_write_dump(&s, &out, r.dump_path, &proc, &size);
    if (err) {
        atoll_log("cannot write the dump %s: %s", r.dump_path, atoll_error_text(err));
        fail(result);
    }
    cthread_join(&counter);
    if (count.failed)
        atoll_log("collection %u: out of memory for the unreachable count", job->collection);
    r.unreachable_blocks = count.c.blocks;
    r.cycles = count.c.cycles;
    r.refcount_leaks = count.c.refcount_leaks;
    r.own_findings = count.c.own_blocks || count.c.own_cycles || count.c.own_refcount_leaks;
    r.unreachable_bytes = snap_dead_bytes(&s, count.c.blocks);
    append_jsonl(dir, job, &s, &r, pause_ns, scan_ns, mono_ns() - dump_start, size);
    r.status = -1;
    *result = r;
    __atomic_store_n(&result->status, 0, __ATOMIC_RELEASE);
    syscall(SYS_exit_group, 0);
    __builtin_unreachable();
}
