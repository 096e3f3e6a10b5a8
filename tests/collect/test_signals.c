/* The collection signal (ATOLL_SIGNAL, USR2 here): its handler never waits for a collection.
 * A signal that lands while a collection runs, on the collecting thread itself, is run as soon
 * as that collection ends; signals that come meanwhile are merged into one collection.
 *
 * It caught the handler waiting for the very collection it had interrupted: SIGUSR1 sent every
 * 50 ms to tests/programs/fork_threads hung it within seconds, every thread spinning on the
 * flag that the interrupted collection held. */
#include "collect.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STORM 200                       /* signals, 1 ms apart */

static pthread_t target;
static int storm_over;

static void *storm(void *arg)
{
    unsigned *sent = arg;
    for (int i = 0; i < STORM; i++) {
        if (pthread_kill(target, SIGUSR2) == 0)
            (*sent)++;
        nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
    }
    __atomic_store_n(&storm_over, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* The dumps of this process's collections, counted by trigger. */
static void count_dumps(unsigned *api, unsigned *signalled)
{
    const char *dir = getenv("ATOLL_OUTPUT");
    char prefix[64];
    snprintf(prefix, sizeof prefix, "collect_tests.%d.", (int)getpid());
    DIR *dp = opendir(dir);
    ck_assert_ptr_nonnull(dp);
    *api = *signalled = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[4096], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct dump d;
        ck_assert_msg(dump_open(&d, path, err, sizeof err) == 0, "%s: %s", path, err);
        if (d.proc->trigger == ATOLL_DUMP_TRIGGER_API)
            ++*api;
        else if (d.proc->trigger == ATOLL_DUMP_TRIGGER_SIGNAL)
            ++*signalled;
        else
            ck_abort_msg("%s: trigger %u", path, d.proc->trigger);
        dump_close(&d);
        unlink(path);
    }
    closedir(dp);
}

START_TEST(signal_inside_a_collection_runs_after_it)
{
    target = pthread_self();
    unsigned sent = 0, collected = 0;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, storm, &sent), 0);
    while (!__atomic_load_n(&storm_over, __ATOMIC_ACQUIRE)) {
        ck_assert_int_ge(atoll_collect(0), 0);
        collected++;
    }
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    /* The last signal's collection may still be writing: the next one waits for it. */
    ck_assert_int_ge(atoll_collect(0), 0);
    unsigned api, signalled;
    count_dumps(&api, &signalled);
    ck_assert_uint_eq(api, collected + 1);
    ck_assert_uint_ge(signalled, 1);
    ck_assert_uint_le(signalled, sent);
}
END_TEST

Suite *signals_suite(void)
{
    Suite *s = suite_create("signals");
    TCase *tc = tcase_create("signals");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, signal_inside_a_collection_runs_after_it);
    suite_add_tcase(s, tc);
    return s;
}
