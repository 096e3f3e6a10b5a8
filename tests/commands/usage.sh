#!/bin/bash
# Bad input to run --live, stats, collect and tune: one line on stderr, nothing on stdout,
# exit status 2.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

expect_usage() {
    local want=$1
    shift
    local status=0
    "$ATOLL_BIN" "$@" >"$scratch/o" 2>"$scratch/e" || status=$?
    ((status == 2)) || fail "atoll $* exited with $status, not 2" "$scratch/e"
    [[ ! -s $scratch/o ]] || fail "atoll $* wrote to stdout" "$scratch/o"
    [[ $(<"$scratch/e") == "$want" ]] || fail "atoll $*: '$(<"$scratch/e")', not '$want'"
}
expect_usage "atoll stats: missing DIR (try 'atoll stats --help')" stats
expect_usage "atoll stats: one DIR only (try 'atoll stats --help')" stats a b
expect_usage "atoll stats: unknown option '--x' (try 'atoll stats --help')" stats --x
expect_usage "atoll collect: missing PID (try 'atoll collect --help')" collect
expect_usage "atoll collect: PID must be a process id, not 'abc' (try 'atoll collect --help')" collect abc
expect_usage "atoll collect: PID must be a process id, not '0' (try 'atoll collect --help')" collect 0
expect_usage "atoll collect: unknown option '--now' (try 'atoll collect --help')" collect --now 1
expect_usage "atoll run: missing PROGRAM (try 'atoll run --help')" run --live
expect_usage "atoll run: --threshold wants T0[,T1[,T2]], not 'x' (try 'atoll run --help')" run --live --threshold x -- true
echo "usage errors: all one line, exit 2"
