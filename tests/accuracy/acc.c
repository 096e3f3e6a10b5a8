/* The helpers of acc.h. Built at -O0 with the programs, so every call happens as written. */
#include "acc.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

void *ring(int len, size_t size)
{
    struct node *first = malloc(size), *last = first;
    memset(first, 0, size);
    for (int i = 1; i < len; i++) {
        last->next = malloc(size);
        last = last->next;
        memset(last, 0, size);
    }
    last->next = first;
    return first;
}

void scrub_stack(void)
{
    volatile char junk[64 * 1024];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
    /* A thread parked after this keeps its registers: a caller-saved one that memset or malloc
     * left pointing at a block would hold it reachable (Valgrind found r9 doing so). */
#if defined(__x86_64__)
    __asm__ volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
                     "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
                     "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d"
                     ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
#endif
}

static sem_t parked_sem;

static void *run_parked(void *body)
{
    ((void (*)(void))body)();
    return NULL;
}

int start_parked(void (*body)(void))
{
    sem_init(&parked_sem, 0, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, run_parked, (void *)body) != 0)
        return -1;
    while (sem_wait(&parked_sem) != 0)
        ;
    return 0;
}

void parked(void)
{
    sem_post(&parked_sem);
}

int dropping(int argc, char **argv)
{
    return argc > 1 && strcmp(argv[1], "drop") == 0;
}
