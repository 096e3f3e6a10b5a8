#!/bin/bash
# What profile mode costs on tests/workloads/pyobjs.py (targets: at most 1.5x the plain run on
# glibc with Python stacks, aim 1.3x; peak RSS at most 1.6x), beside tracemalloc at 1 and 25
# frames, the tools Python developers use for the same question.
# Runs, in turns (so the machine's load falls on all alike): python3.11 on glibc; under
# libatoll.so in profile mode with Python stacks (the default), with them but CPython's free lists
# left alone (ATOLL_PYTHON_FREELISTS=0: what keeping them empty costs) and without Python stacks
# (ATOLL_PYTHON_STACKS=0), with no exit collection (the figure is the recording); in alloc mode;
# python3.11 -X tracemalloc=1 and =25 on glibc; and under heaptrack when it is installed. Prints
# the medians of wall time, user+system CPU time (steadier on a loaded machine) and peak RSS,
# each with its ratio to glibc's median and the median of the per-round ratios (runs seconds
# apart), and the call-stack counters of one profile run.
# Usage: bench/profile.sh [REPS (5)] [N (200000)] [LIB (build/preload/libatoll.so)] [OTHER_LIB]
# OTHER_LIB (another build of libatoll.so, e.g. of an earlier commit) adds its profile mode.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-5}
n=${2:-200000}
lib=$(readlink -f "${3:-$here/build/preload/libatoll.so}")
other=${4:+$(readlink -f "$4")}
python=/usr/bin/python3.11
script=$here/tests/workloads/pyobjs.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

configs=(glibc profile nofreelists nopystacks alloc tracemalloc1 tracemalloc25)
[ -n "$other" ] && configs+=(other)
command -v heaptrack >/dev/null && configs+=(heaptrack)

run() {
    case $1 in
        glibc) env PYTHONMALLOC=malloc "$python" "$script" "$n" ;;
        profile) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_MODE=profile ATOLL_AT_EXIT=0 \
                     "$python" "$script" "$n" ;;
        nofreelists) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_MODE=profile ATOLL_AT_EXIT=0 \
                         ATOLL_PYTHON_FREELISTS=0 "$python" "$script" "$n" ;;
        nopystacks) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_MODE=profile ATOLL_AT_EXIT=0 \
                        ATOLL_PYTHON_STACKS=0 "$python" "$script" "$n" ;;
        other) env PYTHONMALLOC=malloc LD_PRELOAD="$other" ATOLL_MODE=profile ATOLL_AT_EXIT=0 \
                   "$python" "$script" "$n" ;;
        tracemalloc1) env PYTHONMALLOC=malloc "$python" -X tracemalloc=1 "$script" "$n" ;;
        tracemalloc25) env PYTHONMALLOC=malloc "$python" -X tracemalloc=25 "$script" "$n" ;;
        alloc) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_MODE=alloc "$python" "$script" "$n" ;;
        heaptrack) (cd "$tmp" && env PYTHONMALLOC=malloc heaptrack -o "$tmp/ht" "$python" "$script" "$n") ;;
    esac >/dev/null 2>&1
}

timed() {
    /usr/bin/time -f "$1 %e %U %S %M" -a -o "$tmp/times" bash -c "$(declare -f run); $(declare -p python script n lib other tmp); run $1"
}

for ((i = 0; i < reps; i++)); do
    for c in "${configs[@]}"; do
        timed "$c"
    done
done

/usr/bin/python3 - "$tmp/times" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, wall, user, system, rss = line.split()
    runs.setdefault(name, []).append((float(wall), float(user) + float(system), int(rss) / 1024))
for i, what, unit in ((0, 'wall', 's'), (1, 'cpu (user+sys)', 's'), (2, 'peak RSS', 'MiB')):
    print(what)
    base = runs['glibc']
    m0 = statistics.median(t[i] for t in base)
    for name, ts in runs.items():
        m = statistics.median(t[i] for t in ts)
        paired = statistics.median(t[i] / b[i] for t, b in zip(ts, base))
        print('  %-13s median %8.3f %-3s %5.2fx glibc  paired %5.2fx   runs: %s' %
              (name, m, unit, m / m0, paired, ' '.join('%.2f' % t[i] for t in ts)))
EOF
env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_AT_EXIT=0 ATOLL_STATS=1 "$python" "$script" "$n" \
    2>&1 >/dev/null | grep 'call stacks' || true
