// ICE restart from the browser (issue 8): the page asks the bridge with
// {"type":"ice-restart"}; the bridge's next offer carries new ICE
// credentials only; the page answers it on the same RTCPeerConnection
// (DTLS-SRTP kept) and the media goes on. And when the page's signaling
// connection dies (as it does with an address change), the page resumes
// its session on a new connection (/ws?resume=SESSION) and restarts ICE
// there, again on the same RTCPeerConnection.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as L from './lib.mjs';

const creds = L.credentials();
let m = null;
let browser = null;
let page = null;

before(async () => {
  for (const b of ['signal', 'bridge', 'client']) {
    if (!L.exists(L.BIN[b])) throw new Error(`${L.BIN[b]} is not built`);
  }
  m = await L.startMeeting('ice-restart');
  browser = await L.launchBrowser();
});

after(async () => {
  if (page) L.writeConsole(page, 'ice-restart-tinh');
  if (browser) await browser.close();
  if (m) await m.stop();
});

const ufrag = (sdp) => (/^a=ice-ufrag:(\S+)/m.exec(sdp || '') || [])[1];
const state = () => page.evaluate(() => window.diemcau.state());
const frames = async () => ((await page.evaluate(() => window.diemcau.stats()))['tp-ha-tinh'] || {}).framesDecoded || 0;

test('a browser restarts ICE over its signaling session: new ufrag, same RTCPeerConnection, media goes on', { timeout: 60000 }, async () => {
  page = await L.openSite(browser, m, 'tinh', creds.tinh);
  L.startClient(m, 'tp-ha-tinh', [
    '--signal', `${m.url.replace('http:', 'ws:')}ws`, '--site', 'tp-ha-tinh',
    '--credential', creds['tp-ha-tinh'], '--size', '320x180', '--fps', '15', '--duration', '60',
  ]);
  await L.waitFor('tinh to decode tp-ha-tinh', async () => (await frames()) > 0, 20000, 250);
  const before = await page.evaluate(() => window.diemcau.state());
  const remoteUfrag = () => page.evaluate(() => window.diemcau.remoteSdp ? window.diemcau.remoteSdp() : null);
  const u0 = ufrag(await remoteUfrag());

  await page.evaluate(() => window.diemcau.iceRestart());
  await L.waitFor('the restart offer to be answered', async () =>
    (await page.evaluate(() => window.diemcau.state().offers)) > before.offers, 10000, 100);
  const bridgeLog = fs.readFileSync(path.join(m.logs, 'bridge.log'), 'utf8');
  assert.match(bridgeLog, /site tinh: ICE restart \(new ufrag/);
  const u1 = ufrag(await remoteUfrag());
  if (u0 !== undefined) assert.notEqual(u1, u0, 'the offer kept the old ufrag');

  const f0 = await frames();
  await L.sleep(3000);
  const after = await page.evaluate(() => window.diemcau.state());
  assert.equal(after.connections, before.connections, 'a new RTCPeerConnection was made');
  assert.equal(after.connection, 'connected');
  assert.ok((await frames()) > f0 + 10, 'video of tp-ha-tinh stalled after the ICE restart');
});

test('a browser whose signaling connection dies resumes its session on a new one: same session and RTCPeerConnection, ICE restarted, media goes on', { timeout: 60000 }, async () => {
  assert.ok(page, 'the page of the first test is open');
  await L.waitFor('tinh to be connected', async () => (await state()).connection === 'connected', 15000, 200);
  const before = await state();

  await page.evaluate(() => window.diemcau.dropSignal());
  await L.waitFor('the session to be resumed on a new connection', async () =>
    (await state()).resumes > before.resumes, 10000, 100);
  await L.waitFor('the restart offer to be answered', async () =>
    (await state()).offers > before.offers, 10000, 100);
  const resumed = await state();
  assert.equal(resumed.phase, 'meeting');
  assert.equal(resumed.session, before.session, 'the resume made a new session');
  assert.equal(resumed.joins, before.joins, 'the page joined afresh instead of resuming');
  const signalLog = fs.readFileSync(path.join(m.logs, 'signal.log'), 'utf8');
  assert.match(signalLog, new RegExp(`site=tinh session=${before.session} resumed from`));

  const f0 = await frames();
  await L.sleep(3000);
  const after = await state();
  assert.equal(after.connections, before.connections, 'a new RTCPeerConnection was made');
  assert.equal(after.connection, 'connected');
  assert.ok((await frames()) > f0 + 10, 'video of tp-ha-tinh stalled after the resume');
});

// The page's signaling connection black-holed (every packet of the
// browser's open TCP connections to the service dropped, as by a NAT that
// forgot them; new connections pass): the keepalive (docs/protocol.md,
// "ping") notices and the session resumes on a new connection. The media
// path was up all along, so no ICE restart is asked.
test('a browser whose signaling connection goes silent resumes its session on a new one, media untouched', { timeout: 60000 }, async () => {
  assert.ok(page, 'the page of the first test is open');
  await L.waitFor('tinh to be connected', async () => (await state()).connection === 'connected', 15000, 200);
  const limitMs = 3000;
  await page.evaluate((ms) => window.diemcau.setSignalTimeout(ms), limitMs);
  const port = new URL(m.url).port;
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', 'dst', `127.0.0.1:${port}`], { encoding: 'utf8' });
  const ports = out.split('\n').filter((l) => /chrom/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[2].split(':').pop()));
  assert.ok(ports.length >= 1, `no connection of the browser to the service found:\n${out}`);
  const rules = ports.flatMap((p) => [['--sport', String(p)], ['--dport', String(p)]])
    .map((r) => ['INPUT', '-p', 'tcp', ...r, '-j', 'DROP']);
  const before = await state();
  const f0 = await frames();
  const t0 = Date.now();
  try {
    for (const r of rules) execFileSync('iptables', ['-w', '-I', ...r]);
    await L.waitFor('the session to be resumed on a new connection', async () =>
      (await state()).resumes > before.resumes, limitMs * 1.4 + 5000, 100);
  } finally {
    for (const r of rules) execFileSync('iptables', ['-w', '-D', ...r]);
  }
  const took = Date.now() - t0;
  const resumed = await state();
  assert.equal(resumed.phase, 'meeting');
  assert.equal(resumed.session, before.session, 'the resume made a new session');
  assert.equal(resumed.joins, before.joins, 'the page joined afresh instead of resuming');
  // The silence counts from the last message before the cut, at most one
  // ping interval (0.4 of the limit) earlier.
  assert.ok(took >= limitMs * 0.6 - 200, `resumed after ${took} ms: too early for a ${limitMs} ms limit`);
  await L.sleep(2000);
  const after = await state();
  assert.equal(after.offers, before.offers, 'an ICE restart was asked though the media path was up');
  assert.equal(after.connections, before.connections, 'a new RTCPeerConnection was made');
  assert.equal(after.connection, 'connected');
  assert.ok((await frames()) > f0 + 30, 'video of tp-ha-tinh stalled while signaling was silent');
  await page.evaluate(() => window.diemcau.setSignalTimeout(25000));
});
