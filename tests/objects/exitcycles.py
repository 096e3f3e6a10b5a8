"""Reference cycles left for the exit collection: N pairs of ExitRing instances that hold each
other, dropped, then an ending chosen by MODE. Nothing here calls atoll: the collection must
come from the interpreter's exit.

usage: exitcycles.py MODE N  (or python -m exitcycles MODE N)
  plain:   the collector disabled, the program ends normally
  raise:   the same, then an uncaught exception (exit status 1)
  exit3:   the same, then sys.exit(3)
  osexit:  the same, then os._exit(0) (no exit collection)
  gcon:    the collector enabled: gc.collect(), then the N pairs, fewer allocations than its
           first threshold, so that no automatic collection frees them
  handler: N pairs, then an atexit handler of the program's own collects them (gc.collect())
           and leaves N // 5 new pairs: only those may be reported
  venv:    plain, and exit status 5 unless it runs in a virtual environment
"""
import atexit
import gc
import os
import sys


class ExitRing:
    __slots__ = ("peer",)


def make(n):
    for _ in range(n):
        a = ExitRing()
        b = ExitRing()
        a.peer = b
        b.peer = a


def at_exit(n):
    gc.collect()
    make(n)
    print("handler ran", flush=True)


def main(mode, n):
    gc.collect()
    if mode != "gcon":
        gc.disable()
    if mode == "venv" and sys.prefix == sys.base_prefix:
        sys.exit(5)
    make(n)
    if mode == "handler":
        atexit.register(at_exit, n // 5)
    print("made", n, flush=True)
    if mode == "raise":
        raise RuntimeError("uncaught, as the test wants")
    if mode == "exit3":
        sys.exit(3)
    if mode == "osexit":
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
