// The join screen and the site protocol, against diemcau-signal alone (no
// bridge: the page must say it waits for the media server, not break).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as L from './lib.mjs';

const creds = L.credentials();
let m = null;
let browser = null;
const pages = [];

before(async () => {
  m = await L.startMeeting('join', { bridge: false });
  browser = await L.launchBrowser();
});

after(async () => {
  for (const [name, p] of pages) L.writeConsole(p, `join-${name}`);
  if (browser) await browser.close();
  if (m) await m.stop();
});

const state = (p) => p.evaluate(() => window.diemcau.state());

test('the join screen lists the roster with Vietnamese names and the meeting title', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const p = await ctx.newPage();
  pages.push(['roster', p]);
  await p.goto(m.url);
  await p.waitForSelector('#join-site option[value="vu-quang"]', { state: 'attached' });
  const options = await p.$$eval('#join-site option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.equal(options.length, 14, JSON.stringify(options));
  const byId = Object.fromEntries(options);
  assert.equal(byId.tinh, 'Công an tỉnh Hà Tĩnh');
  assert.equal(byId['duc-tho'], 'Huyện Đức Thọ');
  assert.equal(byId['tx-hong-linh'], 'Thị xã Hồng Lĩnh');
  assert.equal(await p.textContent('#join-title'), 'Hội nghị trực tuyến Công an tỉnh Hà Tĩnh');
  await ctx.close();
});

test('a wrong credential shows the refusal in Vietnamese with the server message', async () => {
  const p = await L.openSite(browser, m, 'duc-tho', 'not-the-credential', { expectError: true });
  pages.push(['bad-credential', p]);
  await p.waitForSelector('#join-error:not([hidden])', { timeout: 5000 });
  const text = await p.textContent('#join-error .error-text');
  const detail = await p.textContent('#join-error .error-detail');
  assert.match(text, /Mã xác thực không đúng/);
  assert.match(detail, /credential/, 'the server message is shown too');
  const s = await state(p);
  assert.equal(s.phase, 'join');
  assert.equal(s.error.code, 'bad-credential');
  assert.equal(await p.isEnabled('#join-button'), true, 'the form can be sent again');
  await L.screenshot(p, 'join-error');
  await p.context().close();
});

test('the chair and a district join; only the chair sees the roster panel', async () => {
  const chair = await L.openSite(browser, m, 'tinh', creds.tinh);
  const district = await L.openSite(browser, m, 'duc-tho', creds['duc-tho']);
  pages.push(['chair', chair], ['district', district]);
  const sc = await state(chair);
  assert.equal(sc.role, 'chair');
  assert.equal(sc.name, 'Công an tỉnh Hà Tĩnh');
  assert.equal(await chair.isVisible('#roster-panel'), true);
  assert.equal(await district.isVisible('#roster-panel'), false);
  assert.equal(await chair.locator('#roster-table tbody tr').count(), 14);
  // Without a bridge the page says so instead of pretending.
  await L.waitFor('the waiting status', async () =>
    /chờ máy chủ truyền hình/i.test(await district.textContent('#meeting-status')), 5000);
  // The roster follows live: the district appears in the chair's panel and grid.
  await L.waitFor('duc-tho present in the chair roster', async () =>
    (await chair.getAttribute('#roster-table tr[data-site="duc-tho"]', 'data-state')) !== 'absent', 5000);
  await L.waitFor('duc-tho tile at the chair', () => chair.isVisible('.tile[data-site="duc-tho"]'), 5000);
  assert.match(await chair.textContent('.tile[data-site="duc-tho"] .name'), /Huyện Đức Thọ/);
  // The district shows the chair's site large.
  await L.waitFor('the chair on the district stage', () =>
    district.isVisible('#stage .tile[data-site="tinh"]'), 5000);
});

test('a site that leaves disappears from the others live', async () => {
  const chair = pages.find(([n]) => n === 'chair')[1];
  const district = pages.find(([n]) => n === 'district')[1];
  await district.click('#leave-button');
  assert.equal((await state(district)).phase, 'stopped');
  await L.waitFor('duc-tho absent at the chair', async () =>
    (await chair.getAttribute('#roster-table tr[data-site="duc-tho"]', 'data-state')) === 'absent', 5000);
  assert.equal(await chair.isVisible('.tile[data-site="duc-tho"]'), false);
});

test('a second tab joining as the same site replaces the first, which stops', async () => {
  const first = await L.openSite(browser, m, 'can-loc', creds['can-loc']);
  const second = await L.openSite(browser, m, 'can-loc', creds['can-loc']);
  pages.push(['replaced', first], ['replacer', second]);
  await L.waitFor('the first tab to stop', async () => (await state(first)).phase === 'stopped', 5000);
  assert.match(await first.textContent('#stopped-title'), /nơi khác/);
  assert.equal((await state(second)).phase, 'meeting');
  await L.screenshot(first, 'replaced');
});

test('diemcau-signal stops cleanly on SIGTERM with pages connected, without sanitizer or GLib reports', { timeout: 30000 }, async () => {
  const r = await L.stop(m.signal, 10000);
  assert.deepEqual(L.badLogLines(m.signal.log), [], m.signal.log);
  assert.equal(r.code, 0, `diemcau-signal ended with ${r.code ?? r.sig} (log: ${m.signal.log})`);
});
