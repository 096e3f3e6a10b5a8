"""atoll tune's Python workload with cyclic garbage: LONG long-lived objects, then ROUNDS
rounds of CHURN short-lived objects alive together (freed by their counts, never by the
collector) and CYCLES small cycles each holding PAYLOAD bytes (freed by the collector only).

    python3 pygcwork.py LONG ROUNDS CHURN CYCLES PAYLOAD
"""
import sys


class Node:
    __slots__ = ("peer", "data")


def main():
    long, rounds, churn, cycles, payload = map(int, sys.argv[1:6])
    kept = [[i] for i in range(long)]
    made = 0
    for r in range(rounds):
        temp = [[i, r] for i in range(churn)]
        made += len(temp)
        for _ in range(cycles):
            a, b = Node(), Node()
            a.peer, b.peer = b, a
            a.data = bytes(payload)
    print("pygcwork: %d kept, %d made, %d cycles" % (len(kept), made, rounds * cycles))


main()
