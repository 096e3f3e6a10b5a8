"""Refcount-aware collections checked against CPython's own collector.

usage: objects.py ATOLL LIBATOLL PYTHON cycles N | broken N | refleak

Runs a script of this folder under PYTHON with libatoll.so preloaded (PYTHONMALLOC=malloc),
analyzes the dump it collected and compares: for `cycles`, the isolated cycles' objects must be
exactly those gc.collect() finds (addresses and types), as four shapes of count N; for
`broken`, none; for `refleak`, exactly one refcount leak, the object the script incremented,
surplus 1. PYTHON "default" means the `python3` on PATH, when it is another build than
/usr/bin/python3.11 (else the test is skipped: exit 77); "pyenv:3.X" pyenv's 3.X."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def python_of(arg):
    """PYTHON as given: a path; "pyenv:3.X", pyenv's build of 3.X; or "default" (above). Skips
    the test (exit 77) when the interpreter is not on this machine."""
    if arg.startswith("pyenv:"):
        minor = arg[len("pyenv:"):]
        pattern = os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s" % (minor, minor))
        found = sorted(glob.glob(pattern))
        if not found:
            print("no CPython %s from pyenv (%s): skipped" % (minor, pattern))
            sys.exit(77)
        return found[-1]
    if arg != "default":
        if not os.access(arg, os.X_OK):
            print("no %s: skipped" % arg)
            sys.exit(77)
        return arg
    found = shutil.which("python3")
    if not found:
        sys.exit(77)
    exe = subprocess.run([found, "-c", "import sys; print(sys.executable)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    if os.path.realpath(exe) == os.path.realpath("/usr/bin/python3.11"):
        print("python3 is /usr/bin/python3.11: nothing more to test")
        sys.exit(77)
    return exe


def run_dump(lib, python, script, args, work):
    """Runs script under python with libatoll.so; the one dump it left."""
    env = dict(os.environ, PYTHONMALLOC="malloc", LD_PRELOAD=lib, ATOLL_AT_EXIT="0",
               ATOLL_OUTPUT=os.path.join(work, "out"))
    p = subprocess.run([python, os.path.join(HERE, script)] + args, env=env,
                       capture_output=True, text=True, timeout=600)
    if p.returncode:
        fail("%s exited %d: %s" % (script, p.returncode, p.stderr[-2000:]))
    dumps = [f for f in os.listdir(env["ATOLL_OUTPUT"]) if f.endswith(".atoll")]
    if len(dumps) != 1:
        fail("expected one dump, found %s" % dumps)
    return os.path.join(env["ATOLL_OUTPUT"], dumps[0])


def analyze(atoll, dump, form):
    r = subprocess.run([atoll, "analyze", "--format", form, dump],
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        fail("atoll analyze exited %d: %s" % (r.returncode, r.stderr))
    return r.stdout


def run(atoll, lib, python, script, args, work):
    return json.loads(analyze(atoll, run_dump(lib, python, script, args, work), "json"))


def kept_cycles(report):
    leaked = {int(l["address"], 16) for l in report["refcount_leaks"]}
    return [c for c in report["cycles"]
            if not any(int(m.get("object", "0"), 16) in leaked for m in c["members"])]


def cycle_objects(report):
    """The objects of the isolated cycles, but for cycles holding an object counted more than
    referenced: gc cannot collect what its count keeps (3.8 starts with such a module,
    _warnings), atoll reports it as garbage and as a refcount leak."""
    found = set()
    for c in kept_cycles(report):
        for m in c["members"]:
            if "type" not in m:
                fail("cycle %d has a member that is no object: %s" % (c["id"], m))
            found.add((int(m["object"], 16), m["type"]))
    return found


def same_as_gc(report, out):
    """The cycles' objects, which must be those of the "address type" lines of out."""
    gc_found = set()
    for line in open(out):
        address, type_name = line.split()
        gc_found.add((int(address, 16), type_name))
    atoll_found = cycle_objects(report)
    if atoll_found != gc_found:
        fail("atoll found %d cycle objects, gc %d; only atoll: %s; only gc: %s" % (
            len(atoll_found), len(gc_found), sorted(atoll_found - gc_found)[:5],
            sorted(gc_found - atoll_found)[:5]))
    return atoll_found, gc_found


def main():
    atoll, lib, python, what = sys.argv[1:5]
    python = python_of(python)
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "gc.txt")
        if what in ("cycles", "broken"):
            n = int(sys.argv[5])
            report = run(atoll, lib, python, "pycycles.py", [str(n), what, out], work)
            atoll_found, gc_found = same_as_gc(report, out)
            shapes = {}
            for c in kept_cycles(report):
                shapes[c["shape"]] = shapes.get(c["shape"], 0) + 1
            counts = sorted(shapes.values())
            want = [n] * 4 if what == "cycles" else []
            if counts != want:
                fail("shape counts %s, expected %s" % (counts, want))
            if what == "cycles" and len(gc_found) != 6 * n:
                fail("gc found %d objects, expected %d" % (len(gc_found), 6 * n))
            for c in kept_cycles(report):
                brk = c.get("break")
                if not brk or brk["frees"] != len(c["members"]):
                    fail("cycle %d: break %s does not free its %d members" % (
                        c["id"], brk, len(c["members"])))
            print("%s %d: %d objects in %d cycles, as gc.collect() found" % (
                what, n, len(atoll_found), len(kept_cycles(report))))
        else:
            report = run(atoll, lib, python, "pyrefleak.py", [out], work)
            lines = open(out).read().split()
            address, modules = int(lines[0], 16), {int(a, 16) for a in lines[1:]}
            leaks = [l for l in report["refcount_leaks"] if int(l["address"], 16) not in modules]
            got = [(int(l["address"], 16), l["type"], l["surplus"], l["refcount"],
                    l["references_found"]) for l in leaks]
            if got != [(address, "Leaky", 1, 2, 1)]:
                fail("refcount leaks %s, expected the Leaky at %x: refcount 2, 1 found, "
                     "surplus 1" % (got, address))
            total = report["summary"]["refcount_leaks"]
            if total != {"objects": len(report["refcount_leaks"]),
                         "surplus": sum(l["surplus"] for l in report["refcount_leaks"])}:
                fail("summary %s" % total)
            print("refleak: the Leaky at %x, surplus 1" % address)


if __name__ == "__main__":
    main()
