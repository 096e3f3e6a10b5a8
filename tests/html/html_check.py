"""The HTML report opened in headless Chromium, driven through the DevTools protocol on a pipe.

usage: html_check.py ATOLL DUMPGEN PYTHON CYCLES LIBATOLL GROWTABLE    (PYTHON:
       /usr/bin/python3.11; CYCLES: examples/cycles.py; GROWTABLE: tests/commands/growtable)

Two pages: `atoll run --format html` on examples/cycles.py, and `atoll analyze --format html`
on a synthetic dump of 100,000 leak sites (dumpgen sites100k). Each must be self-contained (no
script, style, font or image loaded from anywhere) and load with no console message and no
exception; the first must show the top cycle's picture as inline SVG with its labels, list its
9 leak groups, open a row's Python stack when clicked and sort by a column when its title is;
the big one must stay within the documented size bound, render 200 rows (then 200 more on
demand), sort the 100,000 it holds and say that it holds 100,000 of the 100,001 leak
groups (HTML_ROWS_MAX). A screenshot of the first is decoded (PNG) and must not be blank.
Then growtable's two collections (1,000 then 5,000 entries in a global table): the page of
the second must put the table's site first among the retainers (retaining the whole cache,
400,000 bytes in 10,000 blocks) and name the global `table` on the path to its heaviest block;
`atoll diff --format html` of the two must put the entries' site first, exactly (4,000 blocks
gained, 1,000 survived, +320,000 bytes retained), and draw the new cycle shape. Neither may log anything.
The checker checks itself first: a page that logs an error must be caught. Skips (77) only
when Chromium is not installed, saying so."""
import base64
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SIZE_BOUND = 16 << 20   # docs/report-format.md: a page of 100,000 rows stays under 16 MiB


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


class Browser:
    """Chromium with --remote-debugging-pipe: commands on its fd 3, answers on its fd 4, each
    message JSON ended by a NUL byte."""

    def __init__(self, chromium, profile):
        cmd_r, self.w = os.pipe()
        self.r, ev_w = os.pipe()

        def child():
            a, b = os.dup(cmd_r), os.dup(ev_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.p = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=child, close_fds=False)
        os.close(cmd_r)
        os.close(ev_w)
        self.buf, self.id, self.events = b"", 0, []

    def recv(self):
        while b"\0" not in self.buf:
            if not select.select([self.r], [], [], 120)[0]:
                fail("chromium did not answer within 120 s")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                fail("chromium closed its pipe (exit %s)" % self.p.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.id += 1
        msg = {"id": self.id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self.recv()
            if m.get("id") == self.id:
                if "error" in m:
                    fail("%s: %s" % (method, m["error"]))
                return m["result"]
            self.events.append(m)

    def wait(self, method, session):
        while True:
            for k, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    del self.events[k]
                    return e
            self.events.append(self.recv())

    def open(self, url, width=1200, height=1400):
        """A new tab showing url; its session."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(domain + ".enable", session=s)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False},
                  session=s)
        self.send("Page.navigate", {"url": url}, session=s)
        self.wait("Page.loadEventFired", s)
        return s

    def messages(self, session):
        """Console messages, exceptions and error log entries of the tab so far."""
        self.send("Runtime.evaluate", {"expression": "0"}, session)   # lets pending events in
        out = []
        for e in self.events:
            if e.get("sessionId") != session:
                continue
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled":
                out.append("console.%s: %s" % (p["type"], [a.get("value") for a in p["args"]]))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append("exception: %s" % p["exceptionDetails"].get("exception", {}).get(
                    "description", p["exceptionDetails"].get("text")))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append("log %s: %s" % (p["entry"]["level"], p["entry"]["text"]))
        return out

    def eval(self, session, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session)
        if "exceptionDetails" in r:
            fail("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close")
        except SystemExit:
            pass
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def png_pixels(data):
    """Width, height and the rows of an 8-bit RGB or RGBA PNG, unfiltered."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("the screenshot is no PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    width, height, depth, colour = ihdr[:4]
    if depth != 8 or colour not in (2, 6):
        fail("screenshot PNG of depth %d colour type %d" % (depth, colour))
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def check_screenshot(png, path):
    with open(path, "wb") as f:
        f.write(png)
    width, height, bpp, rows = png_pixels(png)
    colours, background = {}, rows[0][:3]
    for row in rows:
        for x in range(0, len(row), bpp):
            px = row[x:x + 3]
            colours[px] = colours.get(px, 0) + 1
    ink = width * height - colours.get(background, 0)
    if len(colours) < 16 or ink < width * height // 50:
        fail("the screenshot looks blank: %d colours, %d of %d pixels not background" % (
            len(colours), ink, width * height))
    return width, height, len(colours), ink


def self_contained(page, name):
    text = re.sub(r'xmlns(:xlink)?="http://www\.w3\.org/[^"]*"', "", page)
    text = text.replace('"-//W3C//DTD SVG 1.1//EN"', "")
    for pattern in (r"<script[^>]*\bsrc=", r"<link(?![^>]*href=\"data:)[^>]*>", r"url\(",
                    r"@import", r"@font-face", r"<img\b", r"<iframe\b", r"https?://"):
        m = re.search(pattern, text)
        if m:
            fail("%s is not self-contained: %r at %d" % (name, m.group(0), m.start()))


def quiet(b, s, path):
    """Fails when the page at path, open in session s, logged anything."""
    errors = b.messages(s)
    if errors:
        fail("console messages on %s: %s" % (path, errors))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode:
        fail("%s exited %d: %s" % (cmd, p.returncode, p.stderr))
    return p


def main():
    atoll, dumpgen, python, cycles, lib, growtable = sys.argv[1:7]
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed (scripts/bootstrap installs it): skipped")
        sys.exit(77)
    if not os.access(python, os.X_OK):
        print("no %s: skipped" % python)
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="atoll-html-")
    try:
        small, big = os.path.join(work, "cycles.html"), os.path.join(work, "big.html")
        run([atoll, "run", "--output", os.path.join(work, "d"), "--format", "html", "--report",
             small, "--", python, cycles])
        dump = os.path.join(work, "big.atoll")
        run([dumpgen, "sites100k", dump])
        run([atoll, "analyze", "--format", "html", "--report", big, dump])
        grow, diff = os.path.join(work, "grow.html"), os.path.join(work, "diff.html")
        out = os.path.join(work, "g")
        p = subprocess.run([growtable, "1000", "5000"], capture_output=True, text=True,
                           env=dict(os.environ, LD_PRELOAD=lib, ATOLL_OUTPUT=out, ATOLL_AT_EXIT="0"))
        dumps = sorted(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".atoll"))
        if p.returncode or len(dumps) != 2:
            fail("growtable: exit %d, dumps %s: %s" % (p.returncode, dumps, p.stderr))
        run([atoll, "analyze", "--format", "html", "--report", grow, dumps[1]])
        run([atoll, "diff", "--format", "html", "--report", diff] + dumps)
        for path in (small, big, grow, diff):
            self_contained(open(path).read(), path)
        size = os.path.getsize(big)
        if size > SIZE_BOUND:
            fail("the page of 100,000 leak sites has %d bytes, over the bound %d" % (size,
                                                                                SIZE_BOUND))
        b = Browser(chromium, os.path.join(work, "profile"))
        try:
            s = b.open("data:text/html,<p>control</p><script>console.error('control')</script>")
            if not any("control" in m for m in b.messages(s)):
                fail("the console check missed a page's console.error: %s" % b.messages(s))

            s = b.open("file://" + small)
            figure = b.eval(s, "var f = document.querySelector('figure.cycle');"
                               "f && f.querySelector('svg') ? [f.id, Array.from("
                               "f.querySelectorAll('svg text')).map(t => t.textContent)] : null")
            if not figure:
                fail("no picture of the top cycle (figure.cycle svg)")
            texts = figure[1]
            for want in ("list", "[0]", "make cycles.py:20", "make cycles.py:21"):
                if want not in texts:
                    fail("the top cycle's picture has no %r: %s" % (want, texts))
            leaks = "document.querySelector('table.lazy[data-src$=\"-leaks\"]')"
            if b.eval(s, leaks + ".querySelectorAll('tr.row').length") != 9:
                fail("the leak table does not show 9 rows")
            stack = b.eval(s, leaks + ".querySelector('tr.row.stacked').click();" + leaks +
                           ".querySelector('tr.stack li.py').textContent")
            if not re.fullmatch(r"make \(.*cycles\.py:2[0-4]\)", stack or ""):
                fail("a leak row's stack opens as %r" % stack)
            firsts = [b.eval(s, leaks + ".tHead.rows[0].cells[0].click();" + leaks +
                             ".querySelector('tr.row').cells[0].textContent") for _ in range(2)]
            if firsts != ["5600", "224"]:
                fail("sorting by bytes gave first rows %s, expected 5600 then 224" % firsts)
            png = base64.b64decode(b.send("Page.captureScreenshot", {"format": "png"}, s)["data"])
            shot = check_screenshot(png, os.path.join(work, "cycles.png"))
            quiet(b, s, small)

            s = b.open("file://" + big)
            rows = "document.querySelectorAll('table.lazy[data-src$=\"-leaks\"] tr.row').length"
            shown = [b.eval(s, rows)]
            shown.append(b.eval(s, "document.querySelector('p.more button').click();" + rows))
            if shown != [200, 400]:
                fail("the big page shows %s rows, expected 200 then 400" % shown)
            table = "var t = document.querySelector('table.lazy[data-src$=\"-leaks\"]');"
            top = [b.eval(s, table + "t.tHead.rows[0].cells[0].click();"
                                     "[t.querySelector('tr.row').cells[0].textContent,"
                                     " t.querySelectorAll('tr.row').length]") for _ in range(2)]
            total = b.eval(s, table + "JSON.parse(document.getElementById(t.dataset.src)"
                                      ".textContent).rows.length")
            if top != [["6400", 400], ["16", 400]] or total != 100000:
                fail("the big page sorted by bytes: %s of %s rows, expected 6400 then 16 first, "
                     "400 rows shown of 100000" % (top, total))
            note = b.eval(s, table + "t.nextSibling.textContent")
            if "The page holds the first 100000 of 100001 rows" not in note:
                fail("the big page's leak table does not say it holds 100000 of 100001 rows: "
                     "%r" % note)
            quiet(b, s, big)

            s = b.open("file://" + grow)
            first = b.eval(s, "Array.from(document.querySelector('table.lazy[data-src$="
                              "\"-retainers\"] tr.row').cells).map(c => c.textContent)")
            why = b.eval(s, "document.querySelector('pre.why').textContent")
            # The entries' site retains the whole cache: 5,000 entries of 48 bytes and their
            # 32-byte values.
            if first != ["400000", "10000", "240000", "5000", "", "cache_put growtable.c:44"] or \
                    not why.startswith("#1 block (48 B, cache_put growtable.c:44)") or \
                    "\n      global table (growtable)\n      -> [+" not in why:
                fail("growtable's retainers: first %r, why %r" % (first, why))
            quiet(b, s, grow)

            s = b.open("file://" + diff)
            row = b.eval(s, "Array.from(document.querySelector('table.lazy[data-src=\"diff-sites"
                            "\"] tr.row').cells).map(c => c.textContent)")
            if row != ["192000", "4000", "48000", "240000", "1000", "5000", "1000", "320000",
                       "cache_put growtable.c:44"]:
                fail("the diff's first growth row: %s" % row)
            if not b.eval(s, "!!document.querySelector('figure.cycle svg')"):
                fail("the diff draws no new cycle shape")
            quiet(b, s, diff)
        finally:
            b.close()
        print("cycles.py page: top cycle drawn (%s), 9 leak rows, stacks and sorting work; "
              "screenshot %dx%d, %d colours, %d pixels not background" % ((figure[0],) + shot))
        print("100,000 sites: %d bytes (bound %d), 200 then 400 rows shown, sorted" % (
            size, SIZE_BOUND))
        print("growtable: retainers and why path in the page; diff: growth first row %s" % row)
    finally:
        shutil.rmtree(work)


main()
