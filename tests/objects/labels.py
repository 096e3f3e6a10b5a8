"""Python's spelling of references, checked on one interpreter.

usage: labels.py ATOLL LIBATOLL PYTHON    (PYTHON as for objects.py: a path or pyenv:3.X)

Runs pylabels.py under PYTHON with libatoll.so preloaded and analyzes its dump: the isolated
cycles must be exactly the objects gc.collect() finds (addresses and types; an instance's
__dict__ is folded into it), each case one shape of the expected count whose internal
references carry exactly the expected labels (JSON edges[].label, no edge unlabelled), the
text report must read each cycle as a path of types (the customers' exactly `Customer
-.orders-> list -[0]-> Order -.customer-> Customer`), and the dot report must label the edges."""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

from objects import analyze, fail, kept_cycles, python_of, run_dump, same_as_gc

CUSTOMERS = "Customer -.orders-> list -[0]-> Order -.customer-> Customer"


def cases(version):
    """Per case: (member types, count, internal edges as (from type, label, to type))."""
    generator = [("list", "[0]", "generator"), ("generator", "<frame local 'box'>", "list")]
    if version < (3, 11):   # the generator's locals live in a frame object of their own
        generator = [("list", "[0]", "generator"), ("generator", ".gi_frame", "frame"),
                     ("frame", "<frame local 'box'>", "list")]
    return [
        (500, [("Customer", ".orders", "list"), ("list", "[0]", "Order"),
               ("list", "[1]", "Order"), ("list", "[2]", "Order")] +
         [("Order", ".customer", "Customer")] * 3),
        (1, [("Slotted", ".peer", "Slotted"), ("Slotted", ".other", "Slotted")]),
        (1, [("dict", "['next']", "dict"), ("dict", "['back']", "dict")]),
        (1, [("dict", "[7]", "list"), ("list", "[0]", "dict")]),
        (1, [("list", "[0]", "tuple"), ("tuple", "[1]", "list")]),
        (1, [("list", "[0]", "function"), ("function", "<closure>", "tuple"),
             ("tuple", "[0]", "cell"), ("cell", "<cell>", "list")]),
        (1, [("Materialized", ".peer", "Materialized")] * 2),
        (1, generator),
        (1, [("frame", "<frame local 'keep'>", "list"), ("list", "[0]", "frame")]),
    ]


def members_of(edges):
    return sorted(collections.Counter(t for e in edges for t in (e[0], e[2])).keys())


def path_ok(line, edges):
    """Whether line reads a cycle along edges: T -label-> T -label-> ... T."""
    first = re.match(r"(\w+)( -.*)$", line)
    if not first:
        return False
    steps = re.findall(r" -(.*?)-> (\w+)", first.group(2))
    if "".join(" -%s-> %s" % s for s in steps) != first.group(2) or steps[-1][1] != first.group(1):
        return False
    types = [first.group(1)] + [t for _, t in steps]
    walked = [(types[i], label, types[i + 1]) for i, (label, _) in enumerate(steps)]
    return all(walked.count(w) <= edges.count(w) for w in walked)


def main():
    atoll, lib, python = sys.argv[1:4]
    python = python_of(python)
    version = tuple(json.loads(subprocess.run(
        [python, "-c", "import sys, json; print(json.dumps(sys.version_info[:2]))"],
        capture_output=True, text=True, check=True).stdout))
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "gc.txt")
        dump = run_dump(lib, python, "pylabels.py", [out], work)
        report = json.loads(analyze(atoll, dump, "json"))
        text = analyze(atoll, dump, "text")
        dot = analyze(atoll, dump, "dot")
        atoll_found, _ = same_as_gc(report, out)
    by_members = collections.defaultdict(list)
    for c in kept_cycles(report):
        types = [m["type"] for m in c["members"]]
        edges = sorted((types[e["from"]], e["label"] or "+%d" % e["offset"], types[e["to"]])
                       for e in c["edges"])
        by_members[tuple(sorted(set(types)))].append((edges, c["shape"]))
    for count, want in cases(version):
        found = by_members.pop(tuple(members_of(want)), [])
        if len(found) != count:
            fail("%d cycles of %s, expected %d" % (len(found), members_of(want), count))
        for edges, shape in found:
            if edges != sorted(want):
                fail("cycle of %s: edges %s, expected %s" % (members_of(want), edges,
                                                             sorted(want)))
        if len({shape for _, shape in found}) != 1:
            fail("the %d cycles of %s are not one shape" % (count, members_of(want)))
        lines = [l.strip() for l in text.splitlines()]
        if not any(path_ok(l, want) for l in lines):
            fail("no line of the text report reads a cycle of %s:\n%s" % (want, text))
    if by_members:
        fail("unexpected cycles: %s" % dict(by_members))
    if CUSTOMERS not in [l.strip() for l in text.splitlines()]:
        fail("the customers' shape does not read %r:\n%s" % (CUSTOMERS, text))
    if '[label=".orders"]' not in dot or '[label="[0]"]' not in dot:
        fail("the dot report does not label .orders and [0]")
    print("%s %d.%d: %d objects in %d cycles, as gc.collect() found, labelled as expected" % (
        python, version[0], version[1], len(atoll_found), len(report["cycles"])))


main()
