#!/usr/bin/env python3
"""A site's address changes mid-meeting: ICE restart, not a new join (issue 8).

Three sites, each diemcau-client in its own network namespace on a test LAN
(tests/system/netem.py, lan_meeting.py); the servers listen on the LAN's
root-side address. Once every site sees every other site's video, MOVED's
namespace gets a new address of the LAN's /24 and loses its old one (ip addr
add, then del: a renumbered host). Every socket bound to the old address is
dead from then on: the media path and the signaling WebSocket.

Expected: after 2 s without media MOVED's client finds its address gone,
resumes its signaling session on a new connection from the new address and
asks for an ICE restart; the restart gathers fresh candidates on the new
address; media resumes with DTLS-SRTP and the session kept.

Checks: MOVED's client resumed the same session ("signaling session ...
resumed") and restarted ICE in place ("ICE restart (DTLS-SRTP kept)"), with
no new join, no new transport and no "joining again"; the service logged the
resume and no new session for MOVED; every other site decodes MOVED's video
again within RECOVER_S of the change (2 s silence detection + reconnect, the
restart's round trip and checks, a keyframe: about 2.5 s measured; checked
in the optimised build, printed under sanitizers) and MOVED decodes theirs;
the receivers' view of MOVED's stream is continuous (no sender restart seen,
bounded loss: no new sequence epoch); the bridge's selected pair for MOVED
(GET /api/stats, link.ice.remote) has the new address; everything the test
created is gone at the end. Needs root; as another user it fails."""
import json
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from lan_meeting import recovered_at, run  # noqa: E402

SITES = ["tinh", "can-loc", "duc-tho"]
MOVED = "can-loc"
RECOVER_S = 5.0  # from the change to the first frame decoded again
WAIT_S = 25.0  # how long to wait for it at all: under the 30 s consent expiry


def selected_remote(url, cred, site):
    """The bridge's selected pair's remote address ("ip:port") for site, from
    GET /api/stats, or None."""
    req = urllib.request.Request(url + "/api/stats/" + site, headers={"Authorization": f"Bearer {cred}"})
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            doc = json.loads(r.read().decode())
    except (OSError, ValueError):
        return None
    link = ((doc.get("sites") or {}).get(site) or {}).get("link") or {}
    return (link.get("ice") or {}).get("remote")


def scenario(m):
    tap = m.tap
    # Plain ws:// on the LAN address, said explicitly: TLS on a LAN address
    # is test-ice-restart's; here the session resume is the point. 120 s:
    # ended by SIGTERM after the checks (slow sanitizer builds need the room).
    if not m.start(SITES, 120, tls="off", before="the change"):
        return
    url = f"http://{m.lan.addr}:{m.port}"
    cred = harness.demo_credentials()["technician"]
    clients, ns = m.clients, m.ns
    time.sleep(1.0)
    before = selected_remote(url, cred, MOVED)
    tap.diag(f"the bridge's selected pair for {MOVED} before: remote {before}")

    # The change.
    t_change = time.time()
    old, new = ns[MOVED].change_addr()
    tap.diag(f"{MOVED} moved from {old} to {new} (now {' '.join(ns[MOVED].addresses())})")
    tap.ok(ns[MOVED].addresses() == [new], f"{MOVED}'s interface has only its new address {new}",
           ns[MOVED].addresses())

    # Recovery: every receiver decodes MOVED again, MOVED decodes them.
    others = [s for s in SITES if s != MOVED]
    end = t_change + WAIT_S
    while time.time() < end:
        if all(recovered_at(clients[r], MOVED, t_change) for r in others) and \
                all(recovered_at(clients[MOVED], s, t_change) for s in others):
            break
        time.sleep(0.25)
    for r in others:
        at = recovered_at(clients[r], MOVED, t_change)
        delay = None if at is None else at - t_change
        tap.diag(f"{r} decodes {MOVED}'s video again {delay and round(delay, 2)} s after the change")
        tap.ok(delay is not None, f"{r} decodes {MOVED}'s video again (within {WAIT_S} s)",
               [s for _, s in clients[r].status[-8:]])
        m.timed(delay is not None and delay <= RECOVER_S,
                f"{r} decodes {MOVED}'s video again {delay and round(delay, 2)} s after the change "
                f"(limit {RECOVER_S} s)")
    for s in others:
        at = recovered_at(clients[MOVED], s, t_change)
        delay = None if at is None else at - t_change
        tap.ok(delay is not None, f"{MOVED} decodes {s}'s video again {delay and round(delay, 2)} s "
               "after the change", [x for _, x in clients[MOVED].status[-8:]])

    # The bridge's selected pair is on the new address.
    after = None
    end = time.time() + 5
    while time.time() < end:
        after = selected_remote(url, cred, MOVED)
        if after and after.startswith(new + ":"):
            break
        time.sleep(0.5)
    tap.ok(after is not None and after.startswith(new + ":"),
           f"the bridge's selected pair for {MOVED} is from its new address ({before} -> {after})")

    # The session was resumed and the path restarted, not rebuilt.
    time.sleep(2.0)
    clog = clients[MOVED].stderr()
    tap.ok(re.search(r"address .* is gone", clog) is not None and "resumed" in clog,
           f"{MOVED}'s client saw its address go and resumed its signaling session", clog[-2500:])
    tap.ok("ICE restart (DTLS-SRTP kept)" in clog and "new transport" not in clog
           and "joining again" not in clog and "joined the meeting again" not in clog,
           f"{MOVED}'s client restarted ICE in place (no new join, no new transport)", clog[-2500:])
    slog = m.servers.log("signal")
    tap.ok(re.search(rf"site={MOVED} session=\S+ resumed", slog) is not None
           and re.search(rf"site={MOVED} session=\S+ replaces", slog) is None,
           f"the service resumed {MOVED}'s session (no new session)", slog[-2000:])
    blog = m.servers.log("bridge")
    tap.ok(re.search(rf"site {MOVED}: ICE restart", blog) is not None,
           "the bridge restarted the endpoint's ICE (new credentials)", blog[-2000:])

    m.stop_clients()
    m.check_continuity(others, MOVED)


if __name__ == "__main__":
    sys.exit(run("address-change", "network namespaces, veth, ip addr", scenario))
