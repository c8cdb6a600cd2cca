"""A meeting on a netem.Lan: the servers on the LAN's root-side address, each
diemcau-client in its site's network namespace. Shared by the tests that
break one site's path (test-ice-restart.py, test-address-change.py,
test-pair-failed.py): run() gives each its arguments, root check, meeting
and clean-up, so that a test is only its scenario and its checks;
test-impaired.py uses the pieces (lan_config, NsClient, wait_listening)."""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

import harness
import netem


def lan_config(source, wd, addr, tls=None):
    """The private config with the servers on the test LAN's address (and
    [signaling] tls set when tls is given: "off" for plain ws:// there)."""
    path, port = harness.private_config(source, wd)
    text = open(path, encoding="utf-8").read()
    subs = [(r"^address = .*$", f"address = {addr}"),
            (r"^local_addresses = .*$", f"local_addresses = {addr}")]
    if tls:
        subs.append((r"^tls = .*$", f"tls = {tls}"))
    for pat, rep in subs:
        text, n = re.subn(pat, rep, text, count=1, flags=re.M)
        assert n == 1, pat
    open(path, "w", encoding="utf-8").write(text)
    return path, port


def wait_listening(addr, port, timeout=15.0):
    """True once something accepts TCP connections on addr:port."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection((addr, port), 0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class NsClient(harness.Client):
    """A diemcau-client in a site's namespace, signaling over the test LAN
    (scheme "wss" with --pin in extra, or "ws" where the config says tls = off)."""

    def __init__(self, build, addr, sig_port, site, credential, workdir, duration, prefix, extra=(),
                 scheme="ws"):
        self.site = site
        self.report_path = os.path.join(workdir, f"report-{site}.json")
        self.err_path = os.path.join(workdir, f"client-{site}.log")
        args = [*prefix, os.path.join(build, "client", "diemcau-client"),
                "--signal", f"{scheme}://{addr}:{sig_port}/ws", "--site", site, "--credential", credential,
                "--duration", str(duration), "--status", "--report", self.report_path, *extra]
        self.started = time.time()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(self.err_path, "w"), text=True)
        self.status = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()


def sees(c, site):
    """True when c's last STATUS line shows site's video."""
    if not c.status:
        return False
    r = c.status[-1][1].get("remote", {}).get(site)
    return bool(r) and r.get("fps", 0) > 0


def recovered_at(c, site, t_break):
    """Wall time (s) of the first frame of site that c decoded after a gap
    begun by the break at t_break, or None. The receiver starts a gap after
    1 s without a frame, so a first frame after t_break + 1 s is the one."""
    for _, s in c.status:
        ms = (s.get("remote", {}).get(site) or {}).get("first_frame_after_gap_ms")
        if ms is not None and ms / 1000.0 > t_break + 1.0:
            return ms / 1000.0
    return None


class LanMeeting:
    """One test's meeting of a few sites on a netem.Lan, as run() hands it
    to the scenario: ns (site -> netem namespace), clients (site ->
    NsClient), servers (harness.Servers), lan, tap, args; after start(),
    port and scheme too."""

    def __init__(self, name, args, tap):
        self.name, self.args, self.tap = name, args, tap
        self.wd = harness.workdir(name)
        tap.diag(f"work dir {self.wd}")
        self.lan = netem.Lan(args.build, self.wd)
        self.ns, self.clients, self.servers = {}, {}, None
        self.config = self.port = self.scheme = None
        self.cleanups = []  # the scenario's own, run first at close()

    def timed(self, cond, desc, detail=None):
        """tap.ok for a timing limit; in a sanitizer build (--sanitized) the
        figure is only printed: those builds are several times slower."""
        if self.args.sanitized:
            return self.tap.ok(True, f"(timing not checked in a sanitizer build) {desc}")
        return self.tap.ok(cond, desc, detail)

    def start(self, sites, run_for, tls="off", before="the test", extra=None):
        """Starts the servers on the LAN address ([signaling] tls as given;
        "auto" means HTTPS there, every client pinning the self-signed
        certificate) and one client per site for run_for seconds (ended by
        SIGTERM after the checks; extra: site -> more client arguments), and
        waits until every site decodes every other's video. False (after a
        failed TAP line) when it cannot."""
        tap = self.tap
        self.ns = {sid: self.lan.add_site(sid) for sid in sites}
        self.config, self.port = lan_config(self.args.source, self.wd, self.lan.addr, tls=tls)
        self.servers = harness.Servers(self.args.build, self.config, self.port, self.wd)
        self.servers.start()
        if not tap.ok(wait_listening(self.lan.addr, self.port),
                      f"diemcau-signal and diemcau-bridge start on {self.lan.addr}",
                      self.servers.log("signal")[-2000:] + self.servers.log("bridge")[-2000:]):
            return False
        media = self.media = ["--size", "320x180", "--fps", "15"]
        self.scheme = "ws"
        if tls != "off":
            scheme, pin = harness.signal_tls(self.servers)
            if not tap.ok(scheme == "https" and pin, f"diemcau-signal serves https:// on {self.lan.addr}",
                          self.servers.log("signal")[-2000:]):
                return False
            media += ["--pin", pin]
            self.scheme = "wss"
        for sid in sites:
            self.add_client(sid, run_for, (extra or {}).get(sid, ()))
        # Everyone sees everyone (bounded: 40 s, for sanitizer builds).
        def all_see():
            return all(sees(self.clients[r], x) for r in sites for x in sites if r != x)
        end = time.time() + 40
        while time.time() < end and not all_see():
            time.sleep(0.25)
        return tap.ok(all_see(), f"every site decodes every other site's video before {before}",
                      {r: c.status[-1][1] if c.status else None for r, c in self.clients.items()})

    def add_client(self, sid, run_for, extra=()):
        """Starts sid's client (in its namespace, made here if need be) once
        the meeting has started; returns it."""
        if sid not in self.ns:
            self.ns[sid] = self.lan.add_site(sid)
        creds = {s[0]: s[3] for s in harness.read_sites(self.config)}
        self.clients[sid] = NsClient(self.args.build, self.lan.addr, self.port, sid, creds[sid],
                                     self.wd, run_for, self.ns[sid].prefix(), [*self.media, *extra],
                                     scheme=self.scheme)
        return self.clients[sid]

    def stop_clients(self):
        """SIGTERM to every client; one TAP line: every client exits 0."""
        for c in self.clients.values():
            c.proc.send_signal(signal.SIGTERM)
        rcs = {sid: c.wait(30) for sid, c in self.clients.items()}
        bad = {k: v for k, v in rcs.items() if v != 0}
        return self.tap.ok(not bad, "every client exits 0",
                           "\n".join(f"{k}: exit {v}\n{self.clients[k].stderr()[-1500:]}"
                                     for k, v in bad.items()))

    def check_continuity(self, receivers, site):
        """From the clients' final reports: each receiver saw site's stream
        go on (no sender restart, bounded loss: no new sequence epoch)."""
        for r in receivers:
            got = ((self.clients[r].report() or {}).get("remote") or {}).get(site)
            fc = (got or {}).get("frame_counters", {})
            lost = (got or {}).get("packets_lost")
            self.tap.ok(got is not None and fc.get("restarts", 0) == 0 and lost is not None
                        and 0 <= lost < 3000,
                        f"{r} saw {site}'s stream continue (sender restarts {fc.get('restarts')}, "
                        f"packets lost {lost}: no new sequence epoch)", str(got)[:1500])

    def close(self):
        for fn in self.cleanups:
            try:
                fn()
            except Exception:  # noqa: BLE001 - clean-up goes on
                traceback.print_exc()
        for c in self.clients.values():
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
        if self.servers is not None:
            self.servers.stop_ok(self.tap, "diemcau-signal and diemcau-bridge stop cleanly")
        self.lan.close()
        left = self.lan.leftovers()
        self.tap.ok(not left, "the namespaces, veths and bridge of the test are gone", " ".join(left))


def run(name, needs, scenario):
    """A LAN test's main(): its arguments (--build, --source, --sanitized),
    the root check (needs: what root is for), a LanMeeting handed to
    scenario(m), which starts it and checks; an exception is a failed TAP
    line; the clean-up and its checks always run. Returns the exit status."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--sanitized", action="store_true",
                    help="an ASan/UBSan build: check recovery and continuity, print the timing")
    args = ap.parse_args()
    tap = harness.Tap()
    if os.geteuid() != 0:
        tap.ok(False, f"{name} needs root ({needs})")
        return tap.done()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    m = LanMeeting(name, args, tap)
    try:
        scenario(m)
    except Exception as e:  # noqa: BLE001 - a setup failure is a TAP failure, then clean up
        tap.ok(False, f"the test ran to the end ({type(e).__name__}: {e})", traceback.format_exc())
    finally:
        m.close()
    return tap.done()
