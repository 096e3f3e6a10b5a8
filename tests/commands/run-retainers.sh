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
calloc_line=$(grep -n 'return calloc(1024' "$FIXTURES/cachetarget.c" | cut -d: -f1)
[[ $(sed -n 3p <<<"$section") == *" table_new ("*"cachetarget.c:$calloc_line)"* ]] ||
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
# Issue 16's acceptance on one program: collections after 1,000 and 5,000 requests. atoll diff
# puts the entries' site first with exactly the 4,000 entries gained (and their keys and values
# next), all 1,000 old ones survived; atoll why on handle names the global table as the root;
# TOP RETAINERS of the second collection puts table_new first, retaining the whole cache.
"$ATOLL_BIN" run --output two --top 3 -- "$CACHETARGET" 1000 5000 >out 2>err ||
    fail "two collections: exit $?" err
old=$(ls two/cachetarget.*.1.atoll) new=$(ls two/cachetarget.*.2.atoll)
"$ATOLL_BIN" diff --format json --report diff.json "$old" "$new" || fail "diff: exit $?"
python3 - <<'PY' || fail "diff: the table's growth" diff.json
import json
r = json.load(open("diff.json"))
rows = r["sites"][:3]
got = [(row["frames"][0]["function"], row["gained"]["blocks"], row["gained"]["bytes"],
        row["survived"]) for row in rows]
want = [("handle", 4000, 100 * 4000, 1000), ("handle", 4000, 24 * 4000, 1000),
        ("handle", 4000, 16 * 4000, 1000)]
assert got == want, got
PY
"$ATOLL_BIN" why "$new" --site '^handle$' --paths 1 >why.txt || fail "why: exit $?" why.txt
sed -n 3p why.txt | grep -qxF '      global table (cachetarget)' ||
    fail "why: the root is not the global table" why.txt
"$ATOLL_BIN" analyze --top 1 "$new" >new.txt || fail "analyze: exit $?"
grep -qxF "$first" new.txt || fail "the second collection's TOP RETAINERS" new.txt
echo "run-retainers: ok"
