#!/bin/bash
# Runs a whole diemcau meeting on this machine on the default config
# (config/hatinh.ini): the signaling service, the bridge, and all 14 sites as
# C clients, with a live one-line-per-site summary. Ctrl-C stops everything.
#
#   scripts/meeting.sh [--config FILE] [--credentials FILE] [--servers-only]
#                      [--duration SEC]
# --credentials: the sites' secrets (default: the demo file
# config/hatinh-demo-credentials.ini; the config keeps only hashes).
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1

config=config/hatinh.ini
credentials=config/hatinh-demo-credentials.ini
servers_only=0
duration=0
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --credentials) credentials="$2"; shift 2 ;;
    --servers-only) servers_only=1; shift ;;
    --duration) duration="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "meeting: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null || exit 1
fi
programs=(signaling/diemcau-signal bridge/diemcau-bridge client/diemcau-client ctl/diemcau-ctl)
ninja -C build "${programs[@]}" >/dev/null || { ninja -C build "${programs[@]}"; exit 1; }
exec python3 scripts/meeting.py --config "$config" --credentials "$credentials" --servers-only "$servers_only" --duration "$duration"
