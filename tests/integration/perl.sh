#!/bin/bash
# perl runs perl-workload.pl (hashes, arrays, regexes, sort, sprintf); stdout and stderr under
# atoll must be identical to the run without it.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

workload=$(dirname "$0")/perl-workload.pl
perl "$workload" >"$scratch/base.out" 2>"$scratch/base.err"
with_atoll perl "$workload" >"$scratch/atoll.out" 2>"$scratch/atoll.err"

[[ -s $scratch/base.out ]] || fail "the workload printed nothing"
same_output "$scratch/base.out" "$scratch/atoll.out"
without_stats "$scratch/atoll.err" >"$scratch/atoll.err.clean"
same_output "$scratch/base.err" "$scratch/atoll.err.clean"
assert_served "$scratch/atoll.err" 1
