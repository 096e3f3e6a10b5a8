"""`atoll why` names a stack root by its thread and the function whose frame holds it.

usage: why_stack.py ATOLL LIBATOLL STACKROOT

stackroot.c's thread keeps a 72-byte block in a local of hold_on_stack while the main thread
collects: the one path to it reads `stack of thread TID, frame #N of hold_on_stack
(stackroot.c:L)`, TID the thread's id and L the line of one of its two waits (the collection
may stop it in either), then the block, allocated on hold_on_stack's malloc line. In JSON the
root is of kind stack, with that thread and function."""
import json
import os
import re
import sys
import tempfile

from whyrun import dumps_of, fail, line_of, why


def main():
    atoll, lib, prog = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as work:
        dumps, out = dumps_of([prog], dict(os.environ, LD_PRELOAD=lib), work, 1)
        tid = int(re.fullmatch(r"thread (\d+)\n", out).group(1))
        made = line_of("stackroot.c", "malloc(72)")
        waits = (line_of("stackroot.c", "pthread_barrier_wait(&ready);"),
                 line_of("stackroot.c", "pthread_barrier_wait(&collected);"))
        rc, text, err = why(atoll, dumps[0], "--site", "^hold_on_stack$", "--paths", "5")
        if rc:
            fail("atoll why exited %d: %s" % (rc, err))
        lines = text.splitlines()
        block = r"block \(72 B, hold_on_stack stackroot\.c:%d\)" % made
        want = [r"#\d+ %s at 0x[0-9a-f]+, retaining \d+ bytes in \d+ blocks, still reachable:" % block,
                r"      stack of thread %d, frame #\d+ of hold_on_stack \(stackroot\.c:(%d|%d)\)"
                % ((tid,) + waits),
                r"      -> \[0x[0-9a-f]+\] -> %s" % block]
        at = [i for i, l in enumerate(lines) if re.fullmatch(want[0], l)]
        if len(at) != 1 or not all(re.fullmatch(w, l)
                                   for w, l in zip(want[1:], lines[at[0] + 1:at[0] + 3])):
            fail("atoll why printed\n%s\nexpected the path\n%s" % (text, "\n".join(want)))
        rc, text, err = why(atoll, dumps[0], "--site", "^hold_on_stack$", "--format", "json")
        paths = [p for p in json.loads(text)["paths"] if p["size"] == 72]
        root = paths[0]["root"] if len(paths) == 1 else {}
        if (root.get("kind"), root.get("thread"), root.get("function")) != \
                ("stack", tid, "hold_on_stack"):
            fail("the JSON root is %s" % root)
    print("ok")


if __name__ == "__main__":
    main()
