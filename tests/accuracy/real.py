#!/usr/bin/env python3
"""A real program's clean run through `atoll run --format json`: atoll must not report more
definitely lost bytes than Valgrind's memcheck does on the same command (Valgrind, when it is
installed, runs here too; otherwise its figures measured for docs/accuracy.md stand in).
Usage: real.py ATOLL LIBATOLL CASE, with CASE python, sqlite3 (which runs
../workloads/sqlite3.sql) or git-status. ATOLL_TEST_VALGRIND=0 skips Valgrind; =1 requires it."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77  # meson's "skipped"

# Valgrind 3.19's definitely lost bytes for each case, measured on Debian 12.
RECORDED = {"python": 0, "sqlite3": 0, "git-status": 0}


def env_for(case, home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ATOLL_", "GIT_")) and
           k not in ("LD_PRELOAD", "PYTHONMALLOC", "MALLOC_PERTURB_")}
    env.update(LC_ALL="C", HOME=home, GIT_CONFIG_NOSYSTEM="1")
    # atoll run sets PYTHONMALLOC=malloc; Valgrind must see the same allocations.
    env["PYTHONMALLOC"] = "malloc"
    return env


def make_repo(path, env):
    """A small repository with one commit, a modified file and an untracked one."""
    os.makedirs(path)
    git = lambda *a: subprocess.run(["git", *a], cwd=path, env=env, check=True,
                                    capture_output=True)
    git("init", "-q", "-b", "main")
    for i in range(1, 6):
        with open(os.path.join(path, f"f{i}.txt"), "w") as f:
            f.write("".join(f"file {i} line {n}\n" for n in range(100)))
    git("add", "-A")
    git("-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-q", "-m", "one")
    with open(os.path.join(path, "f1.txt"), "a") as f:
        f.write("changed\n")
    with open(os.path.join(path, "new.txt"), "w") as f:
        f.write("untracked\n")


def command(case, tmp, env):
    """(argv, stdin path or None, cwd)"""
    if case == "python":
        exe = "/usr/bin/python3.11"  # not PATH's python3, which may be a pyenv shim
        if not os.access(exe, os.X_OK):
            print(f"{exe} is not installed")
            sys.exit(SKIP)
        return [exe, "-c", "pass"], None, tmp
    if case == "sqlite3":
        if not shutil.which("sqlite3"):
            print("sqlite3 is not installed")
            sys.exit(SKIP)
        workload = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads",
                                "sqlite3.sql")
        return ["sqlite3", ":memory:"], workload, tmp
    if case == "git-status":
        if not shutil.which("git"):
            print("git is not installed")
            sys.exit(SKIP)
        repo = os.path.join(tmp, "repo")
        make_repo(repo, env)
        return ["git", "status"], None, repo
    raise SystemExit(f"unknown case {case}")


def run(argv, stdin, cwd, env):
    with open(stdin or os.devnull) as f:
        return subprocess.run(argv, stdin=f, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=1200)


def valgrind_definite(argv, stdin, cwd, env, tmp):
    setting = os.environ.get("ATOLL_TEST_VALGRIND", "")
    if setting == "0" or (not shutil.which("valgrind") and setting != "1"):
        return None
    log = os.path.join(tmp, "valgrind.log")
    r = run(["valgrind", "--leak-check=full", "--log-file=" + log, *argv], stdin, cwd, env)
    text = open(log).read() if os.path.exists(log) else ""
    if r.returncode != 0:
        print(text, r.stderr)
        raise SystemExit(f"FAIL: {argv} under Valgrind: exit {r.returncode}")
    if "All heap blocks were freed -- no leaks are possible" in text:
        return 0, text
    m = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", text)
    if not m:
        print(text)
        raise SystemExit("FAIL: no 'definitely lost' line in Valgrind's summary")
    return int(m.group(1).replace(",", "")), text


def show_definite(rep):
    """atoll's definite leak groups with their innermost frames, for the investigation."""
    for l in rep["leaks"]:
        if l["kind"] != "definite":
            continue
        print(f"  {l['bytes']} bytes in {l['blocks']} blocks definitely lost, allocated at:")
        for f in rep["sites"][str(l["site"])][:8]:
            print(f"    {f['function']} ({f['file']}:{f['line']}) in {f['module']}")


def main():
    atoll, lib, case = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="atoll-real-")
    try:
        env = env_for(case, tmp)
        argv, stdin, cwd = command(case, tmp, env)
        out = os.path.join(tmp, "report.json")
        r = run([atoll, "run", "--preload", lib, "--format", "json", "--report", out,
                 "--output", os.path.join(tmp, "dumps"), "--", *argv], stdin, cwd, env)
        if r.returncode != 0 or not os.path.exists(out):
            print(r.stdout, r.stderr)
            raise SystemExit(f"FAIL: atoll run {argv}: exit {r.returncode}")
        rep = json.load(open(out))
        s = rep["summary"]
        # The report must be the program's own, from a heap atoll served.
        if os.path.basename(rep["process"]["exe"]) != os.path.basename(argv[0]) or \
                rep["process"]["heap_blocks"] == 0:
            raise SystemExit(f"FAIL: the report is not of {argv[0]}'s heap: {rep['process']}")
        definite = s["definitely_lost"]["bytes"]
        print(f"{case}: atoll definitely lost {s['definitely_lost']}, indirectly lost "
              f"{s['indirectly_lost']}, reachable {s['reachable']}, cycles {s['isolated_cycles']}")
        vg = valgrind_definite(argv, stdin, cwd, env, tmp)
        if vg is None:
            limit, source = RECORDED[case], "recorded Valgrind figure"
        else:
            limit, source = vg[0], "Valgrind"
            summary = re.findall(r"(?:definitely|indirectly|possibly) lost: .*|still reachable: .*",
                                 vg[1])
            print(f"{case}: valgrind " + ("; ".join(summary) or "no leaks are possible"))
        if definite > limit:
            show_definite(rep)
            raise SystemExit(f"FAIL: atoll reports {definite} bytes definitely lost, "
                             f"{source} {limit}")
        print(f"{case}: OK ({definite} <= {limit}, {source})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
