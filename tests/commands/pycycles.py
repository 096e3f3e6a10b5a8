"""Cycles that Python's own collector frees before exit, for `atoll run --threshold 2000,10,10`
(run-merge-python.sh): 500 two-object cycles dropped while gc is disabled; then allocations, a
batch per atoll collection, until a full atoll collection has come since the cycles were made
(one of some generation has then seen each of them, whichever generation it had reached);
then gc.collect() frees them, so the exit collection finds none."""
import gc
import json
import os
import time

gc.disable()


class Node:
    pass


def make():
    a, b = Node(), Node()
    a.other, b.other = b, a


for _ in range(500):
    make()
made = time.time_ns()

jsonl = os.path.join(os.environ["ATOLL_OUTPUT"], "collections.jsonl")


def collections():
    with open(jsonl) as f:
        return [json.loads(line) for line in f]


keep = []
for _ in range(1000):
    seen = len(collections())
    if any(c["generation"] == 2 and c["time_ns"] > made for c in collections()):
        break
    keep.append([object() for _ in range(2100)])
    for _ in range(2000):
        if len(collections()) > seen:
            break
        time.sleep(0.001)
else:
    raise SystemExit("pycycles.py: no full collection came")
gc.collect()
