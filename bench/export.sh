#!/bin/sh
# `atoll export --format heapsnapshot` on the 2,000,000-block random dump of bench/analyzer.sh
# (about 3 references per block, sizes 16..512): wall time and peak RSS of the export and, as
# the peer in the same run, of `atoll analyze --format json` on the same dump, interleaved, 5
# runs each; medians and their ratio; the file's bytes per block; then memlab's own loader on
# the file (once: node and edge counts, and its time). Appends to bench/EXPORT.md.
# Usage: bench/export.sh [BUILD_DIR] (default build; must be configured, it is built here)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
ninja -C "$build" analyzer/atoll tests/analyzer/dumpgen >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$root/bench/EXPORT.md
atoll=$build/analyzer/atoll

load=$(cut -d' ' -f1-3 /proc/loadavg)
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

"$build/tests/analyzer/dumpgen" random 2000000 42 "$tmp/big.atoll"
sync
# unmeasured runs, so that every measured one finds the dump in the page cache
"$atoll" export "$tmp/big.atoll" -o "$tmp/big.heapsnapshot"
"$atoll" analyze --format json --report "$tmp/report.json" "$tmp/big.atoll"
: > "$tmp/export"
: > "$tmp/analyze"
for i in 1 2 3 4 5; do
    /usr/bin/time -f '%e %M' -a -o "$tmp/export" \
        "$atoll" export --format heapsnapshot "$tmp/big.atoll" -o "$tmp/big.heapsnapshot"
    /usr/bin/time -f '%e %M' -a -o "$tmp/analyze" \
        "$atoll" analyze --format json --report "$tmp/report.json" "$tmp/big.atoll"
done
ex=$(cut -d' ' -f1 "$tmp/export" | median)
an=$(cut -d' ' -f1 "$tmp/analyze" | median)
ex_rss=$(cut -d' ' -f2 "$tmp/export" | median)
an_rss=$(cut -d' ' -f2 "$tmp/analyze" | median)
bytes=$(stat -c %s "$tmp/big.heapsnapshot")
blocks=$("$atoll" info "$tmp/big.atoll" | awk '/^blocks:/{print $2}')
edges=$("$atoll" info "$tmp/big.atoll" | awk '/^edges:/{print $2}')

memlab=$root/.deps/memlab
if [ -d "$memlab/node_modules/@memlab/heap-analysis" ] && command -v node >/dev/null; then
    start=$(date +%s.%N)
    node --max-old-space-size=8192 "$root/tests/export/memlab_load.js" "$memlab" \
        "$tmp/big.heapsnapshot" "$tmp/memlab.json" >/dev/null 2>"$tmp/memlab.err" ||
        { cat "$tmp/memlab.err" >&2; exit 1; }
    end=$(date +%s.%N)
    memlab_line=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("memlab loaded %d nodes and %d edges (the dump: %s blocks and %s references, with the synthetic roots) in %.1f s; its largest retained size of a block: %d bytes" % (m["nodes"], m["edges"], sys.argv[2], sys.argv[3], float(sys.argv[5]) - float(sys.argv[4]), m["top"][0][0]))' "$tmp/memlab.json" "$blocks" "$edges" "$start" "$end")
else
    memlab_line="memlab is not installed (scripts/bootstrap installs it): not loaded"
fi

{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(uname -m), $(nproc) CPUs, build $(basename "$build")"
    echo
    echo "2,000,000-block random dump ($blocks blocks, $edges references), 5 runs each, interleaved; load average at the start: $load."

    echo
    echo "| measurement | median | runs | limit |"
    echo "|---|---|---|---|"
    echo "| \`atoll export --format heapsnapshot\` wall time | $ex s | $(cut -d' ' -f1 "$tmp/export" | tr '\n' ' ')| 3 s |"
    echo "| peer: \`atoll analyze --format json\` wall time | $an s | $(cut -d' ' -f1 "$tmp/analyze" | tr '\n' ' ')| |"
    echo "| ratio export / analyze | $(awk "BEGIN{printf \"%.2f\", $ex/$an}") | | |"
    echo "| peak RSS, export / analyze | $ex_rss / $an_rss KiB | | |"
    echo "| snapshot size | $bytes bytes, $(awk "BEGIN{printf \"%.1f\", $bytes/$blocks}") bytes per block | | |"
    echo
    echo "$memlab_line."
} >> "$out"
tail -n 14 "$out"
