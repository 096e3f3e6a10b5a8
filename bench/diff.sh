#!/bin/sh
# atoll diff on big dumps, against atoll analyze of one of them (the peer), in turns; results
# are appended to bench/DIFF.md. Two random dumps of one seed, 2,000,000 and 2,200,000 blocks,
# numbered collections 1 and 2 of one process (they share their sites and their first
# 2,000,000 blocks: every one of those survived): `atoll diff --format json OLD NEW` and
# `atoll analyze --format json NEW`, wall time and peak RSS, medians of N rounds.
# Usage: bench/diff.sh [ROUNDS] [BUILD_DIR] (default 5 and build; it is built here, -j2)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
build=${2:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
ninja -C "$build" -j2 analyzer/atoll tests/analyzer/dumpgen >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$root/bench/DIFF.md
atoll=$build/analyzer/atoll

"$build/tests/analyzer/dumpgen" random 2000000 42 "$tmp/old.atoll" 1
"$build/tests/analyzer/dumpgen" random 2200000 42 "$tmp/new.atoll" 2
sync
# one unmeasured run of each, so that every measured one finds the dumps in the page cache
"$atoll" analyze --format json --report "$tmp/a.json" "$tmp/new.atoll"
"$atoll" diff --format json --report "$tmp/d.json" "$tmp/old.atoll" "$tmp/new.atoll"
: > "$tmp/analyze"
: > "$tmp/diff"
i=0
while [ "$i" -lt "$rounds" ]; do
    /usr/bin/time -f '%e %M' -o "$tmp/t" "$atoll" analyze --format json --report "$tmp/a.json" \
        "$tmp/new.atoll"
    cat "$tmp/t" >> "$tmp/analyze"
    /usr/bin/time -f '%e %M' -o "$tmp/t" "$atoll" diff --format json --report "$tmp/d.json" \
        "$tmp/old.atoll" "$tmp/new.atoll"
    cat "$tmp/t" >> "$tmp/diff"
    i=$((i + 1))
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
a_s=$(cut -d' ' -f1 "$tmp/analyze" | median)
d_s=$(cut -d' ' -f1 "$tmp/diff" | median)
a_kb=$(cut -d' ' -f2 "$tmp/analyze" | median)
d_kb=$(cut -d' ' -f2 "$tmp/diff" | median)
top=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=r["sites"][0]; print("%d site rows, same process: %s; first row +%d blocks, %d survived" % (len(r["sites"]), r["same_process"], t["gained"]["blocks"], t["survived"]))' "$tmp/d.json")
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(uname -m), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), build $(basename "$build")"
    echo
    echo "OLD 2,000,000 blocks, NEW 2,200,000 blocks (random dumps, seed 42); $top."
    echo
    echo "| measurement | median of $rounds | runs |"
    echo "|---|---|---|"
    echo "| \`atoll analyze --format json NEW\` (peer) | $a_s s, $a_kb KiB | $(cut -d' ' -f1 "$tmp/analyze" | tr '\n' ' ')|"
    echo "| \`atoll diff --format json OLD NEW\` | $d_s s, $d_kb KiB | $(cut -d' ' -f1 "$tmp/diff" | tr '\n' ' ')|"
    echo "| diff / analyze | $(awk "BEGIN{printf \"%.2f\", $d_s / $a_s}")x time, $(awk "BEGIN{printf \"%.2f\", $d_kb / $a_kb}")x peak RSS | |"
} >> "$out"
tail -n 9 "$out"
