"""Objects CPython's free lists would serve, checked on one interpreter.

usage: freelists.py ATOLL LIBATOLL PYTHON exact|tracemalloc|threads   (PYTHON as objects.py)

Runs pyfreelists.py under PYTHON with libatoll.so preloaded. `exact`: every object it made
after dropping objects of its kind (lists, dicts, tuples, in cycles, in functions, methods, a
closure, a generator, comprehensions, sorted's key function and a second thread) must be a
member of an isolated cycle whose site's innermost frame names pystacks.py's line and function
exactly; and with ATOLL_PYTHON_FREELISTS=0 (CPython's free lists left alone) some must not,
or the script would not exercise the free lists. `tracemalloc`: a second, separate run of the
same script under python -X tracemalloc=25 (no atoll) gives each object, matched by the order
they were made, tracemalloc's line; for every object tracemalloc places, atoll's line must be
the same, and where it places none, atoll's must be the script's own. `threads`: under
pyfreethreads.py (Python threads making and dropping containers while others malloc in zlib
without the GIL and the main thread runs full collections) every object kept is at its exact
line, and atoll never gave up the free lists (ATOLL_VERBOSE=1 would say so on stderr)."""
import json
import os
import subprocess
import sys
import tempfile

from objects import HERE, analyze, fail, python_of

SCRIPT = os.path.join(HERE, "pyfreelists.py")


def atoll_lines(atoll, lib, python, work, extra_env, script=SCRIPT):
    """{index: (type, line wanted, function wanted, innermost frame atoll gives)}"""
    out = os.path.join(work, "out")
    env = dict(os.environ, PYTHONMALLOC="malloc", LD_PRELOAD=lib, ATOLL_AT_EXIT="0",
               ATOLL_OUTPUT=out, ATOLL_VERBOSE="1", **extra_env)
    p = subprocess.run([python, script, "atoll"], env=env, capture_output=True, text=True,
                       timeout=300)
    if p.returncode:
        fail("%s exited %d: %s" % (script, p.returncode, p.stderr[-2000:]))
    if "free lists are left alone" in p.stderr:
        fail("atoll gave the free lists up: %s" % p.stderr[-2000:])
    dumps = [f for f in os.listdir(out) if f.endswith(".atoll")]
    if len(dumps) != 1:
        fail("expected one dump, found %s" % dumps)
    report = json.loads(analyze(atoll, os.path.join(out, dumps[0]), "json"))
    members = {int(m["object"], 16): m for c in report["cycles"] for m in c["members"]
               if "object" in m}
    found = {}
    for index, line in enumerate(p.stdout.splitlines()):
        fields = line.split()
        if len(fields) == 5:
            index = int(fields.pop(0))
        address, type_name, lineno, function = fields
        m = members.get(int(address, 16))
        top = report["sites"][str(m["site"])][0] if m else None
        found[index] = (type_name, int(lineno), function, top)
    if not found:
        fail("%s made no object" % script)
    return found


def wanted(lineno, function, script=SCRIPT):
    return {"kind": "python", "function": function, "file": script, "line": lineno}


def all_exact(found, script):
    for index, (type_name, lineno, function, top) in sorted(found.items()):
        if top is None:
            fail("object %d (%s, line %d) is in no isolated cycle" % (index, type_name, lineno))
        if top != wanted(lineno, function, script):
            fail("object %d (%s) made at line %d: innermost frame %s, expected %s" % (
                index, type_name, lineno, top, wanted(lineno, function, script)))


def threads(atoll, lib, python, work):
    script = os.path.join(HERE, "pyfreethreads.py")
    found = atoll_lines(atoll, lib, python, work, {}, script)
    all_exact(found, script)
    print("%d objects kept by two threads at their exact lines, among threads mallocing "
          "without the GIL and full collections" % len(found))


def exact(atoll, lib, python, work):
    found = atoll_lines(atoll, lib, python, work, {})
    all_exact(found, SCRIPT)
    off_dir = os.path.join(work, "off")
    os.mkdir(off_dir)
    off = atoll_lines(atoll, lib, python, off_dir, {"ATOLL_PYTHON_FREELISTS": "0"})
    stale = [i for i, (_, lineno, function, top) in off.items()
             if top != wanted(lineno, function)]
    if not stale:
        fail("with ATOLL_PYTHON_FREELISTS=0 every object still has its line: the script "
             "does not exercise the free lists")
    print("%d objects at their exact lines and functions; %d of them elsewhere with the free "
          "lists left alone" % (len(found), len(stale)))


def compare(atoll, lib, python, work):
    found = atoll_lines(atoll, lib, python, work, {})
    p = subprocess.run([python, "-X", "tracemalloc=25", SCRIPT, "trace"], capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, PYTHONMALLOC="malloc"))
    if p.returncode:
        fail("pyfreelists.py trace exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    traced = {}
    for line in p.stdout.splitlines():
        index, type_name, lineno = line.split()
        traced[int(index)] = (type_name, None if lineno == "-" else int(lineno))
    if sorted(traced) != sorted(found):
        fail("the two runs made different objects: %s and %s" % (sorted(traced), sorted(found)))
    placed = unplaced = 0
    for index, (type_name, lineno, function, top) in sorted(found.items()):
        t_type, t_line = traced[index]
        if t_type != type_name:
            fail("object %d: %s under tracemalloc, %s under atoll" % (index, t_type, type_name))
        atoll_line = top.get("line") if top and top.get("file") == SCRIPT else None
        if t_line is not None:
            placed += 1
            if atoll_line != t_line:
                fail("object %d (%s): tracemalloc says line %d, atoll %s" % (
                    index, type_name, t_line, top))
        else:
            unplaced += 1
            if atoll_line != lineno:
                fail("object %d (%s): tracemalloc cannot place it, atoll says %s, the script "
                     "made it at line %d" % (index, type_name, top, lineno))
    print("%d objects: %d placed by tracemalloc, all at atoll's line; %d it cannot place, all "
          "at the script's line under atoll" % (len(found), placed, unplaced))


def main():
    atoll, lib, python, what = sys.argv[1:5]
    python = python_of(python)
    with tempfile.TemporaryDirectory() as work:
        {"exact": exact, "tracemalloc": compare, "threads": threads}[what](atoll, lib, python,
                                                                           work)


if __name__ == "__main__":
    main()
