"""Python stacks of allocations, checked on one interpreter.

usage: stacks.py ATOLL LIBATOLL PYTHON    (PYTHON as for objects.py: a path or pyenv:3.X)

Runs pystacks.py under PYTHON with libatoll.so preloaded: every object it made at a known line
(in a function, a method, a closure, a generator, a comprehension, a key function sorted calls
back from C, a second thread, code objects made and freed in turn at one address, a
subinterpreter) must be a member of an isolated cycle whose site's innermost
frame is a Python frame naming pystacks.py, that line and that function, exactly, and whose
native frames end at the eval loop; the text
report must show Python frames only (native ones with --native); and with ATOLL_PYTHON_STACKS=0
no site has a Python frame."""
import json
import os
import subprocess
import sys
import tempfile

from objects import HERE, analyze, fail, python_of

# With Python frames, a native stack ends at the interpreter's eval loop: what lies below is
# the interpreter's own way into Python.
EVAL_LOOP = "_PyEval_EvalFrameDefault"


def run(lib, python, work, extra_env):
    out = os.path.join(work, "out")
    env = dict(os.environ, PYTHONMALLOC="malloc", LD_PRELOAD=lib, ATOLL_AT_EXIT="0",
               ATOLL_OUTPUT=out, **extra_env)
    p = subprocess.run([python, os.path.join(HERE, "pystacks.py")], env=env,
                       capture_output=True, text=True, timeout=300)
    if p.returncode:
        fail("pystacks.py exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    dumps = [f for f in os.listdir(out) if f.endswith(".atoll")]
    if len(dumps) != 1:
        fail("expected one dump, found %s" % dumps)
    made = {}
    for line in p.stdout.splitlines():
        address, type_name, lineno, function = line.split()
        made[int(address, 16)] = (type_name, int(lineno), function)
    return os.path.join(out, dumps[0]), made


def main():
    atoll, lib, python = sys.argv[1:4]
    python = python_of(python)
    with tempfile.TemporaryDirectory() as work:
        dump, made = run(lib, python, work, {})
        report = json.loads(analyze(atoll, dump, "json"))
        members = {int(m["object"], 16): m for c in report["cycles"] for m in c["members"]
                   if "object" in m}
        for address, (type_name, lineno, function) in sorted(made.items()):
            m = members.get(address)
            if not m:
                fail("%s at %#x (line %d) is in no isolated cycle" % (type_name, address, lineno))
            frames = report["sites"][str(m["site"])]
            top = frames[0]
            want = {"kind": "python", "function": function,
                    "file": os.path.join(HERE, "pystacks.py"), "line": lineno}
            if top != want:
                fail("%s made at line %d: innermost frame %s, expected %s" % (
                    type_name, lineno, top, want))
            native = [f for f in frames if f["kind"] == "native"]
            if not native:
                fail("%s made at line %d: no native frames under the Python ones" % (
                    type_name, lineno))
            if native[-1].get("function") != EVAL_LOOP:
                fail("%s made at line %d: the native stack ends at %s, not at the eval loop" % (
                    type_name, lineno, native[-1]))
        text = analyze(atoll, dump, "text")
        native = subprocess.run([atoll, "analyze", "--native", dump], capture_output=True,
                                text=True).stdout
        if "(%s:" % os.path.join(HERE, "pystacks.py") not in text:
            fail("the text report names no pystacks.py line:\n" + text[:3000])
        if text.count(" in /") >= native.count(" in /"):
            fail("--native shows no more native frames than the default report")
        off_dir = os.path.join(work, "off")
        os.mkdir(off_dir)
        dump0, _ = run(lib, python, off_dir, {"ATOLL_PYTHON_STACKS": "0"})
        off = json.loads(analyze(atoll, dump0, "json"))
        if any(f.get("kind") == "python" for fs in off["sites"].values() for f in fs):
            fail("ATOLL_PYTHON_STACKS=0 still records Python frames")
        # Without Python frames the native stack is the only one, and goes on past the loop.
        if not any(f.get("function") == EVAL_LOOP and fs[-1] is not f
                   for fs in off["sites"].values() for f in fs):
            fail("ATOLL_PYTHON_STACKS=0: no native stack goes on below the eval loop")
        print("%d objects at their Python lines, exactly; native frames below; none when off"
              % len(made))


if __name__ == "__main__":
    main()
