#!/bin/bash
# The allocator benchmark's C workload (../workloads/allocbench.c) in each of its patterns, short:
# its checksum, read back from every block before the block is freed, must be the same under
# atoll as without it, so a block handed out twice or damaged by a cross-thread free fails here
# before it skews a benchmark.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${ALLOCBENCH:?set by meson: the allocbench program}"

for run in 'small 2 300000' 'mixed 2 40000' 'xfree 1 200000'; do
    read -ra args <<<"$run"
    "$ALLOCBENCH" "${args[@]}" >>"$scratch/base.out"
    with_atoll "$ALLOCBENCH" "${args[@]}" >>"$scratch/atoll.out" 2>>"$scratch/atoll.err"
done
[[ $(wc -l <"$scratch/base.out") == 3 ]] || fail "allocbench did not print its three lines" "$scratch/base.out"
same_output "$scratch/base.out" "$scratch/atoll.out"
[[ -z $(without_stats "$scratch/atoll.err") ]] || fail "unexpected output on allocbench's stderr" "$scratch/atoll.err"
assert_served "$scratch/atoll.err" 3
cat "$scratch/base.out"
