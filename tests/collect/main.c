/* The collection test program: every suite in one runner, forking per test, so each test has
 * its own heap, threads and collection count. Dumps left by earlier runs are removed first:
 * atoll writes a dump only to a path that does not exist, and appends to collections.jsonl. */
#include "collect.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void remove_old_dumps(void)
{
    const char *dir = getenv("ATOLL_OUTPUT");
    DIR *dp = dir ? opendir(dir) : NULL;
    if (!dp)
        return;
    for (struct dirent *e; (e = readdir(dp));) {
        char path[4096];
        size_t len = strlen(e->d_name);
        int ours = (len > 6 && strcmp(e->d_name + len - 6, ".atoll") == 0) ||
                   strcmp(e->d_name, "collections.jsonl") == 0;
        if (ours &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
            unlink(path);
    }
    closedir(dp);
}

int main(void)
{
    remove_old_dumps();
    SRunner *sr = srunner_create(graph_suite());
    srunner_add_suite(sr, roots_suite());
    srunner_add_suite(sr, generations_suite());
    srunner_add_suite(sr, bigheap_suite());
    srunner_add_suite(sr, signals_suite());
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
