"""What the `atoll why` tests share: a source line by its text, a run of atoll why, and the
dumps a program run with libatoll.so leaves."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def line_of(source, text):
    """The number of the first line of tests/retention/SOURCE holding text."""
    with open(os.path.join(HERE, source)) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    fail("no %r in %s" % (text, source))


def why(atoll, dump, *args):
    """atoll why DUMP ARGS: (exit status, stdout, stderr)."""
    r = subprocess.run([atoll, "why", dump] + list(args), capture_output=True, text=True,
                       timeout=300)
    return r.returncode, r.stdout, r.stderr


def dumps_of(argv, env, work, expect):
    """Runs argv with env (LD_PRELOAD and the rest set by the caller), dumps into work/out; its
    `expect` dumps in collection order, and what it wrote on its standard output."""
    out = os.path.join(work, "out")
    env = dict(env, ATOLL_OUTPUT=out, ATOLL_AT_EXIT="0")
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode:
        fail("%s exited %d: %s" % (argv, p.returncode, p.stderr[-2000:]))
    names = sorted((f for f in os.listdir(out) if f.endswith(".atoll")),
                   key=lambda f: int(f.split(".")[-2]))
    if len(names) != expect:
        fail("expected %d dumps, found %s" % (expect, names))
    return [os.path.join(out, f) for f in names], p.stdout
