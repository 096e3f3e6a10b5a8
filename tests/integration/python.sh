#!/bin/bash
# One module of CPython's own regression tests, with PYTHONMALLOC=malloc so every Python object
# comes from the allocator: run plain, then under atoll as a user would run it (in profile mode,
# the default, nothing but LD_PRELOAD), and the two results must be the same. A module that
# fails without atoll tells nothing about atoll: it is skipped, not passed.
# Usage: python.sh test_module
set -euo pipefail
source "$(dirname "$0")/harness.sh"
(($# == 1)) || fail "usage: python.sh test_module"
module=$1

# The interpreter of the Debian packages, whose test package libpython3.11-testsuite is installed,
# not whatever python3.11 comes first on PATH.
python=/usr/bin/python3.11

# The test subprocesses inherit the environment, so they run on atoll too and their stderr,
# which several tests require to be empty, is what a user's would be. Profile mode's proof that
# atoll served is the exit dumps, which only ATOLL_OUTPUT moves; alloc mode leaves none, so its
# statistics are the proof, and ATOLL_LOG keeps them off the program's stderr.
if [[ $ATOLL_MODE == profile ]]; then
    under_atoll=(LD_PRELOAD="$ATOLL_LIB" ATOLL_OUTPUT="$scratch/dumps")
else
    mkdir "$scratch/log"
    under_atoll=(LD_PRELOAD="$ATOLL_LIB" ATOLL_MODE=alloc ATOLL_STATS=1 ATOLL_LOG="$scratch/log/atoll")
fi

# regrtest NAME [VARIABLE=VALUE...]: runs the module verbosely (every test's outcome is named)
# in a directory of its own; leaves NAME.out, NAME.err, NAME.status and NAME.failed, the sorted
# names of the tests that failed or raised.
regrtest() {
    local name=$1 status=0
    shift
    mkdir "$scratch/$name.tmp"
    (cd "$scratch/$name.tmp" && env TMPDIR="$scratch/$name.tmp" PYTHONMALLOC=malloc "$@" \
        "$python" -m test -v "$module") >"$scratch/$name.out" 2>"$scratch/$name.err" || status=$?
    echo "$status" >"$scratch/$name.status"
    grep -E '^(FAIL|ERROR): ' "$scratch/$name.out" | sort -u >"$scratch/$name.failed" || true
}

# result NAME: one line, as regrtest summed it up.
result() {
    echo "exit $(<"$scratch/$1.status"), $(sed -n 's/^== Tests result: \(.*\) ==$/\1/p' "$scratch/$1.out")," \
        "$(grep -cE '^[^ ].* \.\.\. ok$' "$scratch/$1.out" || true) tests ok," \
        "$(grep -c . "$scratch/$1.failed" || true) failed"
}

# seconds_since START: the time since START, an $EPOCHREALTIME, to a tenth of a second.
seconds_since() {
    local tenths=$(((${EPOCHREALTIME/./} - ${1/./}) / 100000))
    echo "$((tenths / 10)).$((tenths % 10)) s"
}

start=$EPOCHREALTIME
regrtest plain
echo "$module plain ($(seconds_since "$start")): $(result plain)"
start=$EPOCHREALTIME
regrtest atoll "${under_atoll[@]}"
echo "$module under atoll, $ATOLL_MODE mode ($(seconds_since "$start")): $(result atoll)"

grep -qx '== Tests result: .* ==' "$scratch/atoll.out" ||
    fail "regrtest under atoll did not finish" "$scratch/atoll.out" "$scratch/atoll.err"
if [[ $(<"$scratch/plain.status") != 0 ]]; then
    cmp -s "$scratch/plain.failed" "$scratch/atoll.failed" ||
        fail "$module fails without atoll, and differently under it" "$scratch/plain.failed" "$scratch/atoll.failed"
    echo "SKIP: $module fails without atoll (the same tests under atoll):"
    cat "$scratch/plain.failed"
    exit 77
fi
sed -n '/^=\{70\}$/,$p' "$scratch/atoll.out" >"$scratch/atoll.failures"
[[ $(<"$scratch/atoll.status") == 0 ]] ||
    fail "$module passes without atoll and fails under it" "$scratch/atoll.failures" "$scratch/atoll.err"
grep -qx '== Tests result: SUCCESS ==' "$scratch/atoll.out" || fail "regrtest did not report success" "$scratch/atoll.out"

if [[ $ATOLL_MODE == profile ]]; then
    assert_dumps 1
else
    cat "$scratch"/log/atoll.* >"$scratch/atoll.log" 2>/dev/null || fail "alloc mode left no statistics in $scratch/log"
    assert_served "$scratch/atoll.log" 1
fi
