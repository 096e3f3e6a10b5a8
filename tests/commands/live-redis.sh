#!/bin/bash
# redis-server under atoll run --live with a threshold, loaded by redis-benchmark with random
# keys (so the heap grows and the threshold is crossed again and again): the server must be
# collected periodically while it serves, each collection's line must carry its pause, the
# benchmark must finish every test without an error, and the server must shut down cleanly.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

free_port 17379

server=''
on_exit() {
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill "$server"
        wait "$server" || true
    fi
}

cd "$scratch"
"$ATOLL_BIN" run --live --threshold 5000,10,10 --output dumps -- redis-server --port "$port" \
    --bind 127.0.0.1 --dir "$scratch" --logfile "$scratch/redis.log" --save '' --appendonly no \
    --daemonize no 2>err &
server=$!
for ((i = 0; i < 100; i++)); do
    [[ $(cli ping 2>/dev/null) == PONG ]] && break
    kill -0 "$server" 2>/dev/null || fail "redis-server exited at start-up" redis.log err
    sleep 0.1
done
[[ $(cli ping) == PONG ]] || fail "redis-server does not answer on port $port" redis.log err

redis-benchmark -h 127.0.0.1 -p "$port" -q -n 20000 -r 100000 -c 20 -t set,get,lpush,lpop,incr,hset >bench 2>&1
tr '\r' '\n' <bench | sed -nE 's/^ *([A-Z]+): [0-9.]+ requests per second.*/\1/p' | paste -sd' ' >done
[[ $(<done) == 'SET GET INCR LPUSH LPOP HSET' ]] || fail "redis-benchmark did not finish every test" bench
grep -qi 'err' bench && fail "redis-benchmark reported errors" bench
while_running=$(grep -c '^atoll: collection [0-9]* (pid [0-9]*, generation [012], threshold): pause [0-9]*\.[0-9]* ms, [0-9]* blocks; ' err || true)

cli shutdown nosave >/dev/null 2>&1 || true
status=0
wait "$server" || status=$?
server=''
((status == 0)) || fail "atoll run exited with $status" redis.log err

# Periodic: at least 5 collections by threshold while the benchmark ran, a full one at exit.
((while_running >= 5)) || fail "expected at least 5 threshold collections during the benchmark, got $while_running" err
grep -Eq '^atoll: collection [0-9]+ \(pid [0-9]+, generation 2, exit\): pause [0-9]+\.[0-9]+ ms' err ||
    fail "no live line for the exit collection" err
grep -q 'Redis is now ready to exit, bye bye' redis.log || fail "server did not exit cleanly" redis.log
grep -Ei 'error|fatal|crash|assert|bug report' redis.log >&2 && fail "server log shows errors" redis.log
# every pause recorded, and stats sees each collection the live lines saw
lines=$(grep -c '^atoll: collection ' err)
[[ $(grep -c '"pause_ms":[0-9]*\.[0-9]*,' dumps/collections.jsonl) == "$lines" ]] ||
    fail "collections.jsonl does not record a pause for each of the $lines collections" dumps/collections.jsonl
"$ATOLL_BIN" stats dumps >stats
grep -Eq "^all +$lines " stats || fail "atoll stats does not count $lines collections" stats err
echo "redis-server: $while_running threshold collections during the benchmark, $lines in all"
cat stats
