#!/usr/bin/env python3
"""Issue 13's attacks against a real meeting (real bridge, real service,
real C clients exchanging media), all at once, from another loopback
address (127.0.0.2) than the sites (127.0.0.1), as an attacker on the
provincial network or on the host would try them:

- on the sites' WebSocket (/ws), before any join: 80 kB of nested '[', one
  message of 64 MiB in 64 KiB fragments, 40 idle WebSockets, a page from a
  foreign origin;
- on HTTP: 300 half-open requests held open;
- on the technician API: 80 wrong tokens;
- on the control link (the bridge's port): an upgrade without credentials,
  with a browser's Origin, with a forged authorization header; each then
  tries to add an endpoint for an absent site (an invisible listener),
  take over the meeting with hello, and send 80 kB of nested '['.

Checks: both servers live through it and stop cleanly; every site goes on
receiving every other site's audio and video during and after; a new site
joins afterwards and is received by all; the right technician token is
answered at once; no endpoint appeared for the absent site (the technician
view and the roster agree); the deep JSON on the control port is refused.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ATTACKER = "127.0.0.2"
SITES = ["tinh", "can-loc", "duc-tho"]
LATE = "huong-khe"
ABSENT = "ky-anh"


def connect(port, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((ATTACKER, 0))
    s.connect(("127.0.0.1", port))
    return s


def upgrade(port, path, headers=()):
    """A raw WebSocket upgrade from the attacker's address: (socket, status)."""
    s = connect(port)
    key = base64.b64encode(os.urandom(16)).decode()
    extra = "".join(f"{h}\r\n" for h in headers)
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"{extra}\r\n").encode())
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 8192:
            c = s.recv(1)
            if not c:
                break
            head += c
    except OSError:
        pass
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return s, status


def frame(opcode, payload, fin=True):
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + b"\0\0\0\0" + payload  # a zero mask


def read_replies(s, seconds):
    """Text messages the server sent within seconds, and whether it closed."""
    s.settimeout(0.2)
    buf, msgs, closed = b"", [], False
    end = time.time() + seconds
    while time.time() < end and not closed:
        try:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
            buf += chunk
        except socket.timeout:
            pass
        except OSError:
            closed = True
        while len(buf) >= 2:
            n = buf[1] & 0x7F
            off = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, off = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, off = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < off + n:
                break
            op, payload, buf = buf[0] & 0x0F, buf[off:off + n], buf[off + n:]
            if op == 1:
                try:
                    msgs.append(json.loads(payload))
                except ValueError:
                    msgs.append({"raw": payload[:200].decode(errors="replace")})
            elif op == 8:
                closed = True
    return msgs, closed


class Attacks:
    """Runs every attack in its own thread; results land in self.results."""

    def __init__(self, sig_port, ctl_port):
        self.sig, self.ctl = sig_port, ctl_port
        self.results, self.held, self.lock = {}, [], threading.Lock()

    def note(self, key, value):
        with self.lock:
            self.results[key] = value

    def hold(self, s):
        with self.lock:
            self.held.append(s)

    def deep_json_ws(self):
        s, st = upgrade(self.sig, "/ws")
        s.sendall(frame(1, b"[" * 80 * 1024))
        msgs, _ = read_replies(s, 3)
        self.note("ws deep json", (st, [m.get("code") for m in msgs]))
        s.close()

    def fragments_ws(self):
        s, st = upgrade(self.sig, "/ws")
        sent, payload = 0, b" " * 65536
        try:
            s.sendall(frame(1, payload, fin=False))
            sent += len(payload)
            for _ in range(1023):
                s.sendall(frame(0, payload, fin=False))
                sent += len(payload)
        except OSError:
            pass
        _, closed = read_replies(s, 5)
        self.note("ws fragments", (st, sent, closed))
        s.close()

    def idle_websockets(self):
        n = 0
        for _ in range(40):
            try:
                s, st = upgrade(self.sig, "/ws")
                self.hold(s)
                n += st == 101
            except OSError:
                pass
        self.note("idle websockets", n)

    def foreign_origin(self):
        s, st = upgrade(self.sig, "/ws", ["Origin: http://evil.example"])
        self.note("foreign origin", st)
        s.close()

    def half_open(self):
        n = 0
        for _ in range(300):
            try:
                s = connect(self.sig)
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finished
                self.hold(s)
                n += 1
            except OSError:
                pass
        self.note("half-open requests", n)

    def wrong_tokens(self):
        codes = {}

        def one(i):
            code = 0
            try:
                s = connect(self.sig, timeout=60)
                s.sendall((f"GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1:{self.sig}\r\n"
                           f"Authorization: Bearer wrong-{i}\r\nConnection: close\r\n\r\n").encode())
                head = s.recv(64)
                code = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
                s.close()
            except (OSError, ValueError, IndexError):
                pass
            with self.lock:
                codes[code] = codes.get(code, 0) + 1

        threads = [threading.Thread(target=one, args=(i,)) for i in range(80)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(70)
        self.note("wrong tokens", codes)

    def control(self, meeting):
        out = []
        for name, headers in (("no credentials", []), ("a browser's Origin", ["Origin: http://evil.example"]),
                              ("a forged credential",
                               [f"Authorization: DC-HMAC t={int(time.time())}, n={'0' * 32}, mac={'0' * 64}"])):
            s, st = upgrade(self.ctl, "/control", headers)
            replies, closed = [], True
            if st == 101:
                for m in ({"op": "endpoint.add", "meeting": meeting, "endpoint": ABSENT, "session": "evil"},
                          {"op": "hello", "meeting": meeting, "signal": "evil"},
                          {"op": "stats", "meeting": meeting, "id": 1}):
                    try:
                        s.sendall(frame(1, json.dumps(m).encode()))
                    except OSError:
                        break
                try:
                    s.sendall(frame(1, b"[" * 80 * 1024))
                except OSError:
                    pass
                replies, closed = read_replies(s, 3)
            out.append((name, st, [m.get("op") for m in replies], closed))
            s.close()
        self.note("control link", out)

    def close(self):
        for s in self.held:
            try:
                s.close()
            except OSError:
                pass


def tech_get(url, cred, timeout=10):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {cred}"})
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read()), time.time() - t0
    except urllib.error.HTTPError as e:
        return e.code, None, time.time() - t0
    except OSError as e:
        return 0, str(e), time.time() - t0


def sees(c, site, after):
    """Whether c's newest STATUS, taken after `after`, has site's audio and video."""
    st = [s for t, s in c.status if t >= after]
    r = ((st[-1] if st else {}).get("remote") or {}).get(site) or {}
    return bool(r.get("audio")) and r.get("fps", 0) > 0


def wait_until(pred, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--sanitized", action="store_true")
    a = ap.parse_args()
    tap = harness.Tap()
    wd = harness.workdir("attacks")
    tap.diag(f"work dir {wd}")
    config, port = harness.private_config(a.source, wd)
    text = open(config, encoding="utf-8").read()
    ctl_port = int(text.split("control_port = ", 1)[1].split()[0])
    meeting = text.split("\nid = ", 1)[1].split()[0]
    creds = {s[0]: s[3] for s in harness.read_sites(config)}
    tech = harness.demo_credentials()["technician"]
    url = f"http://127.0.0.1:{port}"
    servers = harness.Servers(a.build, config, port, wd)
    if not tap.ok(servers.start(), "diemcau-signal and diemcau-bridge start", servers.log("signal")):
        servers.stop()
        return tap.done()
    slow = 3.0 if a.sanitized else 1.0
    media = ["--size", "320x180", "--fps", "15"]
    clients = {sid: harness.Client(a.build, port, sid, creds[sid], wd, 90, media) for sid in SITES}
    attacks = Attacks(port, ctl_port)
    try:
        t0 = time.time()
        flowing = wait_until(lambda: all(sees(clients[rx], tx, t0) for rx in SITES for tx in SITES if rx != tx),
                             20 * slow)
        tap.ok(flowing, "three sites exchange audio and video before the attacks",
               {s: c.status[-1][1] if c.status else None for s, c in clients.items()})

        # Every attack at once, from 127.0.0.2.
        t_attack = time.time()
        jobs = [attacks.deep_json_ws, attacks.fragments_ws, attacks.idle_websockets, attacks.foreign_origin,
                attacks.half_open, attacks.wrong_tokens,
                lambda: attacks.control(meeting)]
        threads = [threading.Thread(target=j, daemon=True) for j in jobs]
        for t in threads:
            t.start()

        # During: media goes on (fresh STATUS lines, every pair).
        time.sleep(2.0)
        t_mid = time.time()
        during = wait_until(lambda: all(sees(clients[rx], tx, t_mid) for rx in SITES for tx in SITES if rx != tx),
                            10 * slow)
        tap.ok(during, "during the attacks every site still receives every other site's audio and video",
               {s: c.status[-1][1] if c.status else None for s, c in clients.items()})
        code, doc, secs = tech_get(url + "/api/stats", tech)
        tap.diag(f"the right technician token during the attacks: {code} in {secs * 1000:.0f} ms")
        tap.ok(code == 200 and secs < 2.0 * slow, "the right technician token is answered at once during the attacks",
               f"{code} after {secs:.2f} s: {doc}")
        for t in threads:
            t.join(90)
        tap.diag(f"attacks took {time.time() - t_attack:.1f} s: {json.dumps(attacks.results)}")
        r = attacks.results
        tap.ok(servers.procs["signal"].poll() is None and servers.procs["bridge"].poll() is None,
               "both servers are still running", {w: p.poll() for w, p in servers.procs.items()})

        st, codes = r.get("ws deep json", (0, []))
        tap.ok(st == 101 and codes == ["bad-message"], "80 kB of nested '[' on /ws: a bad-message error", r.get("ws deep json"))
        st, sent, closed = r.get("ws fragments", (0, 0, False))
        tap.ok(st == 101 and closed and sent < 64 * 1024 * 1024,
               "a 64 MiB message in fragments on /ws: the connection is closed before the end", r.get("ws fragments"))
        tap.ok(r.get("foreign origin") == 403, "a page from a foreign origin is refused (403)", r.get("foreign origin"))
        ctl = r.get("control link") or []
        refused = all((st != 101 or (closed and not ops)) for _, st, ops, closed in ctl) and len(ctl) == 3
        tap.ok(refused, "the control link refuses an upgrade without credentials, with an Origin, with a forged one: "
               "no reply to any op", ctl)
        attacks.close()

        # After: nothing was added for the absent site, media flows, a late site joins.
        code, doc, _ = tech_get(url + "/api/stats", tech)
        sites = (doc or {}).get("sites") or {}
        absent = sites.get(ABSENT) or {}
        def link_state(sid):
            return ((sites.get(sid) or {}).get("link") or {}).get("state")
        tap.ok(code == 200 and link_state(ABSENT) in (None, "absent") and absent.get("present") is False and
               all(link_state(s) == "connected" for s in SITES),
               f"the bridge holds no endpoint for the absent site {ABSENT} (no link in the technician's view)",
               json.dumps(absent)[:600])
        try:
            roster = json.loads(urllib.request.urlopen(url + "/api/roster", timeout=5).read())
        except (OSError, ValueError):
            roster = {}
        entry = {e.get("id"): e for e in roster.get("sites", [])}.get(ABSENT, {})
        tap.ok(entry.get("present") is False, f"the roster shows {ABSENT} absent", entry)
        t_late = time.time()
        clients[LATE] = harness.Client(a.build, port, LATE, creds[LATE], wd, 30, media)
        everyone = SITES + [LATE]
        joined = wait_until(lambda: all(sees(clients[rx], tx, t_late) for rx in everyone for tx in everyone
                                        if rx != tx), 20 * slow)
        tap.ok(joined, f"after the attacks {LATE} joins, and it and the others receive each other",
               {s: c.status[-1][1] if c.status else None for s, c in clients.items()})
    finally:
        attacks.close()
        for c in clients.values():
            if c.proc.poll() is None:
                c.proc.terminate()
            c.wait(15)
        servers.stop_ok(tap)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
