#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json files.

A TAP test contributes each of its "ok"/"not ok" lines; any other test counts
as one case, passed or failed by its exit status. Prints per-build totals and
the grand total; exit status 1 if anything failed or nothing ran. Each failed
case is listed with the first diagnostic ("# ...") lines that follow it, so
that the end of a CI log alone says what went wrong."""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
DETAIL_LINES = 8

def count(path):
    passed = failed = 0
    failures = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            t = json.loads(line)
            name = t.get("name", "?")
            result = t.get("result", "")
            out = t.get("stdout", "") or ""
            p = fl = 0
            if True:  # meson does not record the protocol; TAP lines speak for themselves
                lines = out.splitlines()
                for i, l in enumerate(lines):
                    m = TAP_LINE.match(l.strip())
                    if not m:
                        continue
                    if m.group(1) == "ok":
                        p += 1
                    elif "# TODO" not in m.group(2):
                        fl += 1
                        detail = []
                        for d in lines[i + 1:]:
                            if not d.startswith("#") or len(detail) == DETAIL_LINES:
                                break
                            detail.append(d[:200])
                        failures.append(f"{name}: {l.strip()}" + "".join(f"\n      {d}" for d in detail))
            if p == 0 and fl == 0:
                if result in ("OK", "EXPECTEDFAIL", "SKIP"):
                    p = 1
                else:
                    fl = 1
            elif result not in ("OK", "EXPECTEDFAIL", "SKIP") and fl == 0:
                # Crashed or timed out after its last reported case.
                fl = 1
                failures.append(f"{name}: {result}")
            if result not in ("OK", "EXPECTEDFAIL", "SKIP") and not any(x.startswith(name + ":") for x in failures):
                failures.append(f"{name}: {result}")
            passed += p
            failed += fl
    return passed, failed, failures

def main():
    tp = tf = 0
    for path in sys.argv[1:]:
        p, f, fails = count(path)
        print(f"{path}: {p} passed, {f} failed", file=sys.stderr)
        for x in fails:
            print(f"  FAILED {x}", file=sys.stderr)
        tp += p
        tf += f
    print(f"{tp} passed, {tf} failed")
    sys.exit(1 if tf or tp == 0 else 0)

if __name__ == "__main__":
    main()
