/* The frame reader (preload/cpython) and the line decoder (analyzer/python) as a library for
 * Python to call through ctypes, so that its tests can compare what they read with what the
 * interpreter itself says: the calling thread's frames as (file, qualified name, line), a code
 * object's line at each instruction, the cost of a read. Links nothing of the allocator. */
#include "probe.h"
#include "pylines.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MAX_FRAMES 512
#define DESCRIBE_CAP (1 << 22)

struct probe_frame {
    char filename[1024];
    char qualname[256];
    int32_t line;
    uint32_t instr;
    uint64_t identity;
};

static unsigned version;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    version = cpython_frames_init();
}

unsigned probe_init(void)
{
    pthread_once(&once, init);
    return version;
}

static int copy(char *to, size_t cap, const char *from)
{
    size_t n = strlen(from);
    if (n >= cap)
        return -1;
    memcpy(to, from, n + 1);
    return 0;
}

int probe_line(const struct cpython_frame *f, struct cpython_code_info *info, char *buf,
               size_t cap)
{
    if (cpython_code_describe(f->code, info, buf, cap) < 0)
        return -2;
    return pyline_addr2line(version, info->firstlineno, info->linetable, info->linetable_size,
                            f->instr);
}

/* The calling thread's frames, innermost first (at most max); -1 when one cannot be described. */
int probe_stack(struct probe_frame *out, unsigned max)
{
    struct cpython_frame frames[MAX_FRAMES];
    bool whole;
    unsigned n = cpython_frames_read(frames, max < MAX_FRAMES ? max : MAX_FRAMES, &whole);
    char *buf = malloc(DESCRIBE_CAP);
    int result = buf ? (int)n : -1;
    for (unsigned i = 0; i < n && result >= 0; i++) {
        struct cpython_code_info info;
        out[i].line = probe_line(&frames[i], &info, buf, DESCRIBE_CAP);
        if (out[i].line == -2 || copy(out[i].filename, sizeof out[i].filename, info.filename) < 0 ||
            copy(out[i].qualname, sizeof out[i].qualname, info.qualname) < 0) {
            result = -1;
            break;
        }
        out[i].instr = frames[i].instr;
        out[i].identity = cpython_code_identity(frames[i].code);
    }
    free(buf);
    return result;
}

/* code's names, and its lines at the instruction byte offsets first, first + 2, ... (count);
 * -1 when it cannot be described. */
int probe_code(const void *code, char *filename, char *qualname, size_t cap, int32_t first,
               int32_t *lines, unsigned count)
{
    char *buf = malloc(DESCRIBE_CAP);
    struct cpython_code_info info;
    int result = -1;
    if (buf && cpython_code_describe(code, &info, buf, DESCRIBE_CAP) == 0 &&
        copy(filename, cap, info.filename) == 0 && copy(qualname, cap, info.qualname) == 0) {
        for (unsigned i = 0; i < count; i++)
            lines[i] = pyline_addr2line(version, info.firstlineno, info.linetable,
                                        info.linetable_size, (uint32_t)(first + 2 * (int32_t)i));
        result = 0;
    }
    free(buf);
    return result;
}

/* pyline_addr2line on a copy of table (size bytes, at most a page) that ends where an
 * unreadable page starts: a read past the table's end kills the process. */
int probe_addr2line_guarded(unsigned v, int32_t firstlineno, const uint8_t *table, size_t size,
                            uint32_t instr)
{
    static uint8_t *pages;
    if (!pages) {
        pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages == MAP_FAILED || mprotect(pages + 4096, 4096, PROT_NONE) != 0)
            abort();
    }
    if (size > 4096)
        return -2;
    memcpy(pages + 4096 - size, table, size);
    return pyline_addr2line(v, firstlineno, pages + 4096 - size, size, instr);
}

uint64_t probe_identity(const void *code)
{
    return cpython_code_identity(code);
}

/* Python code called back from C: through ctypes on this thread, and from a thread Python
 * never saw (PyGILState_Ensure gives it a thread state). */
int probe_call(int (*callback)(void))
{
    return callback();
}

static void *call_back(void *callback)
{
    return (void *)(intptr_t)((int (*)(void))callback)();
}

int probe_call_in_thread(int (*callback)(void))
{
    pthread_t thread;
    void *result;
    if (pthread_create(&thread, NULL, call_back, (void *)callback) != 0 ||
        pthread_join(thread, &result) != 0)
        return -1;
    return (int)(intptr_t)result;
}

/* Nanoseconds per cpython_frames_read of at most max frames, over iterations reads; *depth is
 * how many frames one read returned. */
double probe_cost(unsigned max, unsigned iterations, unsigned *depth)
{
    struct cpython_frame frames[MAX_FRAMES];
    struct timespec start, end;
    unsigned n = 0;
    max = max < MAX_FRAMES ? max : MAX_FRAMES;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned i = 0; i < iterations; i++) {
        bool whole;
        n = cpython_frames_read(frames, max, &whole);
        __asm__ volatile("" : : "r"(frames) : "memory");
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    *depth = n;
    return ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) /
           iterations;
}
