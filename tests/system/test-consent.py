#!/usr/bin/env python3
"""A site that stops without a goodbye leaves the roster (issue 8), and a
meeting at its configured size refuses one more site.

On loopback: diemcau-bridge and diemcau-signal on a private config with
[limits] max_sites = 2; tinh and STOPPED join and see each other. A third
site (duc-tho) is refused with "meeting-full". Then STOPPED's client gets
SIGSTOP: it answers no ICE consent check and sends nothing, but its TCP
connection stays open. RFC 7675 consent expires at the bridge after 30 s;
GET /api/roster must show STOPPED absent within LIMIT_S of the SIGSTOP, the
bridge must report it lost, and the other site must go on. Then SIGKILL."""
import argparse
import json
import os
import re
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

STOPPED = "can-loc"
OTHER = "tinh"
EXTRA = "duc-tho"
LIMIT_S = 35.0


def roster(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/roster", timeout=2) as r:
            doc = json.loads(r.read())
    except (OSError, ValueError):
        return None
    return {s.get("id"): s.get("state") for s in doc.get("sites", [])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    tap = harness.Tap()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    wd = harness.workdir("consent")
    tap.diag(f"work dir {wd}")
    config, port = harness.private_config(a.source, wd)
    text = open(config, encoding="utf-8").read()
    text, n = re.subn(r"^max_sites = .*$", "max_sites = 2", text, count=1, flags=re.M)
    assert n == 1, "config/hatinh.ini has no max_sites"
    open(config, "w", encoding="utf-8").write(text)
    servers = harness.Servers(a.build, config, port, wd)
    clients = {}
    try:
        if not tap.ok(servers.start(), "diemcau-signal and diemcau-bridge start",
                      servers.log("signal")[-2000:] + servers.log("bridge")[-2000:]):
            return tap.done()
        creds = {s[0]: s[3] for s in harness.read_sites(config)}
        media = ["--size", "320x180", "--fps", "15"]
        run_for = 60
        for sid in (OTHER, STOPPED):
            clients[sid] = harness.Client(a.build, port, sid, creds[sid], wd, run_for, media)

        end = time.time() + 15
        r = None
        while time.time() < end:
            r = roster(port)
            if r and r.get(OTHER) == "connected" and r.get(STOPPED) == "connected":
                break
            time.sleep(0.25)
        if not tap.ok(r and r.get(OTHER) == "connected" and r.get(STOPPED) == "connected",
                      "both sites connected (GET /api/roster)", str(r)):
            return tap.done()

        # A third site: the meeting is at its configured size (2).
        extra = harness.Client(a.build, port, EXTRA, creds[EXTRA], wd, 5, media)
        rc = extra.wait(15)
        tap.ok(rc not in (0, None) and "meeting-full" in extra.stderr(),
               f"a third site is refused while the meeting holds max_sites = 2 (exit {rc})",
               extra.stderr()[-1000:])

        t_stop = time.time()
        clients[STOPPED].proc.send_signal(signal.SIGSTOP)
        gone_at = None
        while time.time() < t_stop + LIMIT_S + 5:
            r = roster(port)
            if r is not None and r.get(STOPPED) in ("absent", "lost"):
                gone_at = time.time()
                break
            time.sleep(0.5)
        took = None if gone_at is None else gone_at - t_stop
        tap.ok(took is not None and took <= LIMIT_S,
               f"{STOPPED} (SIGSTOP, no goodbye) leaves the roster {took and round(took, 1)} s later "
               f"(limit {LIMIT_S} s)", str(r))
        blog = servers.log("bridge")
        tap.ok(re.search(rf"site {STOPPED}: lost: .*consent expired", blog) is not None and
               re.search(rf"site {STOPPED}: endpoint freed", blog) is not None,
               "the bridge reported consent lost and freed the endpoint", blog[-2000:])
        r = roster(port)
        tap.ok(r is not None and r.get(OTHER) == "connected", f"{OTHER} is still connected", str(r))
        last = clients[OTHER].status[-1][1] if clients[OTHER].status else {}
        tap.ok(STOPPED not in last.get("remote", {}) or
               not last["remote"][STOPPED].get("fps"),
               f"{OTHER} no longer receives {STOPPED}", str(last))
    except Exception as e:  # noqa: BLE001
        import traceback
        tap.ok(False, f"the test ran to the end ({type(e).__name__}: {e})", traceback.format_exc())
    finally:
        for c in clients.values():
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
        servers.stop_ok(tap, "diemcau-signal and diemcau-bridge stop cleanly")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
