/* Child modes: this program run again by the options tests, with an environment of their
 * choosing, because atoll reads its options once, before main. */
#include "unit.h"
#include "internal.h"

#include <atoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options as parsed, and where a few request sizes went. */
static int print_options(void)
{
    struct atoll_stats s;
    if (atoll_get_stats(&s) != 0)
        return 1;
    void *p[4];
    static const size_t sizes[4] = { 1, 64, 65, 512 };
    for (int i = 0; i < 4; i++)
        p[i] = malloc(sizes[i]);
    printf("small_max=%llu mode=%s on_error=%s stats=%d owns1=%d owns64=%d owns65=%d owns512=%d\n",
           (unsigned long long)s.small_max, atoll_g.mode == ATOLL_MODE_ALLOC ? "alloc" : "profile",
           atoll_g.on_error_abort ? "abort" : "report", atoll_g.stats_at_exit,
           atoll_owns(p[0]) != 0, atoll_owns(p[1]) != 0, atoll_owns(p[2]) != 0,
           atoll_owns(p[3]) != 0);
    for (int i = 0; i < 4; i++)
        free(p[i]);
    return 0;
}

/* A double free; with ATOLL_ON_ERROR=abort this never prints. */
static int double_free(void)
{
    void *p = malloc(48);
    free(p);
    free(hide(p));
    printf("survived\n");
    return 0;
}

int unit_child_main(int argc, char **argv)
{
    if (argc < 2)
        return -1;
    if (argc == 2 && strcmp(argv[1], "--print-options") == 0)
        return print_options();
    if (argc == 2 && strcmp(argv[1], "--double-free") == 0)
        return double_free();
    fprintf(stderr, "usage: unit [--print-options | --double-free]\n");
    return 2;
}
