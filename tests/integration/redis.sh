#!/bin/bash
# redis-server runs under atoll on a free loopback port; redis-benchmark loads it, then exact
# values are checked through redis-cli and the server must shut down cleanly with a clean log.
# Debian's redis says malloc=jemalloc, but it links libjemalloc.so.2 dynamically and calls the
# unprefixed malloc/free/calloc/realloc/malloc_usable_size, which the preload interposes: atoll
# serves redis's own allocations (only mallctl and friends still reach jemalloc, which then
# reports an almost empty heap in INFO's allocator_* fields).
set -euo pipefail
source "$(dirname "$0")/harness.sh"

free_port 16379

server=''
on_exit() {
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill "$server"
        wait "$server" || true
    fi
}

with_atoll redis-server --port "$port" --bind 127.0.0.1 --dir "$scratch" --logfile "$scratch/redis.log" \
    --save '' --appendonly no --daemonize no 2>"$scratch/redis.err" &
server=$!
for ((i = 0; i < 100; i++)); do
    [[ $(cli ping 2>/dev/null) == PONG ]] && break
    kill -0 "$server" 2>/dev/null || fail "redis-server exited at start-up" "$scratch/redis.log" "$scratch/redis.err"
    sleep 0.1
done
[[ $(cli ping) == PONG ]] || fail "redis-server does not answer on port $port" "$scratch/redis.log"

redis-benchmark -h 127.0.0.1 -p "$port" -q -n 20000 -c 20 -t set,get,lpush,lpop,incr,hset >"$scratch/bench" 2>&1
tr '\r' '\n' <"$scratch/bench" | sed -nE 's/^ *([A-Z]+): [0-9.]+ requests per second.*/\1/p' | paste -sd' ' >"$scratch/done"
[[ $(<"$scratch/done") == 'SET GET INCR LPUSH LPOP HSET' ]] || fail "redis-benchmark did not finish every test" "$scratch/bench"
grep -qi 'err' "$scratch/bench" && fail "redis-benchmark reported errors" "$scratch/bench"

# What the benchmark leaves: its fixed keys holding its 3-byte payload (filled from a generator
# with a fixed seed, hence always "VXK"), 20000 increments, a list pushed and popped empty.
[[ $(cli get key:__rand_int__) == VXK ]] || fail "SET/GET value wrong"
[[ $(cli get counter:__rand_int__) == 20000 ]] || fail "INCR count wrong"
[[ $(cli llen mylist) == 0 ]] || fail "LPUSH/LPOP left the list non-empty"
[[ $(cli hget myhash element:__rand_int__) == VXK ]] || fail "HSET value wrong"

# Values of many sizes, small and large, written in one pipe and read back exactly.
for ((i = 0; i < 2000; i++)); do
    printf 'SET k%d v%d-%0*d\n' "$i" "$i" $((i * 37 % 3000)) 0
done | cli >"$scratch/set.out"
[[ $(sort -u "$scratch/set.out") == OK && $(wc -l <"$scratch/set.out") == 2000 ]] || fail "SET failed" "$scratch/set.out"
for i in 0 1 17 999 1999; do
    expected=$(printf 'v%d-%0*d' "$i" $((i * 37 % 3000)) 0)
    [[ $(cli get "k$i") == "$expected" ]] || fail "GET k$i returned a wrong value"
done
[[ $(cli strlen k1999) == $((6 + 1999 * 37 % 3000)) ]] || fail "STRLEN k1999 wrong"
cli info keyspace | tr -d '\r' | grep -qx 'db0:keys=2003,expires=0,avg_ttl=0' ||
    fail "wrong key count" <(cli info keyspace)
cli info memory | tr -d '\r' | grep -E '^(used_memory|allocator_allocated|mem_allocator):'

cli shutdown nosave >/dev/null 2>&1 || true
status=0
wait "$server" || status=$?
server=''
((status == 0)) || fail "redis-server exited with $status" "$scratch/redis.log" "$scratch/redis.err"

grep -q 'Ready to accept connections' "$scratch/redis.log" || fail "server never became ready" "$scratch/redis.log"
grep -q 'Redis is now ready to exit, bye bye' "$scratch/redis.log" || fail "server did not exit cleanly" "$scratch/redis.log"
grep -Ei 'error|fatal|crash|assert|bug report' "$scratch/redis.log" >&2 && fail "server log shows errors" "$scratch/redis.log"
assert_served "$scratch/redis.err" 1
[[ -z $(without_stats "$scratch/redis.err") ]] || fail "unexpected output on the server's stderr" "$scratch/redis.err"
