"""Janus VideoRoom beside diemcau on the same 14-site load (issue 7), for
bench/run-bridge.py --janus.

Janus gathers no ICE candidates on loopback, so both servers and the load
run inside a private network namespace with a veth pair whose two ends (and
addresses) the benchmark creates and removes. Janus runs from the Debian
package with a private copy of /etc/janus/*.jcfg: only the VideoRoom plugin
and the HTTP transport (bound to the namespace address), ICE on that address
only, the Debian defaults otherwise; a second run adds event_loops = 2.
"""
import os
import re
import shutil
import subprocess
import time

SUB = "10.231.77"


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


class Netns:
    def __init__(self):
        self.name = f"dcbench{os.getpid()}"

    def __enter__(self):
        sh("ip", "netns", "add", self.name)
        ex = ["ip", "netns", "exec", self.name]
        sh(*ex, "ip", "link", "set", "lo", "up")
        sh(*ex, "ip", "link", "add", "dcva", "type", "veth", "peer", "name", "dcvb")
        sh(*ex, "ip", "addr", "add", f"{SUB}.1/24", "dev", "dcva")
        sh(*ex, "ip", "addr", "add", f"{SUB}.2/24", "dev", "dcvb")
        sh(*ex, "ip", "link", "set", "dcva", "up")
        sh(*ex, "ip", "link", "set", "dcvb", "up")
        return self

    def exec(self):
        return ["ip", "netns", "exec", self.name]

    def __exit__(self, *exc):
        sh("ip", "netns", "del", self.name, check=False)


def janus_config(workdir, port, event_loops):
    d = os.path.join(workdir, f"janus-conf-{event_loops or 'default'}")
    os.makedirs(d, exist_ok=True)
    for f in os.listdir("/etc/janus"):
        if f.endswith(".jcfg"):
            shutil.copy(os.path.join("/etc/janus", f), d)
    plugdir = "/usr/lib/x86_64-linux-gnu/janus"
    def others(sub, keep):
        return ",".join(sorted(f for f in os.listdir(os.path.join(plugdir, sub))
                               if f.endswith(".so") and f != keep))
    p = os.path.join(d, "janus.jcfg")
    t = open(p).read()
    t = re.sub(r'configs_folder = "[^"]*"', f'configs_folder = "{d}"', t, count=1)
    t = t.replace('plugins: {\n', f'plugins: {{\n\tdisable = "{others("plugins", "libjanus_videoroom.so")}"\n', 1)
    t = t.replace('transports: {\n', f'transports: {{\n\tdisable = "{others("transports", "libjanus_http.so")}"\n', 1)
    t = t.replace('loggers: {\n', f'loggers: {{\n\tdisable = "{others("loggers", "")}"\n', 1)
    t = t.replace("nat: {\n", "nat: {\n\tice_enforce_list = \"dcvb\"\n", 1)
    if event_loops:
        t = t.replace('general: {\n', f'general: {{\n\tevent_loops = {event_loops}\n', 1)
    open(p, "w").write(t)
    p = os.path.join(d, "janus.transport.http.jcfg")
    t = open(p).read()
    t = re.sub(r"\n\tport = 8088", f"\n\tport = {port}", t, count=1)
    t = t.replace("#ip = \"192.168.0.1\"", f'ip = "{SUB}.2"', 1)
    open(p, "w").write(t)
    return d


def wait_http(ns, port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        r = subprocess.run(ns.exec() + ["python3", "-c",
                           f"import socket; socket.create_connection(('{SUB}.2', {port}), 0.5)"],
                           capture_output=True)
        if r.returncode == 0:
            return True
        time.sleep(0.2)
    return False


def janus_run(hb, args, workdir, ns, event_loops):
    port = 8088
    conf = janus_config(workdir, port, event_loops)
    tag = f"janus-{event_loops or 'default'}"
    log = open(os.path.join(workdir, f"{tag}.log"), "w")
    j = subprocess.Popen(ns.exec() + ["janus", "-F", conf, "-C", os.path.join(conf, "janus.jcfg")],
                         stdout=log, stderr=subprocess.STDOUT, preexec_fn=hb.prio)
    try:
        if not wait_http(ns, port):
            return {"server": tag, "meetings": 1, "error": "Janus did not start"}
        cfg = hb.write_configs(workdir, 1, 9000, 9001, 30000, address=f"{SUB}.2")[0]
        rep_path = os.path.join(workdir, f"load-{tag}.json")
        cmd = ns.exec() + [os.path.join(args.build, "bench", "diemcau-load"), "--config", cfg,
                           "--janus", f"http://{SUB}.2:{port}/janus", "--sites", "14", "--join-timeout", "90",
                           "--duration", str(args.duration), "--json", rep_path]
        llog = open(os.path.join(workdir, f"load-{tag}.log"), "w")
        rc, rep, cpu, rss, _ = hb.run_load(cmd, j.pid, args.duration + 150, llog)
        return hb.summarize(tag, 1, rc, rep, cpu, rss)
    finally:
        hb.stop(j)


def diemcau_ns_run(hb, args, workdir, ns):
    """The diemcau 14-site run inside the same namespace (same addresses)."""
    cfg = hb.write_configs(workdir, 1, 8080, 7400, 30000, address=f"{SUB}.2")[0]
    log = open(os.path.join(workdir, "diemcau-ns.log"), "w")
    bridge = subprocess.Popen(ns.exec() + [os.path.join(args.build, "bridge", "diemcau-bridge"),
                                           "--config", cfg], stdout=log, stderr=subprocess.STDOUT, preexec_fn=hb.prio)
    sig = None
    try:
        if not wait_http(ns, 7400):
            return {"server": "diemcau-ns", "meetings": 1, "error": "the bridge did not start"}
        sig = subprocess.Popen(ns.exec() + [os.path.join(args.build, "signaling", "diemcau-signal"),
                                            "--config", cfg], stdout=log, stderr=subprocess.STDOUT, preexec_fn=hb.prio)
        if not wait_http(ns, 8080):
            return {"server": "diemcau-ns", "meetings": 1, "error": "signaling did not start"}
        rep_path = os.path.join(workdir, "load-diemcau-ns.json")
        cmd = ns.exec() + [os.path.join(args.build, "bench", "diemcau-load"), "--config", cfg,
                           "--credential-file", hb.DEMO_CREDENTIALS,
                           "--signal", f"ws://{SUB}.2:8080/ws", "--sites", "14",
                           "--duration", str(args.duration), "--json", rep_path]
        llog = open(os.path.join(workdir, "load-diemcau-ns.log"), "w")
        rc, rep, cpu, rss, _ = hb.run_load(cmd, bridge.pid, args.duration + 60, llog)
        return hb.summarize("diemcau-ns", 1, rc, rep, cpu, rss)
    finally:
        if sig:
            hb.stop(sig)
        hb.stop(bridge)


def run(hb, args, workdir, base):
    if not shutil.which("janus"):
        print("janus is not installed (apt-get install -y janus): skipped")
        return []
    out = []
    with Netns() as ns:
        for fn in (lambda: diemcau_ns_run(hb, args, workdir, ns),
                   lambda: janus_run(hb, args, workdir, ns, None),
                   lambda: janus_run(hb, args, workdir, ns, 2)):
            r = fn()
            r["load_average"] = open("/proc/loadavg").read().split()[0]
            out.append(r)
            line = hb.fmt(r)
            if base and "us_per_packet" in r:
                line += f", {r['us_per_packet'] / base:.2f}x the floor"
            print(line, flush=True)
    d = next((r for r in out if r["server"] == "diemcau-ns" and "us_per_packet" in r), None)
    for r in out:
        if d and r is not d and "us_per_packet" in r:
            print(f"{r['server']} / diemcau: {r['us_per_packet'] / d['us_per_packet']:.1f}x CPU per forwarded packet")
    return out
