"""The classic reference cycles of every tutorial on Python's gc, made N times each with the
collector disabled, then a collection by atoll (through ctypes) and, for comparison,
gc.collect() with DEBUG_SAVEALL: the objects it finds go to OUT as "address type" lines, but
for the __dict__ of an instance or class it finds, which atoll folds into its owner
(docs/objects.md). The interpreter's own garbage from starting up (3.13's types._C) is
collected before: what is compared is the script's cycles.

usage: pycycles.py N cycles|broken OUT
  cycles: the cycles are dropped as they are
  broken: each cycle is broken before it is dropped (nothing for either collector to find)
"""
import ctypes
import gc
import os
import sys

atoll = ctypes.CDLL(None)
gc.collect()
gc.disable()
n, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Node:
    pass


def make(n, broken):
    for _ in range(n):
        a = []
        b = [a]
        a.append(b)
        s = []
        s.append(s)
        d = {}
        d["self"] = d
        x = Node()
        y = Node()
        x.other = y
        y.other = x
        if broken:
            a.clear()
            s.clear()
            d.clear()
            del x.other


make(n, mode == "broken")
if atoll.atoll_collect(2) < 0:
    sys.exit("atoll_collect failed")
gc.set_debug(gc.DEBUG_SAVEALL)
gc.collect()
folded = set()
for o in gc.garbage:
    if isinstance(o, type):
        folded.update(id(r) for r in gc.get_referents(o.__dict__))
    elif isinstance(o, Node):
        folded.add(id(o.__dict__))
with open(out, "w") as f:
    for o in gc.garbage:
        if id(o) not in folded:
            f.write("%x %s\n" % (id(o), type(o).__name__))
os._exit(0)
