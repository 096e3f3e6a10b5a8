#!/bin/bash
# `atoll run --threshold 2000,10,10` on a Python script (pycycles.py) whose 500 cycles its own
# collector frees before exit: the exit collection finds none, the report still has all 500,
# of one shape, found by a threshold collection and gone by exit. (Python's start-up makes
# cyclic garbage of its own, which some runs' collections find too: the checks are on the
# script's cycles, of Node objects.)
set -euo pipefail
source "$(dirname "$0")/harness.sh"
python=/usr/bin/python3.11
if [[ ! -x $python ]]; then
    echo "run-merge-python.sh: skipped: no $python (Debian's python3.11)"
    exit 77
fi
cd "$scratch"

# is_threshold_finder DIR K: collection K of DIR was a threshold collection that found cycles.
is_threshold_finder() {
    python3 - "$1/collections.jsonl" "$2" <<'PY' || fail "collection $2 found no cycle" "$1/collections.jsonl"
import json, sys
c = [c for c in map(json.loads, open(sys.argv[1])) if c["collection"] == int(sys.argv[2])]
assert len(c) == 1 and c[0]["trigger"] == "threshold" and c[0]["cycles"] > 0, c
PY
}

"$ATOLL_BIN" run --output c --threshold 2000,10,10 --format json --report report.json -- \
    "$python" "$FIXTURES/pycycles.py" >out 2>err || fail "exit $?" err
collections=$(wc -l <c/collections.jsonl)
"$ATOLL_BIN" analyze c/python3.11.*."$collections".atoll >exit.txt ||
    fail "analyze of the exit dump: exit $?" exit.txt
grep -qx '  isolated cycles: 0 cycles, 0 blocks, 0 bytes' exit.txt ||
    fail "the exit collection alone found cycles" exit.txt
first=$(python3 - "$collections" <<'PY'
import json, sys
r = json.load(open("report.json"))
s = r["summary"]
assert s["collections_merged"] == int(sys.argv[1]), s
nodes = [c for c in r["cycles"] if all(m.get("type") == "Node" for m in c["members"])]
assert len(nodes) == 500 and not any(c["at_last"] for c in nodes), len(nodes)
shape = r["cycle_shapes"][nodes[0]["shape"]]
first = min(c["first_collection"] for c in nodes)
assert (shape["count"], shape["gone"], shape["first_collection"]) == (500, 500, first), shape
assert all(c["shape"] == nodes[0]["shape"] for c in nodes)
assert s["isolated_cycles"]["count"] >= 500 and s["gone"]["cycles"] >= 500, s
print(first)
PY
) || fail "the JSON report" report.json
is_threshold_finder c "$first"

"$ATOLL_BIN" run --output t --threshold 2000,10,10 -- "$python" "$FIXTURES/pycycles.py" >out 2>err ||
    fail "text: exit $?" err
line=$(grep -A1 '^#[0-9]* 500 cycles of 56000 bytes in 1000 blocks, .*, found by collection [0-9]* (threshold), gone by exit:$' err) ||
    fail "text: the 500 cycles, found by a threshold collection, gone by exit" err
[[ $line == *$'\n      Node -.other-> Node -.other-> Node' ]] || fail "text: the shape is not of Node objects" err
first=${line#*found by collection }
is_threshold_finder t "${first%% *}"
echo "run-merge-python.sh: 500 cycles freed by Python's gc before exit, reported as found by a threshold collection"
