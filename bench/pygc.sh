#!/bin/bash
# What the telemetry of CPython's own collector costs (docs/python.md): tests/workloads/pyobjs.py
# in profile mode with Python stacks, no exit collection, with the telemetry (the default: a
# gc.callbacks entry, one line of pygc.jsonl per collection, the objects the collector frees
# counted by site) and without it (ATOLL_PYTHON_GC_TELEMETRY=0), and plain python3.11 on glibc,
# in turns (so the machine's load falls on all alike). Prints the medians of wall time and
# user+system CPU time, each with its ratio to the run without telemetry, the median of the
# per-round ratios, and the collections one run recorded.
# Usage: bench/pygc.sh [REPS (11)] [N (200000)] [LIB (build/preload/libatoll.so)]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-11}
n=${2:-200000}
lib=$(readlink -f "${3:-$here/build/preload/libatoll.so}")
python=/usr/bin/python3.11
script=$here/tests/workloads/pyobjs.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
configs=(glibc notelemetry telemetry)

run() {
    local out=$tmp/out.$1
    rm -rf "$out"
    case $1 in
        glibc) env PYTHONMALLOC=malloc "$python" "$script" "$n" ;;
        notelemetry) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_AT_EXIT=0 ATOLL_OUTPUT="$out" \
                         ATOLL_PYTHON_GC_TELEMETRY=0 "$python" "$script" "$n" ;;
        telemetry) env PYTHONMALLOC=malloc LD_PRELOAD="$lib" ATOLL_AT_EXIT=0 ATOLL_OUTPUT="$out" \
                       "$python" "$script" "$n" ;;
    esac
}

for ((r = 0; r < reps; r++)); do
    for c in "${configs[@]}"; do
        /usr/bin/time -f "%e %U %S" -o "$tmp/t" bash -c "$(declare -f run); tmp=$tmp; lib=$lib; \
            python=$python; script=$script; n=$n; run $c" >/dev/null
        read -r wall user sys <"$tmp/t"
        echo "$c $r $wall $(echo "$user + $sys" | bc)" >>"$tmp/times"
    done
done
lines=$(wc -l <"$tmp/out.telemetry/pygc.jsonl")
python3 - "$tmp/times" "$reps" "$n" "$lines" <<'PY'
import statistics, sys
path, reps, n, lines = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t = {}
for line in open(path):
    c, r, wall, cpu = line.split()
    t.setdefault(c, {})[int(r)] = (float(wall), float(cpu))
base = t["notelemetry"]
print("pyobjs.py %s, %d rounds; the telemetry run recorded %s collections" % (n, reps, lines))
print("%-12s %10s %8s %10s %8s %12s" % ("config", "wall s", "ratio", "cpu s", "ratio",
                                         "round ratio"))
for c in ("glibc", "notelemetry", "telemetry"):
    wall = statistics.median(v[0] for v in t[c].values())
    cpu = statistics.median(v[1] for v in t[c].values())
    bw = statistics.median(v[0] for v in base.values())
    bc = statistics.median(v[1] for v in base.values())
    rr = statistics.median(t[c][r][1] / base[r][1] for r in t[c])
    print("%-12s %10.3f %7.3fx %10.3f %7.3fx %11.3fx" % (c, wall, wall / bw, cpu, cpu / bc, rr))
PY
