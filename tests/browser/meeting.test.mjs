// Browsers and C clients in one meeting through the real bridge: two
// Chromium sites (the chair and a district) and three diemcau-client sites.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import * as L from './lib.mjs';

// DC_BROWSER_NO_CLIENTS=1 (by hand only, while diemcau-client is broken):
// the C client sites become browser sites and the C client test is skipped.
const NO_CLIENTS = process.env.DC_BROWSER_NO_CLIENTS === '1';
const BROWSERS = NO_CLIENTS ? ['tinh', 'duc-tho', 'tp-ha-tinh'] : ['tinh', 'duc-tho'];
const CLIENTS = NO_CLIENTS ? [] : ['tp-ha-tinh', 'huong-khe', 'vu-quang'];
const ALL = [...BROWSERS, ...CLIENTS];
const SECONDS = Number(process.env.DC_BROWSER_SECONDS || 20);
const RELOADED = 'duc-tho';
const REJOIN_MS = 5000;

const creds = L.credentials();
let m = null;
let browser = null;
const page = {}; // site → playwright page
const clients = {}; // site → child process

before(async () => {
  for (const b of NO_CLIENTS ? ['signal', 'bridge'] : ['signal', 'bridge', 'client']) {
    if (!L.exists(L.BIN[b])) {
      throw new Error(`${L.BIN[b]} is not built: the browser meeting test needs diemcau-signal, ` +
        'diemcau-bridge and diemcau-client');
    }
  }
  m = await L.startMeeting('meeting');
  browser = await L.launchBrowser();
});

after(async () => {
  for (const [site, p] of Object.entries(page)) L.writeConsole(p, `meeting-${site}`);
  if (browser) await browser.close();
  if (m) await m.stop();
});

const stats = (p) => p.evaluate(() => window.diemcau.stats());
const state = (p) => p.evaluate(() => window.diemcau.state());

/** Every other site decodes at @p: {site: stats} or null. */
async function allDecoding(p, self) {
  const s = await stats(p);
  for (const site of ALL) {
    if (site === self) continue;
    const x = s[site];
    if (!x || !(x.framesDecoded > 0) || !(x.totalSamplesReceived > 0)) return null;
  }
  return s;
}

/** The page's selected ICE pair, from RTCPeerConnection.getStats(). */
const transport = (p) => p.evaluate(async () => (await window.diemcau.fullStats()).transport);

/** The bridge's candidates reach the page after its offer and are applied:
 * the selected pair's remote candidate is the bridge's host candidate, not
 * one the page only discovered from the bridge's checks (prflx). */
async function assertBridgeHostCandidate(site) {
  const t = await transport(page[site]);
  assert.equal(t.remoteCandidateType, 'host', `${site}: selected pair ${JSON.stringify(t)}`);
}

async function describe(p) {
  return JSON.stringify({ state: await state(p), stats: await stats(p) });
}

test('two browsers and three C clients: every browser decodes video and audio from every other site for 20 s', { timeout: 120000 }, async () => {
  for (const site of BROWSERS) page[site] = await L.openSite(browser, m, site, creds[site]);
  for (const site of CLIENTS) {
    clients[site] = L.startClient(m, site, [
      '--signal', `${m.url.replace('http:', 'ws:')}ws`, '--site', site,
      '--credential', creds[site], '--size', '320x180', '--fps', '15', '--status',
      '--duration', String(SECONDS + 60),
    ]);
  }
  for (const site of BROWSERS) {
    try {
      await L.waitFor(`${site} to decode every other site`, () => allDecoding(page[site], site), 20000, 250);
    } catch (e) {
      throw new Error(`${e.message}\n${site}: ${await describe(page[site])}`);
    }
  }
  const start = {};
  for (const site of BROWSERS) start[site] = await stats(page[site]);
  // Every 5 s everything must still grow, not only over the whole run.
  let prev = start;
  for (let t = 0; t < SECONDS; t += 5) {
    await L.sleep(5000);
    const now = {};
    for (const site of BROWSERS) now[site] = await stats(page[site]);
    for (const site of BROWSERS) {
      for (const from of ALL.filter((x) => x !== site)) {
        const a = prev[site][from];
        const b = now[site][from];
        assert.ok(b, `${site} lost the stream of ${from}`);
        assert.ok(b.framesDecoded > a.framesDecoded, `${site}: video of ${from} stalled (${a.framesDecoded} → ${b.framesDecoded})`);
        assert.ok(b.totalSamplesReceived > a.totalSamplesReceived, `${site}: audio of ${from} stalled`);
      }
    }
    prev = now;
  }
  for (const site of BROWSERS) {
    for (const from of ALL.filter((x) => x !== site)) {
      const a = start[site][from];
      const b = prev[site][from];
      const frames = b.framesDecoded - a.framesDecoded;
      const samples = b.totalSamplesReceived - a.totalSamplesReceived;
      const received = b.packetsReceived - a.packetsReceived;
      const lost = b.packetsLost - a.packetsLost;
      const what = `${site} ← ${from}: ${frames} frames, ${samples} samples, ${lost}/${received} packets lost, jitter ${b.jitter}`;
      // Clients send 15 frames/s, Chromium's fake camera 30: ask for 5.
      assert.ok(frames >= 5 * SECONDS, `too few frames decoded: ${what}`);
      // 48 kHz audio: at least half of it.
      assert.ok(samples >= 24000 * SECONDS, `too few audio samples: ${what}`);
      assert.ok(lost <= Math.max(5, received * 0.01), `packet loss over 1 %: ${what}`);
      assert.ok(b.jitter < 0.1, `jitter over 100 ms: ${what}`);
    }
  }
});

test('every browser\'s selected pair has the bridge\'s host candidate as its remote one', async () => {
  for (const site of BROWSERS) await assertBridgeHostCandidate(site);
  console.log(`# selected pair at ${BROWSERS[0]}: ${JSON.stringify(await transport(page[BROWSERS[0]]))}`);
});

test('screenshots of the meeting view and of the chair\'s view (out/screenshots/)', { timeout: 60000 }, async () => {
  const files = [];
  for (const site of BROWSERS) {
    const p = page[site];
    await L.waitFor(`every tile at ${site} to show video`, async () => {
      const n = await p.locator('.tile.has-video').count();
      return n === ALL.length - 1;
    }, 10000);
    await L.sleep(1500); // link figures filled in
    files.push(await L.screenshot(p, site === 'tinh' ? 'chair-view' : 'meeting-view'));
  }
  // The chair's view on a laptop screen.
  const chair = page.tinh;
  await chair.setViewportSize({ width: 1366, height: 768 });
  await L.sleep(800);
  files.push(await L.screenshot(chair, 'chair-view-laptop'));
  await chair.setViewportSize({ width: 1920, height: 1080 });
  for (const f of files) assert.ok(fs.statSync(f).size > 10000, `${f} is suspiciously small`);
  const names = await chair.$$eval('.tile .name', (els) => els.map((e) => e.textContent));
  const expected = await chair.evaluate((ids) => window.diemcau.state().roster
    .filter((e) => ids.includes(e.id)).map((e) => e.name), ALL.filter((x) => x !== 'tinh'));
  assert.deepEqual(names.sort(), expected.sort());
  assert.ok(names.includes('Huyện Đức Thọ'), names.join(', '));
});

test('a browser that reloads rejoins and sees the meeting again, and the others see it again, within 5 s', { timeout: 60000 }, async () => {
  const p = page[RELOADED];
  const watchers = BROWSERS.filter((s) => s !== RELOADED);
  const before = {};
  for (const w of watchers) before[w] = (await stats(page[w]))[RELOADED].framesDecoded;
  const clientLines = {};
  for (const c of CLIENTS) clientLines[c] = clients[c].text.length;
  const t0 = Date.now();
  await p.reload({ waitUntil: 'commit' });
  // The reloaded page: in the meeting again, every other site decoding.
  await L.waitFor(`${RELOADED} to see every other site again`, () => allDecoding(p, RELOADED), REJOIN_MS, 100)
    .catch(async (e) => { throw new Error(`${e.message}\n${await describe(p)}`); });
  const seen = Date.now() - t0;
  const s = await state(p);
  assert.equal(s.site, RELOADED);
  assert.equal(s.phase, 'meeting');
  // The other browsers: its video stalls (the old page is gone) and resumes.
  for (const w of watchers) {
    await L.waitFor(`${w} to see ${RELOADED} again`, async () => {
      const x = (await stats(page[w]))[RELOADED];
      return x && x.framesDecoded > before[w] + 15 && (await state(page[w])).remoteSites.includes(RELOADED);
    }, Math.max(500, REJOIN_MS - (Date.now() - t0)), 100);
  }
  // The C clients: a STATUS line after the reload with frames from it.
  for (const c of CLIENTS) {
    await L.waitFor(`${c} (C client) to see ${RELOADED} again`, () => {
      const lines = clients[c].text.slice(clientLines[c]).split('\n').filter((l) => l.startsWith('STATUS '));
      return lines.some((l) => {
        try {
          const r = (JSON.parse(l.slice(7)).remote || {})[RELOADED];
          return r && r.fps > 0;
        } catch {
          return false;
        }
      });
    }, Math.max(1000, REJOIN_MS + 1000 - (Date.now() - t0)), 100);
  }
  const all = Date.now() - t0;
  assert.ok(all <= REJOIN_MS + 1000, `rejoin took ${all} ms`);
  await assertBridgeHostCandidate(RELOADED);
  console.log(`# reload: ${RELOADED} saw the meeting after ${seen} ms; everyone saw it after ${all} ms`);
  // Time to first frame, from the join message to the first decoded video
  // frame, into a meeting already running (issue 15 asks for under 500 ms
  // on loopback; printed, not yet met: see the breakdown). DTLS used to
  // take the bridge's whole 500 ms retransmission timeout after ICE (its
  // first flight went out before libnice had a pair and was lost); it must
  // not any more (normal build; a sanitizer build's bridge is slower).
  const t = (await state(p)).timing;
  console.log(`# time to first frame after the join: offer ${t.offer} ms, answer ${t.answer} ms, ` +
    `ICE connected ${t.ice} ms, DTLS done ${t.dtls} ms, first frame ${t.firstFrame} ms`);
  assert.ok(t.firstFrame != null && t.ice != null && t.dtls != null, JSON.stringify(t));
  if (!L.SANITIZED) assert.ok(t.dtls - t.ice < 450, `DTLS done ${t.dtls - t.ice} ms after ICE`);
});

test('every C client decoded the browsers\' VP8 video and Opus audio', {
  timeout: 30000, skip: NO_CLIENTS && 'DC_BROWSER_NO_CLIENTS=1',
}, async () => {
  for (const c of CLIENTS) clients[c].kill('SIGINT');
  for (const c of CLIENTS) await Promise.race([clients[c].exited, L.sleep(10000)]);
  for (const c of CLIENTS) {
    const how = clients[c].exitCode ?? clients[c].signalCode ?? 'still running';
    assert.equal(how, 0, `${c}: diemcau-client ended with ${how} on SIGINT (log: ${clients[c].log})`);
    assert.deepEqual(L.badLogLines(clients[c].log), [], `${c}: ${clients[c].log}`);
    let report;
    try {
      report = JSON.parse(fs.readFileSync(clients[c].report, 'utf8'));
    } catch (e) {
      throw new Error(`${c}: no report ${clients[c].report}: ${e.message} (log: ${m.logs}/client-${c}.log)`);
    }
    const remote = report.remote || {};
    for (const b of BROWSERS) {
      const r = remote[b];
      assert.ok(r, `${c}: nothing from ${b} in its report: ${JSON.stringify(Object.keys(remote))}`);
      assert.ok(r.video_frames_decoded >= 5 * SECONDS, `${c} ← ${b}: ${r.video_frames_decoded} video frames decoded`);
      assert.ok(r.audio_packets_decoded >= 25 * SECONDS, `${c} ← ${b}: ${r.audio_packets_decoded} audio packets decoded`);
    }
  }
});

test('after a bridge restart the browsers rebuild their connection and see each other again', { timeout: 60000 }, async () => {
  const sessions = {};
  const connections = {};
  for (const site of BROWSERS) {
    const s = await state(page[site]);
    sessions[site] = s.session;
    connections[site] = s.connections;
  }
  const t0 = Date.now();
  await m.restartBridge();
  for (const site of BROWSERS) {
    const others = BROWSERS.filter((x) => x !== site);
    await L.waitFor(`${site} to decode the other browsers through the new bridge`, async () => {
      const s = await state(page[site]);
      // A new RTCPeerConnection (its counters start again from zero).
      if (s.phase !== 'meeting' || s.connection !== 'connected' || s.connections <= connections[site]) return false;
      const st = await stats(page[site]);
      return others.every((o) => st[o] && st[o].framesDecoded > 0 && st[o].totalSamplesReceived > 0);
    }, 15000, 250).catch(async (e) => { throw new Error(`${e.message}\n${await describe(page[site])}`); });
    // The site kept its signaling session: only the media was rebuilt.
    assert.equal((await state(page[site])).session, sessions[site]);
    await assertBridgeHostCandidate(site);
  }
  console.log(`# bridge restart: browsers saw each other again after ${Date.now() - t0} ms`);
});

test('diemcau-signal and diemcau-bridge stop cleanly on SIGTERM, without sanitizer or GLib reports', { timeout: 30000 }, async () => {
  const ended = [...m.stopped];
  for (const name of ['signal', 'bridge']) {
    const p = m[name];
    ended.push({ name, log: p.log, ...(await L.stop(p, 10000)) });
  }
  for (const e of ended) {
    assert.deepEqual(L.badLogLines(e.log), [], `diemcau-${e.name}: ${e.log}`);
    assert.ok(e.code === 0, `diemcau-${e.name} ended with ${e.code ?? e.sig} (log: ${e.log})`);
  }
});
