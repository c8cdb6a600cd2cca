// All browser tests in one process, so that node:test prints one flat TAP
// stream (one "ok"/"not ok" line per test). Order matters only for speed.
// tls.test.mjs runs as its own meson test (browser-tls).
import './join.test.mjs';
import './meeting.test.mjs';
import './chair.test.mjs';
import './ice-restart.test.mjs';
