"""Runs one test of the frame reader with one CPython, or skips it (exit 77) when that
interpreter is not installed here.

    run.py offsets INTERPRETER OFFSETS_TABLE OFFSETS_PROBE_C WORKDIR CC...
    run.py frames|lines|cost INTERPRETER LIBPROBE SCRIPT

INTERPRETER is a path (/usr/bin/python3.11) or pyenv:3.X, the newest 3.X.Y pyenv installed
under $PYENV_ROOT (default ~/.pyenv).
"""
import os
import re
import subprocess
import sys

SKIP = 77


def interpreter(spec):
    if not spec.startswith("pyenv:"):
        return spec if os.access(spec, os.X_OK) else None
    minor = spec[len("pyenv:"):]
    root = os.path.join(os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"), "versions")
    found = []
    for name in os.listdir(root) if os.path.isdir(root) else []:
        m = re.fullmatch(re.escape(minor) + r"\.(\d+)", name)
        path = os.path.join(root, name, "bin", "python" + minor)
        if m and os.access(path, os.X_OK):
            found.append((int(m.group(1)), path))
    return max(found)[1] if found else None


def table(lines):
    return dict((name, int(value)) for name, value in (line.split() for line in lines.splitlines()))


def offsets(python, table_exe, probe_c, workdir, cc):
    """Every field of the version's table against offsetof() in the version's own headers."""
    info = subprocess.run([python, "-c", "import sys, sysconfig; "
                           "print('0x%02x%02x' % sys.version_info[:2]); "
                           "print(sysconfig.get_paths()['include'])"],
                          check=True, capture_output=True, text=True).stdout.split("\n")
    version, include = info[0], info[1]
    if not os.path.isdir(os.path.join(include, "internal")):
        print("skip: %s has no internal headers in %s" % (python, include))
        return SKIP
    exe = os.path.join(workdir, "offsets_probe-" + re.sub(r"\W", "_", python))
    subprocess.run(cc + ["-std=gnu11", "-I", include, probe_c, "-o", exe], check=True)
    want = table(subprocess.run([exe], check=True, capture_output=True, text=True).stdout)
    have = table(subprocess.run([table_exe, version], check=True, capture_output=True,
                                text=True).stdout)
    bad = 0
    for name in sorted(set(want) | set(have)):
        ok = want.get(name) == have.get(name)
        bad += not ok
        print("%-20s headers %-10s table %-10s %s" % (name, want.get(name), have.get(name),
                                                       "ok" if ok else "MISMATCH"))
    print("%s (%s, headers %s): %d fields, %d mismatches" % (python, version, include,
                                                               len(want), bad))
    return 1 if bad or not want else 0


def main():
    what, spec = sys.argv[1], sys.argv[2]
    python = interpreter(spec)
    if not python:
        print("skip: CPython %s is not installed" % spec)
        return SKIP
    if what == "offsets":
        return offsets(python, sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
    print("with %s" % python, flush=True)
    return subprocess.run([python, sys.argv[4], sys.argv[3]]).returncode


if __name__ == "__main__":
    sys.exit(main())
