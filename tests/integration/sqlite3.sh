#!/bin/bash
# sqlite3 runs the SQL workload ../workloads/sqlite3.sql in memory; stdout and stderr under atoll
# must be identical to the run without it. The workload's random() and randomblob() do not reach
# the output (they only pick rows that are counted and fill strings of fixed length), so the
# whole output is deterministic and is compared in full.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

workload=$workloads/sqlite3.sql

sqlite3 :memory: <"$workload" >"$scratch/base.out" 2>"$scratch/base.err"
with_atoll sqlite3 :memory: <"$workload" >"$scratch/atoll.out" 2>"$scratch/atoll.err"

[[ -s $scratch/base.out ]] || fail "the workload printed nothing"
[[ -s $scratch/base.err ]] && fail "the workload fails even without atoll" "$scratch/base.err"
same_output "$scratch/base.out" "$scratch/atoll.out"
without_stats "$scratch/atoll.err" >"$scratch/atoll.err.clean"
same_output "$scratch/base.err" "$scratch/atoll.err.clean"
assert_served "$scratch/atoll.err" 1
