"""Labels that are not ASCII, checked on one interpreter: the str keys and attribute names of
pyunilabels.py, of each width CPython stores, must come out as their UTF-8 in the JSON edges
(repr-quoted for a dict key) and in the text report's cycle shapes.

usage: unilabels.py ATOLL LIBATOLL PYTHON    (PYTHON as for objects.py: a path or pyenv:3.X)"""
import json
import sys
import tempfile

from objects import analyze, fail, kept_cycles, python_of, run_dump

CASES = {
    ("dict", "tuple"): sorted([("dict", "['clé']", "tuple"), ("dict", "['жук€']", "tuple"),
                               ("dict", "[\"€'𝔘\"]", "tuple"), ("tuple", "[0]", "dict")]),
    ("Accented",): [("Accented", ".naïve", "Accented")] * 2,
}
ARROWS = ["-['clé']->", "-['жук€']->", "-[\"€'𝔘\"]->", "-.naïve->"]


def main():
    atoll, lib, python = sys.argv[1:4]
    python = python_of(python)
    with tempfile.TemporaryDirectory() as work:
        dump = run_dump(lib, python, "pyunilabels.py", [], work)
        report = json.loads(analyze(atoll, dump, "json"))
        text = analyze(atoll, dump, "text")
    found = {}
    for c in kept_cycles(report):
        types = [m["type"] for m in c["members"]]
        edges = sorted((types[e["from"]], e["label"] or "+%d" % e["offset"], types[e["to"]])
                       for e in c["edges"])
        found.setdefault(tuple(sorted(set(types))), []).append(edges)
    for members, want in CASES.items():
        if found.get(members) != [want]:
            fail("cycles of %s: %s, expected one with edges %s" % (members, found.get(members),
                                                                     want))
    for arrow in ARROWS:
        if arrow not in text:
            fail("the text report's cycle shapes have no %r:\n%s" % (arrow, text))
    print("%s: the cycles' labels are their UTF-8, quoted as repr() quotes" % python)


main()
