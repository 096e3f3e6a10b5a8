"""Cyclic garbage for CPython's own collector, with its gc.callbacks tally printed at exit.

usage: gcgarbage.py instances|lists|mixed|cascade N

instances: N pairs of Node instances pointing at each other (made at MAKE_PAIR's line);
lists: N self-referencing lists (SELF_LIST's line); mixed: N of each of a dict cycle
(DICT_CYCLE's line), a self-referencing closure (CLOSURE's line) and a Node pair, beside a
long-lived heap that older generations hold; cascade: N self-referencing lists (HOLDER's line),
each the only holder of an old list that alone holds a young Node: the collector frees the
Node in the garbage's cascade, but does not count it (it was reachable when it looked). The collector runs on its own thresholds, and a
gc.collect() at the end takes what they left (so that every cycle made is collected). At exit
(an atexit handler of the program's own, which runs before atoll's exit collection) it prints
what gc.callbacks saw: collections per generation and the sum of `collected`."""
import atexit
import gc
import sys

tally = {"collections": [0, 0, 0], "collected": 0, "uncollectable": 0}


def callback(phase, info):
    if phase == "stop":
        tally["collections"][info["generation"]] += 1
        tally["collected"] += info["collected"]
        tally["uncollectable"] += info["uncollectable"]


def report():
    print("tally %d %d %d %d %d" % (tuple(tally["collections"]) + (tally["collected"],
                                                                    tally["uncollectable"])))


class Node:
    def __init__(self):
        self.other = None


def pair():
    a = Node()  # MAKE_PAIR
    b = Node()  # MAKE_PAIR
    a.other = b
    b.other = a


def self_list():
    x = [1, 2]  # SELF_LIST
    x.append(x)


def dict_cycle():
    d = {"k": 1}  # DICT_CYCLE
    e = {"d": d}  # DICT_CYCLE
    d["e"] = e


def closure():
    def f():  # CLOSURE
        return f
    return None


def cascade(olds):
    o = olds.pop()
    o.append(Node())
    u = [o]  # HOLDER
    u.append(u)


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    gc.callbacks.append(callback)
    atexit.register(report)
    keep = [[i, str(i)] for i in range(20000)] if mode == "mixed" else []
    olds = [[] for _ in range(n)] if mode == "cascade" else []
    gc.collect()
    for _ in range(n):
        if mode in ("instances", "mixed"):
            pair()
        if mode in ("lists",):
            self_list()
        if mode == "mixed":
            dict_cycle()
            closure()
        if mode == "cascade":
            cascade(olds)
    gc.collect()
    print("made %d (%d kept)" % (n, len(keep)))


main()
