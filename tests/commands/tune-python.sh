#!/bin/bash
# atoll tune on Python programs, its default target there being the interpreter's collector:
# - examples/bullets.py (40 frames), a tiny grid, one run each: no --target needed; the CSV,
#   JSON and SVG have the default setting first, then the grid's, none failed; the default
#   collected (every frame's cycles) and `off` made no collection; the recommendation is one of
#   the settings, printed as its line for the program and as ATOLL_PYTHON_GC, followed by the
#   sites of the cyclic garbage (the lines that build the cycles); on 3.13, whose
#   default t0 is 2000, the default makes fewer generation-0 collections than 700,10,10 does;
# - every CPython 3.8 to 3.13 on the machine: the default setting collects, `off` does not;
# - pygcwork.py, a long-lived heap and cyclic garbage that `off` keeps (+35% peak RSS): `off` is
#   over the memory budget and not recommended, a raised t0 is;
# - the python-gc options' bad input, and a program that is not Python with --target
#   python-gc: one line, exit 2.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
python=/usr/bin/python3.11
if [[ ! -x $python ]]; then
    echo "tune-python.sh: skipped: no $python (Debian's python3.11)"
    exit 77
fi
bullets=$FIXTURES/../../examples/bullets.py
cd "$scratch"

# check_files DIR GRID...: the files of a python-gc tune with the default then GRID
check_files() {
    python3 - "$@" <<'PY'
import csv, json, sys, xml.dom.minidom
out, grid = sys.argv[1], ["default"] + sys.argv[2:]
rows = list(csv.DictReader(open(out + "/tune.csv")))
assert [r["setting"] for r in rows] == grid, rows
assert all(r["runs"] == "1" and r["failed"] == "0" for r in rows), rows
t = json.load(open(out + "/tune.json"))
assert t["target"] == "python-gc" and t["objective"] == "time" and t["memory_budget_pct"] == 10
assert [s["setting"] for s in t["settings"]] == grid
for s in t["settings"]:
    assert len(s["collections"]) == 3 and len(s["pauses_ms"]) == 3, s
    assert s["gc_ms"] >= 0 and s["peak_rss_kb"] > 0 and s["wall_s"] > 0, s
    assert s["worst_pause_ms"] == max(p["max"] for p in s["pauses_ms"]), s
rec = [s["setting"] for s in t["settings"] if s["recommended"]]
assert len(rec) == 1 and t["recommendation"]["setting"] == rec[0], (rec, t["recommendation"])
assert t["recommendation"]["env"] == "ATOLL_PYTHON_GC=" + rec[0]
assert [r["setting"] for r in rows if r["recommended"] == "1"] == rec
svg = xml.dom.minidom.parse(out + "/tune.svg")
labels = [n.firstChild.data for n in svg.getElementsByTagName("text") if n.firstChild]
assert all(g in labels for g in grid), labels
assert len(svg.getElementsByTagName("circle")) >= len(grid)
print(rec[0])
PY
}

# field DIR SETTING KEY: a figure of tune.json
field() {
    python3 -c 'import json, sys; t = json.load(open(sys.argv[1] + "/tune.json")); print([s for s in t["settings"] if s["setting"] == sys.argv[2]][0][sys.argv[3]])' "$@"
}

status=0
"$ATOLL_BIN" tune --repeat 1 --grid '10000,10,10 off' --output out -- "$python" "$bullets" 40 \
    >stdout 2>stderr || status=$?
((status == 0)) || fail "atoll tune exited with $status" stdout stderr
[[ $(grep -c '^atoll tune: \[[0-9]/3\] .*, run 1/1: [0-9.]* ms in gc .*; without profiling [0-9.]* s, peak RSS [0-9.]* MiB$' stderr) == 3 ]] ||
    fail "not 3 progress lines" stderr
rec=$(check_files out 10000,10,10 off) || fail "wrong tune.csv, tune.json or tune.svg" out/tune.csv out/tune.json stdout
[[ $(field out default collections) != "[0, 0, 0]" && $(field out default collected) -ge 800 ]] ||
    fail "the default setting collected nothing" out/tune.json
[[ $(field out off collections) == "[0, 0, 0]" && $(field out off gc_ms) == 0.0 ]] ||
    fail "off collected" out/tune.json
grep -qx "recommended (the least time in gc within 10.0% of the default's peak RSS): $rec" stdout ||
    fail "no recommendation line for $rec" stdout
case $rec in
default) grep -q 'nothing to change' stdout || fail "default recommended without saying so" stdout ;;
off) line='gc.disable()' ;;
*) line="gc.set_threshold(${rec//,/, })" ;;
esac
if [[ $rec != default ]]; then
    grep -qxF "    import gc; $line" stdout || fail "no line '$line' for the program" stdout
    grep -qxF "    ATOLL_PYTHON_GC=$rec" stdout || fail "no ATOLL_PYTHON_GC=$rec line" stdout
fi

# where the cycles were made: the two lines of frame() that build them
grep -qx "where the default setting's cyclic garbage was made (removing those cycles beats any threshold; atoll run shows their shapes):" stdout ||
    fail "no cyclic-garbage sites" stdout
for want in 'Target objects, [0-9]* bytes, freed by Python.s gc, allocated at frame bullets.py:61' \
    'Tracker objects, [0-9]* bytes, freed by Python.s gc, allocated at frame bullets.py:62'; do
    grep -q "^  #[1-5] [1-9][0-9]* $want\$" stdout || fail "no site '$want'" stdout
done

# 3.13's default t0 is 2000: "default" is the interpreter's own, not 700
py313=/root/.pyenv/versions/3.13.0/bin/python3.13
if [[ -x $py313 ]]; then
    "$ATOLL_BIN" tune --repeat 1 --grid '700,10,10' --output out313 -- "$py313" "$bullets" 40 \
        >stdout 2>stderr || fail "atoll tune on 3.13 exited with $?" stdout stderr
    check_files out313 700,10,10 >/dev/null || fail "wrong files on 3.13" out313/tune.json
    python3 - out313/tune.json <<'PY' || fail "3.13's default is not its own" out313/tune.json
import json, sys
s = {s["setting"]: s for s in json.load(open(sys.argv[1]))["settings"]}
d, t700 = s["default"]["collections"][0], s["700,10,10"]["collections"][0]
assert 0 < d and 2 * d < t700, (d, t700)
PY
else
    echo "tune-python.sh: 3.13 not checked: no $py313"
fi

# every CPython on the machine: its default setting's collections are measured
for v in 3.8 3.9 3.10 3.11 3.12 3.13; do
    py=$(ls /root/.pyenv/versions/$v.*/bin/python$v 2>/dev/null | head -n 1)
    if [[ -z $py ]]; then
        echo "tune-python.sh: python$v not checked: not installed under /root/.pyenv"
        continue
    fi
    "$ATOLL_BIN" tune --repeat 1 --grid off --output "out$v" -- "$py" "$bullets" 20 \
        >stdout 2>stderr || fail "atoll tune on python$v exited with $?" stdout stderr
    [[ $(field "out$v" default collections) != "[0, 0, 0]" && $(field "out$v" off collections) == "[0, 0, 0]" ]] ||
        fail "python$v: the default collected nothing, or off collected" "out$v/tune.json"
done

# a long-lived heap, rounds of short-lived objects and 40,000 small cycles of 50 bytes that
# `off` keeps (+35% peak RSS), 5000,10,10 at most 2,500 of them (+2%)
"$ATOLL_BIN" tune --repeat 1 --grid '5000,10,10 off' --output garbage -- \
    "$python" "$FIXTURES/pygcwork.py" 100000 2000 1000 20 50 >stdout 2>stderr ||
    fail "atoll tune on pygcwork.py exited with $?" stdout stderr
rec=$(check_files garbage 5000,10,10 off) || fail "wrong files for pygcwork.py" garbage/tune.json
[[ $(field garbage off within_budget) == False ]] || fail "off within the budget" garbage/tune.json
[[ $rec == 5000,10,10 ]] || fail "recommended $rec, not 5000,10,10" stdout

# bad input: one line, exit 2
expect_tune_usage "atoll tune: --target wants python-gc or atoll, not 'gc' (try 'atoll tune --help')" --target gc -- "$python"
expect_tune_usage "atoll tune: --objective wants time or pause, not 'memory' (try 'atoll tune --help')" --objective memory -- "$python"
expect_tune_usage "atoll tune: --memory-budget wants a percentage, not '10MB' (try 'atoll tune --help')" --memory-budget 10MB -- "$python"
expect_tune_usage "atoll tune: bad --grid value '700,10' (default, off, freeze, T0,T1,T2 or freeze+T0,T1,T2, T0 > 0) (try 'atoll tune --help')" --grid '700,10' -- "$python"
expect_tune_usage "atoll tune: --grid has 'off' twice (try 'atoll tune --help')" --grid 'off off' -- "$python"
expect_tune_usage "atoll tune: --baseline is for --target atoll, and python-gc is tuned here (try 'atoll tune --help')" --baseline plain -- "$python"
expect_tune_usage "atoll tune: --budget is for --target atoll, and python-gc is tuned here (try 'atoll tune --help')" --budget 5 -- "$python"
expect_tune_usage "atoll tune: --objective is for --target python-gc, and atoll is tuned here (try 'atoll tune --help')" --objective pause -- true
expect_tune_usage "atoll tune: --memory-budget is for --target python-gc, and atoll is tuned here (try 'atoll tune --help')" --target atoll --memory-budget 5 -- "$python"
status=0
"$ATOLL_BIN" tune --target python-gc --repeat 1 --grid off -- true >o 2>e || status=$?
((status == 2)) || fail "tuning Python's collector of true exited with $status, not 2" e
[[ $(tail -n 1 e) == "atoll tune: true recorded no collection of Python's collector with its default setting (no pygc.jsonl): not a CPython 3.8 to 3.13 program, or one too short to collect; --target atoll tunes atoll's collections" ]] ||
    fail "no line saying true is no Python program" e
echo "atoll tune --target python-gc: bullets.py (recommended $rec on pygcwork.py), 10 bad inputs"
