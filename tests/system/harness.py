"""Shared pieces of the system tests: a private copy of a deployment config on
free loopback ports, the two servers started and stopped, diemcau-client
processes with their STATUS lines, and TAP output."""
import configparser
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, detail=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {desc}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {desc}", flush=True)
            if detail:
                for line in str(detail).splitlines()[:80]:
                    print(f"# {line}", flush=True)
        return cond

    def diag(self, msg):
        for line in str(msg).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The demo secrets behind the hashes of config/hatinh.ini (the config keeps
# only hashes; README, "Credentials").
DEMO_CREDENTIALS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config",
                                "hatinh-demo-credentials.ini")


def demo_credentials(path=DEMO_CREDENTIALS):
    """{site id: secret} of the demo credential file, and "technician"."""
    cp = configparser.ConfigParser(interpolation=None)
    if not cp.read(path, encoding="utf-8"):
        raise FileNotFoundError(path)
    out = {g[5:]: cp[g]["credential"] for g in cp.sections() if g.startswith("site.")}
    out["technician"] = cp["technician"]["credential"]
    return out


def read_sites(path, credentials=DEMO_CREDENTIALS):
    """[(id, name, role, secret)] in file order; the secrets from the demo
    credential file (a config may still keep a secret in plain text)."""
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(path, encoding="utf-8")
    secrets = demo_credentials(credentials)
    out = []
    for g in cp.sections():
        if g.startswith("site."):
            stored = cp[g]["credential"]
            secret = secrets.get(g[5:]) if "$" in stored else stored
            out.append((g[5:], cp[g]["name"], cp[g]["role"], secret))
    return out


def private_config(source_root, workdir, udp_base=None):
    """Copies config/hatinh.ini with free ports; returns (path, signal_port)."""
    src = os.path.join(source_root, "config", "hatinh.ini")
    text = open(src, encoding="utf-8").read()
    sig = free_port()
    ctl = free_port()
    if udp_base is None:
        udp_base = 20000 + (os.getpid() % 200) * 100
    subs = {
        r"^port = .*$": f"port = {sig}",
        r"^control_port = .*$": f"control_port = {ctl}",
        r"^udp_port_min = .*$": f"udp_port_min = {udp_base}",
        r"^udp_port_max = .*$": f"udp_port_max = {udp_base + 99}",
        r"^web_root = .*$": f"web_root = {os.path.join(source_root, 'web')}",
    }
    for pat, rep in subs.items():
        text, n = re.subn(pat, rep, text, count=1, flags=re.M)
        assert n == 1, pat
    path = os.path.join(workdir, "meeting.ini")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path, sig


def wait_port(port, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Servers:
    """diemcau-bridge and diemcau-signal on a private config."""

    def __init__(self, build, config, sig_port, workdir):
        self.build, self.config, self.port, self.workdir = build, config, sig_port, workdir
        self.procs = {}

    def start(self, which=("bridge", "signal")):
        for w in which:
            exe = {"bridge": "bridge/diemcau-bridge", "signal": "signaling/diemcau-signal"}[w]
            log = open(os.path.join(self.workdir, f"{w}.log"), "a")
            self.procs[w] = subprocess.Popen([os.path.join(self.build, exe), "--config", self.config],
                                             stdout=log, stderr=subprocess.STDOUT)
        return wait_port(self.port)

    def stop(self, which=("signal", "bridge"), sig=signal.SIGTERM, timeout=15.0):
        """Stops the servers; returns {name: exit status} (None if it had to be killed)."""
        codes = {}
        for w in which:
            p = self.procs.get(w)
            if not p:
                continue
            if p.poll() is None:
                p.send_signal(sig)
            try:
                codes[w] = p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                codes[w] = None
        return codes

    def stop_ok(self, tap, desc="diemcau-signal and diemcau-bridge stop cleanly"):
        """Stops both servers and records one TAP line: both exit 0. On failure
        the detail names each exit status and shows, per failing server, its
        sanitizer report (or the tail of its log), so that a CI log alone
        says why."""
        codes = self.stop()
        bad = [w for w in ("signal", "bridge") if w in codes and codes[w] != 0]
        detail = [str(codes)]
        for w in bad:
            detail.append(f"--- {w} (exit {codes[w]}):")
            detail.extend(server_log_excerpt(self.log(w)))
        return tap.ok(not bad and "signal" in codes and "bridge" in codes, desc, "\n".join(detail)), codes

    def log(self, w):
        try:
            return open(os.path.join(self.workdir, f"{w}.log"), encoding="utf-8", errors="replace").read()
        except OSError:
            return ""


def server_log_excerpt(log, lines=34):
    """The lines of a server log that explain a bad exit: the sanitizer report
    from its first line (ASan, UBSan, LeakSanitizer) or else the log's tail."""
    rows = log.splitlines()
    for i, r in enumerate(rows):
        if "ERROR: AddressSanitizer" in r or "ERROR: LeakSanitizer" in r or "runtime error:" in r:
            return rows[max(0, i - 3):i + lines]
    return rows[-lines:]


def signal_tls(servers, timeout=5.0):
    """(scheme, fingerprint) from diemcau-signal's startup lines in its log:
    "https" and the SHA-256 fingerprint of its certificate (for --pin), or
    "http" and None. (None, None) when the lines do not come in time."""
    end = time.time() + timeout
    while time.time() < end:
        log = servers.log("signal")
        m = re.search(r"listening on (https?)://", log)
        fp = re.search(r"SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})", log)
        if m and (m.group(1) == "http" or fp):
            return m.group(1), fp.group(1) if m.group(1) == "https" else None
        time.sleep(0.05)
    return None, None


class Client:
    """One diemcau-client process; STATUS lines are collected with arrival times."""

    def __init__(self, build, sig_port, site, credential, workdir, duration, extra=(), tag="",
                 scheme="ws"):
        self.site = site
        self.report_path = os.path.join(workdir, f"report-{site}{tag}.json")
        self.err_path = os.path.join(workdir, f"client-{site}{tag}.log")
        args = [os.path.join(build, "client", "diemcau-client"), "--signal", f"{scheme}://127.0.0.1:{sig_port}/ws",
                "--site", site, "--credential", credential, "--duration", str(duration), "--status",
                "--report", self.report_path, *extra]
        self.started = time.time()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(self.err_path, "w"), text=True)
        self.status = []  # (time, dict)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("STATUS "):
                try:
                    self.status.append((time.time(), json.loads(line[7:])))
                except ValueError:
                    pass

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def report(self):
        try:
            with open(self.report_path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def stderr(self):
        try:
            return open(self.err_path, encoding="utf-8", errors="replace").read()
        except OSError:
            return ""

    def first_status_after(self, t0, pred):
        for t, s in self.status:
            if t >= t0 and pred(s):
                return t
        return None


def workdir(name):
    base = os.environ.get("DC_BUILD_ROOT", tempfile.gettempdir())
    d = tempfile.mkdtemp(prefix=f"{name}-", dir=os.path.join(base, "tests") if os.path.isdir(os.path.join(base, "tests")) else None)
    return d
