"""CPython's free lists under threads, for freelists.py: two Python threads make and drop
lists, dicts and tuples and keep some lists and dicts in cycles, while two others compress in
zlib, which mallocs without the GIL, and the main thread runs full collections (which clear
the free lists). Prints "ADDRESS TYPE LINE FUNCTION" for each object kept, then collects
through atoll. Lines are found by their markers."""
import ctypes
import gc
import sys
import threading
import time
import zlib

gc.disable()
HERE = open(__file__).read().splitlines()
STOP = time.time() + 1.5
DATA = bytes(range(256)) * 2000
kept = []


def line_of(marker):
    return next(i + 1 for i, text in enumerate(HERE) if text.rstrip().endswith("# " + marker))


def compress():
    while time.time() < STOP:
        zlib.compress(DATA, 1)


def churn(tag):
    k = 0
    while time.time() < STOP:
        k += 1
        tmp = [(k, "x" * (k % 50)) for _ in range(5)]
        d = {"k": k, "t": tmp, "f": k * 0.5}
        del tmp, d
        a = [k]  # kept-list
        a.append(a)
        m = {"k": tag}  # kept-dict
        m["self"] = m
        if k % 50 == 0:
            kept.append((a, "list", line_of("kept-list")))
            kept.append((m, "dict", line_of("kept-dict")))


threads = [threading.Thread(target=compress) for _ in range(2)]
threads += [threading.Thread(target=churn, args=(t,)) for t in range(2)]
for t in threads:
    t.start()
while time.time() < STOP:
    gc.collect()
    time.sleep(0.01)
for t in threads:
    t.join()
for obj, type_name, line in kept:
    print("%#x %s %d churn" % (id(obj), type_name, line))
del obj
kept.clear()
sys.stdout.flush()
ctypes.CDLL(None).atoll_collect(2)
