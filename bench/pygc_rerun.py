"""Checks a setting of Python's collector that `atoll tune` recommended, independently of atoll:
plain CPython (no preload, its own allocator), the setting applied by gc.set_threshold /
gc.disable / gc.freeze in a wrapper before the script runs, each collection timed by a
gc.callbacks pair (perf_counter_ns) until the script returns (the interpreter's finalization
left out, as atoll tune leaves it out), the peak RSS then read from /proc/self/status (VmHWM). ROUNDS rounds, each a run with the default setting then
a run with SETTING, in fresh processes; prints the medians of time in gc, collections per
generation, worst pause and peak RSS of each, and the ratios: the README's table.

    python3 bench/pygc_rerun.py [--rounds 11] [--python python3.11] SETTING SCRIPT [ARGS...]

SETTING is in ATOLL_PYTHON_GC's syntax: 10000,10,10, off, freeze or freeze+10000,10,10.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# Runs inside the measured interpreter: argv = SETTING SCRIPT ARGS...
WRAPPER = r"""
import gc, json, os, runpy, sys, time
setting, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
if setting.startswith("freeze"):
    gc.freeze()
    setting = setting[7:]
if setting == "off":
    gc.disable()
elif setting and setting != "default":
    gc.set_threshold(*map(int, setting.split(",")))
pauses, gens, start = [], [0, 0, 0], [0]
def timer(phase, info):
    if phase == "start":
        start[0] = time.perf_counter_ns()
    else:
        pauses.append(time.perf_counter_ns() - start[0])
        gens[info["generation"]] += 1
gc.callbacks.append(timer)
t0 = time.perf_counter_ns()
try:
    runpy.run_path(script, run_name="__main__")
finally:
    wall = time.perf_counter_ns() - t0
    gc.callbacks.remove(timer)
    # VmHWM: this program's own peak; ru_maxrss would keep the forking parent's size
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    os.write(int(os.environ["PYGC_RERUN_FD"]), json.dumps(
        {"gc_ns": sum(pauses), "worst_ns": max(pauses, default=0), "gens": gens,
         "wall_ns": wall, "rss_kb": int(hwm)}).encode())
"""


def one_run(python, setting, script, args):
    r, w = os.pipe()
    env = dict(os.environ, PYGC_RERUN_FD=str(w))
    p = subprocess.Popen([python, "-c", WRAPPER, setting, script] + args, env=env,
                         stdout=subprocess.DEVNULL, pass_fds=(w,))
    os.close(w)
    with os.fdopen(r) as f:
        text = f.read()
    if p.wait() != 0 or not text:
        sys.exit("pygc_rerun: %s %s exited with %d" % (setting, script, p.returncode))
    return json.loads(text)


def medians(runs):
    med = lambda k: statistics.median(r[k] for r in runs)
    return {"gc_ms": med("gc_ns") / 1e6, "worst_ms": med("worst_ns") / 1e6,
            "wall_ms": med("wall_ns") / 1e6, "rss_mib": med("rss_kb") / 1024,
            "gens": [statistics.median(r["gens"][g] for r in runs) for g in range(3)]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--python", default="python3.11")
    ap.add_argument("setting")
    ap.add_argument("script")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    o = ap.parse_args()
    runs = {"default": [], o.setting: []}
    for i in range(o.rounds):
        for s in runs:
            runs[s].append(one_run(o.python, s, o.script, o.args))
        print("round %d/%d" % (i + 1, o.rounds), file=sys.stderr)
    d, t = medians(runs["default"]), medians(runs[o.setting])
    print("| setting | collections (gen 0/1/2) | time in gc | worst pause | wall | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name, m in (("default", d), (o.setting, t)):
        print("| %s | %s | %.2f ms | %.2f ms | %.0f ms | %.1f MiB |" % (
            name, " / ".join("%g" % g for g in m["gens"]), m["gc_ms"], m["worst_ms"],
            m["wall_ms"], m["rss_mib"]))
    cut = 100 * (1 - t["gc_ms"] / d["gc_ms"]) if d["gc_ms"] else 0
    ratio = d["worst_ms"] / t["worst_ms"] if t["worst_ms"] else float("inf")
    print("%s against the default, medians of %d rounds: time in gc -%.1f%%, worst pause %.1fx "
          "smaller, peak RSS %+.1f%%" % (o.setting, o.rounds, cut, ratio,
                                          100 * (t["rss_mib"] / d["rss_mib"] - 1)))


main()
