"""A bundled bullet-style game loop, the workload of `atoll tune` for Python's collector.

A level of 20,000 long-lived objects is built first; then every frame makes 2,000 short-lived
bullets, moves them, drops them, and leaves 20 small cycles (a target and its tracker pointing
at each other), which only the collector frees. The bullets push the collector's generation-0
count past its threshold two or three times a frame, and each collection frees nothing of
them; the older generations' collections walk the whole level.

    python3 examples/bullets.py [FRAMES]     (default 300)

Deterministic: prints the same line on every run, whatever the collector's setting.
"""
import sys


class Tile:
    __slots__ = ("x", "y", "kind", "neighbours")

    def __init__(self, x, y, kind):
        self.x, self.y, self.kind, self.neighbours = x, y, kind, []


class Bullet:
    __slots__ = ("x", "y", "vx", "vy")

    def __init__(self, x, y, vx, vy):
        self.x, self.y, self.vx, self.vy = x, y, vx, vy

    def step(self):
        self.x += self.vx
        self.y += self.vy


class Target:
    __slots__ = ("hp", "tracker")

    def __init__(self, hp):
        self.hp, self.tracker = hp, None


class Tracker:
    __slots__ = ("target", "seen")

    def __init__(self, target):
        self.target, self.seen = target, [target.hp]


def level(n):
    tiles = [Tile(i % 200, i // 200, i % 5) for i in range(n)]
    for i, t in enumerate(tiles):
        t.neighbours.append(tiles[(i + 1) % n])
    return tiles


def frame(no, tiles):
    bullets = [Bullet(i % 320, no % 240, (i % 7) - 3, (i % 5) - 2) for i in range(2000)]
    for b in bullets:
        b.step()
    hits = sum(1 for b in bullets if tiles[(b.x * 7 + b.y) % len(tiles)].kind == 0)
    for i in range(20):
        target = Target(no + i)
        target.tracker = Tracker(target)     # a cycle: only the collector frees it
    return hits


def main():
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    tiles = level(20000)
    hits = sum(frame(no, tiles) for no in range(frames))
    print("bullets: %d frames, %d tiles, %d hits" % (frames, len(tiles), hits))


if __name__ == "__main__":
    main()
