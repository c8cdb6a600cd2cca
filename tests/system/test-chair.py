#!/usr/bin/env python3
"""The chair hosts a small meeting over real processes (issue 6):
diemcau-signal with [meeting] lobby = true, diemcau-bridge, three C clients
(districts) and the chair played over WebSocket from Python (chair_ws.py).

Checks: districts wait in the lobby (no media) until the chair opens; a
district's chair commands are refused with not-chair and change nothing;
the chair mutes a district's audio and the bridge enforces it (that client
runs with --ignore-mute and keeps sending: the other clients' STATUS shows
its audio stop while its video goes on); giving it the floor unmutes it and
is announced; taking the floor back mutes it again. diemcau-signal is then
killed with SIGKILL mid-meeting and restarted: the meeting continues (same
record, mute restored), the chair ends it, every client exits 0, and the
SQLite record holds every event from before and after, with no duplicates."""
import argparse
import json
import os
import subprocess
import re
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import chair_ws  # noqa: E402

DISTRICTS = ["tp-ha-tinh", "can-loc", "duc-tho"]
MUTED = "can-loc"
CHAIR_COMMANDS = [
    {"type": "open"}, {"type": "lock", "locked": True}, {"type": "end"},
    {"type": "mute", "site": "duc-tho", "audio": True}, {"type": "floor", "site": "ky-anh"},
    {"type": "floor", "site": None}, {"type": "remove", "site": "duc-tho"},
    {"type": "allow", "site": "duc-tho"},
]


def wait_until(pred, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def last_status(c):
    return c.status[-1][1] if c.status else {}


def hears(c, site):
    """(audio, fps) of site in c's newest STATUS."""
    r = (last_status(c).get("remote") or {}).get(site) or {}
    return r.get("audio", False), r.get("fps", 0)


def events(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, meeting_id, t_us, kind, site, actor, detail FROM events ORDER BY id").fetchall()
    finally:
        con.close()


def chair_join(port, cred):
    ws = chair_ws.join(port, "tinh", cred, "chair")
    w = ws.take("welcome", 10)
    return ws, w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--sanitized", action="store_true")
    a = ap.parse_args()
    tap = harness.Tap()
    wd = harness.workdir("chair")
    tap.diag(f"work dir {wd}")
    config, port = harness.private_config(a.source, wd)
    text = open(config, encoding="utf-8").read()
    text, n = re.subn(r"^lobby = .*$", "lobby = true", text, count=1, flags=re.M)
    assert n == 1
    open(config, "w", encoding="utf-8").write(text)
    db = os.path.join(wd, "diemcau.db")
    creds = {s[0]: s[3] for s in harness.read_sites(config)}
    servers = harness.Servers(a.build, config, port, wd)
    if not tap.ok(servers.start(), "diemcau-signal and diemcau-bridge start", servers.log("signal")):
        servers.stop()
        return tap.done()
    slow = 3.0 if a.sanitized else 1.0
    media = ["--size", "320x180", "--fps", "15"]
    clients = {}
    socks = []
    try:
        chair, w = chair_join(port, creds["tinh"])
        socks.append(chair)
        tap.ok(w and w.get("meeting_state") == "lobby", "the chair joins; the meeting is in the lobby", w)
        for sid in DISTRICTS:
            extra = media + (["--ignore-mute"] if sid == MUTED else [])
            clients[sid] = harness.Client(a.build, port, sid, creds[sid], wd, 120, extra)

        # Lobby: every district waits, nothing flows.
        r = wait_until(lambda: (lambda m: m if m and all(
            e["waiting"] for e in m["sites"] if e["id"] in DISTRICTS) else None)(chair.latest("roster")), 10 * slow)
        tap.ok(r is not None, "the three districts wait in the lobby (roster: waiting)")
        time.sleep(1.5)
        lobby_ok = all(last_status(c).get("meeting_state") == "lobby" and not any(
            (v or {}).get("fps", 0) > 0 for v in (last_status(c).get("remote") or {}).values())
            for c in clients.values())
        tap.ok(lobby_ok, "each client is told it waits in the lobby and receives no media",
               {s: last_status(c) for s, c in clients.items()})

        # A district's chair commands are refused; nothing changes.
        dist = chair_ws.join(port, "ky-anh", creds["ky-anh"])
        socks.append(dist)
        dist.take("welcome", 5)
        chair.latest("roster")
        codes = []
        for cmd in CHAIR_COMMANDS:
            dist.send(cmd)
            e = dist.take("error", 5)
            codes.append((e or {}).get("code"))
        r_after = chair.latest("roster", 0.5)
        tap.ok(all(c == "not-chair" for c in codes) and (r_after is None or r_after["meeting_state"] == "lobby"),
               "every chair command from a district is refused with not-chair and changes nothing", codes)

        # The chair opens: media flows between the districts.
        chair.send({"type": "open"})
        flowing = wait_until(lambda: all(hears(clients[rx], tx)[0] and hears(clients[rx], tx)[1] > 0
                                         for rx in DISTRICTS for tx in DISTRICTS if rx != tx), 15 * slow)
        tap.ok(flowing, "after open, every district hears and sees the others",
               {s: last_status(c) for s, c in clients.items()})

        # Mute can-loc's audio: the bridge stops it (the client keeps sending).
        chair.send({"type": "mute", "site": MUTED, "audio": True})
        others = [s for s in DISTRICTS if s != MUTED]

        def muted_seen():
            return all(not hears(clients[rx], MUTED)[0] and hears(clients[rx], MUTED)[1] > 0 for rx in others)
        ok = wait_until(muted_seen, 6 * slow)
        time.sleep(1.2)
        tap.ok(ok and muted_seen(), f"muted by the chair: {MUTED}'s audio stops at every other site, its video goes on",
               {s: last_status(clients[s]) for s in others})
        st = last_status(clients[MUTED])
        tap.ok((st.get("muted_by_chair") or {}).get("audio") is True, f"{MUTED} is told it is muted by the chair", st)
        dist.send({"type": "hand", "raised": True})
        r = wait_until(lambda: (lambda m: m if m and m.get("hands") == ["ky-anh"] else None)(chair.latest("roster")),
                       5)
        tap.ok(r is not None, "a raised hand shows in the chair's queue")

        # The floor unmutes it; taking it back mutes it again.
        chair.send({"type": "floor", "site": MUTED})
        fl = dist.take("floor", 5)
        tap.ok(fl and fl.get("site") == MUTED, "the floor is announced to every site", fl)
        ok = wait_until(lambda: all(hears(clients[rx], MUTED)[0] for rx in others), 6 * slow)
        tap.ok(ok, f"with the floor, {MUTED} is heard again")
        time.sleep(1.0)
        chair.send({"type": "floor", "site": None})
        ok = wait_until(muted_seen, 6 * slow)
        tap.ok(ok, "taking the floor back restores the chair's mute")
        before = events(db)

        # diemcau-signal dies (SIGKILL) and comes back: the meeting goes on.
        servers.procs["signal"].kill()
        servers.procs["signal"].wait()
        for s in socks:
            s.close()
        time.sleep(1.0)
        servers.start(("signal",))
        chair, w = chair_join(port, creds["tinh"])
        socks = [chair]
        site = {e["id"]: e for e in (w or {}).get("roster", [])}
        tap.ok(w and w.get("meeting_state") == "open" and site.get(MUTED, {}).get("audio_muted") is True,
               "a restarted diemcau-signal continues the meeting (open, the mute restored)", w)
        rejoined = wait_until(lambda: (lambda m: m if m and all(
            e["state"] == "connected" for e in m["sites"] if e["id"] in DISTRICTS) else None)(chair.latest("roster")),
            20 * slow)
        t_back = time.time() + 1.0
        time.sleep(1.0)

        def fresh(c):
            return c.status and c.status[-1][0] > t_back

        back = rejoined and wait_until(
            lambda: all(fresh(c) for c in clients.values()) and all(
                hears(clients[rx], tx)[1] > 0 for rx in DISTRICTS for tx in DISTRICTS if rx != tx) and all(
                hears(clients[rx], "tp-ha-tinh")[0] for rx in others if rx != "tp-ha-tinh"), 20 * slow)
        tap.ok(back, "the districts reconnect and media flows again", {s: last_status(c) for s, c in clients.items()})
        tap.ok(not any(hears(clients[rx], MUTED)[0] for rx in others), f"{MUTED} stays muted after the restart",
               {s: last_status(clients[s]) for s in others})

        chair.send({"type": "end"})
        ended = chair.take("ended", 5)
        tap.ok(ended is not None, "the chair ends the meeting")
        rcs = {s: c.wait(20) for s, c in clients.items()}
        tap.ok(all(v == 0 for v in rcs.values()), "every client leaves on 'ended' and exits 0",
               "\n".join(f"{s}: {v} {clients[s].stderr()[-800:]}" for s, v in rcs.items()))
        reps = {s: c.report() for s, c in clients.items()}
        kinds = {s: [e["message"]["type"] for e in (r or {}).get("chair_events", [])] for s, r in reps.items()}
        tap.ok(all("ended" in k and "floor" in k for k in kinds.values()) and "muted" in kinds[MUTED],
               "the clients' reports list the chair's events", kinds)

        check_record(tap, db, before)
        check_report(tap, a.build, db)
    finally:
        for s in socks:
            s.close()
        for c in clients.values():
            if c.proc.poll() is None:
                c.proc.kill()
        servers.stop_ok(tap, "the servers stop cleanly")
    return tap.done()


def check_record(tap, db, before):
    after = events(db)
    ids = [e[0] for e in after]
    tap.ok(len(ids) == len(set(ids)) and set(before) <= set(after),
           f"the record keeps every event from before the kill ({len(before)}) among {len(after)}")
    con = sqlite3.connect(db)
    meetings = con.execute("SELECT id, started_us, opened_us, ended_us FROM meetings").fetchall()
    quality = con.execute("SELECT COUNT(*) FROM quality").fetchone()[0]
    con.close()
    tap.ok(len(meetings) == 1 and meetings[0][3], "one meeting, started, opened and ended", meetings)
    mid = meetings[0][0]
    ev = [e for e in after if e[1] == mid]
    joins = [e[4] for e in ev if e[3] == "join"]
    leaves = [e[4] for e in ev if e[3] == "leave"]
    dup = {s for s in joins if joins.count(s) > 1}
    tap.ok(not dup and set(DISTRICTS) <= set(joins), "each site's join is recorded once (none again after the restart)",
           joins)
    tap.ok(sorted(leaves) == sorted(joins), "each join has its leave", (joins, leaves))
    cmds = [json_op(e[6]) for e in ev if e[3] == "command"]
    tap.ok(cmds == ["open", "mute", "floor", "floor", "end"], "every chair command is recorded once, in order", cmds)
    refused = [e for e in ev if e[3] == "refused"]
    tap.ok(len(refused) == len(CHAIR_COMMANDS), "the refused district commands are recorded", len(refused))
    fl = [(e[3], e[4]) for e in ev if e[3].startswith("floor-")]
    tap.ok(fl == [("floor-start", MUTED), ("floor-end", MUTED)], "who had the floor, and for how long", fl)
    kinds = [e[3] for e in ev]
    tap.ok(kinds.count("service-restart") == 1 and kinds[-1] == "meeting-end" and kinds.count("meeting-start") == 1,
           "the restart is noted once; the meeting starts and ends once", kinds)
    tap.ok(quality > 0, f"quality samples are stored ({quality})")


def ctl_report(build, db, *args):
    """diemcau-ctl report on the record: (exit status, stdout, stderr)."""
    p = subprocess.run([os.path.join(build, "ctl", "diemcau-ctl"), "report", "--db", db, *args],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def check_report(tap, build, db):
    """The technician's report of this meeting (diemcau-ctl report): the
    JSON, the text and the self-contained HTML page say what the record
    holds; a meeting that was never ended runs to its last record, not to
    the reader's clock."""
    rc, out, err = ctl_report(build, db, "--json")
    try:
        rep = json.loads(out)
    except ValueError:
        rep = None
    if not tap.ok(rc == 0 and rep is not None, "diemcau-ctl report --json reads the record", err[-1500:]):
        return
    m = rep["meeting"]
    att = {a["site"]: a for a in rep["attendance"]}
    tap.ok(m["state"] == "ended" and m["duration_s"] > 0 and len(att) == 14
           and all(att[s]["joins"] == 1 and att[s]["present_s"] > 0 for s in DISTRICTS)
           and att.get("vu-quang", {}).get("joins", 0) == 0,
           "the report: the meeting ended, 14 sites listed, each district present once, an absent one absent",
           json.dumps({"meeting": m, "attendance": rep["attendance"]}, ensure_ascii=False)[:1500])
    fl = rep.get("floor") or []
    tap.ok(len(fl) == 1 and fl[0]["site"] == MUTED and fl[0]["seconds"] > 0,
           f"the report: {MUTED} had the floor, for how long", fl)
    kinds = [e["kind"] for e in rep["timeline"]]
    tap.ok(kinds.count("refused") == len(CHAIR_COMMANDS) and "service-restart" in kinds
           and kinds[-1] == "meeting-end", "the report's timeline: refusals, the restart, the end", kinds)
    rc, text, err = ctl_report(build, db)
    name = att[MUTED]["name"]
    tap.ok(rc == 0 and "Attendance" in text and "The floor" in text and name in text and "ended -" not in text,
           "diemcau-ctl report prints the attendance and the floor as text", text[:1500] + err[-500:])
    html_path = db + ".html"
    rc, _, err = ctl_report(build, db, "--html", html_path)
    html = open(html_path, encoding="utf-8").read() if rc == 0 and os.path.exists(html_path) else ""
    tap.ok("<svg" in html and name in html and not re.search(r"(src|href)=['\"]?https?:", html),
           "diemcau-ctl report --html writes a self-contained page with the quality plot", err[-800:])

    # The same meeting as if the chair had never ended it: it lasts until
    # its last record, however late the report is read.
    open_db = db + ".open"
    src = sqlite3.connect(db)
    con = sqlite3.connect(open_db)
    src.backup(con)  # the service's writes may still be in its WAL
    src.close()
    # ... and as if it had been an hour ago.
    hour = 3600 * 1000000
    con.execute("UPDATE meetings SET ended_us = NULL, state = 'open', started_us = started_us - ?, "
                "opened_us = opened_us - ?", (hour, hour))
    con.execute("DELETE FROM events WHERE kind IN ('meeting-end', 'leave')")
    con.execute("UPDATE events SET t_us = t_us - ?", (hour,))
    con.execute("UPDATE quality SET t_us = t_us - ?", (hour,))
    started, last = con.execute(
        "SELECT m.started_us, MAX(t) FROM meetings m, (SELECT t_us AS t FROM events UNION ALL "
        "SELECT t_us FROM quality)").fetchone()
    con.commit()
    con.close()
    rc, out, err = ctl_report(build, open_db, "--json")
    rep = json.loads(out) if rc == 0 else {}
    d = (rep.get("meeting") or {}).get("duration_s")
    tap.ok(d is not None and abs(d - (last - started) / 1e6) < 0.2,
           f"a meeting not ended lasts until its last record ({d} s, record {(last - started) / 1e6:.1f} s)",
           err[-800:])


def json_op(detail):
    import json
    try:
        return json.loads(detail).get("op")
    except (TypeError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
