"""A Python program's heap for the heap snapshot export: a module-level cache that keeps 200
Session objects (each with a list of 3 tokens), and 100 Customer/Order cycles dropped with the
collector disabled (Customer -.orders-> list -[i]-> Order -.customer-> Customer, 3 orders
each). Then a full collection by atoll, through ctypes."""
import ctypes
import gc

gc.collect()
gc.disable()


class Session:
    def __init__(self, key):
        self.key = key
        self.tokens = [object(), object(), object()]


class Customer:
    def __init__(self):
        self.orders = []


class Order:
    def __init__(self, customer):
        self.customer = customer


_cache = {}


def serve(key):
    _cache[key] = Session(key)


def shop():
    c = Customer()
    for _ in range(3):
        c.orders.append(Order(c))


for i in range(200):
    serve("k%d" % i)
for _ in range(100):
    shop()
ctypes.CDLL(None).atoll_collect(2)
