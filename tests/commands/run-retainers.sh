#!/bin/bash
# What keeps memory alive: cachetarget keeps 5000 requests in a global hash table and leaks
# nothing. `atoll run` puts the table's site (table_new) first in TOP RETAINERS, retaining the
# whole cache, and the entries' site second, each entry counted once though each retains the
# rest of its bucket's chain; the JSON report says the same in retainers[].
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${CACHETARGET:?set by meson: tests/commands/cachetarget}"
cd "$scratch"

"$ATOLL_BIN" run --output t --top 2 -- "$CACHETARGET" >out 2>err ||
    fail "cachetarget: exit $?" err
section=$(sed -n '/^TOP RETAINERS/,$p' err)
first='#1 1 blocks of 8192 bytes, retaining 708192 bytes in 15001 blocks, allocated at:'
second='#2 5000 blocks of 120000 bytes, retaining 700000 bytes in 15000 blocks, allocated at:'
[[ $(sed -n 1p <<<"$section") == 'TOP RETAINERS (2 of '* ]] || fail "no TOP RETAINERS" err
[[ $(sed -n 2p <<<"$section") == "$first" ]] ||
    fail "the table's site is not first with the whole cache" err
[[ $(sed -n 3p <<<"$section") == *' table_new ('*'cachetarget.c:19)'* ]] ||
    fail "#1 is not table_new" err
grep -qxF -- "$second" err || fail "the entries' site is not second, counted once" err

"$ATOLL_BIN" run --output j --format json --report report.json -- "$CACHETARGET" >out 2>err ||
    fail "json: exit $?" err
python3 - <<'PY' || fail "json: retainers[]" report.json
import json
r = json.load(open("report.json"))
top = r["retainers"][0]
assert (top["type"], top["blocks"], top["bytes"], top["retained_blocks"],
        top["retained_bytes"]) == (None, 1, 8192, 15001, 708192), top
assert r["sites"][str(top["site"])][0]["function"] == "table_new", r["sites"][str(top["site"])]
assert r["summary"]["leaked"]["blocks"] == 0, r["summary"]
PY
echo "run-retainers: ok"
