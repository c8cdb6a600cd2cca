#!/usr/bin/env python3
"""Each manual page renders with man -l and no warning from groff, and has
the sections a reader looks for (NAME, DESCRIPTION, SEE ALSO) and the
program's options. TAP output."""
import os
import subprocess
import sys


def main():
    pages = sys.argv[1:]
    n = failed = 0
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    for page in pages:
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page], env=env,
                           capture_output=True, text=True)
        text = r.stdout
        problems = []
        if r.returncode != 0:
            problems.append(f"man exit {r.returncode}")
        if r.stderr.strip():
            problems.append("warnings:\n" + r.stderr)
        for section in ("NAME", "DESCRIPTION", "SEE ALSO"):
            if f"\n{section}\n" not in "\n" + text:
                problems.append(f"no {section} section")
        if "--help" not in text:
            problems.append("no options")
        if "OPTION?" in text:
            problems.append("--help was read in a non-UTF-8 locale (OPTION?)")
        n += 1
        name = os.path.basename(page)
        if problems:
            failed += 1
            print(f"not ok {n} - {name} renders without warnings")
            for line in "\n".join(problems).splitlines():
                print(f"# {line}")
        else:
            print(f"ok {n} - {name} renders without warnings")
    print(f"1..{n}")
    return 1 if failed or not n else 0


if __name__ == "__main__":
    sys.exit(main())
