/* Options from the environment. atoll parses them once, before main, so each case runs this
 * program again (child_modes.c) with exactly the environment under test. */
#include "unit.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define DEFAULTS "small_max=512 mode=profile on_error=report stats=0 owns1=1 owns64=1 owns65=1 owns512=1\n"

struct option_case {
    const char *env[5];
    const char *err;
    const char *out;
};

static const struct option_case cases[] = {
    { { NULL }, "", DEFAULTS },
    { { "ATOLL_SMALL_MAX=abc" },
      "atoll: ATOLL_SMALL_MAX=abc is not a number from 0 to 512; using 512\n", DEFAULTS },
    { { "ATOLL_SMALL_MAX=600" },
      "atoll: ATOLL_SMALL_MAX=600 is not a number from 0 to 512; using 512\n", DEFAULTS },
    { { "ATOLL_SMALL_MAX=" },
      "atoll: ATOLL_SMALL_MAX= is not a number from 0 to 512; using 512\n", DEFAULTS },
    { { "ATOLL_SMALL_MAX=-1" },
      "atoll: ATOLL_SMALL_MAX=-1 is not a number from 0 to 512; using 512\n", DEFAULTS },
    { { "ATOLL_SMALL_MAX=64k" },
      "atoll: ATOLL_SMALL_MAX=64k is not a number from 0 to 512; using 512\n", DEFAULTS },
    { { "ATOLL_SMALL_MAX=99999999999999999999999" },
      "atoll: ATOLL_SMALL_MAX=99999999999999999999999 is not a number from 0 to 512; using 512\n",
      DEFAULTS },
    { { "ATOLL_SMALL_MAX=0" }, "",
      "small_max=0 mode=profile on_error=report stats=0 owns1=0 owns64=0 owns65=0 owns512=0\n" },
    { { "ATOLL_SMALL_MAX=64" }, "",
      "small_max=64 mode=profile on_error=report stats=0 owns1=1 owns64=1 owns65=0 owns512=0\n" },
    { { "ATOLL_SMALL_MAX=512" }, "", DEFAULTS },
    { { "ATOLL_MODE=bogus" },
      "atoll: ATOLL_MODE=bogus is not one of profile|alloc; using profile\n", DEFAULTS },
    { { "ATOLL_MODE=profile" }, "", DEFAULTS },
    { { "ATOLL_MODE=alloc" }, "",
      "small_max=512 mode=alloc on_error=report stats=0 owns1=1 owns64=1 owns65=1 owns512=1\n" },
    { { "ATOLL_ON_ERROR=abort" }, "",
      "small_max=512 mode=profile on_error=abort stats=0 owns1=1 owns64=1 owns65=1 owns512=1\n" },
    { { "ATOLL_ON_ERROR=report" }, "", DEFAULTS },
    { { "ATOLL_ON_ERROR=maybe" },
      "atoll: ATOLL_ON_ERROR=maybe is not one of report|abort; using report\n", DEFAULTS },
    { { "ATOLL_STATS=0" }, "", DEFAULTS },
    { { "ATOLL_STATS=yes" }, "atoll: ATOLL_STATS=yes is not one of 0|1; using 0\n", DEFAULTS },
    { { "ATOLL_STATS=yes", "ATOLL_ON_ERROR=x", "ATOLL_MODE=y", "ATOLL_SMALL_MAX=z" },
      "atoll: ATOLL_SMALL_MAX=z is not a number from 0 to 512; using 512\n"
      "atoll: ATOLL_MODE=y is not one of profile|alloc; using profile\n"
      "atoll: ATOLL_ON_ERROR=x is not one of report|abort; using report\n"
      "atoll: ATOLL_STATS=yes is not one of 0|1; using 0\n",
      DEFAULTS },
    { { "ATOLL_MODE=alloc", "ATOLL_SMALL_MAX=64", "ATOLL_ON_ERROR=abort", "OTHER=1" }, "",
      "small_max=64 mode=alloc on_error=abort stats=0 owns1=1 owns64=1 owns65=0 owns512=0\n" },
    /* A name that only starts like an option is not one. */
    { { "ATOLL_SMALL_MAXX=3", "XATOLL_MODE=alloc" }, "", DEFAULTS },
};

START_TEST(option_values)
{
    const struct option_case *c = &cases[_i];
    static struct child_output o;
    int status = run_self("--print-options", (char *const *)c->env, &o);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    ck_assert_str_eq(o.err, c->err);
    ck_assert_str_eq(o.out, c->out);
}
END_TEST

/* The report at exit: its first line exactly, then the counters' lines. */
START_TEST(stats_at_exit)
{
    static struct child_output o;
    char *const env[] = { "ATOLL_STATS=1", NULL };
    int status = run_self("--print-options", env, &o);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    ck_assert_str_eq(o.out,
                     "small_max=512 mode=profile on_error=report stats=1 owns1=1 owns64=1 "
                     "owns65=1 owns512=1\n");
    char first[128];
    snprintf(first, sizeof first,
             "atoll: allocator statistics of pid %d (small: up to 512 bytes)\n", o.pid);
    ck_assert_int_eq(strncmp(o.err, first, strlen(first)), 0);
    static const char *const next[] = { "atoll:   small blocks: ",
                                        "atoll:   large blocks (C library): ",
                                        "atoll:   arenas: " };
    const char *line = o.err + strlen(first);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(strncmp(line, next[i], strlen(next[i])), 0);
        line = strchr(line, '\n');
        ck_assert_ptr_nonnull(line);
        line++;
    }
    for (; *line; line = strchr(line, '\n') + 1)
        ck_assert_int_eq(strncmp(line, "atoll: ", 7), 0);
}
END_TEST

static void assert_double_free_line(const char *err)
{
    static const char head[] = "atoll: free(0x";
    static const char tail[] = "): double free: the 48-byte block at this address is not allocated\n";
    ck_assert_int_eq(strncmp(err, head, strlen(head)), 0);
    ck_assert_uint_gt(strlen(err), strlen(head) + strlen(tail));
    ck_assert_str_eq(err + strlen(err) - strlen(tail), tail);
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
}

START_TEST(on_error_abort_aborts)
{
    static struct child_output o;
    char *const env[] = { "ATOLL_ON_ERROR=abort", NULL };
    int status = run_self("--double-free", env, &o);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %#x", status);
    ck_assert_str_eq(o.out, "");
    assert_double_free_line(o.err);
}
END_TEST

START_TEST(on_error_report_continues)
{
    static struct child_output o;
    char *const env[] = { NULL };
    int status = run_self("--double-free", env, &o);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    ck_assert_str_eq(o.out, "survived\n");
    assert_double_free_line(o.err);
}
END_TEST

Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_loop_test(tc, option_values, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, stats_at_exit);
    tcase_add_test(tc, on_error_abort_aborts);
    tcase_add_test(tc, on_error_report_continues);
    suite_add_tcase(s, tc);
    return s;
}
