/* The allocator benchmark's C workload (bench/allocators.py times it under atoll and its peers).
 * usage: allocbench small|mixed|xfree THREADS OPS
 *   small  each thread replaces a random slot of its own 65,536-slot working set OPS times,
 *          with blocks of 8 to 512 bytes
 *   mixed  the same with 8 bytes to 32 KiB, every power of two as likely as the next
 *   xfree  THREADS producer/consumer pairs: each producer allocates OPS blocks of 8 to 512
 *          bytes and passes them through a ring to its consumer, which frees them
 * Every block carries a tag derived from its size and sequence number, read back before it is
 * freed: the printed checksum depends on the work and never on addresses, so every allocator
 * must print the same line, and one that hands a live block out twice prints another. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 65536, RING = 4096, MAX_THREADS = 128 };

struct block {
    void *p;
    size_t size;
};

static enum { SMALL, MIXED, XFREE } mode;
static long ops;

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1Dull;
}

static size_t pick_size(uint64_t *state)
{
    if (mode != MIXED)
        return 8 + next_random(state) % 505;
    unsigned shift = 3 + next_random(state) % 12;
    return ((size_t)1 << shift) + next_random(state) % ((size_t)1 << shift);
}

/* The tag goes at the block's start (or as much of it as fits) and its low byte at the end, so
 * both ends of the block are written as a program would. */
static void *new_block(size_t size, uint64_t tag)
{
    unsigned char *p = malloc(size);
    if (!p) {
        fprintf(stderr, "allocbench: out of memory for %zu bytes\n", size);
        exit(1);
    }
    memcpy(p, &tag, size < sizeof tag ? size : sizeof tag);
    p[size - 1] = (unsigned char)tag;
    return p;
}

static uint64_t free_block(void *block, size_t size)
{
    unsigned char *p = block;
    uint64_t tag = 0;
    memcpy(&tag, p, size < sizeof tag ? size : sizeof tag);
    tag += p[size - 1];
    free(p);
    return tag;
}

static uint64_t churn(unsigned id)
{
    uint64_t state = 0x9E3779B97F4A7C15ull * (id + 1), sum = 0;
    struct block *slot = calloc(SLOTS, sizeof *slot);
    if (!slot)
        return 0;
    for (long i = 0; i < ops; i++) {
        struct block *s = &slot[next_random(&state) % SLOTS];
        if (s->p)
            sum += free_block(s->p, s->size);
        s->size = pick_size(&state);
        s->p = new_block(s->size, (uint64_t)i * 31 + s->size);
    }
    for (unsigned k = 0; k < SLOTS; k++)
        if (slot[k].p)
            sum += free_block(slot[k].p, slot[k].size);
    free(slot);
    return sum;
}

/* One producer, one consumer: head is written by the producer only, tail by the consumer. */
struct ring {
    struct block item[RING];
    _Atomic long head, tail;
};

static void produce(struct ring *r, unsigned id)
{
    uint64_t state = 0xD1B54A32D192ED03ull * (id + 1);
    for (long i = 0; i < ops; i++) {
        size_t size = pick_size(&state);
        struct block b = { new_block(size, (uint64_t)i * 31 + size), size };
        long head = atomic_load_explicit(&r->head, memory_order_relaxed);
        while (head - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING)
            ;
        r->item[head % RING] = b;
        atomic_store_explicit(&r->head, head + 1, memory_order_release);
    }
}

static uint64_t consume(struct ring *r)
{
    uint64_t sum = 0;
    for (long tail = 0; tail < ops; tail++) {
        while (atomic_load_explicit(&r->head, memory_order_acquire) == tail)
            ;
        struct block b = r->item[tail % RING];
        atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
        sum += free_block(b.p, b.size);
    }
    return sum;
}

struct job {
    pthread_t thread;
    unsigned id;
    int consumer;
    struct ring *ring;
    uint64_t sum;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    if (mode != XFREE)
        j->sum = churn(j->id);
    else if (j->consumer)
        j->sum = consume(j->ring);
    else
        produce(j->ring, j->id);
    return NULL;
}

static int parse_mode(const char *name)
{
    static const char *const names[] = { "small", "mixed", "xfree" };
    for (int m = SMALL; m <= XFREE; m++)
        if (strcmp(name, names[m]) == 0)
            return m;
    return -1;
}

int main(int argc, char **argv)
{
    int m = argc == 4 ? parse_mode(argv[1]) : -1;
    int threads = argc == 4 ? atoi(argv[2]) : 0;
    ops = argc == 4 ? atol(argv[3]) : 0;
    if (m < 0 || threads < 1 || threads > MAX_THREADS || ops < 1) {
        fprintf(stderr, "usage: %s small|mixed|xfree THREADS(1-%d) OPS\n", argv[0], MAX_THREADS);
        return 2;
    }
    mode = m;
    int jobs = mode == XFREE ? 2 * threads : threads;
    struct job job[2 * MAX_THREADS] = { 0 };
    struct ring *rings = mode == XFREE ? calloc((size_t)threads, sizeof *rings) : NULL;
    if (mode == XFREE && !rings)
        return 1;
    for (int i = 0; i < jobs; i++) {
        job[i] = (struct job){ .id = (unsigned)(mode == XFREE ? i / 2 : i), .consumer = i % 2,
                               .ring = rings ? &rings[i / 2] : NULL };
        if (pthread_create(&job[i].thread, NULL, run_job, &job[i]) != 0) {
            fprintf(stderr, "allocbench: cannot start thread %d\n", i);
            return 1;
        }
    }
    uint64_t sum = 0;
    for (int i = 0; i < jobs; i++) {
        pthread_join(job[i].thread, NULL);
        sum += job[i].sum;
    }
    free(rings);
    printf("%s %d %ld %llu\n", argv[1], threads, ops, (unsigned long long)sum);
    return 0;
}
