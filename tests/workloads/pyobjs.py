"""The allocator benchmark's Python workload (bench/allocators.py, bench/profile.sh): the small
objects a Python program makes and drops (dicts, lists, tuples, strings, instances with and
without __slots__), then a heap that grows (an index of one record in ten, kept to the
end) and a JSON round trip of it, sorted. usage: pyobjs.py [N (200000)]; with
PYTHONMALLOC=malloc, 600000 takes about a second on the 2-core reference machine. The printed
line depends on N only, so every allocator must print the same."""
import json
import sys


class Order:
    def __init__(self, number, customer, lines):
        self.number = number
        self.customer = customer
        self.lines = lines
        self.notes = []


class Line:
    __slots__ = ("sku", "qty")

    def __init__(self, sku, qty):
        self.sku = sku
        self.qty = qty


def churn(n):
    """Short-lived objects: each order is gone by the next iteration."""
    total = 0
    for i in range(n):
        customer = {"id": i % 977, "name": "customer-%d" % (i % 977), "tags": ("a", i % 7)}
        order = Order(i, customer, [Line("sku%d" % (i % 311), i % 5 + 1)])
        order.notes.append("note %d for %s" % (i, customer["name"]))
        total += order.lines[0].qty + len(order.notes[0])
    return total


def index(n):
    """Long-lived objects: one record in ten stays, serialised, parsed back and sorted."""
    kept = [{"n": i, "label": "r" * (i % 37), "parts": list(range(i % 9))}
            for i in range(n // 10)]
    text = json.dumps(kept)
    back = json.loads(text)
    back.sort(key=lambda r: (len(r["label"]), -r["n"]))
    return len(text), back[0]["n"]


n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
print(churn(n), *index(n))
