"""`atoll diff` of a Python program, checked on one interpreter.

usage: diff.py ATOLL LIBATOLL PYTHON    (PYTHON as for objects.py: a path or pyenv:3.X)

Runs pycache.py (a module-level dict that gains a Session per request) collected after 1,000
and 5,000 requests: diff's first site row must be the line that fills the cache (handle at the
FILL line among its Python frames), what it had at the first collection survived, and the
Session type row gains exactly 4,000 objects of which 1,000 survived. Then two runs, of 1,000 and of 5,000 requests: the same first row, matched by
frames, with nothing survived."""
import json
import os
import subprocess
import sys
import tempfile

from objects import HERE, fail, python_of

SCRIPT = os.path.join(HERE, "pycache.py")


def fill_line():
    with open(SCRIPT) as f:
        return next(i for i, line in enumerate(f, 1) if line.rstrip().endswith("# FILL"))


def dumps(lib, python, work, name, counts):
    """The dumps of one run of pycache.py, in collection order."""
    out = os.path.join(work, name)
    env = dict(os.environ, PYTHONMALLOC="malloc", LD_PRELOAD=lib, ATOLL_AT_EXIT="0",
               ATOLL_OUTPUT=out)
    p = subprocess.run([python, SCRIPT] + [str(c) for c in counts], env=env,
                       capture_output=True, text=True, timeout=600)
    if p.returncode:
        fail("pycache.py exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    found = sorted((f for f in os.listdir(out) if f.endswith(".atoll")),
                   key=lambda f: int(f.split(".")[-2]))
    if len(found) != len(counts):
        fail("expected %d dumps, found %s" % (len(counts), found))
    return [os.path.join(out, f) for f in found]


def diff(atoll, old, new, form):
    r = subprocess.run([atoll, "diff", "--format", form, old, new],
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        fail("atoll diff exited %d: %s" % (r.returncode, r.stderr))
    return r.stdout


def check(report, text, same_process):
    """The first site row allocates at the FILL line (in handle itself, or in Session.__init__
    it calls: up to 3.10 each instance's __dict__ is a block of its own, made there, and the
    biggest row), gains a multiple of 4,000 blocks; the Session row is exact."""
    line = fill_line()
    top = report["sites"][0]
    frames = [(f["function"], os.path.basename(f["file"]), f["line"])
              for f in top["frames"] if f["kind"] == "python"]
    if ("handle", "pycache.py", line) not in frames[:2] or frames[-1][0] != "<module>":
        fail("the first row is not the line that fills the cache: %s" % frames)
    gained = top["gained"]["blocks"]
    if gained < 4000 or gained % 4000:
        fail("the first row gained %d blocks" % gained)
    if report["same_process"] != same_process:
        fail("same_process is %s" % report["same_process"])
    # Within one process, all but the cache's table (reallocated as it grew) survived, and but
    # the arguments of the last collector callback atoll's telemetry holds (a tuple, the info
    # dict and what it holds: up to 8 blocks made at the line whose allocation triggered that
    # collection, here the line that fills the cache; docs/python.md).
    if same_process and top["survived"] < top["old"]["blocks"] - 9:
        fail("the first row's survivors: %s of %s" % (top["survived"], top["old"]["blocks"]))
    if not same_process and top["survived"] is not None:
        fail("two runs, yet %s survived" % top["survived"])
    sessions = [t for t in report["types"] if t["type"] == "Session"]
    if len(sessions) != 1:
        fail("no Session row: %s" % [t["type"] for t in report["types"]])
    s = sessions[0]
    want = (1000, 5000, 1000 if same_process else None)
    if (s["old"]["blocks"], s["new"]["blocks"], s["survived"]) != want:
        fail("Session row: %s" % {k: s[k] for k in ("old", "new", "survived")})
    first = text.split("GROWTH BY SITE")[1].splitlines()[1:2 + len(frames)]
    if not first[0].startswith("#1 +%d bytes in +%d blocks" % (top["gained"]["bytes"], gained)) \
            or "    #%d handle (%s:%d)" % (frames.index(("handle", "pycache.py", line)), SCRIPT,
                                           line) not in first:
        fail("the text's first row: %s" % first)


def main():
    atoll, lib, python = sys.argv[1:4]
    python = python_of(python)
    with tempfile.TemporaryDirectory() as work:
        old, new = dumps(lib, python, work, "one", [1000, 5000])
        check(json.loads(diff(atoll, old, new, "json")), diff(atoll, old, new, "text"), True)
        small, = dumps(lib, python, work, "small", [1000])
        big, = dumps(lib, python, work, "big", [5000])
        check(json.loads(diff(atoll, small, big, "json")), diff(atoll, small, big, "text"),
              False)
    print("diff of %s: ok" % python)


if __name__ == "__main__":
    main()
