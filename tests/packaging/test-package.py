#!/usr/bin/env python3
"""The Debian package end to end, on this machine, as root (issue 22).

Builds the package from a copy of the source tree (dpkg-buildpackage -us -uc
-b, its unit tests skipped: the other suites run them), installs it with
apt-get, checks what it installed (programs, units, config 0640
root:diemcau, page, man pages, the system user, the state folder, no demo
secrets), runs systemd-analyze verify on the installed units, starts
diemcau-bridge and diemcau-signal from the installed binaries with the
installed config as the diemcau user (setpriv: systemctl cannot run without
systemd as PID 1), joins three installed diemcau-clients with the demo
credentials, checks they exchange audio and video, runs diemcau-ctl doctor
and backup, stops the servers and purges the package.

The installed config keeps every credential locked; the test writes the
demo hashes of config/hatinh.ini (and free loopback ports) into it, as an
administrator writes real ones. The system user stays after the purge, as
Debian does (README.Debian). --deb FILE installs a package already built.
When diemcau is already installed here the test skips: its purge would
delete that installation's config and meeting record (--replace-installed)."""
import argparse
import glob
import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import harness  # noqa: E402

CONFIG = "/etc/diemcau/diemcau.ini"
UNITS = ["/lib/systemd/system/diemcau-bridge.service", "/lib/systemd/system/diemcau-signal.service"]
PROGRAMS = ["diemcau-bridge", "diemcau-signal", "diemcau-client", "diemcau-ctl"]
MANS = ["/usr/share/man/man8/diemcau-bridge.8.gz", "/usr/share/man/man8/diemcau-signal.8.gz",
        "/usr/share/man/man1/diemcau-client.1.gz", "/usr/share/man/man1/diemcau-ctl.1.gz"]
SITES = ["tinh", "can-loc", "duc-tho"]
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def run(args, timeout=120, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    return r.returncode, r.stdout + r.stderr


def tail(text, n=40):
    return "\n".join(text.splitlines()[-n:])


def build_package(source, wd, tap):
    """Copies the tree (without builds and VCS data) and builds; the .deb's
    path, or None."""
    version = re.search(r"version:\s*'([^']+)'", open(os.path.join(source, "meson.build")).read()).group(1)
    tree = os.path.join(wd, f"diemcau-{version}")
    ignore = shutil.ignore_patterns(".git", "build", "build-*", "obj-*", "node_modules", "out", "*.deb",
                                    "__pycache__", ".debhelper", "debhelper-build-stamp", "files",
                                    "diemcau.substvars")
    shutil.copytree(source, tree, ignore=ignore, symlinks=True)
    for leftover in ("debian/diemcau", "debian/tmp"):
        shutil.rmtree(os.path.join(tree, leftover), ignore_errors=True)
    env = dict(os.environ, DEB_BUILD_OPTIONS=f"nocheck parallel={os.cpu_count() or 2}")
    for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "MALLOC_PERTURB_", "G_DEBUG"):
        env.pop(k, None)
    t0 = time.time()
    rc, out = run(["nice", "dpkg-buildpackage", "-us", "-uc", "-b"], timeout=1500, cwd=tree, env=env)
    open(os.path.join(wd, "dpkg-buildpackage.log"), "w").write(out)
    debs = [d for d in glob.glob(os.path.join(wd, "diemcau_*.deb"))]
    shutil.rmtree(tree, ignore_errors=True)  # hundreds of MB; the log stays
    tap.ok(rc == 0 and len(debs) == 1, f"dpkg-buildpackage -us -uc -b builds diemcau ({time.time() - t0:.0f} s)",
           tail(out))
    return debs[0] if rc == 0 and debs else None


def check_installed(tap, source):
    missing = [p for p in [f"/usr/bin/{p}" for p in PROGRAMS] + UNITS + MANS +
               ["/usr/share/diemcau/web/index.html", "/usr/share/diemcau/examples/hatinh.ini",
                "/usr/share/diemcau/contrib/grafana/diemcau-links.json",
                "/usr/share/doc/diemcau/README.Debian", CONFIG] if not os.path.exists(p)]
    tap.ok(not missing, "the programs, units, man pages, page, examples and config are installed", missing)
    try:
        user = pwd.getpwnam("diemcau")
    except KeyError:
        user = None
    tap.ok(user is not None and user.pw_uid < 1000 and user.pw_shell.endswith("nologin"),
           "the system user diemcau exists (system uid, no login shell)", user)
    st = os.stat(CONFIG)
    tap.ok(stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0 and grp.getgrgid(st.st_gid).gr_name == "diemcau",
           f"{CONFIG} is 0640 root:diemcau", f"{oct(st.st_mode)} {st.st_uid}:{st.st_gid}")
    st = os.stat("/var/lib/diemcau")
    tap.ok(user is not None and st.st_uid == user.pw_uid and stat.S_IMODE(st.st_mode) == 0o750,
           "/var/lib/diemcau belongs to diemcau, mode 0750", f"{oct(st.st_mode)} {st.st_uid}")
    crt, key = "/var/lib/diemcau/diemcau-signal.crt", "/var/lib/diemcau/diemcau-signal.key"
    rc, out = run(["openssl", "x509", "-in", crt, "-noout", "-ext", "subjectAltName", "-enddate"])
    kst = os.stat(key) if os.path.exists(key) else None
    tap.ok(rc == 0 and "DNS:localhost" in out and "IP Address:127.0.0.1" in out and kst is not None
           and stat.S_IMODE(kst.st_mode) == 0o600 and user is not None and kst.st_uid == user.pw_uid,
           "postinst made the self-signed certificate in /var/lib/diemcau, its key 0600 diemcau",
           f"{out}\n{kst}")
    demo = harness.demo_credentials(os.path.join(source, "config", "hatinh-demo-credentials.ini"))
    hashes = set(re.findall(r"scrypt\$\S+", open(os.path.join(source, "config", "hatinh.ini")).read()))
    text = open(CONFIG, encoding="utf-8").read()
    leaked = [f for f in os.listdir("/etc/diemcau") if "credential" in f]
    leaked += [h for h in hashes if h in text] + [s for s in demo.values() if s in text]
    tap.ok(not leaked, "no demo secret or demo hash is installed into /etc/diemcau", leaked)
    rc, out = run(["systemd-analyze", "verify"] + UNITS)
    tap.ok(rc == 0 and not out.strip(), "systemd-analyze verify passes on the installed units", out)
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    bad = []
    for m in MANS:
        r = subprocess.run(["man", "--warnings", "-l", m], capture_output=True, text=True, env=env)
        if r.returncode or r.stderr.strip():
            bad.append(f"{m}: {r.stderr}")
    tap.ok(not bad, "the installed man pages render without warnings", "\n".join(bad))


def demo_config(source, udp_base):
    """Writes the demo hashes of config/hatinh.ini and free ports into the
    installed config; returns the signaling port."""
    demo = open(os.path.join(source, "config", "hatinh.ini"), encoding="utf-8").read()
    text = open(CONFIG, encoding="utf-8").read()
    site_hash = dict(re.findall(r"^\[site\.([a-z0-9-]+)\]\n(?:.*\n)*?credential = (\S+)$", demo, flags=re.M))
    tech = re.search(r"^technician_credential = (\S+)$", demo, flags=re.M).group(1)

    def site_line(m):
        return f"[site.{m.group(1)}]\n{m.group(2)}credential = {site_hash[m.group(1)]}"
    text = re.sub(r"^\[site\.([a-z0-9-]+)\]\n((?:.*\n)*?)credential = \S+$", site_line, text, flags=re.M)
    text = re.sub(r"^technician_credential = \S+$", lambda _m: f"technician_credential = {tech}", text, flags=re.M)
    sig, ctl = harness.free_port(), harness.free_port()
    for key, val in (("port", sig), ("control_port", ctl), ("udp_port_min", udp_base),
                     ("udp_port_max", udp_base + 99)):
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {val}", text, count=1, flags=re.M)
        assert n == 1, key
    with open(CONFIG, "w", encoding="utf-8") as f:
        f.write(text)
    return sig


def unit_service(unit):
    """(ExecStart argv, environment, working directory, umask) of the
    installed unit's [Service], to run the server as systemd would."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "HOME": "/var/lib/diemcau", "USER": "diemcau", "LOGNAME": "diemcau"}
    argv, cwd, umask = None, "/", 0o022
    for line in open(unit, encoding="utf-8"):
        key, _, value = line.strip().partition("=")
        if key == "ExecStart":
            argv = value.split()
        elif key == "Environment":
            env.update(kv.split("=", 1) for kv in value.split())
        elif key == "WorkingDirectory":
            cwd = value
        elif key == "UMask":
            umask = int(value, 8)
    return argv, env, cwd, umask


def start_as_unit(unit, log):
    """Starts the ExecStart of @unit as the diemcau user (setpriv), with the
    unit's environment, folder and umask."""
    argv, env, cwd, umask = unit_service(unit)
    setpriv = ["setpriv", "--reuid=diemcau", "--regid=diemcau", "--init-groups", "--no-new-privs", "--"]
    return subprocess.Popen(setpriv + argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                            preexec_fn=lambda: os.umask(umask))


def meeting(tap, source, wd):
    port = demo_config(source, 21000 + (os.getpid() % 100) * 100)
    procs = {}
    for w in ("bridge", "signal"):
        log = open(os.path.join(wd, f"{w}.log"), "w")
        procs[w] = start_as_unit(f"/lib/systemd/system/diemcau-{w}.service", log)
        if w == "bridge":
            time.sleep(0.5)
    logs = lambda: "\n".join(open(os.path.join(wd, f"{w}.log")).read() for w in procs)  # noqa: E731
    if not tap.ok(harness.wait_port(port), "the installed servers start as diemcau with the installed config",
                  logs()):
        return stop(tap, procs, logs)
    rc, out = run(["/usr/bin/diemcau-ctl", "doctor", "--config", CONFIG])
    tap.ok(rc == 0, "diemcau-ctl doctor passes on the installed service", out)
    # With HTTPS due, doctor judges the certificate postinst made.
    https = os.path.join(wd, "https.ini")
    with open(https, "w", encoding="utf-8") as f:
        f.write(re.sub(r"^tls = .*$", "tls = on", open(CONFIG, encoding="utf-8").read(), count=1, flags=re.M))
    rc, out = run(["/usr/bin/diemcau-ctl", "doctor", "--config", https])
    tap.ok(rc == 0 and re.search(r"^ok\s+certificate\s+/var/lib/diemcau/diemcau-signal.crt valid until", out, re.M),
           "with tls = on, doctor finds the installed certificate valid", out)

    # The installed client, through the harness (it runs BUILD/client/diemcau-client).
    fake_build = os.path.join(wd, "installed")
    os.makedirs(os.path.join(fake_build, "client"))
    os.symlink("/usr/bin/diemcau-client", os.path.join(fake_build, "client", "diemcau-client"))
    demo = harness.demo_credentials(os.path.join(source, "config", "hatinh-demo-credentials.ini"))
    clients = {s: harness.Client(fake_build, port, s, demo[s], wd, 15, ["--size", "320x180", "--fps", "15"])
               for s in SITES}
    rcs = {s: c.wait(60) for s, c in clients.items()}
    missing = []
    for s, c in clients.items():
        others = [o for o in SITES if o != s]
        seen = any(all(((st.get("remote") or {}).get(o) or {}).get("audio") and
                       ((st.get("remote") or {}).get(o) or {}).get("fps", 0) > 0 for o in others)
                   for _, st in c.status)
        if not seen:
            missing.append(f"{s}: no STATUS with audio and video from {others}; last "
                           f"{c.status[-1][1] if c.status else None}\n{tail(c.stderr(), 10)}")
    tap.ok(all(rc == 0 for rc in rcs.values()) and not missing,
           "three installed clients exchange audio and video through the installed servers",
           f"{rcs}\n" + "\n".join(missing))
    db = "/var/lib/diemcau/diemcau.db"
    owner = pwd.getpwuid(os.stat(db).st_uid).pw_name if os.path.exists(db) else None
    mode = stat.S_IMODE(os.stat(db).st_mode) if owner else None
    tap.ok(owner == "diemcau" and mode == 0o600, f"the meeting record {db} is written by diemcau, mode 0600",
           f"{owner} {oct(mode or 0)}")
    copy = os.path.join(wd, "backup.db")
    rc, out = run(["/usr/bin/diemcau-ctl", "backup", "--config", CONFIG, copy])
    tap.ok(rc == 0 and os.path.getsize(copy) > 0, "diemcau-ctl backup copies the record while it runs", out)
    return stop(tap, procs, logs)


def stop(tap, procs, logs):
    codes = {}
    for w in ("signal", "bridge"):
        p = procs.get(w)
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            codes[w] = p.wait(15) if p else None
        except subprocess.TimeoutExpired:
            p.kill()
            codes[w] = None
    tap.ok(all(c == 0 for c in codes.values()), "the installed servers stop cleanly", f"{codes}\n{tail(logs())}")


def purge(tap):
    rc, out = run(["apt-get", "purge", "-y", "diemcau"], timeout=300, env=APT_ENV)
    left = [p for p in [f"/usr/bin/{p}" for p in PROGRAMS] + UNITS + MANS +
            ["/etc/diemcau", "/var/lib/diemcau", "/usr/share/diemcau",
             "/etc/systemd/system/multi-user.target.wants/diemcau-signal.service"] if os.path.lexists(p)]
    tap.ok(rc == 0 and not left, "apt-get purge removes the programs, units, config and state", f"{left}\n{tail(out)}")
    try:
        pwd.getpwnam("diemcau")
        kept = True
    except KeyError:
        kept = False
    tap.ok(kept, "the system user diemcau stays after the purge (README.Debian)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--deb", help="install this package instead of building one")
    ap.add_argument("--keep", action="store_true", help="leave the package installed")
    ap.add_argument("--replace-installed", action="store_true",
                    help="purge a diemcau package installed before the test (its config and record too)")
    a = ap.parse_args()
    tap = harness.Tap()
    if os.geteuid() != 0:
        tap.ok(False, "the package test needs root (it installs the package on this machine)")
        return tap.done()
    if run(["dpkg", "-s", "diemcau"])[0] == 0 and not a.replace_installed:
        # Purging would delete that installation's config and meeting record.
        print("ok 1 - # SKIP diemcau is installed on this machine (its record would be purged); "
              "--replace-installed to run anyway", flush=True)
        print("1..1", flush=True)
        return 0
    if run(["dpkg", "-s", "diemcau"])[0] == 0:
        tap.diag("diemcau was installed before this test: purging it first (--replace-installed)")
        run(["apt-get", "purge", "-y", "diemcau"], timeout=300, env=APT_ENV)
    wd = tempfile.mkdtemp(prefix="diemcau-package-")
    tap.diag(f"work dir {wd}")
    deb = os.path.abspath(a.deb) if a.deb else build_package(os.path.abspath(a.source), wd, tap)
    if not deb:
        return tap.done()
    if shutil.which("lintian"):
        rc, out = run(["lintian", deb], timeout=600)
        bad = [line for line in out.splitlines() if line[:2] in ("E:", "W:")]
        tap.ok(not bad, "lintian finds no error or warning in the package", out)
    else:
        tap.diag("no lintian here: the package is not linted")
    rc, out = run(["apt-get", "install", "-y", deb], timeout=600, env=APT_ENV)
    if not tap.ok(rc == 0, "apt-get install ./diemcau_*.deb", tail(out)):
        return tap.done()
    try:
        check_installed(tap, a.source)
        meeting(tap, a.source, wd)
    finally:
        if not a.keep:
            purge(tap)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
