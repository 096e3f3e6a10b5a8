"""A bundled real workload for atoll's demo: the small-object churn of a typical Python program.

Builds and drops records (dicts, lists, tuples, strings), a linked structure of class instances,
a JSON round trip and a sort, in several rounds, so the heap grows, shrinks and grows again.
Deterministic: prints the same line on every run and under every allocator.
"""
import json
import sys


class Node:
    __slots__ = ("key", "value", "next")

    def __init__(self, key, value, nxt):
        self.key, self.value, self.next = key, value, nxt


def records(n):
    return [{"id": i, "name": "rec-%06d" % i, "tags": (i % 7, str(i)), "vals": [i, i * 2]}
            for i in range(n)]


def chain(n):
    head = None
    for i in range(n):
        head = Node(i, "v%d" % i, head)
    total = 0
    while head is not None:
        total += head.key
        head = head.next
    return total


def main(rounds):
    checksum = 0
    for r in range(rounds):
        data = records(40000)
        text = json.dumps(data)
        back = json.loads(text)
        back.sort(key=lambda d: (d["tags"][0], -d["id"]))
        checksum += back[0]["id"] + len(text) + chain(50000) + r
    print("workload checksum", checksum)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
