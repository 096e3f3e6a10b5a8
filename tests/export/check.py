"""`atoll export --format heapsnapshot` read back by memlab's own loader.

usage: check.py ATOLL LIBATOLL RETAINED NODE MEMLAB_DIR c TABLE
       check.py ATOLL LIBATOLL RETAINED NODE MEMLAB_DIR python PYTHON   (a path or pyenv:3.X)

Runs the program with libatoll.so preloaded (table.c, or pyheap.py under PYTHON), exports its
dump, loads the file with memlab (memlab_load.js) and checks it against atoll's own report:
- node and edge counts: the dump's blocks, and its references plus its root records, plus the
  synthetic nodes (the root, one per named root, "(referenced from outside)", "(leaked)") and
  their edges (the root's to each; to the definitely lost blocks; a Python module global's
  shortcut);
- each block's node: name, type and self size (C: every entry and value of the table, every
  ring member; Python: the Customers, their orders lists and Orders, with their references);
- memlab's retained sizes equal atoll's own (RETAINED: the dominator tree of analyzer/retention)
  for every block, the 100 largest first; a leaked cycle's first member retains exactly the
  cycle's bytes and what atoll says it retains; the table's root block retains every reachable
  byte, and "(leaked)" every leaked byte;
- the allocation stack of a cycle member, read back from trace_tree, is atoll's site for it,
  frame by frame.
Skipped (77) when memlab is not installed (scripts/bootstrap installs it) or PYTHON is absent."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "objects"))
from objects import python_of  # noqa: E402


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def expect(what, got, want):
    if got != want:
        fail("%s: %r, expected %r" % (what, got, want))


def run_dump(lib, argv, work, env=None):
    env = dict(os.environ, LD_PRELOAD=lib, ATOLL_AT_EXIT="0", ATOLL_OUTPUT=work, **(env or {}))
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if p.returncode:
        fail("%s exited %d: %s" % (argv, p.returncode, p.stderr[-2000:]))
    dumps = [f for f in os.listdir(work) if f.endswith(".atoll")]
    if len(dumps) != 1:
        fail("expected one dump, found %s" % dumps)
    return os.path.join(work, dumps[0])


def atoll_json(atoll, *args):
    r = subprocess.run([atoll] + list(args), capture_output=True, text=True, timeout=600)
    if r.returncode:
        fail("atoll %s exited %d: %s" % (args, r.returncode, r.stderr))
    return r.stdout


def info(atoll, dump):
    facts = {}
    for line in atoll_json(atoll, "info", dump).splitlines():
        key, _, value = line.partition(":")
        facts[key.strip()] = value.split()[0] if value.split() else ""
    return {k: int(facts[k]) for k in ("blocks", "edges", "roots")}


def export_and_load(atoll, node, memlab, dump, work):
    snap = os.path.join(work, "heap.heapsnapshot")
    atoll_json(atoll, "export", "--format", "heapsnapshot", dump, "-o", snap)
    out = os.path.join(work, "memlab.json")
    r = subprocess.run([node, os.path.join(HERE, "memlab_load.js"), memlab, snap, out, "full"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        fail("memlab could not load the snapshot: %s" % (r.stderr or r.stdout)[-3000:])
    with open(out) as f:
        return json.load(f)


def node_id(seq):
    return 2 + 2 * ((seq - 1) & 0x7fffffff)


def check_counts(m, facts, report):
    synthetic = {name: (edges, retained) for name, edges, retained, _ in m["synthetic"]}
    expect("synthetic roots", [s[0] for s in m["synthetic"][:1] + m["synthetic"][-2:]],
           ["", "(referenced from outside)", "(leaked)"])
    expect("nodes", m["nodes"], facts["blocks"] + len(m["synthetic"]))
    expect("the root's edges", synthetic[""][0], len(m["synthetic"]) - 1)
    outside = synthetic["(referenced from outside)"][0]
    leaked = synthetic["(leaked)"][0]
    expect("(leaked)'s edges: the definitely lost blocks", leaked,
           report["summary"]["definitely_lost"]["blocks"])
    expect("edges", m["edges"], facts["edges"] + facts["roots"] + len(m["synthetic"]) - 1 +
           outside + leaked + len(m["shortcut"]))
    expect("the root's retained size: every block", synthetic[""][1], report["summary"]["bytes"])
    expect("(leaked)'s retained size", synthetic["(leaked)"][1], report["summary"]["leaked"]["bytes"])
    return outside


def frame_of(f):
    """A frame of atoll's JSON site as the export names it: (function, file, line)."""
    if f["kind"] == "python":
        return [f["function"], f["file"], f["line"] or 0]
    name = f["function"]
    if not name:
        name = ("%s+%s" % (os.path.basename(f["module"]), f["module_offset"]) if f["module"]
                else f["address"])
    return [name, f["file"] or f["module"] or "", f["line"] if f["file"] else 0]


def check_cycles(m, report, by_id):
    """Every cycle: its first member retains the cycle and what it retains; each member's
    stack is its site's."""
    if not report["cycles"]:
        fail("no cycles in atoll's report")
    for c in report["cycles"]:
        first = [x for x in c["members"] if x["kind"] == "definite"]
        expect("definitely lost members of a cycle", len(first), 1)
        n = by_id[node_id(first[0]["seq"])]
        expect("retained size of the cycle member %s" % n["name"], n["retained"],
               c["bytes"] + c["retained_bytes"])
        for x in c["members"]:
            n = by_id[node_id(x["seq"])]
            expect("self size of node %d" % n["id"], n["self"], x["size"])
            want = [frame_of(f) for f in report["sites"][str(x["site"])]]
            expect("allocation stack of the cycle member %d" % n["id"], n["stack"], want)
    print("%d cycles: retained sizes and allocation stacks as atoll's" % len(report["cycles"]))


def check_retained(m, ours, by_id):
    """memlab's retained sizes are atoll's dominators': the 100 largest, and every block."""
    top = sorted(ours.items(), key=lambda x: (-x[1], x[0]))[:100]
    expect("the 100 largest retainers, memlab's (retained, id)", m["top"],
           [[b, i] for i, b in top])
    differ = [(i, by_id[i]["retained"], b) for i, b in ours.items() if by_id[i]["retained"] != b]
    expect("blocks whose retained size memlab and atoll differ on (id, memlab, atoll)",
           differ[:5], [])
    print("retained sizes: memlab's equal atoll's for all %d blocks (largest %d bytes)" % (
        len(ours), top[0][1]))


def check_c(m, report, by_id):
    blocks = m["blocks"]
    names = {}
    for b in blocks:
        names.setdefault((b["name"], b["type"], b["self"]), []).append(b)
    expect("entries", len(names.get(("entry_new table.c:27", "native", 48), [])), 1000)
    expect("values", len(names.get(("entry_new table.c:29", "native", 100), [])), 1000)
    expect("ring members", len(names.get(("ring_drop table.c:50", "native", 16), [])), 150)
    table = names[("main table.c:62", "native", 24)]
    slots = names[("main table.c:64", "native", 2048)]
    expect("the table's retained size: every reachable byte", table[0]["retained"],
           report["summary"]["reachable"]["bytes"])
    expect("the slots' retained size", slots[0]["retained"], 2048 + 1000 * 148)
    expect("the slots' dominator", slots[0]["dominator"], table[0]["id"])
    roots = {name: refs for name, _, _, refs in m["synthetic"]}
    expect("the root named by the global's symbol", roots.get("global g_sessions (export-table)"),
           [["internal", "[+0]", table[0]["id"]]])
    for e in names[("entry_new table.c:27", "native", 48)]:
        chain, x = 0, e         # an entry holds the rest of its bucket's chain (+16, next)
        while x:
            chain += 1
            nxt = [r[2] for r in x["refs"] if r[1] == "+16"]
            x = by_id[nxt[0]] if nxt else None
        expect("an entry's retained size", e["retained"], 148 * chain)
        value = [r for r in e["refs"] if r[1] == "+8"]
        expect("an entry's reference to its value", [r[0] for r in value], ["internal"])
        expect("a value's dominator", by_id[value[0][2]]["dominator"], e["id"])


def check_python(m, report, by_id):
    customers = [b for b in m["blocks"] if b["name"] == "Customer"]
    expect("Customer nodes", len(customers), 100)
    for c in customers:
        expect("a Customer's type", c["type"], "object")
        orders = [r for r in c["refs"] if r[:2] == ["property", "orders"]]
        expect("a Customer's .orders", len(orders), 1)
        lst = by_id[orders[0][2]]
        expect("the orders list", (lst["name"], lst["type"]), ("list", "object"))
        items = sorted((r[1], by_id[r[2]]["name"]) for r in lst["refs"] if r[0] == "element")
        expect("the list's items", items, [(0, "Order"), (1, "Order"), (2, "Order")])
        for r in lst["refs"]:
            if r[0] == "element":
                back = [x for x in by_id[r[2]]["refs"] if x[:2] == ["property", "customer"]]
                expect("an Order's .customer", [x[2] for x in back], [c["id"]])
        hidden = [r for r in lst["refs"] if by_id[r[2]]["type"] == "hidden"]
        expect("the list's item array, a hidden child", [r[0] for r in hidden], ["internal"])
    sessions = [b for b in m["blocks"] if b["name"] == "Session"]
    expect("Session nodes", len(sessions), 200)
    cache = [to for name, to in m["shortcut"] if name == "__main__._cache"]
    expect("the module global __main__._cache: shortcuts", len(cache), 1)
    cache = by_id[cache[0]]
    keys = sorted(r[1] for r in cache["refs"] if r[0] == "property")
    expect("the cache's keys", keys, sorted("['k%d']" % i for i in range(200)))
    expect("the sessions' dominator", {by_id[s]["dominator"] for s in
                                       (r[2] for r in cache["refs"] if r[0] == "property")},
           {cache["id"]})


def main():
    atoll, lib, retained, node, memlab, mode, prog = sys.argv[1:8]
    if not os.path.exists(os.path.join(memlab, "node_modules", "@memlab", "heap-analysis")):
        print("memlab is not installed in %s (scripts/bootstrap installs it): skipped" % memlab)
        sys.exit(77)
    with tempfile.TemporaryDirectory() as work:
        if mode == "c":
            dump = run_dump(lib, [prog, "1000"], work)
        else:
            python = python_of(prog)
            dump = run_dump(lib, [python, os.path.join(HERE, "pyheap.py")], work,
                            {"PYTHONMALLOC": "malloc"})
        facts = info(atoll, dump)
        ours = {int(i): int(b) for i, b in
                (line.split() for line in atoll_json(retained, dump).splitlines())}
        report = json.loads(atoll_json(atoll, "analyze", "--format", "json", dump))
        m = export_and_load(atoll, node, memlab, dump, work)
    by_id = {b["id"]: b for b in m["blocks"]}
    expect("block nodes", len(by_id), facts["blocks"])
    outside = check_counts(m, facts, report)
    check_retained(m, ours, by_id)
    if mode == "c":
        expect("blocks referenced from outside the dump", outside, 0)
        check_c(m, report, by_id)
    else:
        check_python(m, report, by_id)
    check_cycles(m, report, by_id)
    print("memlab loaded %d nodes and %d edges (%d weak): counts, names, retained sizes and "
          "stacks as atoll's" % (m["nodes"], m["edges"], m["weak"]))


main()
