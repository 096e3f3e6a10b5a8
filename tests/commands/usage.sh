#!/bin/bash
# Bad input to run --live, stats, collect, tune and export (and an export that cannot be
# written): one line on stderr, nothing on stdout, exit status 2.
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
expect_usage "atoll export: missing DUMP (try 'atoll export --help')" export -o "$scratch/x"
expect_usage "atoll export: one DUMP only (try 'atoll export --help')" export a b -o "$scratch/x"
expect_usage "atoll export: unknown format 'dot' (heapsnapshot) (try 'atoll export --help')" export --format dot a
expect_usage "atoll export: unknown option '--top' (try 'atoll export --help')" export --top 3 a
expect_usage "atoll export: option '-o' needs an argument (try 'atoll export --help')" export a -o
expect_usage "atoll: $scratch/none.atoll: No such file or directory" export "$scratch/none.atoll" -o "$scratch/x"
# a dump that can be read, and outputs that cannot be written: one line, and no partial file
ATOLL_OUTPUT=$scratch/d LD_PRELOAD=$ATOLL_LIB "$GUEST" leak >/dev/null 2>&1 || true
dump=$(ls "$scratch"/d/*.atoll | head -n 1)
[[ -f $dump ]] || fail "the guest left no dump in $scratch/d"
expect_usage "atoll: $scratch/no/x: No such file or directory" export "$dump" -o "$scratch/no/x"
expect_usage "atoll: /dev/full: write error" export "$dump" -o /dev/full
[[ -c /dev/full ]] || fail "atoll export removed /dev/full"
"$ATOLL_BIN" export "$dump" -o "$scratch/ok.heapsnapshot" || fail "atoll export failed on $dump"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$scratch/ok.heapsnapshot" ||
    fail "the snapshot of $dump is not JSON"
echo "usage errors: all one line, exit 2"
