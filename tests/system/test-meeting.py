#!/usr/bin/env python3
"""The whole province meeting on one machine, over real sockets on loopback:
diemcau-signal, diemcau-bridge and 14 diemcau-client sites (the command room
and the 13 districts of config/hatinh.ini) for DURATION seconds. One district
leaves and rejoins in the middle; a wrong credential is tried and refused.

Checks (issue 3): every site decodes video and audio from each of the 13
others with the right identity, at least 95 % of the frames each one sent
while both were in the meeting; no site receives its own media; video latency
p95 under 150 ms; the rejoined site is decoded again by all others within 3 s;
every process exits cleanly (under ASan: no leak, no invalid access)."""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

REJOIN_SITE = "vu-quang"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--duration", type=float, default=None,
                    help="seconds (default 24, 36 in a sanitizer build; or DC_MEETING_SECONDS)")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--sanitized", action="store_true",
                    help="an ASan/UBSan build: check memory safety and media, not timing")
    a = ap.parse_args()
    if a.duration is None:
        a.duration = float(os.environ.get("DC_MEETING_SECONDS", 36 if a.sanitized else 24))
    tap = harness.Tap()
    wd = harness.workdir("meeting")
    tap.diag(f"work dir {wd}")
    config, port = harness.private_config(a.source, wd)
    sites = harness.read_sites(config)
    servers = harness.Servers(a.build, config, port, wd)
    if not tap.ok(servers.start(), "diemcau-signal and diemcau-bridge start on the private config",
                  servers.log("signal") + servers.log("bridge")):
        servers.stop()
        return tap.done()

    media = ["--size", a.size, "--fps", str(a.fps)]
    clients = {}
    try:
        # A wrong credential is refused with a clear error, and nothing joins.
        bad = harness.Client(a.build, port, "can-loc", "wrong-credential-123", wd, 5, media, tag="-bad")
        rc = bad.wait(15)
        err = bad.stderr()
        tap.ok(rc not in (0, None) and "credential" in err.lower(),
               "a wrong credential is refused with an error naming the credential", f"exit {rc}\n{err}")

        t_start = time.time()
        for sid, name, role, cred in sites:
            clients[sid] = harness.Client(a.build, port, sid, cred, wd, a.duration, media)

        # One district leaves at 40 % of the meeting, or later if by then it
        # is not yet hearing and seeing all 13 others (a loaded machine, a
        # sanitizer build: the leave must come after a full first session),
        # and rejoins 2 s later.
        gone = clients[REJOIN_SITE]
        others = [s[0] for s in sites if s[0] != REJOIN_SITE]
        wait_for_full_media(gone, others, t_start + a.duration * 0.4, t_start + a.duration * 0.6)
        tap.diag(f"{REJOIN_SITE} leaves {time.time() - t_start:.1f} s into the meeting")
        gone.proc.send_signal(signal.SIGTERM)
        first_rc = gone.wait(10)
        time.sleep(2.0)
        cred = dict((s[0], s[3]) for s in sites)[REJOIN_SITE]
        remaining = max(6.0, a.duration - (time.time() - t_start))
        back = harness.Client(a.build, port, REJOIN_SITE, cred, wd, remaining, media, tag="-rejoin")
        t_rejoin = back.started

        rcs = {sid: c.wait(a.duration + 30) for sid, c in clients.items() if sid != REJOIN_SITE}
        rcs[REJOIN_SITE] = first_rc
        rcs[REJOIN_SITE + " (rejoined)"] = back.wait(remaining + 30)
        bad_exit = {k: v for k, v in rcs.items() if v != 0}
        tap.ok(not bad_exit, "all 14 clients (and the rejoined one) exit 0",
               "\n".join(f"{k}: exit {v}\n{(clients.get(k) or back).stderr()[-1500:]}" for k, v in bad_exit.items()))

        reports = {sid: c.report() for sid, c in clients.items()}
        reports_back = back.report()
        missing = [s for s, r in reports.items() if r is None]
        tap.ok(not missing and reports_back is not None, "every client wrote its report", f"missing: {missing}")
        check_meeting(tap, sites, reports, reports_back, clients, back, t_rejoin, a.sanitized)
    finally:
        for c in clients.values():
            if c.proc.poll() is None:
                c.proc.kill()
        servers.stop_ok(tap, "diemcau-signal and diemcau-bridge stop cleanly on SIGTERM (ASan: no leaks)")
    return tap.done()


def wait_for_full_media(client, others, not_before, deadline):
    """Sleeps until not_before, then until the client's last two STATUS lines
    show audio and video from every one of others, or until deadline."""
    def full(st):
        remote = st.get("remote") or {}
        return all((remote.get(o) or {}).get("audio") and (remote.get(o) or {}).get("fps", 0) > 0 for o in others)
    while time.time() < deadline:
        if time.time() >= not_before and len(client.status) >= 2 and all(full(s) for _, s in client.status[-2:]):
            return True
        time.sleep(0.2)
    return False


def pair_fraction(sender_report, rr):
    """Fraction of the frames the sender sent while the receiver was taking
    them that the receiver decoded, from the counter range it saw."""
    fc = rr.get("frame_counters") or {}
    lo, hi, n = fc.get("min"), fc.get("max"), fc.get("decoded", rr.get("video_frames_decoded", 0))
    if lo is None or hi is None or hi < lo:
        return 0.0
    return n / float(hi - lo + 1)


def check_meeting(tap, sites, reports, reports_back, clients, back, t_rejoin, sanitized):
    """Checks the reports. In a sanitizer build (instrumented code several
    times slower, 14 clients on 2 cores) the timing checks (share of frames,
    latency, rejoin time) are reported as diagnostics only: that build is
    there for memory safety, the optimised build checks the timing."""
    timed = (lambda ok, desc, detail=None: tap.diag(f"{'met' if ok else 'NOT met'} (timing, not checked "
                                                       f"in a sanitizer build): {desc}")) if sanitized else tap.ok
    ids = [s[0] for s in sites]
    problems = {"video": [], "audio": [], "identity": [], "fraction": [], "latency": [], "own": []}
    worst_frac, worst_p95 = 1.0, 0.0
    for rx in ids:
        r = reports.get(rx)
        if r is None:
            continue
        if r.get("own_media_received", 0) != 0:
            problems["own"].append(f"{rx}: {r.get('own_media_received')}")
        remote = r.get("remote", {})
        for tx in ids:
            if tx == rx:
                if tx in remote and remote[tx].get("video_frames_decoded", 0) > 0:
                    problems["own"].append(f"{rx} decoded itself")
                continue
            rr = remote.get(tx)
            if not rr or rr.get("video_frames_decoded", 0) == 0:
                problems["video"].append(f"{rx}<-{tx}")
                continue
            if rr.get("audio_packets_decoded", 0) == 0 or not rr.get("audio_identity_ok"):
                problems["audio"].append(f"{rx}<-{tx}: {rr.get('audio_packets_decoded')} pkts ok={rr.get('audio_identity_ok')}")
            if rr.get("video_identity_ok", 0) < rr.get("video_frames_decoded", 0) or rr.get("video_identity_bad", 0):
                problems["identity"].append(f"{rx}<-{tx}: ok {rr.get('video_identity_ok')} of {rr.get('video_frames_decoded')}")
            if REJOIN_SITE not in (rx, tx):
                frac = pair_fraction(reports.get(tx) or {}, rr)
                worst_frac = min(worst_frac, frac)
                if frac < 0.95:
                    problems["fraction"].append(f"{rx}<-{tx}: {frac:.3f}")
                p95 = (rr.get("video_latency_ms") or {}).get("p95", 1e9)
                worst_p95 = max(worst_p95, p95)
                if p95 >= 150:
                    problems["latency"].append(f"{rx}<-{tx}: p95 {p95} ms")
    tap.ok(not problems["video"], "every site decodes video from each of the 13 others",
           " ".join(problems["video"][:60]))
    tap.ok(not problems["audio"], "every site decodes audio from each of the 13 others with the right tone",
           "\n".join(problems["audio"][:30]))
    tap.ok(not problems["identity"], "every decoded frame carries the sender's identity",
           "\n".join(problems["identity"][:30]))
    timed(not problems["fraction"] and worst_frac <= 1.0001,
           f"each receiver decodes >= 95 % of the frames each sender sent (worst {worst_frac:.3f})",
           "\n".join(problems["fraction"][:30]))
    timed(not problems["latency"], f"video latency p95 under 150 ms on every pair (worst {worst_p95:.0f} ms)",
           "\n".join(problems["latency"][:30]))
    tap.ok(not problems["own"], "no site receives its own media", "\n".join(problems["own"]))

    # The rejoined district is decoded again by every other site within 3 s.
    # STATUS lines come once a second, each with the wall-clock time of the
    # newest frame decoded from every remote site.
    slow = []
    worst = 0.0
    for rx, c in clients.items():
        if rx == REJOIN_SITE:
            continue
        t = None
        for ts, s in c.status:
            last = ((s.get("remote") or {}).get(REJOIN_SITE) or {}).get("first_frame_after_gap_ms")
            if ts >= t_rejoin and last and last / 1000.0 >= t_rejoin:
                t = last / 1000.0
                break
        if t is None:
            slow.append(f"{rx}: never")
        else:
            worst = max(worst, t - t_rejoin)
            if t - t_rejoin > 3.0:
                slow.append(f"{rx}: {t - t_rejoin:.2f} s")
    timed(not slow, f"a district that leaves and rejoins is decoded again by all others within 3 s (worst {worst:.2f} s)",
           "\n".join(slow))
    rb = reports_back or {}
    got = sum(1 for tx in [i for i in (s[0] for s in sites) if i != REJOIN_SITE]
              if ((rb.get("remote") or {}).get(tx) or {}).get("video_frames_decoded", 0) > 0)
    tap.ok(got == len(sites) - 1, f"the rejoined district decodes all {len(sites) - 1} others ({got})")


if __name__ == "__main__":
    sys.exit(main())
