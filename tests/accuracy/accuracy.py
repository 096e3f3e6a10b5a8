#!/usr/bin/env python3
"""One accuracy program through `atoll run --format json`: every number of the report's summary
and its cycle shapes must equal the table below, and, when Valgrind is there, Valgrind's
definitely + indirectly lost on the same program must equal both the table and atoll's leaked
totals. Usage: accuracy.py ATOLL LIBATOLL PROGRAM CASE [ARG...] (ARGs go first to PROGRAM:
a script for an interpreter)

ATOLL_TEST_VALGRIND: unset runs Valgrind if it is installed (each run takes about a second);
0 never runs it; 1 requires it."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

# Figures are (blocks, bytes). Each case is a list of runs: arguments, then atoll's expected
# summary (definitely and indirectly lost, isolated cycles as (count, blocks, bytes),
# reachable), its cycle shapes as (kind, length, count, blocks, bytes, retained blocks,
# retained bytes), the type names of the cycles' members when the case gives them (objects of a
# refcounting runtime), and Valgrind 3.19's definitely and indirectly lost, measured on this program
# (None: Valgrind cannot run it; see the case), of which `held` is what atoll still finds
# referenced when it collects (a Python program's exit collection runs before finalization). A case with `kept` runs twice: as is, the program keeps
# a structure reachable and nothing is lost; with "drop" it lets go of it, and the same blocks
# must turn into the leak `kept` describes. The kept run's reachable total must exceed the
# dropped run's by exactly `kept`, whatever else (a thread's TLS vector) is reachable in both.
NONE = (0, 0)


def run(args=(), definite=NONE, indirect=NONE, cycles=(0, 0, 0), reachable=NONE, shapes=(),
        valgrind=None, vg_args=None, types=None, held=NONE):
    return dict(args=list(args), definite=definite, indirect=indirect, cycles=cycles,
                reachable=reachable, shapes=sorted(shapes), valgrind=valgrind, held=held,
                vg_args=list(args) if vg_args is None else vg_args,
                types=None if types is None else sorted(types))


def kept(structure, definite, indirect, cycles, shapes, valgrind, types=None):
    return dict(kept=structure, runs=[
        run([], reachable=None, valgrind=(NONE, NONE), types=None if types is None else []),
        run(["drop"], definite, indirect, cycles, reachable=None, shapes=shapes,
            valgrind=valgrind, types=types)])


CASES = {
    "single": [run(definite=(1, 100), valgrind=((1, 100), NONE))],
    "slist": [run(definite=(1, 48), indirect=(9, 432), valgrind=((1, 48), (9, 432)))],
    "dlist": [run(definite=(1, 40), indirect=(7, 280), cycles=(1, 8, 320),
                  shapes=[("complex", 8, 1, 8, 320, 0, 0)], valgrind=((1, 40), (7, 280)))],
    "self": [run(definite=(1, 64), cycles=(1, 1, 64), shapes=[("simple", 1, 1, 1, 64, 0, 0)],
                 valgrind=((1, 64), NONE))],
    "cycles": [run(definite=(3, 96), indirect=(7, 224), cycles=(3, 10, 320),
                   shapes=[("simple", 2, 1, 2, 64, 0, 0), ("simple", 3, 1, 3, 96, 0, 0),
                           ("simple", 5, 1, 5, 160, 0, 0)], valgrind=((3, 96), (7, 224)))],
    "tree": [run(definite=(2, 112), indirect=(9, 264), cycles=(1, 2, 128),
                 shapes=[("simple", 2, 1, 2, 128, 7, 168)], valgrind=((2, 112), (9, 264)))],
    "global": kept((3, 96), (1, 32), (2, 64), (1, 3, 96), [("simple", 3, 1, 3, 96, 0, 0)],
                   valgrind=((1, 32), (2, 64))),
    # Valgrind also has the parked thread's DTV as possibly lost (1 block, 288 bytes).
    "tls": kept((7, 224), (2, 64), (5, 160), (2, 7, 224),
                [("simple", 3, 1, 3, 96, 0, 0), ("simple", 4, 1, 4, 128, 0, 0)],
                valgrind=((2, 64), (5, 160))),
    "thread": kept((5, 200), (1, 40), (4, 160), (1, 5, 200), [("simple", 5, 1, 5, 200, 0, 0)],
                   valgrind=((1, 40), (4, 160))),
    # The 100 blocks freed into an exited thread's heap are freed, not lost.
    "handoff": kept((3, 120), (1, 40), (2, 80), (1, 3, 120), [("simple", 3, 1, 3, 120, 0, 0)],
                    valgrind=((1, 40), (2, 80))),
    # Valgrind calls the kept ring "possibly lost" (3 blocks, 144 bytes): not definitely or
    # indirectly, so the comparison holds.
    "interior": kept((3, 144), (1, 48), (2, 96), (1, 3, 144), [("simple", 3, 1, 3, 144, 0, 0)],
                     valgrind=((1, 48), (2, 96))),
    "large": [run(definite=(1, 32), indirect=(2, 5000), cycles=(1, 3, 5032),
                  shapes=[("simple", 3, 1, 3, 5032, 0, 0)], valgrind=((1, 32), (2, 5000)))],
    "many": [run(definite=(10000, 480000), indirect=(10000, 480000),
                 cycles=(10000, 20000, 960000),
                 shapes=[("simple", 2, 10000, 20000, 960000, 0, 0)],
                 valgrind=((10000, 480000), (10000, 480000)))],
    # Valgrind aborts the program at pvalloc, so it runs without that call (one block of 8192
    # bytes less), and atoll runs that way too for the comparison.
    "allocs": [run(definite=(17, 12023), valgrind=((16, 3831), NONE), vg_args=["no-pvalloc"])],
    # Control blocks are shared_ptr objects (their own counts): each cycle is its two owners,
    # typed by the managed class; an object made with new is a block its control block owns,
    # retained by the cycle. Valgrind's split of the same 304 bytes differs.
    "sharedptr": [run(definite=(2, 96), indirect=(4, 208), cycles=(2, 4, 192),
                      shapes=[("simple", 2, 1, 2, 144, 0, 0), ("simple", 2, 1, 2, 48, 2, 112)],
                      types=["Node"] * 4, valgrind=((2, 128), (4, 176)))],
    # atoll said 6 blocks lost in 2 cycles while every A was still held, when weak_ptrs were
    # not counted apart.
    "sharedweak": kept((8, 448), (1, 72), (1, 72), (1, 2, 144), [("simple", 2, 1, 2, 144, 0, 0)],
                       valgrind=((1, 72), (1, 72)), types=["Node"] * 2),
    # GObjects (64 B) hold each other through their qdata (32 B, owned: retained by the cycle);
    # a2's qdata of two entries (56 B) and weak-reference record (32 B) are freed with a2.
    "gobjects": kept((8, 408), (1, 64), (3, 128), (1, 2, 128), [("simple", 2, 1, 2, 128, 2, 64)],
                     valgrind=((1, 64), (3, 128)), types=["AccNode"] * 2),
    # Annotated refcounted objects (atoll.h): a ring of 3 obj (48 B) whose raw pointers stay on
    # the stack is a cycle; a held obj counting 2 for its one reference is alive (its surplus is
    # checked in the dump, check_objects). No Valgrind comparison: conservative, it calls the
    # ring reachable (measured: definitely and indirectly lost 0/0).
    "annotated": [run(definite=(1, 48), indirect=(2, 96), cycles=(1, 3, 144),
                      reachable=(1, 48), shapes=[("simple", 3, 1, 3, 144, 0, 0)],
                      types=["obj"] * 3)],
    # No Valgrind figures: memcheck aborts at pvalloc. The correct answer is glibc's: the block
    # is 8192 bytes, all of them the program's (atoll said (2, 5064) when it recorded 5000).
    "pvalloc": [run(definite=(1, 8192), reachable=(2, 8256))],
    # atoll said (0, 0) when a block handed out kept atoll's free-list link in its first word.
    "stale": [run(definite=(1, 100), reachable=(1, 100), valgrind=((1, 100), NONE))],
    # examples/leaky.py under python3.11: a buffer, a list of 10 and 50 rings of 3 C nodes of
    # 32 bytes. What CPython keeps at exit varies with its build: reachable is not checked.
    # Valgrind runs with PYTHONMALLOC=malloc, as atoll run does: both find the same blocks lost.
    # (The list's last node, the first one allocated, was held while atoll scanned the dead part
    # of Python's data stack, where a stale word still held its address.)
    "python-leaky": [run(definite=(52, 1732), indirect=(109, 3488), cycles=(50, 150, 4800),
                         reachable=None, shapes=[("simple", 3, 50, 150, 4800, 0, 0)],
                         valgrind=((52, 1732), (109, 3488)))],
}

# allocs: the function of each call, and the bytes its one leaked block must have.
ALLOC_SITES = {
    "by_malloc": 11, "by_calloc": 21, "by_realloc": 131, "by_reallocarray": 54, "by_strdup": 20,
    "by_strndup": 10, "by_aligned_alloc": 192, "by_posix_memalign": 72, "by_memalign": 100,
    "by_valloc": 300, "by_new": 24, "by_new_array": 100, "by_new_array_cookie": 32,
    "by_calloc_large": 700, "by_realloc_large": 2000, "by_memalign_large": 64, "by_pvalloc": 8192,
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def pair(d):
    return (d["blocks"], d["bytes"])


def clean_env():
    """No preload, atoll setting or glibc malloc perturbation (meson sets MALLOC_PERTURB_) from
    the caller may change the run."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ATOLL_") and
           k not in ("LD_PRELOAD", "PYTHONMALLOC", "MALLOC_PERTURB_")}
    env["LC_ALL"] = "C"
    return env


def atoll_report(atoll, lib, program, args, tmp, tag):
    out = os.path.join(tmp, tag + ".json")
    r = subprocess.run([atoll, "run", "--preload", lib, "--format", "json", "--report", out,
                        "--output", os.path.join(tmp, tag + ".dumps"), "--", program, *args],
                       env=clean_env(), capture_output=True, text=True, timeout=300)
    if r.returncode != 0 or not os.path.exists(out):
        print(r.stderr)
        raise SystemExit(f"FAIL: atoll run {program} {args}: exit {r.returncode}, no report")
    with open(out) as f:
        return json.load(f)


def valgrind_leaks(program, args, tmp, tag):
    """Valgrind's definitely and indirectly lost, as ((blocks, bytes), (blocks, bytes))."""
    log = os.path.join(tmp, tag + ".valgrind")
    r = subprocess.run(["valgrind", "--leak-check=full", "--log-file=" + log, program, *args],
                       env=dict(clean_env(), PYTHONMALLOC="malloc"), stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=1200)
    text = open(log).read()
    if r.returncode != 0 or "Program aborting" in text:
        print(text)
        raise SystemExit(f"FAIL: valgrind {program} {args}: exit {r.returncode}")
    if "All heap blocks were freed -- no leaks are possible" in text:
        return NONE, NONE
    found = []
    for kind in ("definitely", "indirectly"):
        m = re.search(kind + r" lost: ([\d,]+) bytes in ([\d,]+) blocks", text)
        if not m:
            print(text)
            raise SystemExit(f"FAIL: no '{kind} lost' line in Valgrind's summary")
        found.append((int(m.group(2).replace(",", "")), int(m.group(1).replace(",", ""))))
    return tuple(found)


def want_valgrind():
    setting = os.environ.get("ATOLL_TEST_VALGRIND", "")
    if setting == "0":
        return False
    if shutil.which("valgrind"):
        return True
    if setting == "1":
        raise SystemExit("FAIL: ATOLL_TEST_VALGRIND=1 but valgrind is not installed")
    print("valgrind is not installed: atoll's figures are checked against the table alone")
    return False


def check_summary(name, r, s):
    tag = f"{name} {' '.join(r['args'])}".strip()
    check(pair(s["definitely_lost"]) == r["definite"],
          f"{tag}: definitely lost {pair(s['definitely_lost'])}, expected {r['definite']}")
    check(pair(s["indirectly_lost"]) == r["indirect"],
          f"{tag}: indirectly lost {pair(s['indirectly_lost'])}, expected {r['indirect']}")
    leaked = (r["definite"][0] + r["indirect"][0], r["definite"][1] + r["indirect"][1])
    check(pair(s["leaked"]) == leaked, f"{tag}: leaked {pair(s['leaked'])}, expected {leaked}")
    c = s["isolated_cycles"]
    check((c["count"], c["blocks"], c["bytes"]) == r["cycles"],
          f"{tag}: isolated cycles {c}, expected {r['cycles']}")
    check(pair(s["suppressed"]) == NONE, f"{tag}: suppressed {s['suppressed']}")
    if r["reachable"] is not None:
        check(pair(s["reachable"]) == r["reachable"],
              f"{tag}: reachable {pair(s['reachable'])}, expected {r['reachable']}")


def check_shapes(name, r, rep):
    shapes = sorted((h["kind"], h["length"], h["count"], h["blocks"], h["bytes"],
                     h["retained_blocks"], h["retained_bytes"]) for h in rep["cycle_shapes"])
    check(shapes == r["shapes"], f"{name}: cycle shapes {shapes}, expected {r['shapes']}")
    check(rep["summary"]["cycle_shapes"] == len(r["shapes"]),
          f"{name}: summary.cycle_shapes {rep['summary']['cycle_shapes']}")
    check(len(rep["cycles"]) == sum(h[2] for h in r["shapes"]),
          f"{name}: {len(rep['cycles'])} entries in cycles[]")


def edges_of(cycle):
    """The cycle's internal references as (from size, offset, to size), sorted."""
    m = cycle["members"]
    return sorted((m[e["from"]]["size"], e["offset"], m[e["to"]]["size"]) for e in cycle["edges"])


def plain(function):
    """A static C++ function's bare name: gcc gives it no linkage name (`by_malloc`), clang
    does, and the report shows it demangled (`by_malloc()`)."""
    return function[:-2] if function and function.endswith("()") else function


def check_details(name, rep):
    """What the summary cannot show: edges, offsets, retention and sites."""
    cycles = rep["cycles"]
    if name == "self":
        check(cycles[0]["edges"] == [{"from": 0, "to": 0, "offset": 8, "label": None}],
              f"self: edges {cycles[0]['edges']}")
    elif name == "dlist":
        check(edges_of(cycles[0]) == [(40, 0, 40)] * 7 + [(40, 8, 40)] * 7,
              f"dlist: edges {edges_of(cycles[0])}")
    elif name == "cycles":
        for c in cycles:
            check(edges_of(c) == [(32, 0, 32)] * c["blocks"], f"cycles: edges {edges_of(c)}")
    elif name == "tree":
        c = cycles[0]
        check((c["retained_blocks"], c["retained_bytes"]) == (7, 168), f"tree: cycle {c}")
        groups = sorted((l["kind"], l["blocks"], l["bytes"]) for l in rep["leaks"])
        # a site is a whole stack: each tree node's recursion path is a site of its own
        want = sorted([("definite", 1, 64), ("indirect", 1, 64), ("indirect", 1, 32),
                       ("definite", 1, 48)] + [("indirect", 1, 24)] * 7)
        check(groups == want, f"tree: leak groups {groups}, expected {want}")
    elif name == "large":
        check(edges_of(cycles[0]) == [(32, 0, 1000), (1000, 992, 4000), (4000, 3992, 32)],
              f"large: edges {edges_of(cycles[0])}")
    elif name == "python-leaky":
        check(all(edges_of(c) == [(32, 0, 32)] * 3 for c in cycles),
              "python-leaky: a ring with other edges")
    elif name == "many":
        check(all(c["shape"] == 0 and edges_of(c) == [(48, 0, 48)] * 2 for c in cycles),
              "many: a cycle of another shape or other edges")
    elif name == "sharedptr":
        # make_shared: one block, control block first, the Node 16 bytes in; a shared_ptr
        # member is (Node pointer, control block pointer): only the second is a reference.
        # new: the Node is owned by its control block, whose references go through it.
        by_bytes = {c["bytes"]: c for c in cycles}
        check(edges_of(by_bytes[144]) == [(72, 24, 72)] * 2,
              f"sharedptr: make_shared edges {edges_of(by_bytes[144])}")
        check(edges_of(by_bytes[48]) == [(24, 8, 24)] * 2 and
              all("via" in e for e in by_bytes[48]["edges"]),
              f"sharedptr: new edges {by_bytes[48]['edges']}")
    elif name == "allocs":
        found = {}
        for l in rep["leaks"]:
            for f in rep["sites"][str(l["site"])]:
                if plain(f["function"]) in ALLOC_SITES:
                    found[plain(f["function"])] = (l["kind"], l["blocks"], l["bytes"])
                    break
        want = {fn: ("definite", 1, n) for fn, n in ALLOC_SITES.items()}
        check(found == want, f"allocs: sites {found}, expected {want}")


def dump_objects(path):
    """The OBJECTS records of a dump, each as (type, runtime, refcount, weak, shadow refcount)."""
    data = open(path, "rb").read()
    table, count = struct.unpack_from("<QI", data, 24)
    secs = {}
    for i in range(count):
        kind, _, off, size = struct.unpack_from("<IIQQ", data, table + 32 * i)
        secs[kind] = (off, size)
    strings_off, _ = secs[2]
    blocks_off, _ = secs[7]
    off, size = secs.get(10, (0, 0))
    out = []
    for k in range(size // 32):
        block, _, typ, runtime, _, refcount, weak = struct.unpack_from("<IIIHHQQ", data,
                                                                       off + 32 * k)
        name = data[strings_off + typ:data.index(b"\0", strings_off + typ)].decode()
        shadow = struct.unpack_from("<I", data, blocks_off + 40 * block + 28)[0]
        out.append((name, runtime, refcount, weak, shadow))
    return sorted(out)


def check_objects(name, dumps, rep):
    """annotated: every annotated block is an object of runtime 4 with its own count; each obj
    counts 1 for 2 references found (its ring's and a stale one on the stack), the held one 2
    for the 1 found (a refcount leak of 1)."""
    if name != "annotated":
        return
    [path] = [os.path.join(dumps, f) for f in os.listdir(dumps) if f.endswith(".atoll")]
    objects = dump_objects(path)
    want = [("held", 4, 2, 0, 1)] + [("obj", 4, 1, 0, 2)] * 3
    check(objects == want, f"annotated: OBJECTS {objects}, expected {want}")
    if "refcount_leaks" in rep:
        found = [(l["type"], l["refcount"], l["references_found"], l["surplus"])
                 for l in rep["refcount_leaks"]]
        check(found == [("held", 2, 1, 1)], f"annotated: refcount_leaks {found}")


def main():
    atoll, lib, program, name, *first = sys.argv[1:]
    case = CASES[name]
    runs = case["runs"] if isinstance(case, dict) else case
    valgrind = want_valgrind()
    tmp = tempfile.mkdtemp(prefix="atoll-accuracy-")
    try:
        reports = []
        for i, r in enumerate(runs):
            rep = atoll_report(atoll, lib, program, first + r["args"], tmp, f"atoll{i}")
            reports.append(rep)
            s = rep["summary"]
            line = (f"{name} {' '.join(r['args'])}: atoll definitely {pair(s['definitely_lost'])} "
                    f"indirectly {pair(s['indirectly_lost'])} cycles {s['isolated_cycles']} "
                    f"reachable {pair(s['reachable'])}")
            check_summary(name, r, s)
            check_shapes(name, r, rep)
            check_objects(name, os.path.join(tmp, f"atoll{i}.dumps"), rep)
            if r["types"] is not None:
                types = sorted(m.get("type") for c in rep["cycles"] for m in c["members"])
                check(types == r["types"], f"{name}: cycle member types {types}")
            if r["args"] != ["drop"]:
                check_details(name, rep)
            if valgrind and r["valgrind"] is not None:
                vg = valgrind_leaks(program, first + r["vg_args"], tmp, f"valgrind{i}")
                line += f"; valgrind definitely {vg[0]} indirectly {vg[1]}"
                check(vg == r["valgrind"], f"{name}: Valgrind says {vg}, the table {r['valgrind']}")
                same = rep if r["vg_args"] == r["args"] else \
                    atoll_report(atoll, lib, program, first + r["vg_args"], tmp, f"atoll{i}vg")
                vg_leaked = (vg[0][0] + vg[1][0], vg[0][1] + vg[1][1])
                leaked = pair(same["summary"]["leaked"])
                check((leaked[0] + r["held"][0], leaked[1] + r["held"][1]) == vg_leaked,
                      f"{name} {r['vg_args']}: atoll leaked {leaked} and held {r['held']}, "
                      f"Valgrind definitely + indirectly {vg_leaked}")
            print(line)
        if isinstance(case, dict):
            keep, drop = (pair(rep["summary"]["reachable"]) for rep in reports)
            diff = (keep[0] - drop[0], keep[1] - drop[1])
            check(diff == case["kept"],
                  f"{name}: reachable kept {keep} - dropped {drop} = {diff}, expected {case['kept']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit(1)
    print(f"{name}: OK")


main()
