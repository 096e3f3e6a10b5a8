#!/bin/bash
# What profile mode costs on tests/workloads/pyobjs.py (issue 3's target: at most 1.5x the plain
# run on glibc).
# Runs, in turns (so the machine's load falls on all alike): python3.11 on glibc, under
# libatoll.so in profile mode (no exit collection: the figure is the recording), in alloc mode,
# and under heaptrack when it is installed. Prints every run's wall time, the medians and the
# ratios to glibc's median (wall time, and user+system CPU time, steadier on a loaded machine), and the call-stack counters of one profile run.
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

configs=(glibc profile alloc)
[ -n "$other" ] && configs+=(other)
command -v heaptrack >/dev/null && configs+=(heaptrack)

run() {
    case $1 in
        glibc) env PYTHONMALLOC=malloc "$python" "$script" "$n" ;;
        profile) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_MODE=profile ATOLL_AT_EXIT=0 \
                     "$python" "$script" "$n" ;;
        other) env PYTHONMALLOC=malloc LD_PRELOAD="$other" ATOLL_MODE=profile ATOLL_AT_EXIT=0 \
                   "$python" "$script" "$n" ;;
        alloc) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_MODE=alloc "$python" "$script" "$n" ;;
        heaptrack) (cd "$tmp" && env PYTHONMALLOC=malloc heaptrack -o "$tmp/ht" "$python" "$script" "$n") ;;
    esac >/dev/null 2>&1
}

timed() {
    /usr/bin/time -f "$1 %e %U %S" -a -o "$tmp/times" bash -c "$(declare -f run); $(declare -p python script n lib other tmp); run $1"
}

for ((i = 0; i < reps; i++)); do
    for c in "${configs[@]}"; do
        timed "$c"
    done
done

/usr/bin/python3 - "$tmp/times" <<'EOF'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, wall, user, system = line.split()
    times.setdefault(name, []).append((float(wall), float(user) + float(system)))
for i, what in ((0, 'wall'), (1, 'cpu (user+sys)')):
    print(what)
    base = statistics.median(t[i] for t in times['glibc'])
    for name, ts in times.items():
        m = statistics.median(t[i] for t in ts)
        print('  %-9s median %.3f s  %.2fx glibc   runs: %s' %
              (name, m, m / base, ' '.join('%.2f' % t[i] for t in ts)))
EOF
env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_AT_EXIT=0 ATOLL_STATS=1 "$python" "$script" "$n" \
    2>&1 >/dev/null | grep 'call stacks' || true
