"""Cycles whose labels are not ASCII, made with the collector disabled and dropped, then a
collection by atoll (through ctypes): a dict by str keys of each width CPython stores (1, 2 and
4 bytes a character: 'clé', 'жук€', "€'𝔘", the last holding a quote, which repr() quotes with
"), each holding a tuple that holds the dict, and two instances whose attribute name, naïve, is
not ASCII, each holding the other.

usage: pyunilabels.py
"""
import ctypes
import gc
import os
import sys

atoll = ctypes.CDLL(None)
gc.collect()
gc.disable()


class Accented:
    pass


def make():
    d = {}
    t = (d,)
    d["clé"] = t
    d["жук€"] = t
    d["€'𝔘"] = t
    a, b = Accented(), Accented()
    a.naïve = b
    b.naïve = a


make()
if atoll.atoll_collect(2) < 0:
    sys.exit("atoll_collect failed")
os._exit(0)
