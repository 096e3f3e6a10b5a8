/* The stopped world, as the snapshot sees it (world.c). */
#ifndef ATOLL_WORLD_H
#define ATOLL_WORLD_H

#include <stdint.h>
#include <sys/ucontext.h>

#define ATOLL_WORLD_MAX_THREADS 4096
#define ATOLL_WORLD_NREGS NGREG

struct atoll_world_thread {
    uint32_t tid;
    uint32_t flags;                   /* ATOLL_DUMP_THREAD_* */
    uintptr_t sp;
    uintptr_t tp;                     /* thread pointer: the TCB, static TLS lies below it */
    uintptr_t regs[ATOLL_WORLD_NREGS];
};

struct atoll_world {
    uint32_t nthreads;                /* parked threads, the collector first */
    uint32_t nothers;                 /* threads signalled */
    uint64_t stop_ns;
    uintptr_t collector_sp;           /* nonzero: the collecting thread's live stack starts here */
    uintptr_t collector_regs[ATOLL_WORLD_NREGS]; /* and these are its registers then */
    uintptr_t tcb_size;               /* glibc's thread descriptor, from the thread pointer up */
    uintptr_t tid_offset;             /* its tid field (0: unknown); <= 0 once the thread ended */
    uint32_t others[ATOLL_WORLD_MAX_THREADS];
    struct atoll_world_thread threads[ATOLL_WORLD_MAX_THREADS];
};

extern struct atoll_world atoll_world;

int atoll_world_install(void);
void atoll_world_stop(void);
void atoll_world_resume(void);
long atoll_world_snapshot(void);
void atoll_world_after_fork_child(void);

#endif
