#!/bin/bash
# `atoll run --threshold 2000,10,10` on a Python script (pycycles.py) whose 500 cycles its own
# collector frees before exit: the exit collection finds none, the report still has all 500,
# found by the first threshold collection that saw any of them and gone by exit.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
python=/usr/bin/python3.11
if [[ ! -x $python ]]; then
    echo "run-merge-python.sh: skipped: no $python (Debian's python3.11)"
    exit 77
fi
cd "$scratch"

# first_finder DIR: the first collection in DIR that found any cycle.
first_finder() {
    python3 -c '
import json, sys
print(min(c["collection"] for c in map(json.loads, open(sys.argv[1])) if c["cycles"]))
' "$1/collections.jsonl" || fail "no collection found a cycle" "$1/collections.jsonl"
}

"$ATOLL_BIN" run --output c --threshold 2000,10,10 --format json --report report.json -- \
    "$python" "$FIXTURES/pycycles.py" >out 2>err || fail "exit $?" err
"$ATOLL_BIN" analyze c/python3.11.*."$(wc -l <c/collections.jsonl)".atoll >exit.txt ||
    fail "analyze of the exit dump: exit $?" exit.txt
grep -qx '  isolated cycles: 0 cycles, 0 blocks, 0 bytes' exit.txt ||
    fail "the exit collection alone found cycles" exit.txt
python3 - "$(first_finder c)" "$(wc -l <c/collections.jsonl)" <<'PY' || fail "the JSON report" report.json
import json, sys
first, collections = int(sys.argv[1]), int(sys.argv[2])
r = json.load(open("report.json"))
s = r["summary"]
assert s["collections_merged"] == collections, s
assert s["isolated_cycles"]["count"] == 500, s
assert s["gone"]["cycles"] == 500, s
assert [(c["count"], c["gone"], c["first_collection"]) for c in r["cycle_shapes"]] == [(500, 500, first)], r["cycle_shapes"]
assert all(not c["at_last"] for c in r["cycles"]), "a cycle at exit"
PY
"$ATOLL_BIN" run --output t --threshold 2000,10,10 -- "$python" "$FIXTURES/pycycles.py" >out 2>err ||
    fail "text: exit $?" err
grep -qx '  isolated cycles: 500 cycles, 1000 blocks, 56000 bytes (500 gone by exit)' err ||
    fail "text: 500 cycles, all gone by exit" err
first=$(first_finder t)
grep -q "^#1 500 cycles of 56000 bytes in 1000 blocks, .*, found by collection $first (threshold), gone by exit:\$" err ||
    fail "text: the shape, found by collection $first" err
echo "run-merge-python.sh: 500 cycles freed by Python's gc before exit, reported as found by a threshold collection"
