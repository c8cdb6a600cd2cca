"""Impaired test links without the netem qdisc (this kernel has none).

A Lan is a Linux bridge in the root namespace with one address (where the
servers listen) and one network namespace per site, each joined to the bridge
by a veth pair. A site's link can be impaired inside its namespace:

  loss   iptables "-m statistic --mode random --probability P -j DROP",
         on OUTPUT (site -> bridge) and INPUT (bridge -> site) of its veth;
  delay  two nfq-delay processes (tests/tools/nfq-delay.c) in the namespace,
         fed by "-j NFQUEUE" on the same chains, one queue per direction;
  rate   tbf on both ends of the veth.

A site can also move to another address of the LAN (change_addr), as a
renumbered host does.

Everything is named after the test's pid, so parallel runs do not collide,
and removed by close(), which is registered with atexit and safe to call
twice. Deleting a namespace removes its veth pair and its iptables rules;
the delayers are stopped first (a namespace lives while a process is in it).
Needs root."""
import atexit
import os
import random
import signal
import socket
import struct
import subprocess
import time


def run(*args, check=True):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def _subnet_in_use(prefix):
    out = run("ip", "-4", "-o", "addr", "show", check=False).stdout
    return f" {prefix}." in out


class Site:
    """One site's namespace, veth pair and address."""

    def __init__(self, lan, index, name):
        self.lan, self.name, self.index = lan, name, index
        self.netns = f"dc{lan.tag}-{index}"
        self.host_if = f"dcv{lan.tag}-{index}"  # root side, on the bridge
        self.addr = f"{lan.prefix}.{10 + index}"
        self.delayers = []
        self.impairment = None

    def prefix(self):
        """The command prefix that runs a program in this site's namespace."""
        return ["ip", "netns", "exec", self.netns]

    def iptables(self, *rule):
        run(*self.prefix(), "iptables", "-w", *rule)

    def impair(self, loss=0.0, delay_ms=0, jitter_ms=0, rate_kbit=None):
        """Loss (0..1) and delay on each direction of this site's link."""
        self.impairment = dict(loss=loss, delay_ms=delay_ms, jitter_ms=jitter_ms, rate_kbit=rate_kbit)
        chains = (("OUTPUT", "-o", 1), ("INPUT", "-i", 2))
        for chain, flag, queue in chains:
            if loss > 0:
                self.iptables("-A", chain, flag, "eth0", "-m", "statistic", "--mode", "random",
                              "--probability", f"{loss:.4f}", "-j", "DROP")
            if delay_ms > 0:
                # The delayer binds the queue before the rule sends to it;
                # --queue-bypass lets packets through if it is gone (the ping
                # check then shows the missing delay instead of a dead link).
                self.delayers.append(self.lan.start_delayer(self, queue, delay_ms, jitter_ms))
                self.iptables("-A", chain, flag, "eth0", "-j", "NFQUEUE", "--queue-num", str(queue),
                              "--queue-bypass")
        if rate_kbit:
            for dev, ns in ((self.host_if, None), ("eth0", self.netns)):
                cmd = ["tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", f"{rate_kbit}kbit",
                       "burst", "32kbit", "latency", "100ms"]
                run(*(["ip", "netns", "exec", ns] + cmd if ns else cmd))

    def change_addr(self, new_addr=None):
        """Moves the site to another address of the LAN's /24 (default
        .110 + index), as a renumbered host does: the new address is added,
        then the old one deleted. Returns (old, new).

        promote_secondaries first: without it the kernel deletes the
        subnet's secondary addresses (the new one) with its primary."""
        new_addr = new_addr or f"{self.lan.prefix}.{110 + self.index}"
        run(*self.prefix(), "sysctl", "-q", "-w", "net.ipv4.conf.eth0.promote_secondaries=1")
        old = self.addr
        run(*self.prefix(), "ip", "addr", "add", f"{new_addr}/24", "dev", "eth0")
        run(*self.prefix(), "ip", "addr", "del", f"{old}/24", "dev", "eth0")
        self.addr = new_addr
        return old, new_addr

    def addresses(self):
        """The IPv4 addresses of the namespace's eth0."""
        out = run(*self.prefix(), "ip", "-4", "-o", "addr", "show", "dev", "eth0", check=False).stdout
        return [f.split("/")[0] for line in out.splitlines() for f in line.split()[3:4]]

    def rules(self):
        return run(*self.prefix(), "iptables", "-w", "-S", check=False).stdout + \
            run(*self.prefix(), "iptables", "-w", "-L", "-v", "-n", "-x", check=False).stdout


class Lan:
    """The root-side bridge and the sites' namespaces of one test run."""

    def __init__(self, build, logdir):
        self.build, self.logdir = build, logdir
        self.tag = str(os.getpid())
        pid = os.getpid()
        self.prefix = None
        for attempt in range(50):
            p = f"10.{100 + ((pid >> 8) + attempt) % 100}.{pid % 256}"
            if not _subnet_in_use(p):
                self.prefix = p
                break
        if self.prefix is None:
            raise RuntimeError("no free 10.x.y.0/24 subnet for the test LAN")
        self.addr = f"{self.prefix}.1"
        self.bridge = f"dcb{self.tag}"
        self.sites = {}
        self.closed = False
        atexit.register(self.close)
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{self.addr}/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def add_site(self, name):
        s = Site(self, len(self.sites), name)
        self.sites[name] = s
        tmp_peer = f"dcp{self.tag}-{len(self.sites) - 1}"
        run("ip", "netns", "add", s.netns)
        run("ip", "link", "add", s.host_if, "type", "veth", "peer", "name", tmp_peer)
        run("ip", "link", "set", tmp_peer, "netns", s.netns)
        run(*s.prefix(), "ip", "link", "set", tmp_peer, "name", "eth0")
        run(*s.prefix(), "ip", "addr", "add", f"{s.addr}/24", "dev", "eth0")
        run(*s.prefix(), "ip", "link", "set", "eth0", "up")
        run(*s.prefix(), "ip", "link", "set", "lo", "up")
        run("ip", "link", "set", s.host_if, "master", self.bridge)
        run("ip", "link", "set", s.host_if, "up")
        return s

    def start_delayer(self, site, queue, delay_ms, jitter_ms):
        exe = os.path.join(self.build, "tests", "tools", "nfq-delay")
        log = open(os.path.join(self.logdir, f"nfq-delay-{site.netns}-q{queue}.log"), "w")
        p = subprocess.Popen([*site.prefix(), exe, "--queue", str(queue), "--delay-ms", str(delay_ms),
                              "--jitter-ms", str(jitter_ms)], stdout=log, stderr=subprocess.STDOUT)
        p.log_path = log.name
        # Wait for its "queue N" line: the queue is bound, packets may come.
        end = time.time() + 5
        while time.time() < end:
            if p.poll() is not None:
                raise RuntimeError(f"nfq-delay exited {p.returncode}: {open(log.name).read()}")
            if "nfq-delay: queue" in open(log.name).read():
                break
            time.sleep(0.05)
        return p

    def stop_delayers(self):
        """Stops the delayers; returns {site: [their counter lines]}."""
        out = {}
        for s in self.sites.values():
            for p in s.delayers:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                lines = [ln for ln in open(p.log_path).read().splitlines() if "received=" in ln]
                out.setdefault(s.name, []).extend(lines)
        return out

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.stop_delayers()
        except Exception:  # noqa: BLE001 - cleanup goes on regardless
            pass
        for s in self.sites.values():
            # Anything still running in the namespace keeps it alive.
            pids = run("ip", "netns", "pids", s.netns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            run("ip", "netns", "del", s.netns, check=False)
            run("ip", "link", "del", s.host_if, check=False)
        run("ip", "link", "del", self.bridge, check=False)

    def leftovers(self):
        """Names of this run's namespaces and links still present (for a check)."""
        ns = run("ip", "netns", "list", check=False).stdout
        links = run("ip", "-o", "link", "show", check=False).stdout
        left = [s.netns for s in self.sites.values() if s.netns in ns]
        left += [n for n in [self.bridge] + [s.host_if for s in self.sites.values()] if n + ":" in links
                 or n + "@" in links]
        return left


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(addr, count=20, interval=0.1, timeout=1.0):
    """ICMP echo from the root namespace (there is no ping binary here).
    Returns the round-trip times in ms of the replies that came back."""
    ident = os.getpid() & 0xFFFF
    rtts = []
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        sent = {}
        for seq in range(count):
            payload = struct.pack("!d", time.monotonic()) + bytes(random.getrandbits(8) for _ in range(24))
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            pkt = struct.pack("!BBHHH", 8, 0, _checksum(hdr + payload), ident, seq) + payload
            sent[seq] = time.monotonic()
            s.sendto(pkt, (addr, 0))
            end = time.monotonic() + interval
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    data, src = s.recvfrom(2048)
                except socket.timeout:
                    break
                ihl = (data[0] & 0x0F) * 4
                typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if src[0] == addr and typ == 0 and rid == ident and rseq in sent:
                    rtts.append((time.monotonic() - sent.pop(rseq)) * 1000.0)
        end = time.monotonic() + timeout
        while sent and time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                data, src = s.recvfrom(2048)
            except socket.timeout:
                break
            ihl = (data[0] & 0x0F) * 4
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if src[0] == addr and typ == 0 and rid == ident and rseq in sent:
                rtts.append((time.monotonic() - sent.pop(rseq)) * 1000.0)
    return rtts
