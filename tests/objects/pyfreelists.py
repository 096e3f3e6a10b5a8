"""Objects that CPython's free lists would serve, made at known lines, for freelists.py: before
each one, objects of its kind (lists, dicts, tuples of its size) were made and dropped, so that
without atoll the object would be one of them, taken back from a free list. Each is a member
of a cycle, made in a function, a method, a closure (list -> function -> closure tuple -> cell),
a generator, a comprehension, a key function sorted calls, or a second thread.

usage: pyfreelists.py atoll    prints "INDEX ADDRESS TYPE LINE FUNCTION" for each object, in the
                               order made (LINE: the line that made it; FUNCTION: the innermost
                               function there), then collects through atoll
       pyfreelists.py trace    (under python -X tracemalloc=25) prints "INDEX TYPE LINE" with
                               the line of the innermost frame tracemalloc gives each object, or
                               "INDEX TYPE -" where it gives none
Lines are found by their markers, so editing this file keeps the test right."""
import gc
import sys
import threading

gc.disable()
HERE = open(__file__).read().splitlines()
NEW = sys.version_info >= (3, 11)
made = []


def line_of(marker):
    return next(i + 1 for i, text in enumerate(HERE) if text.rstrip().endswith("# " + marker))


def note(obj, marker, function):
    made.append((obj, line_of(marker), function))


def drop_some():
    """Makes and drops containers of each kind the free lists keep."""
    junk = [[] for _ in range(100)], [{} for _ in range(100)], [{"k": i} for i in range(100)]
    junk += tuple([(i,) for i in range(100)] + [(i, i) for i in range(100)])
    junk += tuple([(i, i, i) for i in range(100)] + [[i] for i in range(100)])
    del junk


def in_function():
    drop_some()
    a = []  # function-list
    a.append(a)
    drop_some()
    b = [None, None]  # function-list2
    b[0] = b
    drop_some()
    d = {}  # function-dict
    d["self"] = d
    drop_some()
    e = {"k": 1, "j": 2}  # function-dict2
    e["self"] = e
    drop_some()
    holder = []
    t = (holder, 1)  # function-tuple
    holder.append(t)
    drop_some()
    u = ([],)  # function-tuple1
    u[0].append(u)
    note(a, "function-list", "in_function")
    note(b, "function-list2", "in_function")
    note(d, "function-dict", "in_function")
    note(e, "function-dict2", "in_function")
    note(t, "function-tuple", "in_function")
    note(u, "function-tuple1", "in_function")


class Maker:
    def method(self):
        drop_some()
        self.items = []  # method-list
        self.items.append(self)
        drop_some()
        self.index = {}  # method-dict
        self.index["owner"] = self
        drop_some()
        self.pair = (self, 0)  # method-tuple
        qual = "Maker.method" if NEW else "method"
        note(self.items, "method-list", qual)
        note(self.index, "method-dict", qual)
        note(self.pair, "method-tuple", qual)


def closure_maker():
    drop_some()
    cell_list = []  # closure-list
    drop_some()
    def inner():  # closure-tuple
        return cell_list
    cell_list.append(inner)
    note(cell_list, "closure-list", "closure_maker")
    note(inner.__closure__, "closure-tuple", "closure_maker")


def gen():
    drop_some()
    a = [0]  # generator-list
    a[0] = a
    drop_some()
    d = {"me": None}  # generator-dict
    d["me"] = d
    note(a, "generator-list", "gen")
    note(d, "generator-dict", "gen")
    yield


def in_comprehension():
    drop_some()
    rows = [[] for _ in range(3)]  # comprehension-list
    name = "in_comprehension" if sys.version_info >= (3, 12) else "<listcomp>"
    if NEW and sys.version_info < (3, 12):
        name = "in_comprehension.<locals>.<listcomp>"
    for r in rows:
        r.append(r)
        note(r, "comprehension-list", name)
    drop_some()
    maps = [{} for _ in range(3)]  # comprehension-dict
    for m in maps:
        m[0] = m
        note(m, "comprehension-dict", name)


def key(x):
    drop_some()
    a = [x]  # sorted-key
    a.append(a)
    note(a, "sorted-key", "key")
    return x


def in_thread():
    drop_some()
    a = []  # thread-list
    a.append(a)
    drop_some()
    d = {}  # thread-dict
    d[1] = d
    note(a, "thread-list", "in_thread")
    note(d, "thread-dict", "in_thread")


in_function()
Maker().method()
closure_maker()
for _ in gen():
    pass
in_comprehension()
sorted([2, 1], key=key)
t = threading.Thread(target=in_thread)
t.start()
t.join()

if sys.argv[1] == "trace":
    import tracemalloc
    for i, (obj, line, function) in enumerate(made):
        tb = tracemalloc.get_object_traceback(obj)
        print("%d %s %s" % (i, type(obj).__name__, tb[-1].lineno if tb else "-"))
else:
    import ctypes
    for i, (obj, line, function) in enumerate(made):
        print("%d %#x %s %d %s" % (i, id(obj), type(obj).__name__, line, function))
    del obj
    made.clear()
    sys.stdout.flush()
    ctypes.CDLL(None).atoll_collect(2)
