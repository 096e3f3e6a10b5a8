#!/bin/bash
# CPython's own regression tests (the modules given as arguments) with PYTHONMALLOC=malloc, so
# every Python object comes from atoll; they must pass.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
(($# > 0)) || fail "usage: python.sh test_module..."

# The interpreter of the Debian packages, whose test package libpython3.11-testsuite is installed,
# not whatever python3.11 comes first on PATH.
python=/usr/bin/python3.11

# The test subprocesses inherit LD_PRELOAD, so they run on atoll too (and are profiled), but not
# ATOLL_STATS nor the exit collection's summary line: several tests assert that a child's stderr
# is empty. atoll read its settings at start-up, so changing os.environ affects the children only.
run_tests='import os, runpy; os.environ.pop("ATOLL_STATS"); os.environ["ATOLL_AT_EXIT"] = "0"; runpy.run_module("test", run_name="__main__", alter_sys=True)'

cd "$scratch"
status=0
TMPDIR=$scratch PYTHONMALLOC=malloc with_atoll "$python" -c "$run_tests" "$@" \
    >"$scratch/out" 2>"$scratch/err" || status=$?
((status == 0)) || fail "regrtest exited with $status" "$scratch/out" "$scratch/err"
grep -qx '== Tests result: SUCCESS ==' "$scratch/out" || fail "regrtest did not report success" "$scratch/out"
assert_served "$scratch/err" 1
grep -E '^Total (duration|tests)' "$scratch/out"
