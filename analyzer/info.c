/* `atoll info`: the facts a dump's header and tables state, without analysing the graph. */
#include "analyzer.h"

#include <string.h>
#include <time.h>

void info_print(FILE *f, const struct dump *d, const char *path)
{
    const struct atoll_dump_process *p = d->proc;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < d->nblocks; i++)
        bytes += d->blocks[i].size;
    char when[64] = "?";
    time_t secs = (time_t)(p->time_ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(f, "dump:        %s\n", path);
    fprintf(f, "pid:         %u (parent %u)\n", p->pid, p->ppid);
    fprintf(f, "exe:         %s\n", dump_string(d, p->exe));
    fputs("argv:       ", f);
    uint32_t off = p->argv;
    for (uint32_t i = 0; i < p->argc; i++) {
        const char *arg = dump_string(d, off);
        fprintf(f, " %s", arg);
        off += (uint32_t)strlen(arg) + 1;
    }
    fputc('\n', f);
    fprintf(f, "time:        %s.%09llu UTC (%llu ns)\n", when,
            (unsigned long long)(p->time_ns % 1000000000u), (unsigned long long)p->time_ns);
    fprintf(f, "trigger:     %s (%u)\n", trigger_name(p->trigger), p->trigger);
    fprintf(f, "collection:  %u\n", p->collection);
    fprintf(f, "generation:  %u\n", p->generation);
    fprintf(f, "thresholds:  %u,%u,%u\n", p->threshold[0], p->threshold[1], p->threshold[2]);
    fprintf(f, "pause:       %.3f ms (%llu ns)\n", (double)p->pause_ns / 1e6,
            (unsigned long long)p->pause_ns);
    fprintf(f, "stack depth: %u\n", p->stack_depth);
    fprintf(f, "heap:        %llu blocks, %llu bytes (whole heap)\n",
            (unsigned long long)p->heap_blocks, (unsigned long long)p->heap_bytes);
    fprintf(f, "modules:     %u\n", d->nmodules);
    fprintf(f, "threads:     %u\n", d->nthreads);
    fprintf(f, "sites:       %u\n", d->nsites);
    fprintf(f, "frames:      %u\n", d->nframes);
    fprintf(f, "blocks:      %u (%llu bytes)\n", d->nblocks, (unsigned long long)bytes);
    fprintf(f, "edges:       %u\n", d->nedges);
    fprintf(f, "roots:       %u\n", d->nroots);
    fprintf(f, "objects:     %u\n", d->nobjects);
    fprintf(f, "labels:      %u\n", d->nlabels);
}
