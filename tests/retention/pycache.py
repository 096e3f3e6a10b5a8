"""A module-level cache with no eviction: each request's session stays in _cache (why_python.py
runs it). Collections after 1,000 requests and after 5,000 (atoll_collect through ctypes)."""
import ctypes

collect = ctypes.CDLL(None).atoll_collect
_cache = {}


class Session:
    def __init__(self, key):
        self.key = key
        self.payload = make_payload(key)


def make_payload(key):
    return [key] * 4


def handle(key):
    _cache[key] = Session(key)


for i in range(5000):
    handle("req%d" % i)
    if i + 1 in (1000, 5000):
        collect(2)
