"""`atoll why` on a Python script whose module-level dict keeps every request (pycache.py).

usage: why_python.py ATOLL LIBATOLL PYTHON    (PYTHON: a path, or pyenv:3.X; skipped, exit 77,
                                             when absent)

Two dumps, after 1,000 and 5,000 requests. In each, `atoll why --type Session` matches exactly
the sessions made so far, and the first one's path reads `__main__._cache`, then the dict made
on pycache.py's line of `_cache = {}`, then `-['req0']-> Session (..., handle pycache.py:N)`
(the line that makes it); in JSON every session's path starts at the module
`__main__`'s global `_cache` and ends through its key `['reqN']`, and every payload list of
make_payload reads `['reqN']` then `.payload` after the global."""
import json
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "objects"))
from objects import python_of  # noqa: E402
from whyrun import dumps_of, fail, line_of, why  # noqa: E402


def why_ok(atoll, dump, *args):
    rc, out, err = why(atoll, dump, *args)
    if rc:
        fail("atoll why %s exited %d: %s" % (args, rc, err))
    return out


def after_global(p):
    """The labels of a path's hops after the module's global."""
    labels = [h.get("label") for h in p["hops"]]
    for i, label in enumerate(labels):
        if label in ("['_cache']", "._cache"):
            return labels[i + 1:]
    fail("no _cache in %s" % p)


def check(atoll, dump, requests):
    out = why_ok(atoll, dump, "--type", "Session", "--paths", "1")
    lines = out.splitlines()
    if not lines[0].startswith("atoll why: %d blocks " % requests):
        fail("first line %r" % lines[0])
    session = r"Session \(\d+ B, handle pycache\.py:%d\)" % line_of("pycache.py", "= Session(key)")
    want = [r"#1 %s at 0x[0-9a-f]+, retaining \d+ bytes in \d+ blocks, still reachable:" % session,
            r"      __main__\._cache",
            r"      -> dict \(\d+ B, <module> pycache\.py:%d\)" % line_of("pycache.py", "_cache = {}"),
            r"      -\['req0'\]-> %s" % session]
    if len(lines) != 5 or not all(re.fullmatch(w, l) for w, l in zip(want, lines[1:])):
        fail("the path reads\n%s\nexpected\n%s" % ("\n".join(lines[1:]), "\n".join(want)))
    r = json.loads(why_ok(atoll, dump, "--type", "Session", "--format", "json", "--paths", "100000"))
    keys = set()
    for p in r["paths"]:
        root = p["root"]
        if (root["kind"], root["name"], root.get("global")) != ("python_module", "__main__",
                                                                 "_cache"):
            fail("a session's path from %s" % root)
        rest = after_global(p)
        if len(rest) != 1 or not re.fullmatch(r"\['req\d+'\]", rest[0] or ""):
            fail("a session's path %s" % p)
        keys.add(rest[0])
    if len(keys) != requests or r["matched"]["blocks"] != requests:
        fail("%d sessions by %d keys, expected %d" % (r["matched"]["blocks"], len(keys), requests))
    r = json.loads(why_ok(atoll, dump, "--type", "list", "--format", "json", "--paths", "100000"))
    payloads = [p for p in r["paths"] if p["hops"][-1]["at"].startswith("make_payload ")]
    for p in payloads:
        rest = after_global(p)
        if len(rest) != 2 or not re.fullmatch(r"\['req\d+'\]", rest[0] or "") or \
                rest[1] != ".payload":
            fail("a payload's path %s" % p)
    if len(payloads) != requests:
        fail("%d payload lists, expected %d" % (len(payloads), requests))


def main():
    atoll, lib, python = sys.argv[1], sys.argv[2], python_of(sys.argv[3])
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, PYTHONMALLOC="malloc", LD_PRELOAD=lib)
        dumps, _ = dumps_of([python, os.path.join(HERE, "pycache.py")], env, work, 2)
        for dump, requests in zip(dumps, (1000, 5000)):
            check(atoll, dump, requests)
    print("ok")


if __name__ == "__main__":
    main()
