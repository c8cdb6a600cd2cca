#!/usr/bin/env python3
"""Runs a whole diemcau meeting on this machine: diemcau-signal, diemcau-bridge
and one diemcau-client per configured site, with a live one-line-per-site
summary built from the clients' STATUS lines. Ctrl-C (or --duration) stops
everything cleanly; the clients' reports are kept in out/meeting/."""
import argparse
import configparser
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

BUILD = "build"


def load_sites(path, credentials):
    """The sites of the config with their secrets: from the credential file
    ([site.ID] credential = SECRET) for the ones the config keeps as hashes."""
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.read(path, encoding="utf-8")
    secrets = configparser.ConfigParser(interpolation=None)
    if credentials:
        secrets.read(credentials, encoding="utf-8")
    sites = []
    for g in cp.sections():
        if g.startswith("site."):
            stored = cp[g].get("credential", "")
            secret = secrets[g].get("credential", "") if g in secrets else ""
            if "$" not in stored:
                secret = stored  # kept in plain text (deprecated)
            if not secret:
                sys.exit(f"meeting: no secret for [{g}]: {path} keeps only its hash; give "
                         f"--credentials FILE with [{g}] credential = SECRET")
            sites.append((g[5:], cp[g].get("name", g[5:]), cp[g].get("role", "district"), secret))
    sg = cp["signaling"] if "signaling" in cp else {}
    listen = f"{sg.get('address', '127.0.0.1')}:{sg.get('port', '8080')}"
    return sites, listen


def signal_tls(log_path, timeout=5.0):
    """("https", SHA-256 fingerprint) or ("http", None), from diemcau-signal's
    startup lines in its log."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            text = open(log_path, encoding="utf-8", errors="replace").read()
        except OSError:
            text = ""
        m = re.search(r"listening on (https?)://", text)
        fp = re.search(r"SHA-256 fingerprint (\S+)", text)
        if m and (m.group(1) == "http" or fp):
            return m.group(1), fp.group(1) if fp else None
        time.sleep(0.1)
    return "http", None


def wait_port(hostport, timeout):
    host, port = hostport.rsplit(":", 1)
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection((host, int(port)), 0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="config/hatinh.ini")
    ap.add_argument("--credentials", default="config/hatinh-demo-credentials.ini",
                    help="the sites' secrets (the config keeps only hashes)")
    ap.add_argument("--servers-only", type=int, default=0)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--fps", default="15")
    a = ap.parse_args()

    sites, listen = load_sites(a.config, a.credentials)
    outdir = os.path.join("out", "meeting")
    os.makedirs(outdir, exist_ok=True)
    procs = []
    stop = threading.Event()

    def spawn(args, log):
        f = open(os.path.join(outdir, log), "w")
        p = subprocess.Popen(args, stdout=subprocess.PIPE if log.startswith("client") else f,
                             stderr=f, text=True, start_new_session=True)
        procs.append(p)
        return p

    spawn([f"{BUILD}/bridge/diemcau-bridge", "--config", a.config], "bridge.log")
    spawn([f"{BUILD}/signaling/diemcau-signal", "--config", a.config], "signal.log")
    if not wait_port(listen, 10):
        print(f"meeting: diemcau-signal did not open {listen}; see {outdir}/signal.log")
        return shutdown(procs, 1)
    scheme, pin = signal_tls(os.path.join(outdir, "signal.log"))
    print(f"meeting: signaling on {scheme}://{listen}/  (logs in {outdir}/)")
    if pin:
        print(f"meeting: its certificate's SHA-256 fingerprint is {pin} (the clients pin it)")
    print(f"meeting: join from a browser at {scheme}://{listen}/ ; technician view: "
          f"{BUILD}/ctl/diemcau-ctl --config {a.config} --credential-file {a.credentials} watch")
    if a.servers_only:
        print("meeting: servers only; join with a browser or diemcau-client. Ctrl-C stops.")
    status = {}
    if not a.servers_only:
        for sid, name, role, cred in sites:
            ws = "wss" if scheme == "https" else "ws"
            p = spawn([f"{BUILD}/client/diemcau-client", "--signal", f"{ws}://{listen}/ws", "--site", sid,
                       "--credential", cred, "--size", a.size, "--fps", a.fps, "--status",
                       "--report", os.path.join(outdir, f"report-{sid}.json")] +
                      (["--pin", pin] if pin else []), f"client-{sid}.log")
            threading.Thread(target=read_status, args=(p, sid, status), daemon=True).start()

    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    start = time.time()
    names = {s[0]: s[1] for s in sites}
    while not stop.wait(1.0):
        if a.duration and time.time() - start >= a.duration:
            break
        if not a.servers_only:
            print_table(sites, names, status, time.time() - start)
        if any(p.poll() is not None for p in procs[:2]):
            print("meeting: a server exited; stopping")
            return shutdown(procs, 1)
    return shutdown(procs, 0)


def read_status(p, sid, status):
    for line in p.stdout:
        if line.startswith("STATUS "):
            try:
                status[sid] = json.loads(line[7:])
            except ValueError:
                pass


def print_table(sites, names, status, elapsed):
    n = len(sites)
    print(f"\n--- {elapsed:5.0f} s ---")
    for sid, name, role, _ in sites:
        s = status.get(sid)
        if not s:
            print(f"{sid:13} {name[:24]:24} waiting")
            continue
        rem = s.get("remote", {})
        vids = sum(1 for r in rem.values() if r.get("fps", 0) > 0)
        auds = sum(1 for r in rem.values() if r.get("audio"))
        fps = [r.get("fps", 0) for r in rem.values()] or [0]
        lat = [r.get("latency_ms", 0) for r in rem.values() if r.get("latency_ms")] or [0]
        loss = [r.get("loss_pct", 0) for r in rem.values()] or [0]
        print(f"{sid:13} {name[:24]:24} {s.get('state', '?'):10} video {vids:2}/{n - 1} "
              f"{min(fps):4.1f}-{max(fps):4.1f} fps  audio {auds:2}/{n - 1}  "
              f"loss {max(loss):4.1f}%  latency {max(lat):4.0f} ms")
    sys.stdout.flush()


def shutdown(procs, rc):
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    end = time.time() + 5
    for p in procs:
        try:
            p.wait(max(0.1, end - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
    print("meeting: stopped")
    return rc


if __name__ == "__main__":
    sys.exit(main())
