"""CPython's own collector under atoll run: its telemetry (pygc.jsonl, PYTHON GC) and the sites
of the objects it freed (CYCLIC GARBAGE BY SITE), against what gc.callbacks says in the same run.

usage: pygc.py ATOLL LIBATOLL PYTHON

PYTHON is a path, or pyenv:3.X (skipped, exit 77, when absent). For each of gcgarbage.py's
workloads (instances, lists, mixed, and from 3.9 cascade: young objects freed in the garbage's
cascade, which the collector does not count), under `atoll run` with the collector on its own
thresholds:
- pygc.jsonl: every line starts with the keys pid, gen, start_ns, duration_ns, collected,
  uncollectable in this order, all of the program's pid; the last of its lines before the exit
  collection are exactly the collections the script's gc.callbacks entry saw (per generation,
  and the sum of collected; atoll's entry is there from before the script's first line);
- the JSON report's summary.python_gc says what those lines say (collections per generation,
  collected, uncollectable 0, time_ms the sum of the durations, max_pause_ms the longest);
- python_gc_sites: its objects add up to exactly the sum of collected (no __del__, no weakref
  callback in these scripts), and the lines that build the cycles are its top sites, with
  their types and counts: N Node objects at each of the two lines of pair(), N lists at
  self_list()'s (cascade(): N lists, no Node), N functions at closure()'s def, and the dicts (2N of dict_cycle(), and before
  3.11 the Nodes' __dict__s) by type;
- the text report has both sections; a bad line appended to pygc.jsonl makes atoll analyze
  say one line naming the file and the line, and report without summary.python_gc."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from objects import HERE, fail, python_of

N = 3000
KEYS = ["pid", "gen", "start_ns", "duration_ns", "collected", "uncollectable"]


def lines_with(tag):
    with open(os.path.join(HERE, "gcgarbage.py")) as f:
        return [i + 1 for i, line in enumerate(f) if line.rstrip().endswith("# " + tag)]


def expected_sites(mode, instance_dicts):
    """(where, type) -> objects that must lead the report. Dicts are counted by type alone:
    CPython hands a dict of one line to another from its free list when no allocator call lets
    atoll see it (docs/objects.md, "Python objects and free lists"); before 3.11 each Node has
    its __dict__."""
    want = {}
    if mode in ("instances", "mixed"):
        for line in lines_with("MAKE_PAIR"):
            want[("line %d" % line, "Node")] = N
    if mode == "lists":
        want[("line %d" % lines_with("SELF_LIST")[0], "list")] = N
    if mode == "cascade":
        want[("line %d" % lines_with("HOLDER")[0], "list")] = N
    if mode == "mixed":
        want[("line %d" % lines_with("CLOSURE")[0], "function")] = N
    dicts = (2 * N if mode == "mixed" else 0) + (
        2 * N if instance_dicts and mode in ("instances", "mixed") else 0)
    if dicts:
        want[("any line", "dict")] = dicts
    return want


def run(atoll, python, work, mode, form):
    out = os.path.join(work, "%s-%s" % (mode, form))
    report = out + ".report"
    p = subprocess.run([atoll, "run", "--format", form, "--report", report, "--output", out, "--",
                        python, "gcgarbage.py", mode, str(N)], cwd=work, capture_output=True,
                       text=True, timeout=600)
    if p.returncode != 0:
        fail("%s: exit status %d: %s" % (mode, p.returncode, p.stderr[-2000:]))
    tally = [line for line in p.stdout.splitlines() if line.startswith("tally ")]
    if len(tally) != 1:
        fail("%s: no tally line in %r" % (mode, p.stdout))
    g0, g1, g2, collected, uncollectable = map(int, tally[0].split()[1:])
    with open(report) as f:
        text = f.read()
    return out, text, ([g0, g1, g2], collected, uncollectable)


def check_jsonl(mode, out, tally):
    """pygc.jsonl's lines before the exit collection; checks their keys and pid, and that the
    collections gc.callbacks saw (from the script's first line on) are the last of them."""
    recs = []
    with open(os.path.join(out, "pygc.jsonl")) as f:
        for line in f:
            pairs = json.loads(line, object_pairs_hook=lambda kv: kv)
            if [k for k, _ in pairs[:6]] != KEYS:
                fail("%s: pygc.jsonl line %r: keys not %s first" % (mode, line, KEYS))
            recs.append(dict(pairs))
    pids = {r["pid"] for r in recs}
    if len(pids) != 1:
        fail("%s: pygc.jsonl holds pids %s" % (mode, pids))
    before = [r for r in recs if r["after_collection"] == 0]
    seen = before[len(before) - sum(tally[0]):]
    gens = [sum(1 for r in seen if r["gen"] == g) for g in range(3)]
    collected = sum(r["collected"] for r in seen)
    if gens != tally[0] or collected != tally[1]:
        fail("%s: pygc.jsonl's last %d lines before the exit collection: %s collections, %d "
             "collected; gc.callbacks: %s, %d" % (mode, len(seen), gens, collected, tally[0],
                                                  tally[1]))
    if len(before) == len(recs):
        fail("%s: no collection after the exit collection (finalization's) in pygc.jsonl" % mode)
    return before


def check_report(mode, r, before, instance_dicts):
    s = r["summary"].get("python_gc")
    if not s:
        fail("%s: no summary.python_gc" % mode)
    gens = [sum(1 for x in before if x["gen"] == g) for g in range(3)]
    collected = sum(x["collected"] for x in before)
    time_ms = sum(x["duration_ns"] for x in before) / 1e6
    max_ms = max(x["duration_ns"] for x in before) / 1e6
    if (s["collections"] != gens or s["collected"] != collected or s["uncollectable"] != 0
            or abs(s["time_ms"] - time_ms) > 1e-3 or abs(s["max_pause_ms"] - max_ms) > 1e-3):
        fail("%s: summary.python_gc %s; pygc.jsonl: collections %s, collected %d, time %.6f "
             "ms, max %.6f ms" % (mode, s, gens, collected, time_ms, max_ms))
    sites = r["python_gc_sites"]
    total = sum(x["objects"] for x in sites)
    if total != collected:
        fail("%s: python_gc_sites count %d objects, gc.callbacks collected %d"
             % (mode, total, collected))
    want = expected_sites(mode, instance_dicts)
    got = {}
    for x in sites:
        ours = "gcgarbage.py:" in x["site"]
        key = ("any line" if x["type"] == "dict" else
               "line %s" % x["site"].rsplit(":", 1)[1] if ours else x["site"], x["type"])
        if key in want:
            got[key] = got.get(key, 0) + x["objects"]
    if got != want:
        fail("%s: python_gc_sites %s; expected %s" % (mode, sites[:8], want))
    strangers = [x for x in sites[:len(want) + 2] if "gcgarbage.py:" not in x["site"]]
    if strangers:
        fail("%s: top python_gc_sites not at gcgarbage.py's lines: %s" % (mode, strangers))
    return total


def check_malformed(atoll, out):
    """A bad line in pygc.jsonl: atoll analyze names the file and line on stderr, and reports
    without summary.python_gc."""
    path = os.path.join(out, "pygc.jsonl")
    with open(path) as f:
        n = sum(1 for _ in f)
    with open(path, "a") as f:
        f.write('{"pid":1,"gen":7}\n')
    dump = [x for x in os.listdir(out) if x.endswith(".atoll")][0]
    p = subprocess.run([atoll, "analyze", "--format", "json", os.path.join(out, dump)],
                       capture_output=True, text=True, timeout=600)
    want = "atoll: %s:%d: " % (path, n + 1)
    if (p.returncode != 0 or p.stderr.count("\n") != 1 or not p.stderr.startswith(want)
            or "python_gc" in json.loads(p.stdout)["summary"]):
        fail("a bad line %d in pygc.jsonl: status %d, stderr %r (expected one line starting "
             "%r)" % (n + 1, p.returncode, p.stderr, want))


def main():
    atoll, lib, python = sys.argv[1:4]
    python = python_of(python)
    del lib
    with tempfile.TemporaryDirectory() as work:
        shutil.copy(os.path.join(HERE, "gcgarbage.py"), work)
        version = subprocess.run([python, "-c", "import sys; print(sys.version_info[1])"],
                                 capture_output=True, text=True, check=True).stdout
        instance_dicts = int(version) < 11
        for mode in ("instances", "lists", "mixed", "cascade"):
            if mode == "cascade" and int(version) < 9:
                print("cascade: skipped on 3.8, which clears the collector's marks before it "
                      "frees anything (docs/python.md)")
                continue
            out, text, tally = run(atoll, python, work, mode, "json")
            before = check_jsonl(mode, out, tally)
            total = check_report(mode, json.loads(text), before, instance_dicts)
            _, text, _ = run(atoll, python, work, mode, "text")
            for head in ("\nPYTHON GC\n", "\nCYCLIC GARBAGE BY SITE ("):
                if head not in text:
                    fail("%s: no %r in the text report" % (mode, head.strip()))
            if mode == "instances":
                check_malformed(atoll, out)
            print("%s: %s collections, %d objects collected, %d attributed"
                  % (mode, tally[0], tally[1], total))


if __name__ == "__main__":
    main()
