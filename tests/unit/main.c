/* The unit test program: every suite in one runner, forking per test. Run with an argument,
 * it is instead one of the child modes the options tests start (child_modes.c). */
#include "unit.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
    int child = unit_child_main(argc, argv);
    if (child >= 0)
        return child;

    SRunner *sr = srunner_create(semantics_suite());
    srunner_add_suite(sr, bad_free_suite());
    srunner_add_suite(sr, threads_suite());
    srunner_add_suite(sr, fork_suite());
    srunner_add_suite(sr, arena_suite());
    srunner_add_suite(sr, fmt_suite());
    srunner_add_suite(sr, mangled_suite());
    srunner_add_suite(sr, options_suite());
    /* Tests change atoll_g and the heap on purpose: each needs its own process. */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
