#!/usr/bin/env python3
"""The soak run of issue 8, by hand (not in CI): a 14-site meeting for an
hour with diemcau-bridge and diemcau-signal built with AddressSanitizer and
LeakSanitizer, RSS sampled every minute.

  bench/soak.py --build build --asan-build build-asan [--minutes 60] [--out out/soak]

The meeting: 13 sites from diemcau-load (pre-encoded VP8 320x180 15 fps at
150 kbit/s and Opus, every packet checked for sequence continuity and loss,
latency measured; no encoder per site, so the machine's two cores are left
to the servers) and the 14th site as a real diemcau-client that joins for
three minutes of every five (encodes, decodes, leaves, joins again: the
join/leave paths run a dozen times an hour). Every minute: VmRSS and CPU of
both servers, and the technician's view (/api/stats) of the load's sites.

Verdicts (printed, and in OUT/soak.json; exit 1 if one fails):
  - both servers exit 0 on SIGTERM and their logs hold no AddressSanitizer,
    LeakSanitizer or UBSan report (leaks are checked at exit);
  - RSS after warm-up does not grow: the last sample is within 8 MiB or 10 %
    of the sample at minute 10 (minute 2 in runs under 20 minutes),
    whichever is larger, for each server (ASan's quarantine is set to
    16 MiB so that it fills in the first minutes instead of reading as
    growth);
  - the load lost no packet the bridge was given (diemcau-load's loss
    ratio 0), and no site saw its own media;
  - the churning client decoded video and audio from the others in every
    one of its sessions.
Everything runs on loopback and stops by itself after --minutes (+1).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import harness  # noqa: E402

SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: \w+Sanitizer")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def api_stats(port, cred):
    if not cred:
        return None
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/stats",
                                 headers={"Authorization": f"Bearer {cred}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read().decode())
    except (OSError, ValueError):
        return None


def worst_loss(doc):
    """The highest loss_pct of any present site, both ways (None: unknown)."""
    sites = (doc or {}).get("sites") or {}
    vals = []
    for s in (sites.values() if isinstance(sites, dict) else sites):
        for v in ((s or {}).get("loss_pct") or {}).values():
            if isinstance(v, (int, float)):
                vals.append(v)
    return max(vals) if vals else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="normal build (diemcau-load, diemcau-client)")
    ap.add_argument("--asan-build", required=True, help="-Db_sanitize=address,undefined build (the servers)")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "soak"))
    ap.add_argument("--technician-credential", default=os.environ.get("DC_TECHNICIAN_CREDENTIAL", ""),
                    help="for the per-minute /api/stats sample (optional)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    wd = a.out
    config, port = harness.private_config(ROOT, wd)
    sites = harness.read_sites(config)
    cred = a.technician_credential or harness.demo_credentials().get("technician", "")
    # A small quarantine: ASan's default 256 MiB of freed-but-held memory
    # would fill for the first minutes and read as growth.
    os.environ["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:halt_on_error=0:quarantine_size_mb=16"
                                  ":intercept_tls_get_addr=0")  # meson.build says why
    os.environ["LSAN_OPTIONS"] = f"suppressions={os.path.join(ROOT, 'tests', 'lsan.supp')}"
    os.environ["UBSAN_OPTIONS"] = "print_stacktrace=1"
    servers = harness.Servers(a.asan_build, config, port, wd)
    if not servers.start():
        print("the servers did not start:\n" + servers.log("bridge")[-2000:] + servers.log("signal")[-2000:])
        return 1
    secs = int(a.minutes * 60)
    url = f"ws://127.0.0.1:{port}/ws"
    load_json = os.path.join(wd, "load.json")
    load_log = open(os.path.join(wd, "load.log"), "w")
    load = subprocess.Popen([os.path.join(a.build, "bench", "diemcau-load"), "-s", url, "-c", config,
                             "--credential-file", harness.DEMO_CREDENTIALS,
                             "--sites", str(len(sites) - 1), "--duration", str(secs), "--warmup", "4",
                             "-j", load_json], stdout=load_log, stderr=subprocess.STDOUT)
    churn_site = sites[-1]
    churn, sessions = None, []
    samples = []
    t0 = time.time()
    next_sample, next_churn = t0, t0 + 30
    bridge, signal_p = servers.procs["bridge"], servers.procs["signal"]
    print(f"soak: {a.minutes:g} min, servers from {a.asan_build}, logs in {wd}")
    print(f"{'min':>4} {'bridge RSS':>11} {'signal RSS':>11} {'bridge CPU':>11} {'signal CPU':>11} "
          f"{'worst loss':>10} {'load':>5}")
    try:
        while load.poll() is None and time.time() < t0 + secs + 60:
            now = time.time()
            if now >= next_sample:
                doc = api_stats(port, cred)
                s = {"t_min": round((now - t0) / 60, 2),
                     "bridge_rss_kib": rss_kib(bridge.pid), "signal_rss_kib": rss_kib(signal_p.pid),
                     "bridge_cpu_s": cpu_s(bridge.pid), "signal_cpu_s": cpu_s(signal_p.pid),
                     "worst_loss_pct": worst_loss(doc), "loadavg_1m": os.getloadavg()[0]}
                samples.append(s)
                print(f"{s['t_min']:4.0f} {s['bridge_rss_kib'] or 0:>8} KiB {s['signal_rss_kib'] or 0:>8} KiB "
                      f"{s['bridge_cpu_s'] or 0:>10.1f}s {s['signal_cpu_s'] or 0:>10.1f}s "
                      f"{'-' if s['worst_loss_pct'] is None else round(s['worst_loss_pct'], 2):>10} "
                      f"{s['loadavg_1m']:5.2f}", flush=True)
                next_sample += 60
            if churn is None and now >= next_churn and now < t0 + secs - 200:
                churn = harness.Client(a.build, port, churn_site[0], churn_site[3], wd, 180,
                                       ("--size", "320x180", "--fps", "15"), tag=f"-{len(sessions)}")
                sessions.append(churn)
            if churn is not None and churn.proc.poll() is not None:
                churn = None
                next_churn = time.time() + 120
            time.sleep(1)
    finally:
        if load.poll() is None:
            load.send_signal(signal.SIGINT)
            try:
                load.wait(30)
            except subprocess.TimeoutExpired:
                load.kill()
        for c in sessions:
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
        codes = servers.stop(timeout=60)

    verdicts = []

    def verdict(ok, what):
        verdicts.append({"ok": bool(ok), "what": what})
        print(("PASS " if ok else "FAIL ") + what)

    verdict(codes.get("bridge") == 0 and codes.get("signal") == 0, f"servers exit 0 on SIGTERM ({codes})")
    for w in ("bridge", "signal"):
        hits = [ln for ln in servers.log(w).splitlines() if SANITIZER_RE.search(ln)]
        verdict(not hits, f"{w}: no sanitizer report (leaks checked at exit)" + (f": {hits[:3]}" if hits else ""))
    warm = 10 if a.minutes >= 20 else 2
    base = next((s for s in samples if s["t_min"] >= warm), samples[0] if samples else None)
    last = samples[-1] if samples else None
    for w in ("bridge", "signal"):
        k = f"{w}_rss_kib"
        if not base or not last or not base[k] or not last[k]:
            verdict(False, f"{w}: RSS sampled")
            continue
        growth = last[k] - base[k]
        allowed = max(8 * 1024, base[k] // 10)
        verdict(growth <= allowed, f"{w}: RSS {base[k]} KiB at minute {base['t_min']:.0f}, {last[k]} KiB at "
                                   f"minute {last['t_min']:.0f} (growth {growth} KiB, allowed {allowed})")
    rep = {}
    try:
        rep = json.load(open(load_json))
    except (OSError, ValueError):
        pass
    tot = rep.get("total") or rep
    loss = tot.get("loss_ratio")
    verdict(loss == 0 and (tot.get("own_media_received") or 0) == 0,
            f"diemcau-load: loss ratio {loss} ({tot.get('lost')} lost of {tot.get('received')} received), "
            f"own media {tot.get('own_media_received')}, latency {json.dumps(tot.get('latency_us'))}")
    good = 0
    for c in sessions:
        r = c.report() or {}
        remote = r.get("remote") or {}
        if remote and all(int(x.get("video_frames_decoded") or 0) > 0 and int(x.get("audio_packets_decoded") or 0) > 0
                          for x in remote.values()):
            good += 1
    verdict(sessions and good == len(sessions),
            f"churning {churn_site[0]}: {good} of {len(sessions)} sessions decoded every other site")
    json.dump({"minutes": a.minutes, "samples": samples, "verdicts": verdicts, "load": rep,
               "server_exit": codes}, open(os.path.join(wd, "soak.json"), "w"), indent=1)
    failed = [v for v in verdicts if not v["ok"]]
    print(f"soak: {len(verdicts) - len(failed)} passed, {len(failed)} failed; {wd}/soak.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
