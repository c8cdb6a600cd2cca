// HTTPS and WSS (issue 8): diemcau-signal with [signaling] tls = on makes
// its self-signed certificate; Chromium accepts exactly that certificate
// (--ignore-certificate-errors-spki-list with the hash of its public key,
// computed here from the file the service wrote), loads the page over
// https://, joins over wss:// and decodes a C client that joined over wss://
// with --pin. A Chromium without that flag refuses the page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as L from './lib.mjs';

const creds = L.credentials();
const CLIENT = 'tp-ha-tinh';
let m = null;
let browser = null;
let page = null;

before(async () => {
  for (const b of ['signal', 'bridge', 'client']) {
    if (!L.exists(L.BIN[b])) throw new Error(`${L.BIN[b]} is not built`);
  }
  m = await L.startMeeting('tls', { tls: true });
  browser = await L.launchBrowser([`--ignore-certificate-errors-spki-list=${L.spkiHash(m.cert)}`]);
});

after(async () => {
  if (page) L.writeConsole(page, 'tls-tinh');
  if (browser) await browser.close();
  if (m) await m.stop();
});

test('a Chromium that was not given the certificate refuses the page', { timeout: 60000 }, async () => {
  const other = await L.launchBrowser();
  try {
    const p = await (await other.newContext()).newPage();
    await assert.rejects(p.goto(m.url, { timeout: 10000 }), /ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await other.close();
  }
});

test('the page loads over https://, joins over wss:// and decodes a C client that joined over wss:// with --pin', { timeout: 90000 }, async () => {
  assert.match(m.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  page = await L.openSite(browser, m, 'tinh', creds.tinh);
  assert.equal(await page.evaluate(() => location.protocol), 'https:');
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  assert.ok(page.sockets.length > 0, 'the page opened no WebSocket');
  for (const u of page.sockets) assert.match(u, /^wss:\/\/127\.0\.0\.1:\d+\/ws$/);

  L.startClient(m, CLIENT, [
    '--signal', `${m.url.replace('https:', 'wss:')}ws`, '--pin', m.fingerprint,
    '--site', CLIENT, '--credential', creds[CLIENT], '--size', '320x180', '--fps', '15',
    '--duration', '60',
  ]);
  const remote = async () => (await page.evaluate(() => window.diemcau.stats()))[CLIENT] || {};
  await L.waitFor(`tinh to decode ${CLIENT}'s video and audio`, async () => {
    const s = await remote();
    return s.framesDecoded > 0 && s.totalSamplesReceived > 0;
  }, 30000, 250);
  const a = await remote();
  await L.sleep(3000);
  const b = await remote();
  assert.ok(b.framesDecoded > a.framesDecoded + 15, `video stalled: ${a.framesDecoded} → ${b.framesDecoded}`);
  assert.ok(b.totalSamplesReceived > a.totalSamplesReceived, 'audio stalled');

  // The roster over HTTPS, the certificate file as the only CA.
  const r = await L.getJson(`${m.url}api/roster`, m.cert);
  const state = Object.fromEntries(r.sites.map((s) => [s.id, s.state]));
  assert.equal(state.tinh, 'connected');
  assert.equal(state[CLIENT], 'connected');
  await L.screenshot(page, 'tls-meeting');
});

test('diemcau-signal stops cleanly on SIGTERM, without sanitizer or GLib reports', { timeout: 30000 }, async () => {
  const r = await L.stop(m.signal, 10000);
  assert.deepEqual(L.badLogLines(m.signal.log), [], m.signal.log);
  assert.equal(r.code, 0, `diemcau-signal ended with ${r.code ?? r.sig} (log: ${m.signal.log})`);
});
