#!/usr/bin/env python3
"""A second WebRTC stack in the meeting: GStreamer webrtcbin (issue 15).

The servers listen on a test LAN's root-side address (tests/system/netem.py);
every site, the C clients (diemcau-client) and the webrtcbin site
(webrtcbin_site.py, written from docs/protocol.md alone), runs in its own
network namespace there, as sites do on a real network.

1. Two C sites meet (tinh, can-loc).
2. webrtcbin joins as WB_SITE with its default bundle policy ("none"): the
   bridge refuses its answer with an error naming the missing BUNDLE group,
   and never reports the site connected.
3. webrtcbin joins again with bundle policy max-bundle: it decodes both C
   sites' VP8 and Opus, and they decode its own.
4. A third C site joins (huong-khe): webrtcbin applies the re-offer and
   decodes it; huong-khe decodes webrtcbin.
5. can-loc leaves and rejoins: webrtcbin decodes it again, and the rejoined
   can-loc decodes webrtcbin.
Then every counter still grows, webrtcbin saw no error, every C client
decoded webrtcbin's audio and video (its --report), the bridge logged the
C clients' exits as normal closes, and everything stops cleanly. Needs root
(namespaces) and webrtcbin (scripts/setup.sh installs it)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
sys.path.insert(0, HERE)
from lan_meeting import run, sees  # noqa: E402

import transcript  # noqa: E402  (tests/interop)

WB_SITE = "duc-tho"
C_SITES = ["tinh", "can-loc"]
JOINER = "huong-khe"
REJOINER = "can-loc"
# Debian's python3 is the one python3-gi and the GStreamer typelibs are for.
GI_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")


class WebrtcbinSite:
    """webrtcbin_site.py in a namespace; its STATUS lines, ERROR lines and report."""

    def __init__(self, m, policy, duration, tag):
        self.policy = policy
        self.report_path = os.path.join(m.wd, f"webrtcbin-{tag}.json")
        self.log_path = os.path.join(m.wd, f"webrtcbin-{tag}.log")
        self.transcript_path = os.path.join(m.wd, f"webrtcbin-{tag}.transcript")
        creds = {s[0]: s[3] for s in __import__("harness").read_sites(m.config)}
        args = [*m.ns[WB_SITE].prefix(), GI_PYTHON, os.path.join(HERE, "webrtcbin_site.py"),
                "--signal", f"ws://{m.lan.addr}:{m.port}/ws", "--site", WB_SITE,
                "--credential", creds[WB_SITE], "--bundle-policy", policy,
                "--duration", str(duration), "--status", "--report", self.report_path,
                "--transcript", self.transcript_path]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.status = []
        self.errors = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("STATUS "):
                try:
                    self.status.append(json.loads(line[7:]))
                except ValueError:
                    pass
            elif line.startswith("ERROR "):
                try:
                    self.errors.append(json.loads(line[6:]))
                except ValueError:
                    pass

    def last(self):
        return self.status[-1] if self.status else {}

    def frames(self, site):
        r = (self.last().get("remote") or {}).get(site) or {}
        return r.get("video_frames", 0), r.get("audio_frames", 0)

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def report(self):
        try:
            with open(self.report_path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


def wait_until(pred, timeout, step=0.25):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def decodes(wb, sites, after=None):
    """wb decodes video and audio of every site (more than after[site] when given)."""
    for s in sites:
        v, a = wb.frames(s)
        v0, a0 = (after or {}).get(s, (0, 0))
        if v <= v0 or a <= a0:
            return False
    return True


def scenario(m):
    tap = m.tap
    if not tap.ok(GI_PYTHON and subprocess.run(
            [GI_PYTHON, "-c", "import gi; gi.require_version('Gst', '1.0'); "
             "gi.require_version('GstWebRTC', '1.0'); gi.require_version('Soup', '3.0'); "
             "from gi.repository import Gst; Gst.init(None); "
             "assert Gst.ElementFactory.find('webrtcbin') and Gst.ElementFactory.find('nicesrc')"],
            capture_output=True).returncode == 0,
            "python3-gi, webrtcbin and its ICE plugin are installed (else run scripts/setup.sh)"):
        return
    if not m.start(C_SITES, 150, before="webrtcbin joins"):
        return
    m.ns[WB_SITE] = m.lan.add_site(WB_SITE)

    # 2. The default bundle policy: refused, never connected.
    wb = WebrtcbinSite(m, "none", 30, "none")
    m.cleanups.append(wb.stop)
    refused = wait_until(lambda: any("BUNDLE" in (e.get("message") or "") for e in wb.errors), 20)
    tap.ok(refused, "webrtcbin with its default bundle policy (none) gets an error naming BUNDLE",
           f"errors {wb.errors}\nlast status {wb.last()}")
    if wb.errors:
        tap.diag(f"the error: {wb.errors[0]}")
    time.sleep(2.0)
    blog = m.servers.log("bridge")
    tap.ok(re.search(rf"site {WB_SITE}: connected", blog) is None
           and re.search(rf"site {WB_SITE}:.*answer refused: no a=group:BUNDLE", blog),
           "the bridge refused that answer and never reported the site connected", blog[-2000:])
    tap.ok(not any(wb.frames(s) != (0, 0) for s in C_SITES),
           "no media reached the refused webrtcbin", wb.last())
    wb.stop()

    # 3. max-bundle: joins, decodes both C sites, is decoded by them.
    t_join = time.time()
    wb = WebrtcbinSite(m, "max-bundle", 150, "max-bundle")
    m.cleanups.append(wb.stop)
    ok = wait_until(lambda: decodes(wb, C_SITES), 25)
    tap.ok(ok, f"webrtcbin (max-bundle) decodes VP8 and Opus from {', '.join(C_SITES)} "
           f"({time.time() - t_join:.1f} s after starting)", wb.last())
    ok = wait_until(lambda: all(sees(m.clients[c], WB_SITE) for c in C_SITES), 15)
    tap.ok(ok, f"{' and '.join(C_SITES)} (C clients) decode webrtcbin's video",
           {c: m.clients[c].status[-1][1] if m.clients[c].status else None for c in C_SITES})

    # 4. A second C site joins: a re-offer that webrtcbin must apply.
    m.add_client(JOINER, 120)
    ok = wait_until(lambda: decodes(wb, [JOINER]), 25)
    tap.ok(ok, f"after {JOINER} joins, webrtcbin applies the re-offer and decodes it",
           f"{wb.last()}\nerrors {wb.errors}")
    ok = wait_until(lambda: sees(m.clients[JOINER], WB_SITE), 15)
    tap.ok(ok, f"{JOINER} decodes webrtcbin's video", m.clients[JOINER].status[-3:])

    # 5. A site leaves and rejoins.
    before = {REJOINER: wb.frames(REJOINER)}
    first = m.clients[REJOINER]
    first.proc.send_signal(signal.SIGTERM)
    rc_first = first.wait(15)
    time.sleep(2.0)
    stalled = wb.frames(REJOINER)
    time.sleep(1.0)
    tap.ok(wb.frames(REJOINER) == stalled, f"{REJOINER}'s streams stop at webrtcbin after it leaves",
           f"{stalled} -> {wb.frames(REJOINER)}")
    again = m.add_client(REJOINER, 100)
    m.clients[REJOINER + " (first)"] = first
    ok = wait_until(lambda: decodes(wb, [REJOINER], {REJOINER: stalled}), 25)
    tap.ok(ok, f"{REJOINER} leaves and rejoins: webrtcbin decodes it again", wb.last())
    ok = wait_until(lambda: sees(again, WB_SITE), 15)
    tap.ok(ok, f"the rejoined {REJOINER} decodes webrtcbin's video", again.status[-3:])
    tap.diag(f"{REJOINER} before it left: {before[REJOINER]} (video, audio frames at webrtcbin)")

    # Everything still flows, for 4 s.
    present = ["tinh", REJOINER, JOINER]
    mark = {s: wb.frames(s) for s in present}
    time.sleep(4.0)
    tap.ok(decodes(wb, present, mark), "every C site's audio and video still grow at webrtcbin",
           f"{mark} -> { {s: wb.frames(s) for s in present} }")

    # The end: webrtcbin leaves, then the C clients; their reports.
    rc = wb.stop()
    rep = wb.report() or {}
    tap.ok(rc == 0 and rep.get("errors") == [] and rep.get("offers", 0) >= 3
           and rep.get("offers") == rep.get("answers"),
           f"webrtcbin answered all {rep.get('offers')} offers without an error and exits 0",
           f"exit {rc}\n{json.dumps(rep)[:2000]}\n{open(wb.log_path).read()[-2000:]}")
    for s, r in (rep.get("remote") or {}).items():
        tap.diag(f"webrtcbin <- {s}: {r}")
    tap.diag(f"webrtcbin sent: {rep.get('sent')}")
    doc = os.path.join(m.args.source, "docs", "protocol.md")
    try:
        bad = transcript.against_problems(transcript.doc_transcript(doc),
                                          transcript.captured(wb.transcript_path))
    except (OSError, ValueError) as e:
        bad = [str(e)]
    tap.ok(not bad, "docs/protocol.md's example transcript has the order and members of this join",
           "\n".join(bad))
    m.stop_clients()
    tap.ok(rc_first == 0, f"{REJOINER}'s first client exits 0 when it leaves", f"exit {rc_first}")
    for c in ["tinh", JOINER, REJOINER]:
        r = ((m.clients[c].report() or {}).get("remote") or {}).get(WB_SITE) or {}
        tap.ok(r.get("video_frames_decoded", 0) > 0 and r.get("audio_packets_decoded", 0) > 0,
               f"{c} (C client) decoded webrtcbin's video ({r.get('video_frames_decoded')} frames) "
               f"and audio ({r.get('audio_packets_decoded')} packets)", json.dumps(r)[:1500])
    blog = m.servers.log("bridge")
    tap.ok("DTLS closed by the peer" not in blog and "closed by the site" in blog,
           "the bridge logs the sites' DTLS close_notify as a normal close, not a warning",
           "\n".join(line for line in blog.splitlines() if "closed" in line)[-2000:])


if __name__ == "__main__":
    sys.exit(run("interop-webrtcbin", "network namespaces and veth", scenario))
