#!/usr/bin/env python3
"""A site's link is cut for 5 s and comes back: ICE restart (issue 8).

Three sites, each diemcau-client in its own network namespace on a test LAN
(tests/system/netem.py); the servers listen on the LAN's root-side address,
which is the bridge's only local address. Once every site sees every other
site's video, CUT's namespace drops everything (iptables DROP on INPUT and
OUTPUT) for CUT_S seconds, then the rules are removed.

Checks: CUT's client asked for an ICE restart and restarted ICE in place
(DTLS-SRTP kept, no new transport); the bridge restarted the endpoint's ICE;
every other site decodes CUT's video again within 3 s of the rules being
removed (first_frame_after_gap_ms of the STATUS lines, wall clock) and CUT
decodes theirs; the receivers' view of CUT's stream is continuous (no
sender restart seen, bounded loss: no new sequence epoch); everything the
test created is gone at the end. Needs root; as another user it fails."""
import argparse
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import netem  # noqa: E402
from lan_meeting import NsClient, lan_config, recovered_at, sees, wait_listening  # noqa: E402

SITES = ["tinh", "can-loc", "duc-tho"]
CUT = "can-loc"
CUT_S = 5.0
RECOVER_S = 3.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    tap = harness.Tap()
    if os.geteuid() != 0:
        tap.ok(False, "ice-restart needs root (network namespaces, veth, iptables)")
        return tap.done()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    wd = harness.workdir("ice-restart")
    tap.diag(f"work dir {wd}")
    lan = netem.Lan(a.build, wd)
    servers = None
    clients = {}
    ns = {}
    cut_rules = []
    try:
        ns = {sid: lan.add_site(sid) for sid in SITES}
        config, port = lan_config(a.source, wd, lan.addr)
        servers = harness.Servers(a.build, config, port, wd)
        servers.start()
        up = wait_listening(lan.addr, port)
        if not tap.ok(up, f"diemcau-signal and diemcau-bridge start on {lan.addr}",
                      servers.log("signal")[-2000:] + servers.log("bridge")[-2000:]):
            return tap.done()

        # A LAN address: HTTPS by default (tls = auto), the self-signed
        # certificate pinned by every client.
        scheme, pin = harness.signal_tls(servers)
        if not tap.ok(scheme == "https" and pin, f"diemcau-signal serves https:// on {lan.addr}",
                      servers.log("signal")[-2000:]):
            return tap.done()
        creds = {s[0]: s[3] for s in harness.read_sites(config)}
        media = ["--size", "320x180", "--fps", "15", "--pin", pin]
        run_for = 90  # ended by SIGTERM after the checks (slow sanitizer builds need the room)
        for sid in SITES:
            clients[sid] = NsClient(a.build, lan.addr, port, sid, creds[sid], wd, run_for,
                                    ns[sid].prefix(), media, scheme="wss")

        # Everyone sees everyone (bounded: 40 s, for sanitizer builds).
        end = time.time() + 40
        while time.time() < end:
            if all(sees(clients[r], s) for r in SITES for s in SITES if r != s):
                break
            time.sleep(0.25)
        if not tap.ok(all(sees(clients[r], s) for r in SITES for s in SITES if r != s),
                      "every site decodes every other site's video before the cut",
                      {r: c.status[-1][1] if c.status else None for r, c in clients.items()}):
            return tap.done()
        time.sleep(1.0)

        # The cut.
        t_cut = time.time()
        for chain in ("INPUT", "OUTPUT"):
            ns[CUT].iptables("-I", chain, "1", "-j", "DROP")
            cut_rules.append(chain)
        time.sleep(CUT_S)
        for chain in list(cut_rules):
            ns[CUT].iptables("-D", chain, "-j", "DROP")
            cut_rules.remove(chain)
        t_back = time.time()
        tap.diag(f"{CUT} cut for {t_back - t_cut:.2f} s")

        # Recovery: every receiver decodes CUT again, CUT decodes them
        # (bounded: RECOVER_S + 3 s of STATUS lines).
        others = [s for s in SITES if s != CUT]
        time.sleep(RECOVER_S + 3.0)
        for r in others:
            at = recovered_at(clients[r], CUT, t_cut)
            delay = None if at is None else at - t_back
            tap.ok(delay is not None and delay <= RECOVER_S,
                   f"{r} decodes {CUT}'s video again {delay and round(delay, 2)} s after the cut ended "
                   f"(limit {RECOVER_S} s)",
                   [s for _, s in clients[r].status[-8:]])
        for s in others:
            at = recovered_at(clients[CUT], s, t_cut)
            delay = None if at is None else at - t_back
            tap.ok(delay is not None and delay <= RECOVER_S,
                   f"{CUT} decodes {s}'s video again {delay and round(delay, 2)} s after the cut ended",
                   [x for _, x in clients[CUT].status[-8:]])

        # The path was restarted, not rebuilt.
        time.sleep(2.0)
        clog = clients[CUT].stderr()
        tap.ok("asking for an ICE restart" in clog, f"{CUT}'s client asked for an ICE restart",
               clog[-2000:])
        tap.ok("ICE restart (DTLS-SRTP kept)" in clog and "new transport" not in clog,
               f"{CUT}'s client restarted ICE in place (no new transport)", clog[-2000:])
        blog = servers.log("bridge")
        tap.ok(re.search(rf"site {CUT}: ICE restart", blog) is not None,
               "the bridge restarted the endpoint's ICE (new credentials)", blog[-2000:])

        for c in clients.values():
            c.proc.send_signal(signal.SIGTERM)
        rcs = {sid: c.wait(30) for sid, c in clients.items()}
        bad = {k: v for k, v in rcs.items() if v != 0}
        tap.ok(not bad, "every client exits 0",
               "\n".join(f"{k}: exit {v}\n{clients[k].stderr()[-1500:]}" for k, v in bad.items()))
        for r in others:
            rep = clients[r].report() or {}
            site = (rep.get("remote") or {}).get(CUT)
            fc = (site or {}).get("frame_counters", {})
            lost = (site or {}).get("packets_lost")
            tap.ok(site is not None and fc.get("restarts", 0) == 0 and lost is not None and 0 <= lost < 3000,
                   f"{r} saw {CUT}'s stream continue (sender restarts {fc.get('restarts')}, "
                   f"packets lost {lost}: no new sequence epoch)", str(site)[:1500])
    except Exception as e:  # noqa: BLE001 - a setup failure is a TAP failure, then clean up
        import traceback
        tap.ok(False, f"the test ran to the end ({type(e).__name__}: {e})", traceback.format_exc())
    finally:
        for chain in cut_rules:
            try:
                ns[CUT].iptables("-D", chain, "-j", "DROP")
            except Exception:  # noqa: BLE001
                pass
        for c in clients.values():
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
        if servers is not None:
            servers.stop_ok(tap, "diemcau-signal and diemcau-bridge stop cleanly")
        lan.close()
        left = lan.leftovers()
        tap.ok(not left, "the namespaces, veths and bridge of the test are gone", " ".join(left))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
