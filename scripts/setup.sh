#!/bin/bash
# Installs everything diemcau needs to build, run and test on Debian 12, as root.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential meson ninja-build pkg-config python3 clang lld llvm
  libglib2.0-dev libnice-dev libssl-dev libsrtp2-dev libopus-dev libvpx-dev
  libsoup-3.0-dev libjson-glib-dev libsqlite3-dev libnetfilter-queue-dev
  glib-networking  # GIO's TLS backend: HTTPS and WSS of diemcau-signal
  iproute2 iptables tmux procps
  clang-format  # the style test (tests/check-style.sh)
  help2man man-db  # the man pages and their test
  debhelper lintian python3-yaml openssl  # the packaging suite (tests/packaging)
  chromium
  # The second WebRTC stack of tests/interop (GStreamer webrtcbin from Python):
  # webrtcbin, DTLS/SRTP (bad), its ICE (nice), RTP, VP8 (good), Opus and the
  # test sources (base), and the GObject bindings with GStreamer's and
  # libsoup's typelibs.
  gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-plugins-good
  gstreamer1.0-plugins-base gir1.2-gst-plugins-bad-1.0 gir1.2-gst-plugins-base-1.0
  python3-gi gir1.2-soup-3.0
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm: any installation will do (this image may carry its own).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages and not root; run as root: $0" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Browser tests only: playwright-core drives Debian's chromium.
if [ -f tests/browser/package.json ]; then
  if [ ! -d tests/browser/node_modules/playwright-core ]; then
    echo "setup: installing browser test packages (npm ci)"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "setup: all dependencies present"
