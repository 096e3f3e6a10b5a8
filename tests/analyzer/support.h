/* Shared helpers of the analyzer's Check tests. */
#ifndef ANALYZER_TEST_SUPPORT_H
#define ANALYZER_TEST_SUPPORT_H

#include "analyzer.h"
#include "dumpgen.h"

#include <check.h>

/* A built dump, parsed and analyzed in-process. */
struct loaded {
    uint8_t *buf;
    size_t len;
    struct dump d;
    struct analysis a;
};

/* Builds g (and frees it), parses and analyzes it; fails the test on any error. */
void load_dg(struct loaded *l, struct dg *g, const struct suppressions *supp);
void load_scenario(struct loaded *l, const char *name);
void unload(struct loaded *l);
/* Builds g (and frees it): the reader must reject it with an error containing message. */
void expect_invalid(struct dg *g, const char *message);

/* A fresh temporary directory (removed by the test's process exit is not guaranteed: callers
 * remove what they create with rm_rf). */
char *temp_dir(void);
void rm_rf(const char *path);
char *path_join(const char *dir, const char *name);

/* Runs argv with stdout and stderr captured; returns the exit status (128+N if killed). */
int run_capture(char *const argv[], char **out, char **err);
const char *atoll_path(void);
int count_lines(const char *s);

Suite *graph_suite(void);
Suite *validate_suite(void);
Suite *symbols_suite(void);
Suite *cli_suite(void);
Suite *objects_suite(void);
Suite *labels_suite(void);
Suite *merge_suite(void);
Suite *pyframes_suite(void);
Suite *dominators_suite(void);
Suite *why_suite(void);
Suite *export_suite(void);
Suite *diff_suite(void);
Suite *tune_suite(void);

#endif
