#!/bin/bash
# atoll stats on a known collections.jsonl prints exact numbers; a file without collections,
# a bad line and a missing directory are one line each and exit status 2.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

# stats.expected was worked out by hand: generation 0 has pauses 1.0 1.5 2.5 3.0 (median 2.0,
# p99 the 4th of 4: 3.0), scans 5 10 20 30 (median 15), 700 blocks examined, 40 garbage (5.714%);
# all six: pauses 0.5 1 1.5 2.5 3 4 (median 2.0, p99 4.0), 94 garbage of 2100 (4.476%).
"$ATOLL_BIN" stats "$FIXTURES/stats.jsonl" >"$scratch/out" || fail "atoll stats failed"
diff -u "$FIXTURES/stats.expected" "$scratch/out" >&2 || fail "atoll stats printed other numbers"
mkdir "$scratch/d"
cp "$FIXTURES/stats.jsonl" "$scratch/d/collections.jsonl"
"$ATOLL_BIN" stats "$scratch/d" | cmp - "$FIXTURES/stats.expected" || fail "DIR and FILE differ"

expect_error() {
    local want=$1
    shift
    local status=0
    "$@" >"$scratch/o" 2>"$scratch/e" || status=$?
    ((status == 2)) || fail "$* exited with $status, not 2" "$scratch/e"
    [[ ! -s $scratch/o && $(wc -l <"$scratch/e") == 1 ]] || fail "$*: not one line on stderr" "$scratch/o" "$scratch/e"
    [[ $(<"$scratch/e") == "$want" ]] || fail "$*: '$(<"$scratch/e")', not '$want'"
}
: >"$scratch/empty.jsonl"
expect_error "atoll stats: $scratch/empty.jsonl: no collections" "$ATOLL_BIN" stats "$scratch/empty.jsonl"
sed '3s/"generation":1,//' "$FIXTURES/stats.jsonl" >"$scratch/bad.jsonl"
expect_error "atoll stats: $scratch/bad.jsonl:3: no \"generation\"" "$ATOLL_BIN" stats "$scratch/bad.jsonl"
sed '2s/"pause_ms":2.500/"pause_ms":-1/' "$FIXTURES/stats.jsonl" >"$scratch/neg.jsonl"
expect_error "atoll stats: $scratch/neg.jsonl:2: bad value for \"pause_ms\"" "$ATOLL_BIN" stats "$scratch/neg.jsonl"
expect_error "atoll stats: $scratch/none/collections.jsonl: No such file or directory" \
    "$ATOLL_BIN" stats "$scratch/none/collections.jsonl"
echo "atoll stats: exact table and 4 error cases"
