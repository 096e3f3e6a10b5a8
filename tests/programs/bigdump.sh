#!/bin/bash
# Runs bigdump under atoll and checks its dump with the analyzer: the file must validate
# (checksums, indexes, order) and hold exactly the references bigdump made.
# Usage: bigdump.sh ATOLL BIGDUMP N
set -eu
atoll=$1 prog=$2 n=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ATOLL_AT_EXIT=0 "$prog" "$n" "$dir/big.atoll"
"$atoll" info "$dir/big.atoll" >"$dir/info"
"$atoll" analyze --format json --report "$dir/report.json" "$dir/big.atoll"
python3 - "$dir/report.json" "$n" <<'PY'
import json, sys
report, n = json.load(open(sys.argv[1])), int(sys.argv[2])
s = report["summary"]
# The array's n references, two from every block, one each way inside each 2-cycle.
expect = {
    "leaked": {"blocks": 2000, "bytes": 1000 * 64},
    "isolated_cycles": {"count": 1000, "blocks": 2000, "bytes": 1000 * 64},
}
bad = [f"{k}: {s[k]} != {v}" for k, v in expect.items() if s[k] != v]
edges = report["collection"]["edges"]
if edges < 3 * n + 2000:
    bad.append(f"edges: {edges} < {3 * n + 2000}")
if bad:
    sys.exit("bigdump.sh: " + "; ".join(bad))
print(f"bigdump.sh: {s['blocks']} blocks, {edges} edges, leaked and cycles as expected")
PY
