// Helpers of the browser tests: a private meeting (diemcau-signal and
// diemcau-bridge on a temporary copy of config/hatinh.ini with free loopback
// ports), Debian's Chromium through playwright-core, C clients, waiting.
//
// Environment: DC_BUILD_ROOT (the meson build dir, required), DC_SOURCE_ROOT
// (default: two levels up from here), DC_OUT (default: SOURCE/out).

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE = path.resolve(process.env.DC_SOURCE_ROOT || path.join(here, '..', '..'));
export const BUILD = process.env.DC_BUILD_ROOT ? path.resolve(process.env.DC_BUILD_ROOT) : null;

/** Whether BUILD is a sanitizer build (its servers are several times slower). */
export const SANITIZED = (() => {
  try {
    const opts = JSON.parse(fs.readFileSync(path.join(BUILD, 'meson-info', 'intro-buildoptions.json'), 'utf8'));
    const o = opts.find((x) => x.name === 'b_sanitize');
    return !!o && o.value !== 'none';
  } catch {
    return false;
  }
})();
export const OUT = path.resolve(process.env.DC_OUT || path.join(SOURCE, 'out'));
export const CHROMIUM = process.env.DC_CHROMIUM || '/usr/bin/chromium';

export const BIN = {
  signal: BUILD && path.join(BUILD, 'signaling', 'diemcau-signal'),
  bridge: BUILD && path.join(BUILD, 'bridge', 'diemcau-bridge'),
  client: BUILD && path.join(BUILD, 'client', 'diemcau-client'),
};

/** Site id → secret, read from config/hatinh-demo-credentials.ini (the demo
 * secrets; config/hatinh.ini keeps only their hashes). */
export function credentials() {
  const file = path.join(SOURCE, 'config', 'hatinh-demo-credentials.ini');
  const text = fs.readFileSync(file, 'utf8');
  const out = {};
  let site = null;
  for (const line of text.split('\n')) {
    const g = line.match(/^\[site\.([a-z0-9-]+)\]/);
    if (g) site = g[1];
    else if (/^\[/.test(line)) site = null;
    const c = line.match(/^credential\s*=\s*(\S+)/);
    if (site && c) out[site] = c[1];
  }
  return out;
}

export function exists(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls @fn (may be async) until it returns a truthy value; throws with
 * @what and the last value after @ms. */
export async function waitFor(what, fn, ms = 10000, every = 200) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${shown})`);
    }
    await sleep(every);
  }
}

/** A TCP port free on 127.0.0.1 now. */
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A range of @n UDP ports, chosen at random in 20000..59999. In the test's
 * own network namespace nothing else binds there. */
export function udpRange(n = 200) {
  const min = 20000 + Math.floor(Math.random() * (40000 - n));
  return [min, min + n - 1];
}

/**
 * Writes a copy of config/hatinh.ini into @dir with the given ports,
 * local_addresses 127.0.0.1, web_root the source tree's web/ and [signaling]
 * tls (auto: plain HTTP on loopback; on: HTTPS). Returns its path.
 */
export function writeConfig(dir, { signalPort, controlPort, udpMin, udpMax, tls = 'auto' }) {
  let text = fs.readFileSync(path.join(SOURCE, 'config', 'hatinh.ini'), 'utf8');
  const set = (key, value) => {
    const re = new RegExp(`^${key}\\s*=.*$`, 'm');
    if (!re.test(text)) throw new Error(`config/hatinh.ini has no “${key}” line to change`);
    text = text.replace(re, `${key} = ${value}`);
  };
  set('address', '127.0.0.1');
  set('port', signalPort);
  set('web_root', path.join(SOURCE, 'web'));
  set('control_address', '127.0.0.1');
  set('control_port', controlPort);
  set('udp_port_min', udpMin);
  set('udp_port_max', udpMax);
  set('local_addresses', '127.0.0.1');
  set('tls', tls);
  const file = path.join(dir, 'meeting.ini');
  fs.writeFileSync(file, text);
  return file;
}

/** A child process whose output goes to @log; .lines collects stdout. */
function start(name, bin, args, log) {
  const out = fs.createWriteStream(log);
  const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  p.name = name;
  p.log = log;
  p.text = '';
  p.stdout.on('data', (d) => {
    p.text += d.toString();
    out.write(d);
  });
  p.stderr.on('data', (d) => out.write(d));
  p.exited = new Promise((resolve) => p.on('exit', (code, sig) => resolve({ code, sig })));
  p.on('error', (e) => out.write(`spawn error: ${e.message}\n`));
  return p;
}

/** Stops @p with SIGTERM (SIGKILL after @ms); resolves to {code, sig}. */
export async function stop(p, ms = 5000) {
  if (!p) return null;
  if (p.exitCode === null && p.signalCode === null) {
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    await p.exited;
    clearTimeout(t);
  }
  return p.exited;
}

/** Sanitizer and GLib reports in a log file, as lines. */
export function badLogLines(file) {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) =>
    /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|-CRITICAL \*\*|SUMMARY: \w+Sanitizer/.test(l));
}

/**
 * GET @url as JSON. For https:// URLs of a meeting started with tls, the
 * service's certificate file is the only CA trusted (@ca, PEM text).
 */
export function getJson(url, ca) {
  if (!url.startsWith('https:')) return fetch(url).then((r) => r.json());
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 5 s`)));
  });
}

/** The base64 SHA-256 of a PEM certificate's public key (SPKI), what
 * Chromium's --ignore-certificate-errors-spki-list takes. */
export function spkiHash(pem) {
  const spki = new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}

/**
 * A private meeting: {url, config, dir, logs, signal, bridge, stop()}; with
 * tls also {cert (PEM text), fingerprint (as the service printed it)}.
 * @param {object} o
 * @param {boolean} o.bridge  start diemcau-bridge too (default true)
 * @param {boolean} o.tls     [signaling] tls = on: HTTPS/WSS with the
 *                            self-signed certificate the service makes
 */
export async function startMeeting(name, { bridge = true, tls = false } = {}) {
  if (!BUILD) throw new Error('DC_BUILD_ROOT is not set (run tests/browser/run.sh BUILD_DIR)');
  for (const b of bridge ? ['signal', 'bridge'] : ['signal']) {
    if (!exists(BIN[b])) throw new Error(`${BIN[b]} is not built`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dc-browser-${name}-`));
  const logs = path.join(OUT, 'logs', name);
  fs.mkdirSync(logs, { recursive: true });
  const [udpMin, udpMax] = udpRange();
  const signalPort = await freeTcpPort();
  let controlPort = await freeTcpPort();
  while (controlPort === signalPort) controlPort = await freeTcpPort();
  const config = writeConfig(dir, { signalPort, controlPort, udpMin, udpMax, tls: tls ? 'on' : 'auto' });
  const scheme = tls ? 'https' : 'http';
  const m = { dir, config, logs, url: `${scheme}://127.0.0.1:${signalPort}/`, procs: [] };
  if (bridge) {
    m.bridge = start('bridge', BIN.bridge, ['--config', config], path.join(logs, 'bridge.log'));
    m.procs.push(m.bridge);
  }
  m.signal = start('signal', BIN.signal, ['--config', config], path.join(logs, 'signal.log'));
  /* Stops the bridge and starts a new one on the same config. */
  m.stopped = []; // {name, log, code, sig} of servers stopped before m.stop()
  m.restartBridge = async () => {
    const r = await stop(m.bridge);
    m.stopped.push({ name: 'bridge', log: m.bridge.log, ...r });
    m.procs = m.procs.filter((p) => p !== m.bridge);
    m.restarts = (m.restarts || 0) + 1;
    m.bridge = start('bridge', BIN.bridge, ['--config', config],
      path.join(logs, `bridge-${m.restarts}.log`));
    m.procs.unshift(m.bridge);
  };
  m.procs.push(m.signal);
  m.stop = async () => {
    for (const c of m.clients || []) await stop(c, 3000);
    for (const p of m.procs) await stop(p);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('diemcau-signal to listen', () => {
      for (const p of m.procs) {
        if (p.exitCode !== null) throw new Error(`diemcau-${p.name} exited with ${p.exitCode} (log: ${logs}/${p.name}.log)`);
      }
      return new RegExp(`listening on ${scheme}://`).test(m.signal.text) &&
        (!tls || /SHA-256 fingerprint \S+/.test(m.signal.text));
    }, 10000, 50);
    if (tls) {
      m.cert = fs.readFileSync(path.join(dir, 'diemcau-signal.crt'), 'utf8');
      m.fingerprint = /SHA-256 fingerprint (\S+)/.exec(m.signal.text)[1];
    }
    if (bridge) {
      await waitFor('the bridge to be up (GET /api/roster)', async () => {
        if (m.bridge.exitCode !== null) throw new Error(`diemcau-bridge exited with ${m.bridge.exitCode} (log: ${logs}/bridge.log)`);
        return (await getJson(`${m.url}api/roster`, m.cert)).bridge === 'up';
      }, 10000, 100);
    }
  } catch (e) {
    await m.stop();
    throw e;
  }
  return m;
}

/**
 * Starts a C client for @site: diemcau-client --report FILE. Its arguments
 * beyond --report are in @args (the client's own command line).
 */
export function startClient(m, site, args) {
  const report = path.join(m.dir, `report-${site}.json`);
  const p = start(`client-${site}`, BIN.client, [...args, '--report', report],
    path.join(m.logs, `client-${site}.log`));
  p.report = report;
  (m.clients ||= []).push(p);
  return p;
}

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // A reloaded page rejoins without a click: let it play the meeting's sound.
  '--autoplay-policy=no-user-gesture-required',
];

/** Chromium with CHROMIUM_ARGS and @extraArgs. */
export async function launchBrowser(extraArgs = []) {
  if (!exists(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs chromium)`);
  // The meson test environment is for our binaries (G_DEBUG=fatal-criticals
  // would turn any GLib warning inside Chromium into a crash).
  const env = { ...process.env };
  for (const k of ['G_DEBUG', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) delete env[k];
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], env, timeout: 30000 });
}

/**
 * A site in its own browser context (its own sessionStorage): opens the page,
 * picks @site, types @credential and clicks join. Resolves to the page once
 * the page says it is in the meeting (unless o.expectError).
 */
export async function openSite(browser, m, site, credential, o = {}) {
  const context = await browser.newContext({ viewport: o.viewport || { width: 1920, height: 1080 } });
  const page = await context.newPage();
  page.sockets = []; // URLs of the WebSockets the page opened
  page.on('websocket', (ws) => page.sockets.push(ws.url()));
  page.consoleLines = [];
  page.on('console', (msg) => page.consoleLines.push(`${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (e) => page.consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(m.url);
  await page.waitForSelector('#join-site option[value="tinh"]', { state: 'attached', timeout: 10000 });
  await page.selectOption('#join-site', site);
  await page.fill('#join-credential', credential);
  await page.click('#join-button');
  if (!o.expectError) {
    await waitFor(`${site} to join`, () => page.evaluate(() => window.diemcau.state().phase === 'meeting'), 10000);
  }
  return page;
}

export function writeConsole(page, name) {
  fs.mkdirSync(path.join(OUT, 'logs'), { recursive: true });
  fs.writeFileSync(path.join(OUT, 'logs', `${name}.console.log`), (page.consoleLines || []).join('\n') + '\n');
}

export async function screenshot(page, name) {
  const dir = path.join(OUT, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
