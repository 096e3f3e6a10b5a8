#!/bin/bash
# atoll tune on tunetarget (20000 rounds: 200 dropped 2-block rings, 400 blocks of 16 bytes)
# with a grid of three settings and 2 runs each: the CSV has one row per setting with
# 2 runs, none failed, and every setting finds exactly the 400 leaked blocks (6400 bytes) with
# latencies measured from them; the JSON and the SVG have the same settings; a budget nothing
# meets exits 1 with one line saying so; a failing workload is reported, not hidden.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

cd "$scratch"
status=0
"$ATOLL_BIN" tune --grid '50,10,10;500,10,10 5000,10,10' --repeat 2 --budget 1e6 --output out \
    -- "$TUNETARGET" 20000 >stdout 2>stderr || status=$?
((status == 0)) || fail "atoll tune exited with $status" stdout stderr
[[ $(grep -c '^atoll tune: \[[0-9]*/10\] ' stderr) == 10 ]] || fail "not 10 progress lines" stderr
# a threshold controls collections, not the cost of recording stacks: the default baseline is
# atoll without collections
grep -q '^(overhead: median wall time against the atoll without collections baseline;' stdout ||
    fail "the default baseline is not atoll without collections" stdout
python3 - out/tune.csv out/tune.json stdout <<'PY' || fail "wrong CSV, JSON or recommendation" out/tune.csv out/tune.json stdout
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
got = [(r["threshold"], r["runs"], r["failed"], r["garbage_blocks"], r["garbage_bytes"],
        r["latency_from"]) for r in rows]
want = [(t, "2", "0", "400", "6400", "leaks") for t in ("50,10,10", "500,10,10", "5000,10,10")]
assert got == want, got
# a setting that collects before exit never finds the leaks later (in allocations) than one
# that does not; how many collections run depends on time (a threshold collection waits for
# the last snapshot to finish), so settings that both collect are not compared
count = lambda r: sum(int(r["collections_gen%d" % g]) for g in range(3))
lat = lambda r: float(r["latency_allocs_median"])
collecting = [r for r in rows if count(r) > 0]
assert collecting and max(map(lat, collecting)) <= min(lat(r) for r in rows if count(r) == 0), rows
rec = [r["threshold"] for r in rows if r["recommended"] == "1"]
assert len(rec) == 1, rec
assert "ATOLL_THRESHOLD=" + rec[0] in open(sys.argv[3]).read().splitlines()
t = json.load(open(sys.argv[2]))
assert t["recommended"] == "ATOLL_THRESHOLD=" + rec[0]
assert [s["threshold"] for s in t["settings"]] == ["50,10,10", "500,10,10", "5000,10,10"]
assert all(s["runs"] == 2 and s["failed"] == 0 and s["garbage_blocks"] == 400 for s in t["settings"])
print("recommended", rec[0])
PY
python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert len(d.getElementsByTagName("circle")) >= 3' out/tune.svg ||
    fail "tune.svg is not an SVG with a point per setting" out/tune.svg
for s in 50,10,10 500,10,10 5000,10,10; do
    grep -q ">$s</text>" out/tune.svg || fail "tune.svg has no label $s" out/tune.svg
done

# nothing meets a budget of 0% against the plain run: exit 1, one line saying so. A collection
# every 50 allocations, hundreds of them, makes the run many times slower than plain, which
# no noise of the machine can hide (with a collection every 500 of 2000, atoll once came out
# 3% faster than plain).
status=0
"$ATOLL_BIN" tune --grid 50,10,10 --repeat 1 --budget 0 --baseline plain --output out -- "$TUNETARGET" 20000 >stdout 2>stderr || status=$?
((status == 1)) || fail "a budget nothing meets exited with $status, not 1" stdout stderr
grep -q '^no setting is within 0.0% of the plain baseline; the lowest overhead is +[0-9.]*%, ATOLL_THRESHOLD=50,10,10$' stdout ||
    fail "no line saying nothing is within the budget" stdout

# a workload that fails under a setting is reported as failing, with its reason
cat >flaky.sh <<'SH'
#!/bin/bash
[[ ${ATOLL_THRESHOLD:-} == 7,10,10 ]] && { echo "refusing 7,10,10" >&2; exit 3; }
exit 0
SH
chmod +x flaky.sh
status=0
"$ATOLL_BIN" tune --grid '7,10,10 8,10,10' --repeat 1 --output out -- ./flaky.sh >stdout 2>stderr || status=$?
grep -q '^7,10,10 *failed 1 of 1 runs: exit status 3: refusing 7,10,10$' stdout || fail "the failing setting is not reported" stdout stderr
grep -q 'FAILED: exit status 3: refusing 7,10,10' stderr || fail "the failure is not in the progress" stderr
grep -q '^"7,10,10",,1,1,' out/tune.csv || fail "the CSV does not count the failed run" out/tune.csv

# bad input: one line, exit 2
expect_tune_usage "atoll tune: missing PROGRAM (try 'atoll tune --help')" --repeat 1
expect_tune_usage "atoll tune: bad --grid value '700,10' (try 'atoll tune --help')" --grid 700,10 -- true
expect_tune_usage "atoll tune: bad --grid value '0,10,10' (try 'atoll tune --help')" --grid 0,10,10 -- true
expect_tune_usage "atoll tune: bad --small-max value '513' (try 'atoll tune --help')" --small-max 513 -- true
expect_tune_usage "atoll tune: --budget wants a percentage, not 'ten' (try 'atoll tune --help')" --budget ten -- true
expect_tune_usage "atoll tune: --baseline wants atoll or plain, not 'glibc' (try 'atoll tune --help')" --baseline glibc -- true
expect_tune_usage "atoll tune: --repeat wants 1..1000, not '0' (try 'atoll tune --help')" --repeat 0 -- true
expect_tune_usage "atoll tune: --timeout wants seconds, not '-1' (try 'atoll tune --help')" --timeout -1 -- true
expect_tune_usage "atoll tune: bad --grid value 'off' (try 'atoll tune --help')" --grid off -- true
status=0
"$ATOLL_BIN" tune --repeat 1 -- ./missing >o 2>e || status=$?
((status == 2)) || fail "a missing program exited with $status, not 2" e
[[ $(tail -n 1 e) == 'atoll tune: the plain baseline failed: exit status 127: cannot run ./missing: No such file or directory' ]] ||
    fail "a missing program is not reported in one line" e
echo "atoll tune: 3 settings checked, a failing setting reported, 10 bad inputs"
