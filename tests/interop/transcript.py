#!/usr/bin/env python3
"""The example transcript of docs/protocol.md (section 12) against real runs.

The transcript is the fenced block right after the line "<!-- transcript -->":
one message a line, "→ {json}" for what the site sends and "← {json}" for
what it receives, in the order the site saw them; "#" lines are comments.
A captured run is what webrtcbin_site.py --transcript writes (JSON lines
{"t", "dir": "send"/"recv", "msg"}).

  transcript.py --check-doc docs/protocol.md
      the transcript parses and keeps the protocol's order: join first; a
      welcome before anything else received; every candidate received after
      an offer; every answer after an offer, never more answers than offers;
      leave last. TAP output.
  transcript.py --check-doc docs/protocol.md --against CAPTURE
      also: what the site receives in the doc is, message type by message
      type (repeats of one type counted once), the start of what it received
      in the captured run, and every message the doc shows has the members
      the real one of that type had (and those of its first nested object).
  transcript.py --render CAPTURE [--until-offers N]
      prints a captured join as transcript lines (SDP and secrets shortened),
      up to the answer of the N-th offer (default 2) and the site's leave."""
import argparse
import json
import sys

MARK = "<!-- transcript -->"


def doc_transcript(path):
    """[(dir, msg)] of the doc's transcript; raises ValueError naming the line."""
    lines = open(path, encoding="utf-8").read().splitlines()
    try:
        start = lines.index(MARK)
    except ValueError:
        raise ValueError(f"{path}: no line {MARK!r}") from None
    if not lines[start + 1].startswith("```"):
        raise ValueError(f"{path}:{start + 2}: a fenced block must follow {MARK}")
    out = []
    for n in range(start + 2, len(lines)):
        line = lines[n]
        if line.startswith("```"):
            return out
        if not line.strip() or line.startswith("#"):
            continue
        arrow, _, text = line.partition(" ")
        if arrow not in ("→", "←"):
            raise ValueError(f"{path}:{n + 1}: a line starts with → or ←: {line[:40]!r}")
        try:
            msg = json.loads(text)
        except ValueError as e:
            raise ValueError(f"{path}:{n + 1}: not JSON: {e}") from None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise ValueError(f"{path}:{n + 1}: not a message with a type")
        out.append(("send" if arrow == "→" else "recv", msg))
    raise ValueError(f"{path}: the transcript's fence is not closed")


def captured(path):
    return [(x["dir"], x["msg"]) for x in map(json.loads, open(path, encoding="utf-8")) if x]


def kind(msg):
    """A message's type, end of candidates told apart."""
    t = msg["type"]
    return "end-of-candidates" if t == "candidate" and msg.get("candidate") == "" else t


def collapsed(msgs, direction):
    """The message types of one direction, repeats counted once; the
    keepalive (ping, pong, sent every 10 s whatever happens) left out."""
    out = []
    for d, m in msgs:
        k = kind(m)
        if k in ("ping", "pong"):
            continue
        if d == direction and (not out or out[-1] != k):
            out.append(k)
    return out


def order_problems(msgs):
    """The protocol's order rules broken by msgs, as strings."""
    bad = []
    if not msgs or msgs[0][0] != "send" or msgs[0][1]["type"] != "join":
        bad.append("the first message is not the site's join")
    recv = [m for d, m in msgs if d == "recv"]
    if recv and recv[0]["type"] != "welcome":
        bad.append(f"the first message received is {recv[0]['type']}, not welcome")
    offers = answers = 0
    for d, m in msgs:
        t = m["type"]
        if d == "recv" and t == "offer":
            offers += 1
        elif d == "recv" and t == "candidate" and offers == 0:
            bad.append("a candidate is received before any offer")
        elif d == "send" and t == "answer":
            answers += 1
            if answers > offers:
                bad.append("an answer is sent before its offer")
    if offers == 0 or answers == 0:
        bad.append("no offer answered")
    if msgs and (msgs[-1][0], msgs[-1][1]["type"]) != ("send", "leave"):
        bad.append("the site's leave is not last")
    return bad


def shape(msg):
    """Member names, and those of the first object in each list member."""
    out = {"": sorted(msg)}
    for k, v in msg.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            out[k] = sorted(v[0])
        elif isinstance(v, dict):
            out[k] = sorted(v)
    return out


def against_problems(doc, real):
    bad = []
    d_recv, r_recv = collapsed(doc, "recv"), collapsed(real, "recv")
    if r_recv[:len(d_recv)] != d_recv:
        bad.append(f"received, the doc: {d_recv}\n  a real run: {r_recv[:len(d_recv) + 3]}")
    first_real = {}
    for d, m in real:
        first_real.setdefault((d, kind(m)), m)
    for d, m in doc:
        r = first_real.get((d, kind(m)))
        if r is None:
            bad.append(f"the doc shows a {d} {kind(m)} that the real run has not")
        elif shape(r) != shape(m):
            bad.append(f"{d} {kind(m)}: the doc's members {shape(m)}\n  the real ones {shape(r)}")
    return bad


def short(msg):
    """msg for the doc: SDP cut to its first lines, secrets and ids elided."""
    m = dict(msg)
    if m.get("type") == "join":
        m["credential"] = "…"
    if isinstance(m.get("sdp"), str):
        lines = m["sdp"].split("\r\n")
        m["sdp"] = "\r\n".join(lines[:2]) + "\r\n…"
    if m.get("type") == "welcome":
        m["session"] = "…"
        m["roster"] = m.get("roster", [])[:1]
    if m.get("type") == "roster":
        m["sites"] = [e for e in m["sites"] if e.get("present")]
    return m


def render(path, until_offers):
    msgs = captured(path)
    out, offers, answers = [], 0, 0
    for d, m in msgs:
        if m["type"] in ("ping", "pong"):
            continue
        if d == "recv" and m["type"] == "offer":
            offers += 1
            if offers > until_offers:
                break
        out.append(("→ " if d == "send" else "← ") + json.dumps(short(m), ensure_ascii=False))
        if d == "send" and m["type"] == "answer":
            answers += 1
            if answers == until_offers:
                break
    out.append("→ " + json.dumps({"type": "leave"}))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check-doc")
    ap.add_argument("--against")
    ap.add_argument("--render")
    ap.add_argument("--until-offers", type=int, default=2)
    a = ap.parse_args()
    if a.render:
        print(render(a.render, a.until_offers))
        return 0
    n = failed = 0

    def ok(cond, desc, detail=""):
        nonlocal n, failed
        n += 1
        failed += not cond
        print(f"{'ok' if cond else 'not ok'} {n} - {desc}")
        if not cond and detail:
            for line in str(detail).splitlines():
                print(f"# {line}")

    try:
        doc = doc_transcript(a.check_doc)
        ok(True, f"the transcript of {a.check_doc} parses ({len(doc)} messages)")
    except (OSError, ValueError) as e:
        ok(False, "the transcript parses", e)
        print(f"1..{n}")
        return 1
    bad = order_problems(doc)
    ok(not bad, "the transcript keeps the protocol's order", "\n".join(bad))
    if a.against:
        bad = against_problems(doc, captured(a.against))
        ok(not bad, "the transcript's order and members are those of a real run", "\n".join(bad))
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
