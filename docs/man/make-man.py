#!/usr/bin/env python3
"""help2man ARGS... --output=FILE, then one fix to FILE: a program that
never calls setlocale() gets GLib's "[OPTION?]" (its "…" in ASCII) in
its usage line; the page says "[OPTION...]"."""
import subprocess
import sys

out = next(a.split("=", 1)[1] for a in sys.argv[2:] if a.startswith("--output="))
subprocess.run(sys.argv[1:], check=True)
with open(out, encoding="utf-8") as f:
    text = f.read()
with open(out, "w", encoding="utf-8") as f:
    f.write(text.replace("[OPTION?]", "[OPTION...]"))
