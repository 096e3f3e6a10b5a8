"""The classic reference cycles of every tutorial on Python's gc, made N times each with the
collector disabled, then a collection by atoll (through ctypes) and, for comparison,
gc.collect() with DEBUG_SAVEALL: the objects it finds go to OUT as "address type" lines.

usage: pycycles.py N cycles|broken OUT
  cycles: the cycles are dropped as they are
  broken: each cycle is broken before it is dropped (nothing for either collector to find)
"""
import ctypes
import gc
import os
import sys

gc.disable()
atoll = ctypes.CDLL(None)
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
with open(out, "w") as f:
    for o in gc.garbage:
        f.write("%x %s\n" % (id(o), type(o).__name__))
os._exit(0)
