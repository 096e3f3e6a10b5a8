"""A C extension's classic bug, made through ctypes: one extra Py_IncRef on one of three live
objects. Its address goes to OUT; atoll must report that object, and only it, with surplus 1,
but for the interpreter's modules, whose addresses follow in OUT (3.8 starts with two counted
one more than referenced: _warnings and another).

usage: pyrefleak.py OUT
"""
import ctypes
import gc
import os
import sys

gc.disable()
atoll = ctypes.CDLL(None)


class Leaky:
    pass


def setup():
    global keep
    keep = [Leaky() for _ in range(3)]
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(keep[1]))
    with open(sys.argv[1], "w") as f:
        f.write("%x\n" % id(keep[1]))
        for m in gc.get_objects():
            if isinstance(m, type(sys)):
                f.write("%x\n" % id(m))


setup()
if atoll.atoll_collect(2) < 0:
    sys.exit("atoll_collect failed")
os._exit(0)
