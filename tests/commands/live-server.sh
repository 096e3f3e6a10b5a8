#!/bin/bash
# leakserver leaks one 3-block ring per request; under atoll run --live with a threshold it is
# collected every few requests while it serves 100 of them. The live lines must show the ring's
# shape once as new, then growing from collection to collection, and count every ring exactly
# once: 100 cycles, 9600 bytes at make_ring in all.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

server=''
on_exit() {
    [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" || true
}

cd "$scratch"
"$ATOLL_BIN" run --live --threshold 30,1000,1000 --output dumps -- "$LEAKSERVER" port 2>err &
server=$!
wait_for_file port "$server" || fail "leakserver did not start" err
port=$(<port)
# Requests 20 ms apart: a threshold collection that comes due while a snapshot is at work
# waits for it, so requests sent back to back could all fall within a snapshot or two (this
# server's take about 10 ms here).
for ((i = 0; i < 100; i++)); do
    request "$port" leak
    sleep 0.02
done
request "$port" quit
status=0
wait "$server" || status=$?
server=''
((status == 0)) || fail "atoll run exited with $status" err

lines=$(grep -c '^atoll: collection [0-9]* (pid' err || true)
((lines >= 4)) || fail "expected at least 4 live lines (3 while running, 1 at exit), got $lines" err
[[ $(grep -c 'new cycle shape' err) == 1 ]] || fail "the ring's shape is not reported new exactly once" err
grep -Eq 'new cycle shape #1, \+[0-9]+ cycles?: A \(32 B, make_ring leakserver\.c:[0-9]+\) -> \+0 -> B \(32 B, make_ring leakserver\.c:[0-9]+\) -> \+0 -> C \(32 B, make_ring leakserver\.c:[0-9]+\) -> \+0 -> A$' err ||
    fail "the new shape is not the 3-block ring of make_ring" err

# The running totals of the growing lines rise strictly, and the +N of all lines add up to 100.
sed -nE 's/.*growing cycle shape #1: \+[0-9]+ cycles? \(([0-9]+) so far\).*/\1/p' err >totals
(($(wc -l <totals) >= 3)) || fail "the shape grew in fewer than 3 collections" err
sort -n -c -u totals || fail "the shape's totals do not rise from collection to collection" totals
[[ $(tail -n 1 totals) == 100 ]] || fail "the shape's last total is not 100" totals
sum=$(grep -oE 'cycle shape #1[,:] \+[0-9]+' err | awk -F+ '{n += $2} END {print n + 0}')
[[ $sum == 100 ]] || fail "the cycles added up to $sum, not 100" err
grep -q 'growing leak at make_ring leakserver\.c:[0-9]*: +[0-9]* bytes in [0-9]* blocks (9600 bytes so far)' err ||
    fail "the leak at make_ring did not reach 9600 bytes" err
[[ $(grep -c 'new leak at' err) == 1 ]] || fail "a leak site was reported new more than once" err
grep -q 'isolated cycles: 100 cycles, 300 blocks, 9600 bytes' err || fail "wrong final report" err

# stats counts the same collections, and the exit collection's garbage is the 300 blocks.
"$ATOLL_BIN" stats dumps >stats
grep -Eq "^all +$lines " stats || fail "atoll stats does not count $lines collections" stats
grep -Eq '^2 +1 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +300 +300 +9600 +100\.000%$' stats ||
    fail "the exit collection's row is wrong" stats
echo "leakserver: $lines live lines, totals $(paste -sd' ' totals)"
