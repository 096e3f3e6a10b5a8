/* Collections: the driver (collect.c) and the snapshot's work (snapshot.c). */
#ifndef ATOLL_COLLECT_H
#define ATOLL_COLLECT_H

#include <stdint.h>
#include <time.h>
#include <ucontext.h>

#define ATOLL_PENDING_STOP 1
#define ATOLL_PENDING_COLLECT 2
#define ATOLL_PENDING_SIGNAL 4

struct atoll_collect_config {
    uint32_t threshold[3];
    int at_exit;
    int exit_line;                    /* ATOLL_EXIT_LINE: the exit collection's line */
    int enabled;
    int signal;                       /* ATOLL_SIGNAL; 0: none */
    int follow;                       /* ATOLL_FOLLOW */
    char output[512];                 /* ATOLL_OUTPUT made absolute; empty: start_dir/atoll.<pid> */
    char start_dir[512];              /* the working directory at start-up */
};

struct atoll_collect_job {
    unsigned generation;
    unsigned trigger;
    uint32_t collection;
    uint32_t pid, ppid;
    const char *path;                 /* atoll_dump(): write here; NULL: the output directory */
    struct timespec wall_start;
    uint64_t mono_start_ns;
    uint64_t last_seq;                /* atoll_profile_last_seq() while the world was stopped */
};

/* What the snapshot reports back through shared memory. */
struct atoll_collect_result {
    int status;                       /* 0: dump written */
    uint64_t blocks, bytes, unreachable_blocks, unreachable_bytes, cycles, refcount_leaks;
    int own_findings;                 /* some of those are the process's own (not inherited) */
    char dump_path[640];
};

extern struct atoll_collect_config atoll_cc;

int atoll_collect_init(void);
/* Where the program called in, for a collection on its thread: its stack pointer then, and
 * its registers (indexed as ucontext's gregs; zero where unknown). */
struct atoll_entry {
    uintptr_t sp;
    uintptr_t regs[NGREG];
};

int atoll_collect_run(unsigned g, unsigned trigger, const char *path, int wait,
                      struct atoll_collect_result *out, const struct atoll_entry *entry);
void atoll_collect_pending(int pending);
int atoll_collect_install_signal(int sig);
int64_t atoll_collect_get_count(void);
void atoll_collect_get_counts(int64_t counts[3]);
void atoll_collect_at_exit(void);
void atoll_collect_after_fork_child(void);
/* cpython/atexit.c: in a Python program, the exit collection at its atexit time */
void atoll_cpython_atexit_install(void);
uint8_t atoll_generation_of(uint64_t stamp);
extern size_t atoll_static_tls_size;

/* snapshot.c: runs in the snapshot child; never returns */
_Noreturn void atoll_snapshot_main(const struct atoll_collect_job *job,
                                   struct atoll_collect_result *result);

#endif
