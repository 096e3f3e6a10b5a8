/* What a fork-based snapshot pays before it scans anything: the child's first read of each page
 * of the parent's memory. On the 2-core VMs this project runs on, the hypervisor's shadow page
 * tables make that read cost microseconds, although the kernel copied the page tables at fork.
 *
 *   cc -O2 bench/firsttouch.c -o /tmp/firsttouch && /tmp/firsttouch 300 && /tmp/firsttouch 300 huge
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned long read_pages(const volatile char *p, size_t n)
{
    unsigned long s = 0;
    for (size_t i = 0; i < n; i += 4096)
        s += (unsigned long)p[i];
    return s;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 300) << 20;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    if (argc > 2)
        madvise(p, n, MADV_HUGEPAGE);
    memset(p, 1, n);
    double t0 = now();
    unsigned long s = read_pages(p, n);
    printf("%zu MiB%s: parent, a read per page: %.1f ms\n", n >> 20, argc > 2 ? " (huge pages)" : "",
           (now() - t0) * 1e3);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        double a = now();
        s += read_pages(p, n);
        double b = now();
        s += read_pages(p, n);
        printf("  child, first read per page: %.1f ms (%.2f us a page); second: %.1f ms\n",
               (b - a) * 1e3, (b - a) * 1e6 / (double)(n / 4096), (now() - b) * 1e3);
        fflush(stdout);
        _exit(s == 42);
    }
    waitpid(c, NULL, 0);
    return 0;
}
