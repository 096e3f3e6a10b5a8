"""ATOLL_PYTHON_GC and atoll run --python-gc set CPython's collector of an unmodified program.

usage: pygcset.py ATOLL LIBATOLL PYTHON

PYTHON is a path, or pyenv:3.X (skipped, exit 77, when absent). A one-line program prints
gc.get_threshold(), gc.isenabled(), gc.get_freeze_count() and whether a sitecustomize module was
imported; each case asserts the exact values:
- default, and no setting at all: the interpreter's own (measured without atoll: 3.13's
  threshold0 is 2000);
- 1234,5,6; off (own thresholds, disabled); freeze (own thresholds, a freeze count above the
  interpreter's own: 3.12 starts with some, and keeps exactly those with any other setting);
  freeze+3000,20,30; the same through atoll run --python-gc, and in alloc mode;
- a bad setting (7,8): the program's output unchanged, and exactly one line on stderr naming
  it; atoll run --python-gc 7,8 refuses to run (status 2, one line);
- a virtual environment (python -m venv --without-pip): the setting applies, and the program
  runs in the venv;
- a sitecustomize of the program's own on PYTHONPATH, which sets its thresholds to (111, 2, 3):
  it still runs, and the setting applies after it; with default, its thresholds stay; and the
  interpreter's own sitecustomize (Debian's python3.11 has one) is imported as without atoll."""
import os
import subprocess
import sys
import tempfile

from objects import fail, python_of

PROBE = ("import gc, sys; print(gc.get_threshold(), gc.isenabled(), gc.get_freeze_count(), "
         "'sitecustomize' in sys.modules, sys.prefix != sys.base_prefix)")


def run(argv, env, name):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        fail("%s: exit status %d: %s" % (name, p.returncode, p.stderr[-2000:]))
    return p.stdout, p.stderr


def main():
    atoll, lib, python = sys.argv[1:4]
    python = python_of(python)
    with tempfile.TemporaryDirectory() as work:
        base = dict(os.environ, ATOLL_OUTPUT=os.path.join(work, "out"), ATOLL_AT_EXIT="0")
        base.pop("ATOLL_PYTHON_GC", None)
        base.pop("PYTHONPATH", None)
        plain, _ = run([python, "-c", PROBE], base, "without atoll")
        own = eval(plain.split(")")[0] + ")")
        frozen = own_frozen = int(plain.split()[-3])  # 3.12 starts with some frozen
        site = plain.split()[-2]
        pre = dict(base, LD_PRELOAD=lib, PYTHONMALLOC="malloc")

        def expect(name, env, threshold, enabled, frozen, argv=None, venv=False, sitecust=None):
            out, err = run(argv or [python, "-c", PROBE], env, name)
            count = out.split()[-3]
            if frozen is True and int(count) > own_frozen:
                frozen = count
            want = "%s %s %s %s %s\n" % (threshold, enabled, frozen,
                                         sitecust if sitecust else site, venv)
            if out != want:
                fail("%s: printed %r, expected %r" % (name, out, want))
            if err:
                fail("%s: stderr %r, expected nothing" % (name, err))

        expect("no setting", pre, own, True, frozen)
        expect("default", dict(pre, ATOLL_PYTHON_GC="default"), own, True, frozen)
        expect("1234,5,6", dict(pre, ATOLL_PYTHON_GC="1234,5,6"), (1234, 5, 6), True, frozen)
        expect("off", dict(pre, ATOLL_PYTHON_GC="off"), own, False, frozen)
        expect("freeze", dict(pre, ATOLL_PYTHON_GC="freeze"), own, True, True)
        expect("freeze+3000,20,30", dict(pre, ATOLL_PYTHON_GC="freeze+3000,20,30"),
               (3000, 20, 30), True, True)
        expect("alloc mode", dict(pre, ATOLL_MODE="alloc", ATOLL_PYTHON_GC="1234,5,6"),
               (1234, 5, 6), True, frozen)

        out, err = run([python, "-c", PROBE], dict(pre, ATOLL_PYTHON_GC="7,8"), "bad setting")
        lines = err.splitlines()
        if out != plain or len(lines) != 1 or not lines[0].startswith(
                "atoll: ATOLL_PYTHON_GC=7,8 is not "):
            fail("bad setting: stdout %r (plain %r), stderr %r" % (out, plain, err))

        runenv = dict(base)
        del runenv["ATOLL_AT_EXIT"]
        for setting, want in (("1234,5,6", "(1234, 5, 6) True %d" % frozen),
                              ("freeze+3000,20,30", "(3000, 20, 30) True ")):
            p = subprocess.run([atoll, "run", "--output", os.path.join(work, "run"),
                                "--python-gc", setting, "--", python, "-c", PROBE], env=runenv,
                               capture_output=True, text=True, timeout=300)
            if p.returncode != 0 or not p.stdout.startswith(want) or (
                    setting.startswith("freeze") and int(p.stdout.split()[-3]) <= own_frozen):
                fail("atoll run --python-gc %s: status %d, stdout %r" % (setting, p.returncode,
                                                                         p.stdout))
        p = subprocess.run([atoll, "run", "--python-gc", "7,8", "--", python, "-c", PROBE],
                           env=runenv, capture_output=True, text=True, timeout=300)
        if p.returncode != 2 or p.stdout or len(p.stderr.splitlines()) != 1:
            fail("atoll run --python-gc 7,8: status %d, stdout %r, stderr %r"
                 % (p.returncode, p.stdout, p.stderr))

        venv = os.path.join(work, "venv")
        subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True, timeout=300)
        vpy = os.path.join(venv, "bin", "python3")
        expect("venv", dict(pre, ATOLL_PYTHON_GC="1234,5,6"), (1234, 5, 6), True, frozen,
               argv=[vpy, "-c", PROBE], venv=True)

        sitedir = os.path.join(work, "site")
        os.mkdir(sitedir)
        with open(os.path.join(sitedir, "sitecustomize.py"), "w") as f:
            f.write("import gc\ngc.set_threshold(111, 2, 3)\n")
        mine = dict(pre, PYTHONPATH=sitedir)
        expect("sitecustomize, default", dict(mine, ATOLL_PYTHON_GC="default"), (111, 2, 3),
               True, frozen, sitecust="True")
        expect("sitecustomize, 1234,5,6", dict(mine, ATOLL_PYTHON_GC="1234,5,6"), (1234, 5, 6),
               True, frozen, sitecust="True")
        expect("sitecustomize in a venv, freeze+3000,20,30",
               dict(mine, ATOLL_PYTHON_GC="freeze+3000,20,30"), (3000, 20, 30), True, True,
               argv=[vpy, "-c", PROBE], venv=True, sitecust="True")
        print("pygcset.py: %s: own thresholds %s, sitecustomize imported without atoll: %s; "
              "every setting as expected" % (python, own, site))


if __name__ == "__main__":
    main()
