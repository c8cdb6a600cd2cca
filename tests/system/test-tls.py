#!/usr/bin/env python3
"""diemcau-client over wss:// (issue 8, TLS).

On loopback: diemcau-bridge and diemcau-signal on a private config with
[signaling] tls = on, so the service makes its self-signed certificate in the
work folder and prints its SHA-256 fingerprint. Checks: the fingerprint it
prints is the file's (computed here); the HTTPS API verifies with the file as
CA; tinh joins over wss:// with --pin FINGERPRINT and can-loc with --ca-file
(the certificate itself), and each decodes the other's video and audio; a
client with a wrong pin, one with neither option, and one on ws:// to the TLS
port are refused with a clear message and exit status 1, and never join."""
import argparse
import hashlib
import json
import os
import re
import signal
import ssl
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PINNED = "tinh"
CA_FILE = "can-loc"
REFUSED = "duc-tho"


def fingerprint(cert_path):
    """SHA-256 of the certificate's DER, colon hex upper case."""
    der = ssl.PEM_cert_to_DER_cert(open(cert_path, encoding="ascii").read())
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def roster(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/api/roster", timeout=2,
                                    context=ctx) as r:
            doc = json.loads(r.read())
    except (OSError, ValueError):
        return None
    return {s.get("id"): s.get("state") for s in doc.get("sites", [])}


def decodes(c, other):
    if not c.status:
        return False
    r = c.status[-1][1].get("remote", {}).get(other) or {}
    return r.get("fps", 0) > 0 and r.get("audio") is True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    tap = harness.Tap()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    wd = harness.workdir("tls")
    tap.diag(f"work dir {wd}")
    config, port = harness.private_config(a.source, wd)
    text = open(config, encoding="utf-8").read()
    text, n = re.subn(r"^tls = .*$", "tls = on", text, count=1, flags=re.M)
    assert n == 1, "config/hatinh.ini has no tls line"
    open(config, "w", encoding="utf-8").write(text)
    cert = os.path.join(wd, "diemcau-signal.crt")
    servers = harness.Servers(a.build, config, port, wd)
    clients = {}
    try:
        if not tap.ok(servers.start(), "diemcau-signal (HTTPS) and diemcau-bridge start",
                      servers.log("signal")[-2000:] + servers.log("bridge")[-2000:]):
            return tap.done()
        log = servers.log("signal")
        m = re.search(r"listening on https://127\.0\.0\.1:\d+/", log)
        fp = re.search(r"SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})", log)
        tap.ok(m is not None and fp is not None and os.path.exists(cert) and
               fp.group(1) == fingerprint(cert),
               "the service listens on https:// and prints its certificate's SHA-256 fingerprint",
               log[-2000:])
        if not fp:
            return tap.done()
        fp = fp.group(1)
        creds = {s[0]: s[3] for s in harness.read_sites(config)}
        media = ["--size", "320x180", "--fps", "15"]

        clients[PINNED] = harness.Client(a.build, port, PINNED, creds[PINNED], wd, 40,
                                         media + ["--pin", fp], scheme="wss")
        clients[CA_FILE] = harness.Client(a.build, port, CA_FILE, creds[CA_FILE], wd, 40,
                                          media + ["--ca-file", cert], scheme="wss")
        end = time.time() + 25
        while time.time() < end and not (decodes(clients[PINNED], CA_FILE) and
                                         decodes(clients[CA_FILE], PINNED)):
            time.sleep(0.25)
        last = {s: (c.status[-1][1] if c.status else None) for s, c in clients.items()}
        tap.ok(decodes(clients[PINNED], CA_FILE) and decodes(clients[CA_FILE], PINNED),
               f"{PINNED} (wss://, --pin) and {CA_FILE} (wss://, --ca-file) decode each other",
               json.dumps(last)[:3000] + "\n" + clients[PINNED].stderr()[-1000:] +
               clients[CA_FILE].stderr()[-1000:])
        r = roster(port, cert)
        tap.ok(r is not None and r.get(PINNED) == "connected" and r.get(CA_FILE) == "connected",
               "GET https://.../api/roster, verified with the certificate as CA: both connected",
               str(r))

        wrong = ("00" if not fp.startswith("00") else "11") + fp[2:]
        refusals = [
            ("a wrong --pin", ["--pin", wrong], "wss",
             [f"is not the pinned one: expected SHA-256 {wrong} (--pin), seen {fp}"]),
            ("neither --pin nor --ca-file", [], "wss",
             [f"(SHA-256 {fp}) is not trusted", "--pin FINGERPRINT", "--ca-file"]),
            ("ws:// to the TLS port", [], "ws", ["cannot connect to signaling"]),
        ]
        for i, (what, extra, scheme, needles) in enumerate(refusals):
            c = harness.Client(a.build, port, REFUSED, creds[REFUSED], wd, 10, media + extra,
                               tag=f"-{i}", scheme=scheme)
            rc = c.wait(15)
            err = c.stderr()
            tap.ok(rc == 1 and all(n in err for n in needles) and "joined the meeting" not in err,
                   f"{what}: refused, exit status {rc}, the reason on stderr", err[-1500:])
        r = roster(port, cert)
        tap.ok(r is not None and r.get(REFUSED) == "absent", f"{REFUSED} never joined", str(r))
        for c in clients.values():
            c.proc.send_signal(signal.SIGTERM)
        rcs = {sid: c.wait(30) for sid, c in clients.items()}
        tap.ok(all(v == 0 for v in rcs.values()), "the wss:// clients leave and exit 0", str(rcs))
    except Exception as e:  # noqa: BLE001
        import traceback
        tap.ok(False, f"the test ran to the end ({type(e).__name__}: {e})", traceback.format_exc())
    finally:
        for c in clients.values():
            if c.proc.poll() is None:
                c.proc.send_signal(signal.SIGTERM)
            c.wait(10)
        servers.stop_ok(tap, "diemcau-signal and diemcau-bridge stop cleanly")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
