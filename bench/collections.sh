#!/bin/bash
# What a full collection of a big heap costs (issue 3's target: pause at most 20 ms, dump
# complete within 0.5 s): bench/bigheap.c's 2,000,000 blocks, collected by atoll_collect(2).
# Runs, in turns: libatoll.so on every CPU and held to one CPU (the snapshot's threads off),
# and OTHER_LIB (another build, e.g. of an earlier commit) the same two ways. Prints every run's
# pause, scan and dump times from collections.jsonl, and the medians of their sum (from the
# call to the dump's last byte).
# Usage: bench/collections.sh [REPS (7)] [N (2000000)] [LIB (build/preload/libatoll.so)] [OTHER_LIB]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-7}
n=${2:-2000000}
lib=$(readlink -f "${3:-$here/build/preload/libatoll.so}")
other=${4:+$(readlink -f "$4")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -I"$here/include" "$here/bench/bigheap.c" -o "$tmp/bigheap"

configs=(atoll atoll-1cpu)
[ -n "$other" ] && configs+=(other other-1cpu)

for ((r = 1; r <= reps; r++)); do
    for c in "${configs[@]}"; do
        l=$lib
        [[ $c == other* ]] && l=$other
        pin=()
        [[ $c == *-1cpu ]] && pin=(taskset -c 0)
        rm -rf "$tmp/out"
        ATOLL_AT_EXIT=0 ATOLL_OUTPUT="$tmp/out" "${pin[@]}" env LD_PRELOAD="$l" "$tmp/bigheap" "$n" \
            >/dev/null
        /usr/bin/python3 - "$c" "$tmp/out/collections.jsonl" >>"$tmp/runs" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[2]).readline())
total = d['pause_ms'] + d['scan_ms'] + d['dump_ms']
print(sys.argv[1], d['pause_ms'], d['scan_ms'], d['dump_ms'], round(total, 1),
      d['references'], d['dump_bytes'])
EOF
        tail -n 1 "$tmp/runs"
    done
done

/usr/bin/python3 - "$tmp/runs" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print('\nconfig        pause_ms (median, max)  scan_ms  dump_ms  total_ms (median)  runs <= 500 ms')
for c in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == c]
    col = lambda k: [float(r[k]) for r in mine]
    print(f'{c:<13} {statistics.median(col(1)):>8.1f} {max(col(1)):>6.1f} '
          f'{statistics.median(col(2)):>14.0f} {statistics.median(col(3)):>8.0f} '
          f'{statistics.median(col(4)):>12.0f}        {sum(t <= 500 for t in col(4))}/{len(mine)}')
EOF
