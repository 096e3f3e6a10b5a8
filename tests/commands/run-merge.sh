#!/bin/bash
# `atoll run` reports what every collection of a process found, each block once: mergetarget's
# rings, some found by threshold collections and freed before exit, are all in the report, each
# shape marked with the collection that found it first and, if the exit collection no longer
# had them, "gone by exit"; the summary says how many collections were merged. With a single
# collection the report is as it was (no merge line).
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${MERGETARGET:?set by meson: tests/commands/mergetarget}"
: "${GUEST:?set by meson: tests/programs/guest}"
cd "$scratch"

# expect FILE LINE...: each LINE is a whole line of FILE.
expect() {
    local file=$1 line
    shift
    for line in "$@"; do
        grep -qxF -- "$line" "$file" || fail "expected the line '$line'" "$file"
    done
}

"$ATOLL_BIN" run --output c --threshold 1000,1000,1000 -- "$MERGETARGET" >out 2>err ||
    fail "mergetarget: exit $?" err
expect err \
    '  merged:          3 collections (what any of them found, each block once)' \
    '  definitely lost: 432 bytes in 9 blocks' \
    '  indirectly lost: 864 bytes in 18 blocks' \
    '  isolated cycles: 9 cycles, 27 blocks, 1296 bytes (4 gone by exit)' \
    'TOP CYCLE SHAPES (3 of 3)' \
    '#1 2 cycles of 480 bytes in 6 blocks, retaining 0 bytes in 0 blocks, found by collection 2 (threshold):' \
    '#2 3 cycles of 432 bytes in 9 blocks, retaining 0 bytes in 0 blocks, found by collection 1 (threshold):' \
    '#3 4 cycles of 384 bytes in 12 blocks, retaining 0 bytes in 0 blocks, found by collection 1 (threshold), gone by exit:' \
    '#7 128 bytes in 4 blocks definitely lost, found by collection 1 (threshold), gone by exit, allocated at:'
# Still reachable: the last collection's (the 2200 filler blocks and what the C library keeps).
grep -qE '^  still reachable: [0-9]+ bytes in 22[0-9][0-9] blocks \(at the last collection\)$' err ||
    fail "mergetarget: still reachable, at the last collection" err
# The exit collection alone has the 5 rings still there.
"$ATOLL_BIN" analyze c/mergetarget.*.3.atoll >exit.txt || fail "analyze: exit $?" exit.txt
expect exit.txt '  isolated cycles: 5 cycles, 15 blocks, 912 bytes'

"$ATOLL_BIN" run --output j --threshold 1000,1000,1000 --format json --report report.json -- \
    "$MERGETARGET" >out 2>err || fail "json: exit $?" err
python3 - <<'PY' || fail "json: the merged report" report.json
import json
r = json.load(open("report.json"))
s = r["summary"]
assert s["collections_merged"] == 3, s
assert s["definitely_lost"] == {"blocks": 9, "bytes": 432}, s
assert s["indirectly_lost"] == {"blocks": 18, "bytes": 864}, s
assert s["reachable"]["blocks"] >= 2200, s
assert s["blocks"] == s["reachable"]["blocks"] + 27, s
assert s["isolated_cycles"] == {"count": 9, "blocks": 27, "bytes": 1296}, s
assert s["gone"] == {"blocks": 12, "bytes": 384, "cycles": 4}, s
shapes = [(x["count"], x["gone"], x["first_collection"]) for x in r["cycle_shapes"]]
assert shapes == [(2, 0, 2), (3, 0, 1), (4, 4, 1)], shapes
cycles = sorted((c["bytes"], c["first_collection"], c["at_last"]) for c in r["cycles"])
assert cycles == [(96, 1, False)] * 4 + [(144, 1, True)] * 3 + [(240, 2, True)] * 2, cycles
gone = sorted((l["kind"], l["blocks"], l["bytes"]) for l in r["leaks"] if not l["at_last"])
assert gone == [("definite", 4, 128), ("indirect", 4, 128), ("indirect", 4, 128)], gone
PY

# dot: a cluster per shape; the one only collection 1 saw names its nodes by that collection.
"$ATOLL_BIN" run --output d --threshold 1000,1000,1000 --format dot --report report.dot -- \
    "$MERGETARGET" >out 2>err || fail "dot: exit $?" err
[[ $(grep -c '^  subgraph cluster_' report.dot) -eq 3 ]] || fail "dot: three clusters" report.dot
grep -q '^    c1b[0-9]* -> c1b[0-9]* \[label="+0"\];$' report.dot || fail "dot: collection 1's nodes" report.dot

# One collection: no merge line; JSON says 1.
"$ATOLL_BIN" run --output g -- "$GUEST" leak >out 2>err || fail "guest: exit $?" err
! grep -q 'merged:' err || fail "guest: a merge line for one collection" err
# The report is the run's: the library's own exit line would repeat it on the program's stderr.
! grep -q 'unreachable at exit' err || fail "guest: the library's exit line under atoll run" err
"$ATOLL_BIN" run --output g2 --format json --report guest.json -- "$GUEST" leak >out 2>err ||
    fail "guest json: exit $?" err
python3 -c 'import json; assert json.load(open("guest.json"))["summary"]["collections_merged"] == 1' ||
    fail "guest json: collections_merged" guest.json
echo "run-merge.sh: rings found by threshold collections and freed before exit are reported, marked"
