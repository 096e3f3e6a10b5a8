/* The analyzer's Check tests: graph algorithms and classification on synthetic dumps, dump
 * validation and fuzzing, symbolization and suppressions, the merge of collections, diff, and
 * the command line. */
#include "support.h"

#include <stdlib.h>

int main(void)
{
    SRunner *sr = srunner_create(graph_suite());
    srunner_add_suite(sr, validate_suite());
    srunner_add_suite(sr, symbols_suite());
    srunner_add_suite(sr, cli_suite());
    srunner_add_suite(sr, objects_suite());
    srunner_add_suite(sr, labels_suite());
    srunner_add_suite(sr, merge_suite());
    srunner_add_suite(sr, pyframes_suite());
    srunner_add_suite(sr, dominators_suite());
    srunner_add_suite(sr, why_suite());
    srunner_add_suite(sr, export_suite());
    srunner_add_suite(sr, diff_suite());
    srunner_add_suite(sr, tune_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
