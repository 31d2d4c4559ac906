#!/usr/bin/env python3
"""test_console.py - the 112 console in a real browser.

A centre (proxwatch serve, regional_day.lua with 6 cases) is fed by loadgen
with devices close together, so incidents open.  Headless Chromium (Debian
`chromium`) loads the console page from the centre; this script drives it
over the DevTools protocol (a WebSocket, spoken here with the standard
library only): it waits for the incident queue, clicks "Dispatch" on the
first incident, and checks that the action reached the centre (the store
says "dispatched" with the patrol the page had chosen) and that a
screenshot shows both pins (pixels of the offender's and the victim's
colours).  Then it clicks "Close" on every incident, as a case officer
would: the page must show no offender pin any more, and the store no
precise position of a closed incident's devices.

usage: test_console.py PROXWATCH SOURCE_DIR
Skipped (exit 0 with a line saying so) when chromium is not installed and
PW_REQUIRE_BROWSER is not set; setup.sh installs it and sets it.
"""
import base64, json, os, random, shutil, socket, sqlite3, struct, subprocess, sys, time, zlib
from svc_testlib import check, counts, free_port, wait_port

pw, src = sys.argv[1], sys.argv[2]
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if not browser:
    if os.environ.get("PW_REQUIRE_BROWSER"):
        print("FAIL chromium is not installed")
        sys.exit(1)
    print("skip console: chromium is not installed")
    sys.exit(0)
work = os.path.abspath("pw_console")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
procs = []


class WebSocket:
    """The client side of RFC 6455, text frames only: enough for DevTools."""

    def __init__(self, url):
        hostport, path = url[len("ws://"):].split("/", 1)
        host, port = hostport.split(":")
        self.s = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.s.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit("DevTools refused the WebSocket: %r" % head)
        self.next_id = 0

    def _exact(self, n):
        b = b""
        while len(b) < n:
            chunk = self.s.recv(n - len(b))
            if not chunk:
                raise SystemExit("DevTools closed the WebSocket")
            b += chunk
        return b

    def send(self, text):
        data = text.encode()
        head = bytes([0x81])
        n = len(data)
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 \
            else bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            msg += payload
            if b0 & 0x80:
                return msg.decode()

    def call(self, method, **params):
        self.next_id += 1
        self.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = json.loads(self.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise SystemExit("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def evaluate(self, js):
        r = self.call("Runtime.evaluate", expression=js, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")


def png_pixels(png):
    """Width, height and RGB(A) rows of a non-interlaced 8-bit PNG (RFC 2083)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat = 8, b""
    while at < len(png):
        n, kind = struct.unpack(">I4s", png[at:at + 8])
        data = png[at + 8:at + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", data[:10])
        elif kind == b"IDAT":
            idat += data
        at += 12 + n
    bpp = {2: 3, 6: 4}[ctype]
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
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
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def count_colour(shot, rgb, box, tol=12):
    """Pixels of colour rgb inside box (x, y, width, height: the map's canvas)."""
    w, h, bpp, rows = png_pixels(shot)
    x0, y0, bw, bh = [int(v) for v in box]
    n = 0
    for row in rows[max(0, y0):min(h, y0 + bh)]:
        for x in range(max(0, x0) * bpp, min(w, x0 + bw) * bpp, bpp):
            if abs(row[x] - rgb[0]) <= tol and abs(row[x + 1] - rgb[1]) <= tol and abs(row[x + 2] - rgb[2]) <= tol:
                n += 1
    return n


OFFENDER, VICTIM = (0xD6, 0x27, 0x28), (0x1F, 0x5F, 0xBF)  # console.js's pin colours

try:
    db = os.path.join(work, "centre.db")
    port, http = free_port(), free_port()
    conf = ["--config", os.path.join(src, "scenarios", "regional_day.lua"), "--set", "cases=6"]
    log = open(db + ".log", "w")
    centre = subprocess.Popen([pw, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port, "--http",
                               "127.0.0.1:%d" % http, "--quiet"] + conf, stderr=log, stdout=subprocess.DEVNULL)
    procs.append(centre)
    if not wait_port(port, centre):
        raise SystemExit("serve did not start")
    lg = subprocess.run([pw, "loadgen", "--connect", "127.0.0.1:%d" % port, "--db", db, "--devices", "12", "--rate",
                         "60", "--seconds", "3", "--spread", "150", "--quiet"] + conf, capture_output=True, text=True)
    open_now = json.loads(subprocess.run(["python3", "-c", "import urllib.request,sys;"
                                          "sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:%d/incidents')"
                                          ".read().decode())" % http], capture_output=True, text=True).stdout)
    check("loadgen's devices close together opened incidents", len(open_now) > 0, lg.stdout[-300:])

    # what the console's HTTP side refuses, each with its status and reason
    def http_raw(raw):
        c = socket.create_connection(("127.0.0.1", http), timeout=5)
        c.sendall(raw)
        got = b""
        while True:
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
        c.close()
        return got.decode("utf-8", "replace")

    def post(body):
        return http_raw(("POST /action HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode())

    refusals = {
        "bad JSON": (post("{nope"), "400", "not JSON"),
        "unknown action": (post('{"action":"fly","incident":1}'), "400", "must be"),
        "no such incident": (post('{"action":"ack","incident":999999}'), "404", "no open incident"),
        "dispatch without a patrol": (post('{"action":"dispatch","incident":1}'), "400", "patrol"),
        "a body over 4096 bytes": (post('{"a":"' + "x" * 5000 + '"}'), "413", "4096"),
        "headers over 8 KiB": (http_raw(b"GET / HTTP/1.1\r\nX: " + b"y" * 9000 + b"\r\n\r\n"), "431", "too long"),
        "a method other than GET and POST": (http_raw(b"DELETE /action HTTP/1.1\r\nHost: x\r\n\r\n"), "405", "GET"),
        "no such page": (http_raw(b"GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"), "404", "no such page"),
        "not HTTP": (http_raw(b"\x16\x03\x01 hello\r\n\r\n"), "400", "not an HTTP"),
    }
    bad = ["%s: %r" % (k, got[:120]) for k, (got, code, words) in refusals.items()
           if not (got.startswith("HTTP/1.1 " + code) and words in got)]
    check("the console's HTTP side refuses bad requests with a status and a reason (%d kinds)" % len(refusals),
          not bad, "; ".join(bad))

    profile = os.path.join(work, "chrome")
    chrome = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--hide-scrollbars", "--window-size=1400,800", "--remote-debugging-port=0",
                               "--user-data-dir=" + profile, "about:blank"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(chrome)
    active = os.path.join(profile, "DevToolsActivePort")
    end = time.time() + 60
    while not (os.path.exists(active) and len(open(active).read().split()) >= 2) and time.time() < end:
        time.sleep(0.1)
    dt_port = int(open(active).read().split()[0])
    import urllib.request
    targets = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % dt_port).read())
    page = [t for t in targets if t["type"] == "page"][0]
    ws = WebSocket(page["webSocketDebuggerUrl"])
    ws.call("Page.enable")
    ws.call("Page.navigate", url="http://127.0.0.1:%d/" % http)
    rows, end = 0, time.time() + 20
    while time.time() < end:
        rows = ws.evaluate("document.querySelectorAll('#incidents tbody tr').length") or 0
        drawn = ws.evaluate("!!(window.layers || true) && document.getElementById('feed').textContent")
        if rows >= len(open_now) and drawn == "live":
            break
        time.sleep(0.2)
    check("the page shows the open incidents (%d rows, feed live)" % rows, rows == len(open_now), rows)
    time.sleep(1.0)  # the basemap's two files drawn
    clicked = ws.evaluate("""(() => { const tr = document.querySelector('#incidents tbody tr');
        const patrol = tr.querySelector('select').value;
        tr.querySelector('button.dispatch').click();
        return [Number(tr.dataset.incident), patrol]; })()""")
    incident, patrol = clicked
    state, end = None, time.time() + 10
    while time.time() < end:
        ro = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        row = ro.execute("SELECT state FROM incidents WHERE id=?", (incident,)).fetchone()
        ro.close()
        state = row and row[0]
        status = ws.evaluate("document.getElementById('status').textContent")
        if state == "dispatched" and status == "dispatch %d: done" % incident:
            break
        time.sleep(0.2)
    shown, end = None, time.time() + 10
    while time.time() < end:  # the feed brings the new state back to the page
        shown = ws.evaluate("(() => { const tr = document.querySelector('#incidents tbody tr[data-incident=\"%d\"]');"
                            " return tr ? tr.children[2].textContent : null; })()" % incident)
        if shown == "dispatched":
            break
        time.sleep(0.2)
    check("the event stream brought the dispatch back to the page (state %s)" % shown, shown == "dispatched", shown)
    dispatched_log = [json.loads(l) for l in open(db + ".log") if '"dispatched"' in l]
    check("clicking Dispatch reached the centre: incident %d dispatched to %s" % (incident, patrol),
          state == "dispatched" and any(l.get("incident") == incident and l.get("patrol") == patrol
                                        for l in dispatched_log) and patrol.startswith("patrol"),
          "store %s, log %s" % (state, dispatched_log))
    box = ws.evaluate("(() => { const r = document.getElementById('map').getBoundingClientRect(); "
                      "return [r.x, r.y, r.width, r.height]; })()")
    shot = base64.b64decode(ws.call("Page.captureScreenshot", format="png")["data"])
    open(os.path.join(work, "console.png"), "wb").write(shot)
    red, blue = count_colour(shot, OFFENDER, box), count_colour(shot, VICTIM, box)
    check("the screenshot shows both pins (offender %d px, victim %d px)" % (red, blue), red > 150 and blue > 150,
          (red, blue))

    # the case officer closes every incident from the page: no offender trace
    # stays on it, and the store keeps no precise position of theirs
    ws.evaluate("""(() => { for (const b of document.querySelectorAll('#incidents button.close')) b.click();
        return true; })()""")
    end = time.time() + 10
    while time.time() < end and (ws.evaluate("document.querySelectorAll('#incidents tbody tr').length") or 0) > 0:
        time.sleep(0.2)
    time.sleep(0.5)
    shot2 = base64.b64decode(ws.call("Page.captureScreenshot", format="png")["data"])
    red2 = count_colour(shot2, OFFENDER, box)
    ro = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    closed = ro.execute("SELECT count(*) FROM incidents WHERE state='closed'").fetchone()[0]
    kept = ro.execute("""SELECT count(*) FROM reports r JOIN incidents i JOIN cases c ON i.case_id = c.id
                         WHERE i.state = 'closed' AND r.device IN (c.offender, c.victim)
                         AND r.recv_ms BETWEEN i.opened_ms AND i.changed_ms AND r.lat_e7 IS NOT NULL""").fetchone()[0]
    ro.close()
    check("closing every incident from the page: no offender pin left (%d px), %d incidents closed, no precise "
          "position of theirs kept in the store (%d)" % (red2, closed, kept),
          red2 == 0 and closed == len(open_now) and kept == 0, (red2, closed, kept))
finally:
    for q in procs:
        if q.poll() is None:
            q.terminate()
            try:
                q.wait(timeout=10)
            except subprocess.TimeoutExpired:
                q.kill()
                q.wait()

print("console: %d passed, %d failed" % (counts["passed"], counts["failed"]))
sys.exit(1 if counts["failed"] else 0)
