#!/bin/bash
# tests/browser/run.sh BUILD_DIR [FILE.test.mjs]: the browser tests (all of
# suite.mjs, or the one file), TAP on stdout.
#
# Runs Debian's Chromium (playwright-core) against a private meeting of the
# binaries in BUILD_DIR, inside a network namespace of its own with only lo
# up, so that Chromium gathers nothing but loopback candidates. Needs root
# (or unprivileged user namespaces) for the namespace; scripts/setup.sh
# installs chromium and runs `npm ci` here. Missing pieces fail the test with
# a message saying what to run; they never skip it.
#
# Environment: DC_BROWSER_TESTS=FILE.test.mjs runs one file only;
# DC_BROWSER_SECONDS (default 20) is the meeting's length; DC_OUT the folder
# for screenshots and logs (default SOURCE/out).
set -u
here=$(cd "$(dirname "$0")" && pwd)
source_root=$(cd "$here/../.." && pwd)

fail() {
  echo "TAP version 13"
  echo "1..1"
  echo "not ok 1 - browser tests cannot run: $*"
  exit 1
}

[ $# -eq 1 ] || [ $# -eq 2 ] || fail "usage: tests/browser/run.sh BUILD_DIR [FILE.test.mjs]"
build=$(cd "$1" 2>/dev/null && pwd) || fail "no build directory $1"
one="${2:-}"
[ -x /usr/bin/chromium ] || [ -n "${DC_CHROMIUM:-}" ] ||
  fail "/usr/bin/chromium is missing: run scripts/setup.sh (it installs the chromium package)"
[ -f "$here/node_modules/playwright-core/package.json" ] ||
  fail "tests/browser/node_modules is missing: run scripts/setup.sh (npm ci in tests/browser)"
command -v node >/dev/null || fail "node is missing: run scripts/setup.sh"

if [ -z "${DC_BROWSER_NETNS:-}" ]; then
  # A network namespace with only lo: as root, else in a user namespace.
  for opts in "-n" "-r -n"; do
    if unshare $opts true 2>/dev/null; then
      DC_BROWSER_NETNS=1 exec unshare $opts -- "$0" "$build" ${one:+"$one"}
    fi
  done
  fail "cannot create a network namespace (unshare -n): run as root"
fi

ip link set lo up 2>/dev/null || fail "cannot bring lo up in the test's network namespace (ip link set lo up)"

export DC_BUILD_ROOT="$build"
export DC_SOURCE_ROOT="$source_root"
export DC_OUT="${DC_OUT:-$source_root/out}"
# Chromium writes its profile and crash files under HOME.
export HOME="${TMPDIR:-/tmp}/dc-browser-home"
mkdir -p "$HOME" "$DC_OUT"
cd "$here"
entry=suite.mjs
[ -n "${DC_BROWSER_TESTS:-}" ] && entry="$DC_BROWSER_TESTS"
[ -n "$one" ] && entry="$one"
exec node --test-reporter=tap "$entry"
