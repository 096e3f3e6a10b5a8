#!/bin/sh
# The analyzer's benchmarks; results are appended to bench/ANALYZER.md.
#  1. a 2-million-block random dump (about 3 edges per block, sizes 16..512, 10% leaked in
#     rings and chains): `atoll analyze --format json`, wall time and peak RSS, 3 runs;
#  2. a 100-million-block graph built in memory (a 4+ GB dump would need as much disk and page
#     cache): reachability + SCC times from graphbench, 3 runs.
# Usage: bench/analyzer.sh [BUILD_DIR] (default build-an; must be configured, it is built here)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-an}
case $build in /*) ;; *) build=$root/$build ;; esac
ninja -C "$build" analyzer/atoll tests/analyzer/dumpgen tests/analyzer/graphbench >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$root/bench/ANALYZER.md

median() { sort -n | sed -n 2p; }

"$build/tests/analyzer/dumpgen" random 2000000 42 "$tmp/big.atoll"
sync
dump_bytes=$(stat -c %s "$tmp/big.atoll")
# one unmeasured run, so every measured run finds the dump in the page cache
"$build/analyzer/atoll" analyze --format json --report "$tmp/report.json" "$tmp/big.atoll"
"$build/analyzer/atoll" info "$tmp/big.atoll" > "$tmp/info"
: > "$tmp/times"
: > "$tmp/rss"
for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$tmp/t" \
        "$build/analyzer/atoll" analyze --format json --report "$tmp/report.json" "$tmp/big.atoll"
    cut -d' ' -f1 "$tmp/t" >> "$tmp/times"
    cut -d' ' -f2 "$tmp/t" >> "$tmp/rss"
done
secs=$(median < "$tmp/times")
rss_kb=$(median < "$tmp/rss")
json_bytes=$(stat -c %s "$tmp/report.json")
summary=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("leaked %d blocks / %d bytes, %d isolated cycles" % (s["leaked"]["blocks"], s["leaked"]["bytes"], s["isolated_cycles"]["count"]))' "$tmp/report.json")

: > "$tmp/big"
for i in 1 2 3; do
    "$build/tests/analyzer/graphbench" 100000000 7 > "$tmp/gb"
    grep '^reach+scc' "$tmp/gb" | cut -d' ' -f2 >> "$tmp/big"
done
big=$(median < "$tmp/big")

{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(uname -m), $(nproc) CPUs, build $(basename "$build")"
    echo
    echo "2,000,000-block dump: $dump_bytes bytes on disk ($(grep '^blocks:' "$tmp/info" | sed 's/blocks: *//') described, $(grep '^edges:' "$tmp/info" | sed 's/edges: *//') edges); $summary."
    echo
    echo "| measurement | median of 3 | runs | limit |"
    echo "|---|---|---|---|"
    echo "| \`atoll analyze --format json\` wall time | $secs s | $(tr '\n' ' ' < "$tmp/times")| 1 s |"
    echo "| peak RSS | $rss_kb KiB ($(awk "BEGIN{printf \"%.2f\", $rss_kb*1024/$dump_bytes}")x the dump) | $(tr '\n' ' ' < "$tmp/rss")| 3x |"
    echo "| JSON report size | $json_bytes bytes | | |"
    echo "| 100,000,000-block graph in memory: reachability + SCC | $big s | $(tr '\n' ' ' < "$tmp/big")| 60 s |"
    echo
    echo "Last graphbench run:"
    echo
    sed 's/^/    /' "$tmp/gb"
} >> "$out"
tail -n 22 "$out"
