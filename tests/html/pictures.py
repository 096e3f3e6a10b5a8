"""The dot and svg pictures of a known cycle, checked label by label.

usage: pictures.py ATOLL c ANNOTATED SOURCE    (tests/accuracy/annotated.c, built)
       pictures.py ATOLL python PYTHON CYCLES  (examples/cycles.py, CPython 3.11)

`atoll run --format dot` must draw each cycle as objgraph does: one node per object, labelled
with its type, its size with the blocks it owns folded in, and its innermost site (the Python
line where there is one), and its references labelled as the runtime spells them; `--format
svg` must render the same labels through Graphviz, and without Graphviz on PATH say so in one
line (exit 2)."""
import collections
import html
import os
import re
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def line_of(path, text):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip() == text:
                return n
    fail("no %r in %s" % (text, path))


def run(atoll, fmt, prog, work, env=None):
    out = os.path.join(work, "report." + fmt)
    p = subprocess.run([atoll, "run", "--output", os.path.join(work, fmt), "--format", fmt,
                        "--report", out, "--"] + prog, capture_output=True, text=True,
                       timeout=300, env=env)
    return p, out


def drawing(dot):
    """The nodes (label, dashed) and edges (from label, edge label, to label) of a dot report."""
    nodes = dict((m.group(1), (m.group(2).replace("\\n", "\n"), bool(m.group(3))))
                 for m in re.finditer(r'^\s+(c?\d*b\d+) \[label="(.*?)"(, style=dashed)?\];$',
                                      dot, re.M))
    edges = [(nodes[m.group(1)][0], m.group(3), nodes[m.group(2)][0])
             for m in re.finditer(r'^\s+(\w+) -> (\w+) \[label="(.*?)"\];$', dot, re.M)]
    return collections.Counter(nodes.values()), collections.Counter(edges)


def expected(kind, args):
    """Per cycle shape: its nodes (label, dashed) and its edges, as drawing() gives them."""
    if kind == "c":
        source = args[1]
        obj = "obj\n48 B\nobj_new annotated.c:%d" % line_of(source,
                                                             "struct obj *o = calloc(1, sizeof *o);")
        return [args[0]], [({(obj, False): 3}, {(obj, "+8", obj): 3})]
    python, cycles = args
    at = {what: line_of(cycles, what) for what in ("a = []", "b = [a]", "x = Node()",
                                                      "y = Node()")}
    # a list with its item array: sys.getsizeof counts both (the GC header included)
    sizes = subprocess.run([python, "-c", "import sys; a = []; b = [a]; a.append(b); "
                            "print(sys.getsizeof(a), sys.getsizeof(b))"],
                           capture_output=True, text=True, check=True).stdout.split()
    a = "list\n%s B\nmake cycles.py:%d" % (sizes[0], at["a = []"])
    b = "list\n%s B\nmake cycles.py:%d" % (sizes[1], at["b = [a]"])
    # CPython 3.11: a 56-byte instance and its values array, whose size is the class's shared
    # keys' usable size then, one slot less for each instance made before (x's 216 bytes, y's
    # 200). The example is the shape's first cycle in address order, the fourth pair made here;
    # with ATOLL_PYTHON_GC_TELEMETRY=0 atoll's own blocks lie otherwise and it is the first pair
    # (264 and 256 bytes).
    x = "Node\n272 B\nmake cycles.py:%d" % at["x = Node()"]
    y = "Node\n256 B\nmake cycles.py:%d" % at["y = Node()"]
    return [python, cycles], [({(a, False): 1, (b, False): 1}, {(a, "[0]", b): 1, (b, "[0]", a): 1}),
                              ({(x, False): 1, (y, False): 1},
                               {(x, ".peer", y): 1, (y, ".peer", x): 1})]


def main():
    atoll, kind = sys.argv[1:3]
    prog, shapes = expected(kind, sys.argv[3:])
    with tempfile.TemporaryDirectory() as work:
        p, out = run(atoll, "dot", prog, work)
        if p.returncode or not os.path.exists(out):
            fail("atoll run --format dot exited %d: %s" % (p.returncode, p.stderr))
        dot = open(out).read()
        clusters = re.split(r"^  subgraph ", dot, flags=re.M)[1:]
        if len(clusters) != len(shapes):
            fail("%d clusters, expected %d:\n%s" % (len(clusters), len(shapes), dot))
        for (want_nodes, want_edges) in shapes:
            if not any(drawing(c) == (collections.Counter(want_nodes),
                                      collections.Counter(want_edges)) for c in clusters):
                fail("no cluster draws nodes %s and edges %s:\n%s" % (want_nodes, want_edges,
                                                                      dot))
        p, out = run(atoll, "svg", prog, work)
        if p.returncode:
            fail("atoll run --format svg exited %d: %s" % (p.returncode, p.stderr))
        svg = open(out).read()
        texts = collections.Counter(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>",
                                                                         svg))
        for want_nodes, want_edges in shapes:
            for (label, _), n in want_nodes.items():
                for part in label.split("\n"):
                    if texts[part] < n:
                        fail("the svg shows %r %d times, expected %d or more:\n%s" % (
                            part, texts[part], n, svg))
            for (_, label, _), n in want_edges.items():
                if texts[label] < n:
                    fail("the svg shows edge %r %d times, expected %d" % (label, texts[label], n))
        env = dict(os.environ, PATH=os.path.join(work, "nothing"))
        p, out = run(atoll, "svg", [os.path.abspath(prog[0])] + prog[1:], work, env)
        lines = [l for l in p.stderr.splitlines() if l.startswith("atoll run")]
        if p.returncode != 2 or len(lines) != 1 or "dot is not on PATH" not in lines[0]:
            fail("without dot: exit %d, stderr %r" % (p.returncode, p.stderr))
    print("%s: %d cycle shapes drawn with the expected labels; svg rendered; without dot: %s" % (
        kind, len(shapes), lines[0]))


main()
