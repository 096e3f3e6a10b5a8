#!/bin/bash
# atoll collect on leakserver run with --signal USR2: --wait prints the collection it caused,
# which found exactly the rings leaked so far (less the newest one, which may still be on the
# server's stack, so at least 2 of 3); without --wait it says what it sent. A process that does
# not exist, one not under atoll and one without a signal are one line each, exit status 2.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

servers=()
on_exit() {
    local s
    for s in "${servers[@]}"; do
        kill "$s" 2>/dev/null && wait "$s" || true
    done
}

cd "$scratch"
"$ATOLL_BIN" run --signal USR2 --output dumps -- "$LEAKSERVER" port 2>err &
servers+=($!)
wait_for_file port "$!" || fail "leakserver did not start" err
port=$(<port)
for ((i = 0; i < 3; i++)); do
    request "$port" leak
done
pid=$(child_of "${servers[0]}") || fail "no leakserver under atoll run"
"$ATOLL_BIN" collect --wait "$pid" >out || fail "atoll collect --wait failed" out err
grep -Eq "^collection 1 of pid $pid: generation 2, pause [0-9]+\.[0-9]+ ms, 9 blocks, [69] unreachable \((192|288) bytes\), dump .*/dumps/leakserver\.$pid\.1\.atoll$" out ||
    fail "unexpected collect --wait line" out
"$ATOLL_BIN" collect "$pid" >out || fail "atoll collect failed"
[[ $(<out) == "sent SIGUSR2 to process $pid" ]] || fail "unexpected collect line" out
request "$port" quit
wait "${servers[0]}" || fail "atoll run failed" err
servers=()
grep -c '"trigger":"signal"' dumps/collections.jsonl | grep -qx 2 || fail "not 2 signal collections" dumps/collections.jsonl

expect_error() {
    local want=$1
    shift
    local status=0
    "$@" >o 2>e || status=$?
    ((status == 2)) || fail "$* exited with $status, not 2" e
    [[ ! -s o && $(<e) == "$want" ]] || fail "$*: '$(<e)', not '$want'" o
}
expect_error "atoll collect: no process $pid" "$ATOLL_BIN" collect "$pid"
sleep 60 &
servers+=($!)
expect_error "atoll collect: process $! does not run under atoll (no libatoll.so mapped)" "$ATOLL_BIN" collect "$!"
rm -f port
"$ATOLL_BIN" run --output dumps -- "$LEAKSERVER" port 2>err &
unsignalled=$!
servers+=($unsignalled)
wait_for_file port "$unsignalled" || fail "leakserver did not start" err
pid=$(child_of "$unsignalled") || fail "no leakserver under atoll run"
expect_error "atoll collect: process $pid has no collection signal (start it with atoll run --signal SIG, or ATOLL_SIGNAL)" "$ATOLL_BIN" collect "$pid"
request "$(<port)" quit
# Its exit collection writes into dumps: done before the scratch directory is removed.
wait "$unsignalled" || fail "atoll run failed" err
echo "atoll collect: a collection on demand, and 3 refusals"
