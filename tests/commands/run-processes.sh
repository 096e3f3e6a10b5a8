#!/bin/bash
# `atoll run` reports on every process of the run that left a dump, in the order they started,
# each headed by its exe and pid; it waits for processes the program left running; its exit
# status is the program's (or --error-exitcode's when any process leaked), 2 only when no
# process left a readable dump. JSON with several processes is one report per line.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${GUEST:?set by meson: tests/programs/guest}"
cd "$scratch"

# headers FILE: the report headers, "exe pid" per line.
headers() {
    sed -nE 's/^atoll: ([^ ]+) \(pid ([0-9]+)\), collection [0-9]+ \(exit\), generation 2$/\1 \2/p' "$1"
}

# A pipeline: sh (dash) leaves no dump (it ends with _exit), sqlite3 does.
"$ATOLL_BIN" run -- sh -c 'echo "select 1;" | sqlite3 :memory:' >out 2>err || fail "pipeline: exit $?" err
[[ $(cat out) == 1 ]] || fail "pipeline: sqlite3's output" out
[[ $(headers err | cut -d' ' -f1) == /usr/bin/sqlite3 ]] || fail "pipeline: expected one report, for sqlite3" err
grep -q '^  definitely lost: 0 bytes in 0 blocks$' err || fail "pipeline: sqlite3 leaked?" err

# A fork+exec chain: guest drops a cycle and runs itself again as "leak" in a child, which
# drops one more. The child's report follows its parent's; both leaked.
"$ATOLL_BIN" run -- "$GUEST" exec >out 2>err || fail "chain: exit $?" err
read -r _ parent _ child < <(grep child out)
[[ $(headers err) == "$GUEST $parent"$'\n'"$GUEST $child" ]] || fail "chain: expected the reports of $parent then $child" err
# The child inherited its parent's dropped cycle, then dropped its own before exec replaced it;
# the new image dropped a third.
[[ $(grep -c '^  isolated cycles: ' err) -eq 2 ]] || fail "chain: two summaries" err
grep -q '^  isolated cycles: 1 cycles, 2 blocks, 64 bytes$' err || fail "chain: the parent's cycle" err
set +e
"$ATOLL_BIN" run --error-exitcode 9 -- "$GUEST" exec >out 2>err
rc=$?
set -e
((rc == 9)) || fail "chain: --error-exitcode 9 gave $rc" err

# JSON Lines: one report object per line, in start order.
"$ATOLL_BIN" run --format json --report reports.jsonl -- "$GUEST" exec >out 2>err || fail "json: exit $?" err
read -r _ parent _ child < <(grep child out)
python3 - "$parent" "$child" <<'PY' || fail "json: not one report per line" reports.jsonl
import json, sys
lines = open("reports.jsonl").read().splitlines()
assert len(lines) == 2, lines
pids = [json.loads(l)["process"]["pid"] for l in lines]
assert pids == [int(sys.argv[1]), int(sys.argv[2])], pids
PY

# An orphan: sh ends at once, its background job outlives it; atoll run waits for it and
# reports it; the status is sh's.
set +e
"$ATOLL_BIN" run -- sh -c "(sleep 0.5; exec '$GUEST' leak) & exit 5" >out 2>err
rc=$?
set -e
((rc == 5)) || fail "orphan: exit $rc, expected sh's 5" err
read -r _ orphan <out || fail "orphan: atoll run returned before the orphan printed" err
# The subshell that became guest started before the sleep it ran, which leaves a dump too.
[[ $(headers err) == "$GUEST $orphan"$'\n'"/usr/bin/sleep "* ]] || fail "orphan: expected guest's report, then sleep's" err

# No process left a dump: 2, whatever the program's status.
set +e
"$ATOLL_BIN" run -- sh -c 'exit 4' >out 2>err
rc=$?
set -e
((rc == 2)) || fail "no dump: exit $rc, expected 2" err
grep -q '^atoll run: no report: sh (pid [0-9]*) exited with status 4 and no process of the run left a dump' err ||
    fail "no dump: the one line" err
echo "run-processes.sh: pipeline, fork+exec chain, JSON Lines, orphan and no-dump runs as documented"
