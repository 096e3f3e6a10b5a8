"""`atoll why` on a C program whose global hash table keeps every request (hashtab.c).

usage: why_hashtab.py ATOLL LIBATOLL HASHTAB

Runs hashtab with libatoll.so preloaded: two dumps, after 1,000 and 5,000 requests. In each,
`atoll why --site remember_request` matches exactly the entries (64 B) and values (32 B) made so
far, and names the global table as the root of every one: the text report's first paths are
exactly `global g_table (hashtab)` then `-> [+OFF] -> block (64 B, remember_request
hashtab.c:LINE)`, OFF the entry's bucket (request k in bucket 7k mod 8192); in JSON each entry
is one hop from g_table at 8 * bucket, each value two, through the entry's `value` at +8. An
address inside a value finds that value; bad input is one line and exit status 2."""
import json
import os
import re
import sys
import tempfile

from whyrun import dumps_of, fail, line_of, why


def check_dump(atoll, dump, requests):
    entry_line = line_of("hashtab.c", "struct entry *e = malloc")
    value_line = line_of("hashtab.c", "char *value = malloc")
    rc, out, err = why(atoll, dump, "--site", "remember_request", "--paths", "3")
    if rc:
        fail("atoll why exited %d: %s" % (rc, err))
    lines = out.splitlines()
    head = ("atoll why: %d blocks (%d bytes) allocated at 'remember_request' in " %
            (2 * requests, 96 * requests))
    if not lines[0].startswith(head):
        fail("first line %r, expected it to start %r" % (lines[0], head))
    entry = "block (64 B, remember_request hashtab.c:%d)" % entry_line
    for k in (1, 2, 3):
        at = 1 + 3 * (k - 1)
        # an entry retains itself and its value: 64 + 32 bytes
        want = [r"#%d %s at 0x[0-9a-f]+, retaining 96 bytes in 2 blocks, still reachable:" %
                (k, re.escape(entry)),
                "      global g_table (hashtab)",
                "      -> [+%d] -> %s" % (8 * (k * 7 % 8192), entry)]
        if not re.fullmatch(want[0], lines[at]) or lines[at + 1:at + 3] != want[1:]:
            fail("path %d reads %r, expected %r" % (k, lines[at:at + 3], want))
    rc, out, err = why(atoll, dump, "--site", "remember_request", "--format", "json",
                       "--paths", str(10 * requests))
    if rc:
        fail("atoll why --format json exited %d: %s" % (rc, err))
    r = json.loads(out)
    if r["matched"] != {"blocks": 2 * requests, "bytes": 96 * requests}:
        fail("matched %s" % r["matched"])
    entries = values = 0
    buckets = set()
    for p in r["paths"]:
        root, hops = p["root"], p["hops"]
        if (root["kind"], root.get("symbol"), os.path.basename(root.get("module", ""))) != \
                ("global", "g_table", "hashtab"):
            fail("a path from %s" % root)
        if p["status"] != "reachable" or hops[-1]["block"] != p["block"]:
            fail("path %s" % p)
        first = hops[0]
        if first["size"] != 64 or first["at"] != "remember_request hashtab.c:%d" % entry_line:
            fail("first hop %s" % first)
        buckets.add(root["offset"] // 8)
        if (p["retained_bytes"], p["retained_blocks"]) != ((96, 2) if len(hops) == 1 else (32, 1)):
            fail("retained sizes of %s" % p)
        if len(hops) == 1:
            entries += 1
        elif (len(hops) == 2 and hops[1]["offset"] == 8 and hops[1]["size"] == 32 and
              hops[1]["at"] == "remember_request hashtab.c:%d" % value_line):
            values += 1
        else:
            fail("path %s" % p)
    want = {k * 7 % 8192 for k in range(1, requests + 1)}
    if (entries, values) != (requests, requests) or buckets != want:
        fail("%d entries, %d values, %d buckets: expected %d each" %
             (entries, values, len(buckets), requests))
    value = int(r["paths"][-1]["address"], 16)
    rc, out, err = why(atoll, dump, "--address", "%x" % (value + 31), "--format", "json")
    hit = json.loads(out)["paths"] if rc == 0 else []
    if len(hit) != 1 or int(hit[0]["address"], 16) != value:
        fail("--address %x found %s (%s)" % (value + 31, out, err))


def main():
    atoll, lib, prog = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as work:
        dumps, _ = dumps_of([prog], dict(os.environ, LD_PRELOAD=lib), work, 2)
        for dump, requests in zip(dumps, (1000, 5000)):
            check_dump(atoll, dump, requests)
        for args, msg in ((["--site"], "option '--site' needs an argument"),
                          (["--address", "0xzz"], "--address wants a hexadecimal address"),
                          (["--paths", "0", "--type", "x"], "--paths wants a positive number"),
                          (["--type", "a", "--site", "b"], "one of --site, --type and --address"),
                          (["--format", "dot", "--type", "a"], "unknown format 'dot'")):
            rc, o, e = why(atoll, dumps[0], *args)
            if rc != 2 or o or msg not in e or len(e.splitlines()) != 1:
                fail("%s: exit %d, %r %r" % (args, rc, o, e))
        rc, o, e = why(atoll, os.path.join(work, "missing.atoll"), "--type", "x")
        if rc != 2 or len(e.splitlines()) != 1:
            fail("a missing dump: exit %d, %r" % (rc, e))
    print("ok")


if __name__ == "__main__":
    main()
