#!/usr/bin/env python3
"""The JSON and dot reports, checked from outside: `python3 -m json.tool` parses the JSON,
exact values are compared, and `dot -Tsvg` renders the dot. Usage: report_check.py ATOLL DUMPGEN"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

atoll, dumpgen = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="atoll-report-")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def dump(name):
    path = os.path.join(tmp, name + ".atoll")
    subprocess.run([dumpgen, name, path], check=True)
    return path


def report(path, fmt, *extra):
    out = os.path.join(tmp, os.path.basename(path) + "." + fmt)
    r = subprocess.run([atoll, "analyze", "--format", fmt, "--report", out, *extra, path],
                       capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
          f"analyze {fmt} {path}: {r.returncode} {r.stderr}")
    return out


try:
    # json.tool parses every report
    for name in ["single", "list", "dlist", "self", "cycles", "tree", "rooted", "young",
                 "flags", "shapes", "empty", "retainers", "pyretainers"]:
        out = report(dump(name), "json")
        r = subprocess.run([sys.executable, "-m", "json.tool", out], capture_output=True)
        check(r.returncode == 0, f"json.tool {name}: {r.stderr!r}")

    t = json.load(open(report(dump("tree"), "json")))
    check(t["format"] == "atoll-report" and t["version"] == 1, "format/version")
    s = t["summary"]
    check(s["blocks"] == 7 and s["bytes"] == 240, f"summary totals {s}")
    check(s["reachable"] == {"blocks": 0, "bytes": 0}, "reachable")
    check(s["leaked"] == {"blocks": 7, "bytes": 240}, "leaked")
    check(s["definitely_lost"] == {"blocks": 2, "bytes": 112}, "definitely_lost")
    check(s["indirectly_lost"] == {"blocks": 5, "bytes": 128}, "indirectly_lost")
    check(s["isolated_cycles"] == {"count": 1, "blocks": 2, "bytes": 96}, "isolated_cycles")
    check(s["suppressed"] == {"blocks": 0, "bytes": 0}, "suppressed")
    check(s["cycle_shapes"] == 1, "cycle_shapes count")
    leaks = [(l["site"], l["kind"], l["blocks"], l["bytes"]) for l in t["leaks"]]
    check(leaks == [(4, "definite", 1, 64), (3, "indirect", 3, 48), (1, "definite", 1, 48),
                    (1, "indirect", 1, 48), (2, "indirect", 1, 32)], f"leaks {leaks}")
    check(len(t["cycles"]) == 1, "one cycle")
    c = t["cycles"][0]
    check((c["id"], c["shape"], c["blocks"], c["bytes"], c["retained_blocks"],
           c["retained_bytes"]) == (0, 0, 2, 96, 3, 64), f"cycle {c}")
    check([m["address"] for m in c["members"]] == ["0x10000000", "0x10000040"],
          f"members {c['members']}")
    check([(m["size"], m["site"], m["seq"], m["kind"]) for m in c["members"]] ==
          [(48, 1, 1, "definite"), (48, 1, 2, "indirect")], "member fields")
    check(c["edges"] == [{"from": 0, "to": 1, "offset": 0, "label": None},
                         {"from": 1, "to": 0, "offset": 0, "label": None}],
          f"edges {c['edges']}")
    sh = t["cycle_shapes"][0]
    check((sh["id"], sh["kind"], sh["length"], sh["count"], sh["blocks"], sh["bytes"],
           sh["retained_blocks"], sh["retained_bytes"]) == (0, "simple", 2, 1, 2, 96, 3, 64),
          f"shape {sh}")
    check(sorted(t["sites"]) == ["1", "2", "3", "4"], f"sites {sorted(t['sites'])}")
    f = t["sites"]["4"][0]
    check(f == {"kind": "native", "address": "0x404000", "function": None, "file": None,
                "line": None, "module": None, "module_offset": None, "inlined": False},
          f"frame {f}")
    p = t["process"]
    check((p["pid"], p["ppid"], p["exe"], p["argv"]) ==
          (4242, 1, "/usr/bin/test-program", ["test-program", "--flag"]), f"process {p}")
    col = t["collection"]
    check((col["number"], col["trigger"], col["generation"], col["thresholds"], col["blocks"],
           col["edges"], col["roots"]) == (1, "exit", 2, [0, 0, 0], 7, 7, 0), f"collection {col}")

    k = json.load(open(report(dump("tenk"), "json")))
    check(k["summary"]["isolated_cycles"] == {"count": 10000, "blocks": 20000, "bytes": 1120000},
          "tenk cycles")
    check(len(k["cycle_shapes"]) == 1 and k["cycle_shapes"][0]["count"] == 10000, "tenk shape")
    check(len(k["cycles"]) == 10000 and all(c["shape"] == 0 for c in k["cycles"]), "tenk list")

    y = json.load(open(report(dump("young"), "json")))
    check(y["summary"]["reachable"] == {"blocks": 2, "bytes": 48}, "young reachable")
    check(y["collection"]["trigger"] == "threshold" and y["collection"]["generation"] == 0,
          "young collection")

    # suppressions through the command line
    supp = os.path.join(tmp, "supp")
    with open(supp, "w") as fh:
        fh.write("# only the site-4 frame\nleak:0x404000\n")
    sp = json.load(open(report(dump("tree"), "json", "--suppressions", supp)))
    check(sp["summary"]["suppressed"] == {"blocks": 0, "bytes": 0},
          "addresses are not suppression targets")

    # retained sizes: sites and types, each block counted once per site (type)
    r = json.load(open(report(dump("retainers"), "json")))
    rows = [(x["site"], x["type"], x["blocks"], x["bytes"], x["retained_blocks"],
             x["retained_bytes"]) for x in r["retainers"]]
    check(rows == [(1, None, 1, 4096, 10, 4424), (2, None, 4, 192, 8, 312),
                   (6, None, 3, 120, 4, 128), (3, None, 4, 120, 4, 120),
                   (5, None, 3, 72, 3, 72), (4, None, 2, 24, 2, 24)], f"retainers {rows}")
    check(all(str(x[0]) in r["sites"] for x in rows), "retainer sites named")
    text = open(report(dump("retainers"), "text", "--top", "3")).read()
    section = text[text.index("TOP RETAINERS"):].splitlines()
    check(section[:5] == ["TOP RETAINERS (3 of 6)",
                          "#1 1 blocks of 4096 bytes, retaining 4424 bytes in 10 blocks, "
                          "allocated at:",
                          "    #0 0x401000 ??",
                          "#2 4 blocks of 192 bytes, retaining 312 bytes in 8 blocks, "
                          "allocated at:",
                          "    #0 0x402000 ??"] and
          section[5].startswith("#3 3 blocks of 120 bytes, retaining 128 bytes in 4 blocks")
          and len(section) == 7, f"TOP RETAINERS text {section}")
    r = json.load(open(report(dump("pyretainers"), "json", "--top", "20")))
    rows = [(x["site"], x["type"], x["blocks"], x["bytes"], x["retained_blocks"],
             x["retained_bytes"]) for x in r["retainers"]]
    check(rows == [(1, None, 1, 64, 18, 1172), (None, "dict", 2, 264, 18, 1172),
                   (3, None, 4, 224, 16, 908), (None, "Session", 7, 344, 16, 908),
                   (5, None, 3, 168, 9, 564), (None, "list", 6, 264, 9, 564),
                   (7, None, 3, 300, 3, 300), (None, "bytes", 3, 300, 3, 300),
                   (2, None, 1, 200, 1, 200), (4, None, 3, 120, 3, 120),
                   (6, None, 3, 96, 3, 96)], f"python retainers {rows}")
    # JSON holds the --top rows (default 10), the summary how many there are
    r = json.load(open(report(dump("pyretainers"), "json")))
    check(len(r["retainers"]) == 10 and r["summary"]["retainers"] == 11 and
          r["retainers"][9]["site"] == 4 and "6" not in r["sites"],
          f"retainers[] cut at --top: {len(r['retainers'])} {r['summary']}")
    text = open(report(dump("pyretainers"), "text", "--top", "4")).read()
    check("\n#4 type Session: 7 blocks of 344 bytes, retaining 908 bytes in 16 blocks\n" in text
          and "TOP RETAINERS (4 of 11)" in text, "TOP RETAINERS types")

    # dot renders, one cluster per shape shown
    for name, clusters in [("tree", 1), ("cycles", 3), ("tenk", 1), ("dlist", 1)]:
        out = report(dump(name), "dot")
        text = open(out).read()
        check(text.count("subgraph cluster_") == clusters, f"dot clusters {name}")
        r = subprocess.run(["dot", "-Tsvg", out], capture_output=True)
        check(r.returncode == 0 and b"<svg" in r.stdout, f"dot -Tsvg {name}: {r.stderr!r}")
    text = open(report(dump("tree"), "dot")).read()
    check("style=dashed" in text and text.count("style=dashed") == 3, "retained nodes drawn")
    check('[label="+8"]' in text, "edge offsets")
    out = report(dump("cycles"), "dot", "--top", "2")
    check(open(out).read().count("subgraph cluster_") == 2, "--top limits dot")
    # objects drawn as objgraph draws them: the list's item array folded into the list
    text = open(report(dump("python"), "dot")).read()
    want = ['b0 [label="Customer\\n56 B\\nhandle app.py:9"];',
            'b1 [label="list\\n88 B\\nCustomer.__init__ app.py:10"];',
            'b3 [label="Order\\n56 B\\nhandle app.py:11"];',
            'b0 -> b1 [label=".orders"];', 'b1 -> b3 [label="[0]"];',
            'b3 -> b0 [label=".customer"];']
    got = [l.strip() for l in text.splitlines() if l.startswith("    b")]
    check(got == want, f"python dot {got}")
    # the HTML page's tables: their JSON parses, and holds every leak group and shape the JSON
    # report has, with the same numbers
    for name in ["single", "dlist", "cycles", "tree", "tenk", "shapes", "python", "empty"]:
        path = dump(name)
        j = json.load(open(report(path, "json")))
        page = open(report(path, "html")).read()
        tables = {m.group(1).split("-", 1)[1]: json.loads(m.group(2)) for m in re.finditer(
            r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.S)}
        kind = {"definitely": "definite", "indirectly": "indirect"}
        leaks = [(r[0], r[1], kind[r[2]]) for r in tables["leaks"]["rows"]]
        check(leaks == [(l["bytes"], l["blocks"], l["kind"]) for l in j["leaks"]],
              f"html leaks {name}: {leaks}")
        shapes = [(r[0], r[1], r[2], r[3], r[4]) for r in tables["shapes"]["rows"]]
        check(shapes == [(s["count"], s["bytes"], s["blocks"], s["retained_bytes"],
                          s["retained_blocks"]) for s in j["cycle_shapes"]],
              f"html shapes {name}: {shapes}")
        check(page.count('<figure class="cycle"') == min(10, len(j["cycle_shapes"])) and
              page.count("<svg") == page.count('<figure class="cycle"'), f"html pictures {name}")
finally:
    shutil.rmtree(tmp)

print("report checks:", "FAILED" if failures else "ok")
sys.exit(1 if failures else 0)
