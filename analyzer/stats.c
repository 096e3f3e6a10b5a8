/* `atoll stats DIR`: the collections of collections.jsonl summed up per generation, as
 * Python's gc.get_stats() with timings: how many, their pauses (median, p99, max), their scans,
 * the blocks they examined, the garbage they found and what fraction of the examined blocks
 * that was. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char stats_help[] =
    "usage: atoll stats DIR|FILE\n"
    "\n"
    "Summarize the collections recorded in DIR/collections.jsonl (or FILE), per generation:\n"
    "collections, pause (median, p99, max, in ms), scan (median, max, in ms), blocks\n"
    "examined, garbage found (blocks, bytes) and efficiency (garbage blocks / blocks examined).\n";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double stats_median(double *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double stats_p99(double *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t rank = (99 * n + 99) / 100;      /* ceil(0.99 n), the nearest rank */
    return v[rank - 1];
}

static void row(FILE *f, const char *name, const struct collection_rec *r, size_t n, int gen,
                double *pause, double *scan)
{
    size_t k = 0;
    uint64_t examined = 0, gblocks = 0, gbytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (gen >= 0 && r[i].generation != (uint32_t)gen)
            continue;
        pause[k] = r[i].pause_ms;
        scan[k++] = r[i].scan_ms;
        examined += r[i].blocks;
        gblocks += r[i].unreachable_blocks;
        gbytes += r[i].unreachable_bytes;
    }
    if (!k && gen >= 0)
        return;
    double pmed = stats_median(pause, k), pmax = k ? pause[k - 1] : 0;
    double p99 = stats_p99(pause, k);
    double smed = stats_median(scan, k), smax = k ? scan[k - 1] : 0;
    fprintf(f, "%-4s %11zu %12.3f %9.3f %9.3f %11.3f %9.3f %15llu %14llu %14llu %9.3f%%\n",
            name, k, pmed, p99, pmax, smed, smax, (unsigned long long)examined,
            (unsigned long long)gblocks, (unsigned long long)gbytes,
            examined ? 100.0 * (double)gblocks / (double)examined : 0.0);
}

void stats_print(FILE *f, const struct collection_rec *r, size_t n)
{
    double *pause = malloc((n + 1) * sizeof *pause), *scan = malloc((n + 1) * sizeof *scan);
    if (!pause || !scan) {
        free(pause), free(scan);
        fputs("atoll stats: out of memory\n", stderr);
        return;
    }
    size_t pids = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && r[j].pid != r[i].pid)
            j++;
        pids += j == i;
    }
    fprintf(f, "%zu collection%s by %zu process%s\n", n, n == 1 ? "" : "s", pids,
            pids == 1 ? "" : "es");
    fprintf(f, "%-4s %11s %12s %9s %9s %11s %9s %15s %14s %14s %10s\n", "gen", "collections",
            "pause_median", "pause_p99", "pause_max", "scan_median", "scan_max",
            "blocks_examined", "garbage_blocks", "garbage_bytes", "efficiency");
    static const char *const names[] = {"0", "1", "2"};
    for (int g = 0; g < 3; g++)
        row(f, names[g], r, n, g, pause, scan);
    row(f, "all", r, n, -1, pause, scan);
    fputs("(pause and scan in milliseconds; efficiency: garbage blocks / blocks examined)\n", f);
    free(pause), free(scan);
}

int cmd_stats(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(stats_help, stdout);
        return 0;
    }
    if (argc != 2)
        return cli_usage_error("stats", argc < 2 ? "missing DIR" : "one DIR only");
    if (argv[1][0] == '-' && argv[1][1])
        return cli_usage_error("stats", "unknown option '%s'", argv[1]);
    struct stat st;
    char *path = NULL;
    if (stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode)) {
        if (asprintf(&path, "%s/collections.jsonl", argv[1]) < 0) {
            fputs("atoll stats: out of memory\n", stderr);
            return 2;
        }
    } else if (!(path = strdup(argv[1]))) {
        fputs("atoll stats: out of memory\n", stderr);
        return 2;
    }
    struct collection_rec *r;
    size_t n;
    char err[1400];
    int rc = 0;
    if (jsonl_read(path, &r, &n, err, sizeof err)) {
        fprintf(stderr, "atoll stats: %s\n", err);
        rc = 2;
    } else if (!n) {
        fprintf(stderr, "atoll stats: %s: no collections\n", path);
        rc = 2;
    } else {
        stats_print(stdout, r, n);
    }
    free(r);
    free(path);
    return rc;
}
