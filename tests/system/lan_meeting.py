"""A meeting on a netem.Lan: the servers on the LAN's root-side address, each
diemcau-client in its site's network namespace. Shared by the tests that
break one site's path (test-ice-restart.py, test-address-change.py)."""
import os
import re
import socket
import subprocess
import threading
import time

import harness


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
