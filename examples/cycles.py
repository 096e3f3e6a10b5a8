"""Python's own reference cycles, which a conservative scan (Valgrind, LeakSanitizer) cannot
see: every object gc tracks is linked from the interpreter's static memory. atoll reads the
objects' reference counts, as CPython's gc does, and reports each kind as one cycle shape:

- 100 pairs of lists that hold each other (a = []; b = [a]; a.append(b)),
- 100 pairs of Node instances that hold each other through an attribute.

The collector is disabled and the script simply ends: atoll's exit collection runs where the
interpreter runs its atexit callbacks, before finalization's gc.collect() would free them.
"""
import gc


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
print("cycles.py: made 100 pairs of lists and 100 pairs of Nodes")
