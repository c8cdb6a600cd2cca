#!/usr/bin/env python3
"""The bridge benchmark (BENCHMARKS.md, issue 7): diemcau-bridge's CPU time per
forwarded packet under diemcau-load, beside the floor loop (bench/floor.c) in
the same run, and optionally Janus VideoRoom on the same load.

  bench/run-bridge.py --build BUILD [--duration 20] [--scale 1,5,10,20,30,40]
                      [--janus] [--json out.json]
  bench/run-bridge.py --build BUILD --smoke       (CI: 1 meeting of 4 sites)

Per run: a fresh diemcau-bridge and one diemcau-signal per meeting (configs
that differ in [meeting] id and port, all on the one bridge's control port),
then diemcau-load. The bridge's CPU is utime+stime from /proc/PID/stat,
sampled when the load prints "MEASURE start" and "MEASURE end"; forwarded
packets = packets the load received in that window (the bridge has no
forwarded-packet counter on its control link yet). RSS is VmRSS at the end
of the window. Every run is bounded in time; the scale curve always runs 1 and 10 meetings
(the issue's two figures) and stops at the first run from 10 meetings on
with loss or with sites that did not connect.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The sites' secrets (config/hatinh.ini keeps only their hashes).
DEMO_CREDENTIALS = os.path.join(ROOT, "config", "hatinh-demo-credentials.ini")
TICK = os.sysconf("SC_CLK_TCK")
NICE = 0  # --nice: priority change of the servers and the load (root may lower it)


def prio():
    if NICE:
        os.nice(NICE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_run(n, tries=200):
    """A base port with n consecutive free TCP ports on 127.0.0.1."""
    for i in range(tries):
        base = 20000 + (os.getpid() * 7 + i * 97) % 20000
        socks = []
        try:
            for k in range(n):
                s = socket.socket()
                s.bind(("127.0.0.1", base + k))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no run of free ports")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def wakeups(pid):
    """Voluntary context switches of every thread of pid (each is a sleep in
    poll, i.e. about one main-loop wake-up)."""
    n = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        n += int(line.split()[1])
    except OSError:
        pass
    return n


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def write_configs(workdir, meetings, sig_base, ctl_port, udp_base, address="127.0.0.1"):
    text = open(os.path.join(ROOT, "config", "hatinh.ini"), encoding="utf-8").read()
    paths = []
    for i in range(meetings):
        subs = {
            r"^id = .*$": f"id = m{i}",
            r"^address = .*$": f"address = {address}",
            # Plain HTTP, also on a namespace address: diemcau-load has no
            # --pin, and the benchmark measures the media path.
            r"^tls = .*$": "tls = off",
            r"^port = .*$": f"port = {sig_base + i}",
            r"^control_port = .*$": f"control_port = {ctl_port}",
            r"^udp_port_min = .*$": f"udp_port_min = {udp_base}",
            r"^udp_port_max = .*$": f"udp_port_max = {udp_base + 1999}",
            r"^web_root = .*$": f"web_root = {os.path.join(ROOT, 'web')}",
            r"^local_addresses = .*$": f"local_addresses = {address}",
            r"^control_address = .*$": f"control_address = {address}",
        }
        t = text
        for pat, rep in subs.items():
            t, n = re.subn(pat, rep, t, count=1, flags=re.M)
            assert n == 1, pat
        p = os.path.join(workdir, f"m{i}.ini")
        with open(p, "w", encoding="utf-8") as f:
            f.write(t)
        paths.append(p)
    return paths


def wait_port(port, host="127.0.0.1", timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection((host, port), 0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(p, timeout=10):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_load(load_cmd, server_pid, timeout, log, on_start=None):
    """Runs diemcau-load; samples server_pid at the MEASURE lines. Returns
    (rc, report dict or None, cpu seconds, rss KiB, wake-ups)."""
    p = subprocess.Popen(load_cmd, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=prio)
    c0 = c1 = w0 = w1 = None
    rss = 0
    end = time.time() + timeout
    try:
        for line in p.stdout:
            if line.startswith("MEASURE start"):
                c0 = cpu_s(server_pid)
                w0 = wakeups(server_pid)
                if on_start:
                    on_start(server_pid)
            elif line.startswith("MEASURE end"):
                c1 = cpu_s(server_pid)
                w1 = wakeups(server_pid)
                rss = rss_kib(server_pid)
            elif line.strip():
                print("  " + line.strip(), flush=True)
            if time.time() > end:
                break
        p.wait(max(1, end - time.time()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        stop(p)
    json_path = load_cmd[load_cmd.index("--json") + 1]
    rep = None
    try:
        with open(json_path) as f:
            rep = json.load(f)
    except (OSError, ValueError):
        pass
    cpu = (c1 - c0) if c0 is not None and c1 is not None else None
    wk = (w1 - w0) if w0 is not None and w1 is not None else None
    return p.returncode, rep, cpu, rss, wk


def diemcau_run(args, workdir, meetings, sites, duration, smoke=False, per_packet=False,
                stock_srtp=False, baseline=False):
    """One diemcau run; returns a result dict. per_packet: the bridge runs
    with --no-batch-send (one nice_agent_send per packet); stock_srtp: with
    --stock-srtp (libsrtp's own ciphers, NSS on Debian); baseline: the
    bridge is args.baseline_bridge (another build's binary; the signaling
    services and the load stay this build's)."""
    build = args.build
    ctl = free_port()
    sig_base = free_run(meetings)
    udp_base = 30000 + (os.getpid() % 10) * 2000
    cfgs = write_configs(workdir, meetings, sig_base, ctl, udp_base)
    log = open(os.path.join(workdir, f"servers-{meetings}.log"), "w")
    bexe = args.baseline_bridge if baseline else os.path.join(build, "bridge", "diemcau-bridge")
    bcmd = [bexe, "--config", cfgs[0]]
    if per_packet:
        bcmd.append("--no-batch-send")
    if stock_srtp:
        bcmd.append("--stock-srtp")
    bridge = subprocess.Popen(bcmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=prio)
    sigs = []
    try:
        if not wait_port(ctl):
            return {"error": "the bridge did not start"}
        for c in cfgs:
            sigs.append(subprocess.Popen([os.path.join(build, "signaling", "diemcau-signal"),
                                          "--config", c], stdout=log, stderr=subprocess.STDOUT, preexec_fn=prio))
        for i in range(meetings):
            if not wait_port(sig_base + i):
                return {"error": f"signaling {i} did not start"}
        rep_path = os.path.join(workdir, f"load-{meetings}.json")
        cmd = [os.path.join(build, "bench", "diemcau-load"), "--config", cfgs[0],
               "--credential-file", DEMO_CREDENTIALS,
               "--signal", f"ws://127.0.0.1:{sig_base}/ws", "--meetings", str(meetings),
               "--sites", str(sites), "--duration", str(duration), "--json", rep_path]
        if smoke:
            cmd.append("--smoke")
        llog = open(os.path.join(workdir, f"load-{meetings}.log"), "w")
        perf = []
        def start_perf(pid):
            out = os.path.join(workdir, "perf.data")
            cg = ["--call-graph", "dwarf,16384", "-F", "1999"] if args.perf_dwarf else ["-F", "999", "-g"]
            perf.append(subprocess.Popen(["perf", "record"] + cg + ["-o", out, "-p", str(pid),
                                          "--", "sleep", str(duration)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        stat_out = os.path.join(workdir, f"syscalls-{meetings}.csv")
        def start_stat(pid):
            # Load-independent: system calls (tracepoints) of the bridge in the window.
            ev = ",".join(["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{c}" for c in SYSCALLS])
            perf.append(subprocess.Popen(["perf", "stat", "-x", ",", "-e", ev, "-o", stat_out,
                                          "-p", str(pid), "--", "sleep", str(duration)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        hook = start_perf if args.perf else (start_stat if args.syscalls else None)
        rc, rep, cpu, rss, wk = run_load(cmd, bridge.pid, duration + 60 + 3 * meetings, llog, hook)
        for p in perf:
            p.wait(30)
        name = ("diemcau" + ("-baseline" if baseline else "") + ("-per-packet" if per_packet else "")
                + ("-stock-srtp" if stock_srtp else ""))
        r = summarize(name, meetings, rc, rep, cpu, rss)
        if wk is not None and r.get("forwarded"):
            r["wakeups_per_1000_fwd"] = 1000.0 * wk / r["forwarded"]
        if args.syscalls and not args.perf and r.get("forwarded_per_s"):
            r["syscalls_per_fwd"] = read_syscalls(stat_out, r["forwarded_per_s"] * duration)
        return r
    finally:
        for s in sigs:
            stop(s)
        stop(bridge)


SYSCALLS = ["sendmsg", "sendmmsg", "recvmsg", "poll", "write"]


def read_syscalls(path, forwarded):
    """System calls per forwarded packet from a perf stat -x, file (the
    forwarded count estimated from the load's rate over the same seconds)."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) > 2 and parts[0].isdigit():
                    name = parts[2].split(":")[-1].replace("sys_enter_", "")
                    out["all" if name == "sys_enter" else name] = int(parts[0]) / forwarded
    except OSError:
        pass
    return out


def summarize(server, meetings, rc, rep, cpu, rss):
    r = {"server": server, "meetings": meetings, "load_rc": rc, "cpu_s": cpu, "rss_mib": rss / 1024}
    if rep:
        t = rep["total"]
        r.update({
            "window_s": rep["window_s"], "sites_connected": rep["sites_connected"],
            "sites": rep["meetings"] * rep["sites_per_meeting"],
            "forwarded": t["received"], "forwarded_per_s": t["received_per_s"],
            "sent_per_s": t["sent_per_s"], "lost": t["lost"], "loss_ratio": t["loss_ratio"],
            "repaired": t["repaired"], "p50_us": t["latency_us"]["p50"],
            "p99_us": t["latency_us"]["p99"],
            "load_cpu_share": rep.get("load_generator_cpu_share"),
        })
        if cpu is not None and t["received"] > 0:
            r["us_per_packet"] = cpu * 1e6 / t["received"]
            r["cpu_share"] = cpu / rep["window_s"]
    return r


def floor_run(args):
    out = subprocess.run([os.path.join(args.build, "bench", "diemcau-bench-floor"), "--seconds",
                          str(args.floor_seconds)], capture_output=True, text=True, timeout=300).stdout
    res = {}
    for line in out.splitlines():
        if line.startswith("# mode="):
            kv = dict(x.split("=", 1) for x in line[2:].split() if "=" in x)
            res[kv["mode"]] = float(kv["floor_us"])
    return res


def fmt(r):
    if "us_per_packet" not in r:
        return f"{r['server']} {r['meetings']} meeting(s): no figure ({r.get('error', 'load rc %s' % r.get('load_rc'))})"
    return (f"{r['server']:8s} {r['meetings']:3d} meeting(s) {r['sites_connected']:4d}/{r['sites']} sites: "
            f"{r['us_per_packet']:6.2f} us/pkt, {r['forwarded_per_s']:9.0f} fwd pkt/s, "
            f"{100 * r['cpu_share']:5.1f}% CPU, lost {r['lost']} ({100 * r['loss_ratio']:.3f}%), "
            f"p50 {r['p50_us']:.0f} us p99 {r['p99_us']:.0f} us, RSS {r['rss_mib']:.1f} MiB"
            + (f", generator {100 * r['load_cpu_share']:.0f}% CPU" if r.get("load_cpu_share") is not None else "")
            + (f", {r['wakeups_per_1000_fwd']:.0f} wake-ups/1000 pkt" if "wakeups_per_1000_fwd" in r else "")
            + ("".join(f", {k} {v:.3f}/pkt" for k, v in r["syscalls_per_fwd"].items())
               if r.get("syscalls_per_fwd") else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--floor-seconds", type=float, default=8)
    ap.add_argument("--scale", default="1,5,10,20,30,40",
                    help="meeting counts of the scale curve (stops at the first loss)")
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--perf", action="store_true",
                    help="profile the bridge (perf record -g) during --perf-meetings 14-site "
                         "meetings, into --keep")
    ap.add_argument("--perf-meetings", type=int, default=1)
    ap.add_argument("--perf-dwarf", action="store_true",
                    help="perf record --call-graph dwarf (callers through libraries without "
                         "frame pointers; large files)")
    ap.add_argument("--janus", action="store_true", help="also Janus VideoRoom (needs root, janus)")
    ap.add_argument("--smoke", action="store_true", help="CI: 1 meeting of 4 sites, no loss")
    ap.add_argument("--only-janus", action="store_true", help="skip the floor and the scale curve")
    ap.add_argument("--json", help="write every result here")
    ap.add_argument("--keep", help="keep the logs and configs in this folder")
    ap.add_argument("--compare-send", action="store_true",
                    help="every diemcau run twice, back to back: with the send queue and with "
                         "--no-batch-send (one nice_agent_send per packet)")
    ap.add_argument("--compare-crypto", action="store_true",
                    help="every diemcau run twice, back to back: with core/srtp-openssl's "
                         "ciphers and with --stock-srtp (libsrtp's own, NSS on Debian)")
    ap.add_argument("--baseline-bridge", metavar="EXE",
                    help="every diemcau run also with this diemcau-bridge (e.g. an older "
                         "commit's build), back to back, for same-run before/after ratios")
    ap.add_argument("--syscalls", action="store_true",
                    help="count the bridge's system calls per forwarded packet (perf stat "
                         "tracepoints; independent of the machine's load)")
    ap.add_argument("--counts", help="exactly these meeting counts (no scale curve, no stop), "
                    "e.g. 5,5,5 with --compare-send for repeated A/B pairs")
    ap.add_argument("--per-packet", action="store_true",
                    help="the bridge runs with --no-batch-send (also for --perf)")
    ap.add_argument("--nice", type=int, default=0,
                    help="niceness change for the servers and the load (e.g. -5 on a shared machine)")
    args = ap.parse_args()
    global NICE
    NICE = args.nice

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
        workdir = args.keep or tmp
        if args.smoke:
            args.perf = False
            r = diemcau_run(args, workdir, 1, 4, 4, smoke=True)
            print(fmt(r))
            ok = r.get("load_rc") == 0 and r.get("lost") == 0 and r.get("forwarded", 0) > 0
            if not ok:
                for name in sorted(os.listdir(workdir)):
                    if name.endswith(".log"):
                        sys.stdout.write(f"--- {name}\n" + open(os.path.join(workdir, name)).read()[-3000:])
            return 0 if ok else 1

        if args.perf:
            args.smoke = False
            r = diemcau_run(args, workdir, args.perf_meetings, 14, args.duration,
                            per_packet=args.per_packet)
            print(fmt(r))
            print(f"perf data: {os.path.join(workdir, 'perf.data')}")
            return 0
        results = {"uptime": open("/proc/loadavg").read().split()[:3]}
        print(f"load average before: {' '.join(results['uptime'])}", flush=True)
        fl = {} if args.only_janus else floor_run(args)
        results["floor_us"] = fl
        print(f"floor loop (us per outbound packet): {fl}", flush=True)
        base = fl.get("openssl")
        runs = []
        counts = [1, 10]
        if args.counts:
            counts = [int(x) for x in args.counts.split(",")]
        elif not args.no_scale:
            counts = sorted(set(counts + [int(x) for x in args.scale.split(",")]))
        for n in ([] if args.only_janus else counts):
            print(f"diemcau, {n} meeting(s) of 14 sites ...", flush=True)
            modes = [(False, False), (True, False)] if args.compare_send else [(args.per_packet, False)]
            if args.compare_crypto:
                modes += [(pp, True) for pp, _ in modes]
            modes = [(pp, stock, False) for pp, stock in modes]
            if args.baseline_bridge:
                modes += [(pp, stock, True) for pp, stock, _ in modes]
            for pp, stock, old in modes:
                r = diemcau_run(args, workdir, n, 14, args.duration, per_packet=pp, stock_srtp=stock,
                                baseline=old)
                r["load_average"] = open("/proc/loadavg").read().split()[0]
                runs.append(r)
                line = fmt(r)
                if base and "us_per_packet" in r:
                    line += f", {r['us_per_packet'] / base:.2f}x the floor"
                    if fl.get("gcm"):
                        line += f" ({r['us_per_packet'] / fl['gcm']:.2f}x the GCM floor)"
                print(line, flush=True)
            if not args.counts and n >= 10 and (r.get("lost", 1) > 0 or r.get("sites_connected") != r.get("sites")):
                print("loss or missing sites: the scale curve stops here", flush=True)
                break
        results["diemcau"] = runs
        if args.janus:
            sys.path.insert(0, HERE)
            import janus_bench  # bench/janus_bench.py
            results["janus"] = janus_bench.run(sys.modules[__name__], args, workdir, base)
        results["uptime_after"] = open("/proc/loadavg").read().split()[:3]
        print(f"load average after: {' '.join(results['uptime_after'])}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
