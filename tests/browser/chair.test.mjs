// The chair's controls in the page (issue 6): the chair (tinh) and a district
// (duc-tho) in Chromium, a C client (can-loc). The chair mutes the
// district's microphone with its roster button; the district sees it, cannot
// undo it, raises its hand; the chair gives it the floor from the hand queue,
// and every screen shows it large; then the chair ends the meeting.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as L from './lib.mjs';

const creds = L.credentials();
let m = null;
let browser = null;
const page = {};

before(async () => {
  m = await L.startMeeting('chair');
  browser = await L.launchBrowser();
});

after(async () => {
  for (const [site, p] of Object.entries(page)) L.writeConsole(p, `chair-${site}`);
  if (browser) await browser.close();
  if (m) await m.stop();
});

const state = (p) => p.evaluate(() => window.diemcau.state());
const entry = async (p, id) => (await state(p)).roster.find((e) => e.id === id) || {};

test('the chair mutes, sees the hand queue, gives the floor and ends the meeting from the page', { timeout: 90000 }, async () => {
  page.tinh = await L.openSite(browser, m, 'tinh', creds.tinh);
  page['duc-tho'] = await L.openSite(browser, m, 'duc-tho', creds['duc-tho']);
  L.startClient(m, 'can-loc', [
    '--signal', `${m.url.replace('http:', 'ws:')}ws`, '--site', 'can-loc',
    '--credential', creds['can-loc'], '--size', '320x180', '--fps', '15', '--duration', '80',
  ]);
  const chair = page.tinh, dist = page['duc-tho'];
  await L.waitFor('can-loc in the chair\'s roster', async () => (await entry(chair, 'can-loc')).present, 15000);

  // The district has no chair controls.
  assert.equal(await dist.isVisible('#roster-panel'), false);

  await chair.click('#roster-table tr[data-site="duc-tho"] button[data-cmd="mute-audio"]');
  await L.waitFor('duc-tho told it is muted by the chair',
    async () => (await state(dist)).muted.by_chair.audio === true, 5000);
  // The page renders after the state changes: wait for the button, bounded.
  await L.waitFor('the district cannot undo the chair\'s mute (mic button disabled)',
    () => dist.isDisabled('#mic-button'), 5000);
  const trackOn = await dist.evaluate(() => window.diemcau.state().localTracks.length > 0);
  assert.ok(trackOn);
  assert.match(await dist.textContent('#chair-state'), /Chủ trì đã tắt mic/);

  await dist.click('#hand-button');
  await L.waitFor('the hand in the chair\'s queue',
    async () => (await chair.textContent('#hand-queue')).includes('Huyện Đức Thọ'), 5000);
  await chair.click('#hand-queue button[data-cmd="floor"][data-site="duc-tho"]');
  await L.waitFor('the floor on the chair\'s stage',
    () => chair.evaluate(() => !!document.querySelector('#stage .tile[data-site="duc-tho"]')), 5000);
  await L.waitFor('the district unmuted by the floor',
    async () => (await state(dist)).muted.audio === false, 5000);
  assert.match(await dist.textContent('#chair-state'), /Bạn đang được phát biểu/);
  await L.screenshot(chair, 'chair-floor');
  await L.screenshot(dist, 'district-floor');

  await chair.click('#chair-commands button[data-cmd="floor-back"]');
  await L.waitFor('the chair\'s mute back after the floor',
    async () => (await state(dist)).muted.by_chair.audio === true, 5000);

  chair.once('dialog', (d) => d.accept());
  await chair.click('#chair-commands button[data-cmd="end"]');
  await L.waitFor('the district told the meeting ended', async () => (await state(dist)).phase === 'stopped', 5000);
  assert.match(await dist.textContent('#stopped-title'), /kết thúc/);
});
