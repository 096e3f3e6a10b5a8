#!/bin/bash
# `atoll diff` on a real program: growtable keeps every request in a global hash table. Within
# one process (collections after 1,000 and 5,000 requests) diff's first row is the site that
# fills the table, with exactly the 4,000 entries gained and the 1,000 that survived, retaining
# the whole cache (entries and values), then their values; the rings and buffers it drops between the two are the new leak sites and the
# new cycle shape. Across two runs of 1,000 and 5,000 requests the sites are matched by their
# frames (though numbered differently) and nothing survives; so do the sites of a rebuilt
# growtable (other code offsets), by their symbols. Bad input gets one line and status 2.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${ATOLL_LIB:?set by meson: libatoll.so}"
: "${GROWTABLE:?set by meson: tests/commands/growtable}"
: "${GROWTABLE_REBUILT:?set by meson: growtable built again, otherwise}"
: "${TUNETARGET:?set by meson: tests/commands/tunetarget}"
cd "$scratch"

# collect DIR ARGS...: growtable's dumps into DIR (no exit collection).
collect() {
    local dir=$1
    shift
    ATOLL_OUTPUT=$dir ATOLL_AT_EXIT=0 LD_PRELOAD=$ATOLL_LIB "$GROWTABLE" "$@" ||
        fail "growtable $*: exit $?"
}

collect one 1000 5000
"$ATOLL_BIN" diff one/growtable.*.1.atoll one/growtable.*.2.atoll >one.txt ||
    fail "diff: exit $?" one.txt
# The first row and its innermost frame, then the values' row.
grep -A1 -xF '#1 +192000 bytes in +4000 blocks (48000 bytes in 1000 -> 240000 bytes in 5000), 1000 survived, retaining +320000 bytes (80000 -> 400000), allocated at:' one.txt |
    grep -qE '^    #0 0x[0-9a-f]+ cache_put \(.*growtable\.c:44\) in ' ||
    fail "diff: the table's entries first" one.txt
grep -A1 -xF '#2 +128000 bytes in +4000 blocks (32000 bytes in 1000 -> 160000 bytes in 5000), 1000 survived, retaining +128000 bytes (32000 -> 160000), allocated at:' one.txt |
    grep -qE '^    #0 0x[0-9a-f]+ value_new \(.*growtable\.c:34\) in ' ||
    fail "diff: their values second" one.txt
expect_re one.txt \
    '  one process: .*' \
    'GROWTH BY SITE \(4 of 4 sites that changed, by bytes gained\)' \
    'NEW LEAK SITES \(2 of 2\)' \
    '#1 320 bytes in 10 blocks leaked, allocated at:' \
    '#2 300 bytes in 3 blocks leaked, allocated at:' \
    'NEW CYCLE SHAPES \(1 of 1\)' \
    '#1 5 cycles of 320 bytes in 10 blocks:' \
    '      A \(32 B, ring_new growtable.c:55\) -> \+0 -> B \(32 B, ring_new growtable.c:55\) -> \+0 -> A'

"$ATOLL_BIN" diff --format json --report one.json one/growtable.*.1.atoll one/growtable.*.2.atoll ||
    fail "diff json: exit $?"
python3 - <<'PY' || fail "diff json" one.json
import json
r = json.load(open("one.json"))
assert r["format"] == "atoll-diff" and r["same_process"] is True, r
top = r["sites"][0]
assert top["gained"]["blocks"] == 4000 and top["gained"]["bytes"] == 192000, top
assert top["old"]["blocks"] == 1000 and top["new"]["blocks"] == 5000, top
assert top["survived"] == 1000, top
# The entries retain their values: the whole cache, 5,000 x (48 + 32) bytes.
assert top["new"]["retained_bytes"] == 400000 and top["gained"]["retained_bytes"] == 320000, top
assert top["frames"][0]["function"] == "cache_put", top["frames"][0]
assert [x["blocks"] for x in r["new_leak_sites"]] == [10, 3], r["new_leak_sites"]
assert [(s["count"], s["length"]) for s in r["new_cycle_shapes"]] == [(5, 2)], r["new_cycle_shapes"]
assert r["old"]["collection"] == 1 and r["new"]["collection"] == 2, r
PY

# Two runs: different pids and load addresses, and the big one numbers its sites differently
# (-w); the rows match by frames.
collect small 1000
collect big -w 5000
"$ATOLL_BIN" diff --top 2 small/growtable.*.1.atoll big/growtable.*.1.atoll >runs.txt ||
    fail "diff of two runs: exit $?" runs.txt
expect_re runs.txt \
    '  two runs: sites matched by their frames; no block survives from one run to the other' \
    'GROWTH BY SITE \(2 of 2 sites that changed, by bytes gained\)' \
    '#1 \+192000 bytes in \+4000 blocks \(48000 bytes in 1000 -> 240000 bytes in 5000\), retaining \+320000 bytes \(80000 -> 400000\), allocated at:' \
    '#2 \+128000 bytes in \+4000 blocks \(32000 bytes in 1000 -> 160000 bytes in 5000\), retaining \+128000 bytes \(32000 -> 160000\), allocated at:'
! grep -q 'NEW LEAK SITES\|NEW CYCLE SHAPES' runs.txt || fail "two runs: nothing new leaks" runs.txt

# A rebuilt program (another build-id and code offsets): its sites match by their symbols.
GROWTABLE=$GROWTABLE_REBUILT collect rebuilt 5000
"$ATOLL_BIN" diff --top 2 small/growtable.*.1.atoll rebuilt/growtable.*.1.atoll >rebuilt.txt ||
    fail "diff of a rebuilt program: exit $?" rebuilt.txt
expect_re rebuilt.txt \
    'GROWTH BY SITE \(2 of 2 sites that changed, by bytes gained\)' \
    '#1 \+192000 bytes in \+4000 blocks \(48000 bytes in 1000 -> 240000 bytes in 5000\), retaining \+320000 bytes \(80000 -> 400000\), allocated at:' \
    '#2 \+128000 bytes in \+4000 blocks \(32000 bytes in 1000 -> 160000 bytes in 5000\), retaining \+128000 bytes \(32000 -> 160000\), allocated at:'

# Bad input: one line on stderr, status 2.
refused() {
    local want=$1 rc=0
    shift
    "$ATOLL_BIN" diff "$@" >out 2>err || rc=$?
    [[ $rc == 2 && ! -s out && $(wc -l <err) == 1 ]] || fail "diff $*: exit $rc" out err
    grep -qE -- "$want" err || fail "diff $*: expected '$want'" err
}
echo 'not a dump' >junk.atoll
refused '^atoll diff: junk.atoll: ' junk.atoll big/growtable.*.1.atoll
refused '^atoll diff: missing.atoll: No such file or directory$' small/growtable.*.1.atoll missing.atoll
ATOLL_OUTPUT=tt LD_PRELOAD=$ATOLL_LIB "$TUNETARGET" 100 2>/dev/null || fail "tunetarget: exit $?"
refused '^atoll diff: OLD is a dump of .*/growtable, NEW of .*/tunetarget: diff compares two dumps of one program$' \
    small/growtable.*.1.atoll tt/tunetarget.*.atoll
refused "^atoll diff: unknown format 'dot' \\(text, json or html\\)" --format dot \
    small/growtable.*.1.atoll big/growtable.*.1.atoll
refused '^atoll diff: wants two dumps, OLD and NEW' small/growtable.*.1.atoll
echo "diff: ok"
