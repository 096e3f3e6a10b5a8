"""The exit collection of a Python program runs where its atexit callbacks run, before the
interpreter's finalization frees its cycles, with nothing in the program to change.

usage: pyexit.py ATOLL LIBATOLL PYTHON

PYTHON is a path, or pyenv:3.X for pyenv's build of 3.X (skipped, exit 77, when absent). Each case runs exitcycles.py (copied into a scratch dir, so that nothing
is written beside it) under `atoll run` and reads its JSON report: the run leaves exactly one
dump, collection 1 (exit), and its isolated cycles are exactly the ExitRing pairs the script
dropped, plus the cycles this interpreter shows with none dropped (its baseline, measured first:
none but on 3.8, where atoll reads a few built-in modules as a cycle). Cases: a script, -m, -c,
an uncaught exception, sys.exit(3), the collector enabled, an atexit handler of the program's
own (it runs first: what it frees is not reported), a virtual environment; os._exit(0) leaves
no report. Preloaded without atoll run, a program that drops no cycle gets nothing on stdout or
stderr, under -I -X dev too (the allocator's debug hooks, which abort on a block freed through
them that they did not allocate)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from objects import HERE, fail, python_of

INLINE = ("import gc\ngc.collect()\ngc.disable()\n"
          "class ExitRing:\n    __slots__ = ('peer',)\n"
          "def make(n):\n    for _ in range(n):\n"
          "        a = ExitRing(); b = ExitRing(); a.peer = b; b.peer = a\n"
          "make(%d)\nprint('made', %d)\n")


class Runner:
    def __init__(self, atoll, lib, python, work):
        self.atoll, self.lib, self.python, self.work = atoll, lib, python, work
        self.runs = 0

    def run(self, name, argv, status, output):
        """atoll run on argv; checks the exit status and stdout; returns (report, stderr)."""
        self.runs += 1
        out = os.path.join(self.work, "dumps%d" % self.runs)
        report = os.path.join(self.work, "report%d.json" % self.runs)
        p = subprocess.run([self.atoll, "run", "--format", "json", "--report", report,
                            "--output", out, "--"] + argv, cwd=self.work,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != status:
            fail("%s: exit status %d, expected %d; stderr: %s"
                 % (name, p.returncode, status, p.stderr[-2000:]))
        if p.stdout != output:
            fail("%s: stdout %r, expected %r" % (name, p.stdout, output))
        if status == 2:
            return None, p.stderr
        dumps = [f for f in os.listdir(out) if f.endswith(".atoll")]
        if len(dumps) != 1:
            fail("%s: expected one dump, found %s" % (name, dumps))
        with open(report) as f:
            r = json.load(f)
        c = r["collection"]
        if c["number"] != 1 or c["trigger"] != "exit":
            fail("%s: the dump is collection %d (%s), expected 1 (exit)"
                 % (name, c["number"], c["trigger"]))
        return r, p.stderr


def rings(report):
    """The report's cycles made of ExitRing instances alone, and the others' count."""
    ours = sum(1 for c in report["cycles"]
               if all(m.get("type") == "ExitRing" for m in c["members"]))
    return ours, report["summary"]["isolated_cycles"]["count"] - ours


def expect_cycles(name, report, n, baseline):
    ours, others = rings(report)
    total = report["summary"]["isolated_cycles"]["count"]
    if ours != n or total != n + baseline:
        fail("%s: %d isolated cycles (%d of ExitRing pairs), expected %d (%d, and the "
             "interpreter's %d)" % (name, total, ours, n + baseline, n, baseline))


def quiet(r, name, argv, baseline):
    """Preloaded directly: the program's own output, and nothing else but, where the
    interpreter's baseline is not empty, the library's one exit line."""
    env = dict(os.environ, LD_PRELOAD=r.lib, PYTHONMALLOC="malloc",
               ATOLL_OUTPUT=os.path.join(r.work, "quiet"))
    p = subprocess.run(argv, cwd=r.work, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode != 0 or p.stdout != "made 0\n":
        fail("%s: exit status %d, stdout %r, stderr %r" % (name, p.returncode, p.stdout, p.stderr))
    lines = p.stderr.splitlines()
    if lines and not (baseline and len(lines) == 1 and lines[0].startswith("atoll: ")):
        fail("%s: stderr %r, expected nothing" % (name, p.stderr))


def main():
    atoll, lib, python = sys.argv[1:4]
    python = python_of(python)
    with tempfile.TemporaryDirectory() as work:
        shutil.copy(os.path.join(HERE, "exitcycles.py"), work)
        r = Runner(atoll, lib, python, work)
        venv = os.path.join(work, "venv")
        subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True, timeout=300)
        script = lambda mode, n: [python, "exitcycles.py", mode, str(n)]
        made = lambda n: "made %d\n" % n
        # name, argv for n pairs, exit status, stdout for n, cycles expected for n
        cases = [
            ("script", lambda n: script("plain", n), 0, made, lambda n: n),
            ("-m", lambda n: [python, "-m", "exitcycles", "plain", str(n)], 0, made, lambda n: n),
            ("-c", lambda n: [python, "-c", INLINE % (n, n)], 0, made, lambda n: n),
            ("uncaught exception", lambda n: script("raise", n), 1, made, lambda n: n),
            ("sys.exit(3)", lambda n: script("exit3", n), 3, made, lambda n: n),
            ("collector enabled", lambda n: script("gcon", n), 0, made, lambda n: n),
            ("atexit handler", lambda n: script("handler", n), 0,
             lambda n: made(n) + "handler ran\n", lambda n: n // 5),
            ("venv", lambda n: [os.path.join(venv, "bin", "python3")] + script("venv", n)[1:], 0,
             made, lambda n: n),
        ]
        baseline = 0
        for name, argv, status, output, expected in cases:
            # The same program dropping no pair first: its cycles are the interpreter's.
            report, _ = r.run(name + ", no pair", argv(0), status, output(0))
            base = report["summary"]["isolated_cycles"]["count"]
            if rings(report)[0]:
                fail("%s: ExitRing cycles where the script made none" % name)
            baseline = max(baseline, base)
            report, stderr = r.run(name, argv(50), status, output(50))
            expect_cycles(name, report, expected(50), base)
            if status == 1 and "RuntimeError: uncaught" not in stderr:
                fail("%s: no traceback on stderr: %s" % (name, stderr[-2000:]))

        _, stderr = r.run("os._exit", script("osexit", 10), 2, made(10))
        if "atoll run: no report" not in stderr:
            fail("os._exit: expected atoll run's no-report line: %s" % stderr[-2000:])

        quiet(r, "quiet", script("plain", 0), baseline)
        quiet(r, "quiet, -I -X dev", [python, "-I", "-X", "dev"] + script("plain", 0)[1:], True)
        print("pyexit.py: %s, %d runs as expected (at most %d cycles with no pair dropped)"
              % (python, r.runs + 2, baseline))


if __name__ == "__main__":
    main()
