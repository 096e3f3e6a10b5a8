"""Cycles whose references Python spells in every way atoll labels, made with the collector
disabled and dropped, then a collection by atoll (through ctypes) and, for comparison,
gc.collect() with DEBUG_SAVEALL: what it finds goes to OUT as "address type" lines, but for the
__dict__ of an instance, which atoll folds into it (docs/objects.md), and but for the
generator's cycle, which gc.collect() frees without keeping it (the generator's finalizer
closes it, which breaks the cycle first): its objects are written when a weak reference to the
generator shows that gc.collect() freed it.

usage: pylabels.py OUT

- 500 customers, each with a list of 3 orders pointing back (customer.orders, order.customer)
- two __slots__ instances (a.peer, b.other), two dicts by str key, a dict by int key in a list,
  a list in a tuple in that list, a closure (list -> function -> cell -> list), two instances
  whose __dict__ was materialized by vars() (3.11+), a suspended generator whose local holds a
  list holding the generator, and a frame object whose local holds a list holding the frame.
"""
import ctypes
import gc
import os
import sys
import weakref

atoll = ctypes.CDLL(None)
gc.collect()
gc.disable()


class Customer:
    pass


class Order:
    pass


class Slotted:
    __slots__ = ("peer", "other")


class Materialized:
    pass


def customers():
    for i in range(500):
        c = Customer()
        c.name = "customer %d" % i
        c.orders = []
        for _ in range(3):
            o = Order()
            o.customer = c
            c.orders.append(o)


def containers():
    a, b = Slotted(), Slotted()
    a.peer = b
    b.other = a
    d1, d2 = {}, {}
    d1["next"] = d2
    d2["back"] = d1
    by_int = {}
    by_int[7] = [by_int]
    holder = []
    holder.append((1, holder))


def closure():
    holder = []

    def f():
        return holder
    holder.append(f)


def materialized():
    m, n = Materialized(), Materialized()
    m.peer = n
    n.peer = m
    vars(m)
    vars(n)


def generator():
    box = yield
    yield box


def suspended():
    g = generator()
    next(g)
    box = [g]
    g.send(box)
    frame = getattr(g, "gi_frame", None)   # its own object before 3.11
    made = [g, box] + ([frame] if sys.version_info < (3, 11) else [])
    return weakref.ref(g), ["%x %s" % (id(o), type(o).__name__) for o in made]


def frame():
    keep = []
    keep.append(sys._getframe())


customers()
containers()
closure()
materialized()
alive, generator_objects = suspended()
frame()
if atoll.atoll_collect(2) < 0:
    sys.exit("atoll_collect failed")
gc.set_debug(gc.DEBUG_SAVEALL)
gc.collect()
folded = {id(o.__dict__) for o in gc.garbage if isinstance(o, (Customer, Order, Materialized))}
with open(sys.argv[1], "w") as f:
    for o in gc.garbage:
        if id(o) not in folded:
            f.write("%x %s\n" % (id(o), type(o).__name__))
    if alive() is None:
        f.write("\n".join(generator_objects) + "\n")
os._exit(0)
