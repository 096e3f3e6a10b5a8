"""A server's module-level cache that never evicts, for `atoll diff` (diff.py): each request
puts a Session in _cache, at the line marked FILL. After each count of requests given it asks
atoll for a collection (through ctypes).

usage: pycache.py N1 [N2 ...]"""
import ctypes
import sys

atoll = ctypes.CDLL(None)
_cache = {}


class Session:
    def __init__(self, key):
        self.key = key
        self.payload = "x" * 64


def handle(key):
    _cache[key] = Session(key)  # FILL


served = 0
for upto in map(int, sys.argv[1:]):
    while served < upto:
        handle(served)
        served += 1
    atoll.atoll_collect(2)
