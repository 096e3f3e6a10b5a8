"""Python's own reference cycles, which a conservative scan (Valgrind, LeakSanitizer) cannot
see: every object gc tracks is linked from the interpreter's static memory. atoll reads the
objects' reference counts, as CPython's gc does, and reports each kind as one cycle shape:

- 100 pairs of lists that hold each other (a = []; b = [a]; a.append(b)),
- 100 pairs of Node instances that hold each other through an attribute.

The collector is disabled, the heap is collected through atoll's API, and the script leaves
with os._exit: the interpreter's finalization would run gc.collect() first.
"""
import ctypes
import gc
import os


class Node:
    pass


def make():
    for _ in range(100):
        a = []
        b = [a]
        a.append(b)
        x = Node()
        y = Node()
        x.peer = y
        y.peer = x


gc.disable()
make()
atoll = ctypes.CDLL(None)
if hasattr(atoll, "atoll_collect"):
    atoll.atoll_collect(2)
print("cycles.py: made 100 pairs of lists and 100 pairs of Nodes")
os._exit(0)
