#!/bin/sh
# The analyzer's benchmarks; results are appended to bench/ANALYZER.md.
#  1. a 2-million-block random dump (about 3 edges per block, sizes 16..512, 10% leaked in
#     rings and chains): `atoll analyze --format json` (dominators and retainers included),
#     wall time, CPU time and peak RSS, 5 runs; the same for a 10-million-block dump;
#  2. a 100-million-block graph built in memory (a 4+ GB dump would need as much disk and page
#     cache): reachability + SCC times from graphbench, 3 runs; and the dominators of a
#     10-million-block one, 3 runs.
# With BASE (another build's atoll, e.g. of the previous commit), its runs of 1. alternate with
# ours and the table gives both medians and their ratio.
# Usage: bench/analyzer.sh [BUILD_DIR [BASE]] (default build-an; must be configured, it is built
# here)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-an}
base=${2:-}
case $build in /*) ;; *) build=$root/$build ;; esac
ninja -C "$build" -j2 analyzer/atoll tests/analyzer/dumpgen tests/analyzer/graphbench >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$root/bench/ANALYZER.md
runs=5

median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }

# analyze BINARY DUMP TAG: one timed run, appended to $tmp/TAG.{wall,cpu,rss}
analyze() {
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" \
        "$1" analyze --format json --report "$tmp/$3.json" "$2"
    read -r wall user sys rss < "$tmp/t"
    echo "$wall" >> "$tmp/$3.wall"
    awk "BEGIN{print $user + $sys}" >> "$tmp/$3.cpu"
    echo "$rss" >> "$tmp/$3.rss"
}

# measure N: the N-block dump, $runs runs of ours (and of BASE, in turn); one table row each
measure() {
    n=$1
    "$build/tests/analyzer/dumpgen" random "$n" 42 "$tmp/big.atoll"
    sync
    dump_bytes=$(stat -c %s "$tmp/big.atoll")
    # one unmeasured run, so every measured run finds the dump in the page cache
    "$build/analyzer/atoll" analyze --format json --report "$tmp/new.json" "$tmp/big.atoll"
    "$build/analyzer/atoll" info "$tmp/big.atoll" > "$tmp/info"
    rm -f "$tmp"/new.* "$tmp"/old.*
    for i in $(seq $runs); do
        analyze "$build/analyzer/atoll" "$tmp/big.atoll" new
        [ -z "$base" ] || analyze "$base" "$tmp/big.atoll" old
    done
    summary=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["summary"]; print("leaked %d blocks / %d bytes, %d isolated cycles, %d retainers" % (s["leaked"]["blocks"], s["leaked"]["bytes"], s["isolated_cycles"]["count"], len(r["retainers"])))' "$tmp/new.json")
    echo "$n-block dump: $dump_bytes bytes on disk ($(grep '^blocks:' "$tmp/info" | sed 's/blocks: *//') described, $(grep '^edges:' "$tmp/info" | sed 's/edges: *//') edges); $summary." >> "$tmp/dumps"
    for what in wall cpu; do
        row="| $n blocks: \`atoll analyze --format json\` $what time | $(median < "$tmp/new.$what") s | $(tr '\n' ' ' < "$tmp/new.$what")|"
        if [ -n "$base" ]; then
            row="$row $(median < "$tmp/old.$what") s | $(tr '\n' ' ' < "$tmp/old.$what")| $(awk "BEGIN{printf \"%.2f\", $(median < "$tmp/new.$what") / $(median < "$tmp/old.$what")}")x |"
        fi
        echo "$row $2 |" >> "$tmp/rows"
    done
    rss_kb=$(median < "$tmp/new.rss")
    row="| $n blocks: peak RSS | $rss_kb KiB ($(awk "BEGIN{printf \"%.2f\", $rss_kb*1024/$dump_bytes}")x the dump) | $(tr '\n' ' ' < "$tmp/new.rss")|"
    [ -z "$base" ] || row="$row $(median < "$tmp/old.rss") KiB | $(tr '\n' ' ' < "$tmp/old.rss")| |"
    echo "$row 3x |" >> "$tmp/rows"
    rm -f "$tmp/big.atoll"
}

: > "$tmp/rows"
: > "$tmp/dumps"
measure 2000000 "2 s"
measure 10000000 "30 s"

: > "$tmp/big"
: > "$tmp/dom"
for i in 1 2 3; do
    "$build/tests/analyzer/graphbench" 10000000 7 dominators > "$tmp/gbdom"
    grep '^dominators' "$tmp/gbdom" | cut -d' ' -f2 >> "$tmp/dom"
    "$build/tests/analyzer/graphbench" 100000000 7 > "$tmp/gb"
    grep '^reach+scc' "$tmp/gb" | cut -d' ' -f2 >> "$tmp/big"
done
runs=3
big=$(median < "$tmp/big")
dom=$(median < "$tmp/dom")

{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(uname -m), $(nproc) CPUs, build $(basename "$build"), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    cat "$tmp/dumps"
    echo
    if [ -n "$base" ]; then
        echo "Runs alternate with BASE = \`$base\`."
        echo
        echo "| measurement | median of 5 | runs | BASE median | BASE runs | ratio | limit |"
        echo "|---|---|---|---|---|---|---|"
    else
        echo "| measurement | median of 5 | runs | limit |"
        echo "|---|---|---|---|"
    fi
    cat "$tmp/rows"
    echo
    echo "| graph in memory | median of 3 | runs | limit |"
    echo "|---|---|---|---|"
    echo "| 100,000,000 blocks: reachability + SCC | $big s | $(tr '\n' ' ' < "$tmp/big")| 60 s |"
    echo "| 10,000,000 blocks: dominators | $dom s | $(tr '\n' ' ' < "$tmp/dom")| |"
    echo
    echo "Last graphbench runs:"
    echo
    sed 's/^/    /' "$tmp/gbdom"
    echo
    sed 's/^/    /' "$tmp/gb"
} >> "$out"
tail -n 30 "$out"
