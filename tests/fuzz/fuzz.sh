#!/usr/bin/env bash
# One fuzz target's test: each input of its regressions (inputs that once failed) run once,
# then libFuzzer for SECONDS (FUZZ_SECONDS overrides it) from the seeds, which may be files or
# folders, with a fixed seed (FUZZ_SEED, default 1): the suite's mutations are the same each
# run, so a run that passed does not fail the next one by luck; long random runs are by hand. A crash (a stack overflow too), a leak, a sanitizer report, an input slower than
# 10 s or a malloc over 256 MB fails it, and libFuzzer leaves the input in the working folder as
# TARGET-crash-SHA1 (-leak-, -timeout-, -oom-), to go into tests/fuzz/regressions/.
#   fuzz.sh TARGET SECONDS REGRESSIONS SEED...
set -euo pipefail
source "$(dirname "$0")/../scratch.sh"

target=$1
seconds=${FUZZ_SECONDS:-$2}
regressions=$3
shift 3
name=$(basename "$target")
flags=(-timeout=10 -malloc_limit_mb=256 "-artifact_prefix=$PWD/$name-")
# A 512 KB stack: recursion as deep as the input is long overflows it on inputs of a few KB,
# as it overflows the usual 8 MB only on files of hundreds of KB.
ulimit -s 512

if compgen -G "$regressions/*" >/dev/null; then
    "$target" "${flags[@]}" "$regressions"/* || fail "$name: a regression input fails again"
fi
mkdir "$scratch/corpus" "$scratch/seeds"
cp -r "$@" "$scratch/seeds"
"$target" "${flags[@]}" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -verbosity=0 -print_final_stats=1 \
    "$scratch/corpus" "$scratch/seeds" || fail "$name: libFuzzer found a failing input"
