#!/usr/bin/env python3
"""diemcau-ctl doctor, backup and restore against the real servers on a
private config on loopback (issue 22).

doctor: a typo in the config fails naming file, line and key; with the
servers down the control link fails (exit 1); with them up every check
passes (exit 0) and --json says the same; a certificate that expires in 10
days is a warning. backup copies the record while diemcau-signal writes it
and never overwrites; restore is refused while the service answers and
puts the copy back once it is stopped."""
import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import harness  # noqa: E402


def ctl(build, *args):
    r = subprocess.run([os.path.join(build, "ctl", "diemcau-ctl"), *args], capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def levels(text):
    """{check: level} of doctor's text lines."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(ok|warn|fail)\s+(\S+)\s", line)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def set_key(path, group, key, value):
    text = open(path, encoding="utf-8").read()
    head, sep, rest = text.partition(f"[{group}]\n")
    assert sep, group
    rest = re.sub(rf"^#?\s*{key} = .*$", f"{key} = {value}", rest, count=1, flags=re.M)
    if f"\n{key} = {value}" not in "\n" + rest:
        rest = f"{key} = {value}\n" + rest
    open(path, "w", encoding="utf-8").write(head + sep + rest)


def rows(db):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    tap = harness.Tap()
    wd = harness.workdir("doctor")
    config, port = harness.private_config(a.source, wd)

    bad = os.path.join(wd, "bad.ini")
    text = open(config, encoding="utf-8").read().replace("workers = 2", "wrokers = 2")
    open(bad, "w", encoding="utf-8").write(text)
    rc, out = ctl(a.build, "doctor", "--config", bad)
    tap.ok(rc == 1 and levels(out).get("config") == "fail" and re.search(r"bad\.ini:\d+:.*wrokers", out),
           "doctor: a typo fails the config check naming file, line and key", out)

    rc, out = ctl(a.build, "doctor", "--config", config)
    tap.ok(rc == 1 and levels(out).get("control-link") == "fail" and "diemcau-bridge" in out,
           "doctor: with the servers down the control link fails (exit 1)", out)

    servers = harness.Servers(a.build, config, port, wd)
    try:
        if not tap.ok(servers.start(), "the servers start", servers.log("signal")):
            return tap.done()
        # A client joins and leaves, so the record has rows to copy.
        creds = harness.demo_credentials()
        c = harness.Client(a.build, port, "tinh", creds["tinh"], wd, 3, ["--size", "160x90", "--fps", "5"])
        c.wait(30)

        rc, out = ctl(a.build, "doctor", "--config", config)
        lv = levels(out)
        tap.ok(rc == 0 and "fail" not in lv.values() and
               {"config", "certificate", "control-link", "udp-range", "clock", "web-root", "record"} <= lv.keys(),
               "doctor: with the servers up no check fails (exit 0), one line each", out)
        tap.ok(lv.get("record") == "ok" and "integrity ok" in out, "doctor: the record's integrity is ok", out)
        rc, out = ctl(a.build, "doctor", "--config", config, "--json")
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        tap.ok(rc == 0 and doc.get("ok") is True and len(doc.get("checks", [])) == len(lv),
               "doctor --json: the same checks, ok", out)

        db = os.path.join(wd, "diemcau.db")
        copy = os.path.join(wd, "copy.db")
        rc, out = ctl(a.build, "backup", "--config", config, copy)
        before = rows(db)
        tap.ok(rc == 0 and os.path.exists(copy) and rows(copy) == before and before.get("meetings", 0) >= 1,
               "backup while diemcau-signal runs: a whole copy with the same rows", f"{out}\n{before}")
        rc, out = ctl(a.build, "backup", "--config", config, copy)
        tap.ok(rc == 1 and "exists" in out, "backup never overwrites a file", out)
        rc, out = ctl(a.build, "restore", "--config", config, copy)
        tap.ok(rc == 1 and "stop it first" in out, "restore is refused while diemcau-signal runs", out)
    finally:
        servers.stop_ok(tap)

    # The record changes after the backup (its events deleted by hand), then
    # the restore puts the backup's content back.
    with sqlite3.connect(db) as c:
        c.execute("DELETE FROM events")
    rc, out = ctl(a.build, "restore", "--config", config, copy)
    tap.ok(rc == 0 and rows(db) == rows(copy), "restore with the service stopped puts the backup back",
           f"{out}\n{rows(db)}\n{rows(copy)}")
    junk = os.path.join(wd, "junk.db")
    open(junk, "wb").write(b"not a database" * 100)
    rc, out = ctl(a.build, "restore", "--config", config, junk)
    tap.ok(rc == 1 and rows(db) == rows(copy), "a damaged backup is refused, the record untouched", out)

    # TLS on loopback with a certificate that expires in 10 days: a warning.
    crt, key = os.path.join(wd, "short.crt"), os.path.join(wd, "short.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "10", "-subj", "/CN=short", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    set_key(config, "signaling", "tls", "on")
    set_key(config, "signaling", "tls_certificate", crt)
    set_key(config, "signaling", "tls_key", key)
    rc, out = ctl(a.build, "doctor", "--config", config)
    tap.ok(levels(out).get("certificate") == "warn" and "expires in" in out,
           "doctor: a certificate expiring within 30 days is a warning", out)
    os.unlink(crt)
    rc, out = ctl(a.build, "doctor", "--config", config)
    tap.ok(rc == 1 and levels(out).get("certificate") == "fail", "doctor: a missing certificate fails", out)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
