"""A bundled Python script for atoll's demo: it builds reference cycles the way every
tutorial on Python's gc does, with the collector turned off, then drops them."""
import gc

gc.disable()


class Node:
    def __init__(self, name):
        self.name = name
        self.other = None


for i in range(1000):
    a, b = Node("a%d" % i), Node("b%d" % i)
    a.other, b.other = b, a
    lst = []
    lst.append(lst)
del a, b, lst
print("cycles.py: done")
