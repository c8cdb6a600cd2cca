#!/usr/bin/env python3
"""A site's signaling connection dies silently while its media flows (issue 8,
"the province's network is not a lab"): a NAT or firewall forgets the TCP
mapping, nobody is told, and only the application-level keepalive
(docs/protocol.md, "ping") can notice.

Two sites, each diemcau-client in its own network namespace on a test LAN
(tests/system/netem.py). Once they see each other, SILENT's namespace drops
every packet of its open signaling connection (iptables on that TCP 4-tuple,
both ways; new connections and the media, on UDP, pass). Right after, a
third site joins: the bridge's new offer for SILENT goes into the dead
connection. SILENT runs with --signal-timeout LIMIT_S.

Checks: SILENT notices within LIMIT_S + one ping interval + 2 s and resumes
the same session on a new connection (the service's log says "resumed");
it does not ask for an ICE restart (its media path was fine) and does not
join again; the offer it missed is replayed on the new connection, so it
decodes the third site's video; the other site decodes SILENT's video all
along (no gap); the receivers' view of SILENT's stream is continuous.
Needs root; as another user it fails."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netem  # noqa: E402
from lan_meeting import recovered_at, run, sees  # noqa: E402

SITES = ["tinh", "can-loc"]
SILENT = "can-loc"
LATE = "duc-tho"
LIMIT_S = 4


def signal_port_of(m, site):
    """The local TCP port of site's open connection to the signaling port."""
    out = netem.run(*m.ns[site].prefix(), "ss", "-Htn", "state", "established",
                    "dst", f"{m.lan.addr}:{m.port}", check=False).stdout
    ports = [int(line.split()[2].rsplit(":", 1)[1]) for line in out.splitlines() if line.split()]
    return ports


def scenario(m):
    tap = m.tap
    if not m.start(SITES, 90, before="the signaling connection dies",
                   extra={SILENT: ["--signal-timeout", str(LIMIT_S)]}):
        return
    ports = signal_port_of(m, SILENT)
    if not tap.ok(len(ports) == 1, f"{SILENT} has one signaling connection ({ports})"):
        return
    lp = ports[0]
    rules = [("OUTPUT", "-p", "tcp", "--sport", str(lp), "--dport", str(m.port)),
             ("INPUT", "-p", "tcp", "--sport", str(m.port), "--dport", str(lp))]
    added = []

    def lift():
        for r in list(added):
            m.ns[SILENT].iptables("-D", r[0], *r[1:], "-j", "DROP")
            added.remove(r)
    m.cleanups.append(lift)
    t_cut = time.time()
    for r in rules:
        m.ns[SILENT].iptables("-I", r[0], "1", *r[1:], "-j", "DROP")
        added.append(r)
    tap.diag(f"{SILENT}'s signaling connection (port {lp}) black-holed")

    # A site joins while SILENT cannot hear about it.
    time.sleep(0.5)
    m.add_client(LATE, 60)

    # SILENT notices and resumes (bounded).
    limit = LIMIT_S + LIMIT_S * 0.4 + 2.0
    t_resumed = None
    end = time.time() + limit + 10
    while time.time() < end:
        if re.search(rf"site={SILENT} session=\S+ resumed from", m.servers.log("signal")):
            t_resumed = time.time()
            break
        time.sleep(0.1)
    clog = m.clients[SILENT].stderr()
    took = None if t_resumed is None else t_resumed - t_cut
    m.timed(took is not None and took <= limit,
            f"{SILENT} resumed its session on a new connection {took and round(took, 2)} s after its "
            f"connection went silent (limit {limit:.1f} s)",
            clog[-2000:] + m.servers.log("signal")[-2000:])
    tap.ok("nothing from the signaling service" in clog and "resuming session" in clog,
           f"{SILENT}'s client says why it resumed", clog[-2000:])

    # The missed offer came again: SILENT decodes the late site, and the
    # late site decodes SILENT.
    end = time.time() + 30
    while time.time() < end and not (sees(m.clients[SILENT], LATE) and sees(m.clients[LATE], SILENT)):
        time.sleep(0.25)
    tap.ok(sees(m.clients[SILENT], LATE), f"{SILENT} decodes {LATE}, who joined while it was cut off",
           [s for _, s in m.clients[SILENT].status[-4:]])
    tap.ok(sees(m.clients[LATE], SILENT), f"{LATE} decodes {SILENT}",
           [s for _, s in m.clients[LATE].status[-4:]])

    # The media path was never touched.
    clog = m.clients[SILENT].stderr()
    tap.ok("asking for an ICE restart" not in clog and "joined the meeting again" not in clog
           and "lost the signaling connection" not in clog,
           f"{SILENT} neither restarted ICE nor joined again (its media path was fine)", clog[-2000:])
    tap.ok(recovered_at(m.clients["tinh"], SILENT, t_cut) is None and sees(m.clients["tinh"], SILENT),
           f"tinh decoded {SILENT}'s video throughout (no gap of 1 s or more)",
           [s for _, s in m.clients["tinh"].status[-6:]])
    lift()
    m.stop_clients()
    m.check_continuity(["tinh"], SILENT)


if __name__ == "__main__":
    sys.exit(run("signal-silence", "network namespaces, veth, iptables", scenario))
