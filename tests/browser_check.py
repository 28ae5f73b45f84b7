#!/usr/bin/env python3
"""browser_check.py -- loads an HTML file in headless Chromium and reports
what a reader would see, as one JSON object on stdout.

usage: browser_check.py FILE.html [--screenshot OUT.png] [--pdf OUT.pdf]

Talks to Chromium over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on fd 3, replies and events on fd 4,
each a JSON text ended by a NUL byte), so no port, no websocket and no
Python package are needed. It collects console errors, uncaught
exceptions and failed loads while the page loads, then asks the page for
its images (how many, how many broken), its script elements and its text,
the "where the time went" charts and their bars that show (a width, parts),
takes a 1200 x 3000 screenshot, measures how much of it is not white
(from a quarter-scale capture, decoded here with zlib), and prints the
page on A4 to count the pages.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe"]
DEADLINE_S = 90


class Browser:
    def __init__(self, exe):
        self.profile = tempfile.mkdtemp(prefix="cfbench-chromium-")
        to_r, self.to_w = os.pipe()      # we write commands, Chromium reads fd 3
        self.from_r, from_w = os.pipe()  # Chromium writes fd 4, we read

        def fds():  # in the child: the pipe ends onto 3 and 4, kept across exec
            r, w = os.dup(to_r), os.dup(from_w)  # above 4, so neither clobbers the other
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)
        # close_fds=False keeps 3 and 4; every other descriptor is close-on-exec.
        self.proc = subprocess.Popen([exe] + FLAGS + ["--user-data-dir=" + self.profile],
                                     preexec_fn=fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + DEADLINE_S

    def _read_message(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in %d s" % DEADLINE_S)
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe (crashed or failed to start)")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_w, data):]
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method):
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            e = self._read_message()
            if e.get("method") == method:
                return e
            self.events.append(e)

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def png_ink(png):
    """Fraction of pixels that are not near-white, and distinct colours
    (quantised to 4 bits a channel), of an 8-bit RGB or RGBA PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            depth, ctype = body[8], body[9]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and ctype in (2, 6), "want 8-bit RGB(A)"
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, ink, colours = bytearray(stride), 0, set()
    for y in range(h):
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
        for x in range(0, stride, bpp):
            r, g, bl = line[x], line[x + 1], line[x + 2]
            if r < 240 or g < 240 or bl < 240:
                ink += 1
            colours.add((r >> 4, g >> 4, bl >> 4))
        prev = line
    return ink / float(w * h), len(colours)


PROBE = """JSON.stringify({
  images: document.images.length,
  broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)
                                     .map(i => i.alt),
  scripts: document.getElementsByTagName('script').length,
  text: document.body ? document.body.innerText.length : 0,
  tables: document.getElementsByTagName('table').length,
  has_marker: document.body ? document.body.innerText.includes('<script>') : false,
  budget_charts: document.querySelectorAll('figure.budget').length,
  budget_bars: Array.from(document.querySelectorAll('figure.budget .budget-bar'))
                    .filter(b => b.getBoundingClientRect().width > 100 && b.children.length > 0
                                 && Array.from(b.children).some(s => s.getBoundingClientRect().width > 0))
                    .length,
  height: document.documentElement.scrollHeight
})"""


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    page, shot, pdf = os.path.abspath(args[0]), None, None
    for opt, val in zip(args[1::2], args[2::2]):
        if opt == "--screenshot":
            shot = val
        elif opt == "--pdf":
            pdf = val
        else:
            sys.exit("browser_check.py: unknown option " + opt)
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        sys.exit("browser_check.py: chromium not found")
    b = Browser(exe)
    try:
        target = b.call("Target.createTarget", url="about:blank")["targetId"]
        s = b.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.call(domain + ".enable", session=s)
        b.call("Emulation.setDeviceMetricsOverride", session=s, width=1200, height=3000,
               deviceScaleFactor=1, mobile=False)
        b.call("Page.navigate", session=s, url="file://" + page)
        b.wait_event("Page.loadEventFired")
        probe = json.loads(b.call("Runtime.evaluate", session=s, expression=PROBE,
                                  returnByValue=True)["result"]["value"])
        png = base64.b64decode(b.call("Page.captureScreenshot", session=s, format="png")["data"])
        if shot:
            with open(shot, "wb") as f:
                f.write(png)
        small = base64.b64decode(b.call(
            "Page.captureScreenshot", session=s, format="png",
            clip={"x": 0, "y": 0, "width": 1200, "height": 3000, "scale": 0.25})["data"])
        ink, colours = png_ink(small)
        printed = base64.b64decode(b.call("Page.printToPDF", session=s, paperWidth=8.27,
                                          paperHeight=11.69, printBackground=True)["data"])
        if pdf:
            with open(pdf, "wb") as f:
                f.write(printed)
        pages = printed.count(b"/Type /Page") - printed.count(b"/Type /Pages")
    finally:
        b.close()

    errors = []
    for e in b.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                 for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            errors.append("exception: " + p["exceptionDetails"].get("text", ""))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            errors.append("log: " + p["entry"].get("text", ""))
        elif m == "Network.loadingFailed":
            errors.append("load failed: " + p.get("errorText", ""))
    probe.update(errors=errors, ink=round(ink, 4), colours=colours, pdf_pages=pages)
    print(json.dumps(probe))


if __name__ == "__main__":
    main()
