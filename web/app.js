// app.js: the meeting page. Joins the meeting over the site protocol
// (signal.js), answers the bridge's offers (call.js) and draws what it has
// (view.js). State lives here, in one object; window.diemcau exposes it to
// tests and to a technician's console.

import { Call } from './call.js';
import { CLOSE_REPLACED, Signal, keepalive, signalUrl } from './signal.js';
import * as view from './view.js';

const STORE = 'diemcau.join'; // sessionStorage: {site, credential}, so a reload rejoins
const LAST_SITE = 'diemcau.site'; // localStorage: preselect the site next time
const LEVEL_MS = 300; // who is speaking
const STATS_MS = 1000; // link figures
const SPEAKING_LEVEL = 0.02; // audioLevel (0..1, linear) above which a site speaks
const SPEAKING_HOLD_MS = 900;
const STAGE_SWITCH_MS = 1500; // the chair's stage moves to a new speaker after this

const app = {
  phase: 'loading', // loading, join, joining, meeting, reconnecting, stopped
  creds: null,
  self: null, // the welcome message
  roster: [],
  signal: null,
  call: null,
  local: null, // MediaStream of our camera and microphone
  mediaWarning: null,
  error: null, // last {code, field, message} from the server
  linkStats: {}, // site → figures for describeLink
  rawStats: {}, // site → last call.stats() entry
  statsAt: 0,
  levels: new Map(), // site → last audio level
  speakingUntil: new Map(), // site → time (ms) until which it counts as speaking
  stageSpeaker: null, // the chair's stage: last district that spoke
  stageCandidate: null, // the loudest district now, and since when (ms)
  stageCandidateSince: 0,
  timers: [],
  retryMs: 1000,
  retryTimer: 0,
  joins: 0,
  resumeSession: null, // the session to resume on the next connection (protocol.md, "join")
  resumes: 0, // sessions resumed on a new connection, keeping the RTCPeerConnection
  abandoned: [], // Signals taken for dead (one may still hold the session), closed once a welcome comes
  resumeWhy: null, // 'silent' when the next resume follows a silent connection
  chair: { state: null, floor: null, hands: [] }, // the chair's control (protocol.md, section 10)
  muted: { audio: false, video: false, by_chair: { audio: false, video: false } },
  chairEvents: [], // every chair message, for tests
};

const CLOSE_REMOVED = 4003;
const CLOSE_ENDED = 4004;
const meeting = new view.MeetingView();

/* ---------------------------------------------------------------------- */
/* Join screen                                                            */

async function loadRoster() {
  try {
    const r = await fetch('/api/roster', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const api = await r.json();
    if (!Array.isArray(api.sites)) throw new Error('no "sites" in /api/roster');
    return api;
  } catch (e) {
    console.warn('diemcau: /api/roster:', e);
    return null;
  }
}

async function showJoin(err) {
  app.phase = 'join';
  const preferred = new URLSearchParams(location.search).get('site') ||
    localStorage.getItem(LAST_SITE) || '';
  view.renderJoin(null, preferred);
  view.joinBusy(false);
  view.joinError(err || null);
  const api = await loadRoster();
  if (app.phase !== 'join') return;
  view.renderJoin(api, preferred);
  if (!api && !err) view.joinError({ code: 'roster-failed', message: 'GET /api/roster' });
}

async function onJoinSubmit(ev) {
  ev.preventDefault();
  if (app.phase === 'joining') return;
  const creds = view.joinForm();
  if (!creds.site || !creds.credential) return;
  localStorage.setItem(LAST_SITE, creds.site);
  await join(creds);
}

/* ---------------------------------------------------------------------- */
/* Media                                                                  */

/** Camera and microphone, then microphone only, then nothing: a site that
 * cannot send still sees and hears the meeting. */
async function openLocal() {
  if (app.local) return app.local;
  const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  const tries = [{ audio, video }, { audio }, { video }];
  let lastErr = null;
  for (const c of tries) {
    try {
      app.local = await navigator.mediaDevices.getUserMedia(c);
      app.mediaWarning = c.video && c.audio ? null
        : c.audio ? 'Không mở được camera: các điểm cầu khác chỉ nghe tiếng của bạn.'
          : 'Không mở được micrô: các điểm cầu khác chỉ thấy hình của bạn.';
      return app.local;
    } catch (e) {
      lastErr = e;
    }
  }
  app.mediaWarning = `Không mở được camera và micrô (${lastErr?.name || 'lỗi'}): bạn chỉ xem và nghe hội nghị.`;
  app.local = new MediaStream();
  return app.local;
}

function stopLocal() {
  if (app.local) for (const t of app.local.getTracks()) t.stop();
  app.local = null;
}

/* ---------------------------------------------------------------------- */
/* Signaling                                                              */

async function join(creds) {
  app.creds = creds;
  app.phase = app.phase === 'reconnecting' ? 'reconnecting' : 'joining';
  app.error = null;
  if (app.phase === 'joining') {
    view.joinBusy(true);
    view.joinError(null);
  }
  await openLocal();
  const resume = app.phase === 'reconnecting' && app.resumeSession;
  const url = signalUrl(location) + (resume ? `?resume=${encodeURIComponent(app.resumeSession)}` : '');
  const sig = new Signal(url, {
    message: (msg) => onMessage(sig, msg),
    closed: (code, reason) => onClosed(sig, code, reason),
    silent: (ms) => signalSilent(sig, ms),
  });
  app.signal = sig;
  try {
    await sig.open();
  } catch (e) {
    if (sig !== app.signal) return;
    app.signal = null;
    if (app.phase === 'reconnecting') {
      scheduleReconnect();
    } else {
      showJoin({ code: 'no-server', message: e.message });
    }
    return;
  }
  if (sig !== app.signal) return;
  app.joinAt ??= performance.now();
  sig.send({ type: 'join', site: creds.site, credential: creds.credential });
}

function onMessage(sig, msg) {
  if (sig !== app.signal) return;
  switch (msg.type) {
    case 'welcome':
      onWelcome(msg);
      break;
    case 'error':
      onServerError(msg);
      break;
    case 'roster':
      if (Array.isArray(msg.sites)) app.roster = msg.sites;
      takeChair(msg);
      render();
      break;
    case 'meeting':
    case 'muted':
    case 'floor':
      onChairMessage(msg);
      break;
    case 'ended':
      app.chairEvents.push(msg);
      stop('ended');
      break;
    case 'removed':
      app.chairEvents.push(msg);
      stop('removed');
      break;
    case 'offer':
      app.call?.offer(msg).then(render);
      break;
    case 'candidate':
      app.call?.candidate(msg);
      break;
    case 'bridge-restarting':
      app.call?.reset();
      render();
      break;
    case 'replaced':
      stop('replaced');
      break;
    default:
      console.info('diemcau: message of unknown type', msg.type);
  }
}

/* ---------------------------------------------------------------------- */
/* The chair                                                              */

/** The chair's members of a roster or welcome message. */
function takeChair(msg) {
  if (typeof msg.meeting_state === 'string') app.chair.state = msg.meeting_state;
  if ('floor' in msg) app.chair.floor = msg.floor ?? null;
  if (Array.isArray(msg.hands)) app.chair.hands = msg.hands;
}

function onChairMessage(msg) {
  app.chairEvents.push(msg);
  if (msg.type === 'meeting') app.chair.state = msg.state;
  if (msg.type === 'floor') app.chair.floor = msg.site ?? null;
  if (msg.type === 'muted') {
    app.muted = { audio: !!msg.audio, video: !!msg.video, by_chair: msg.by_chair || {} };
    applyMute();
  }
  render();
}

/** A muted medium is not sent: the local track is disabled (the bridge
 * drops it anyway). */
function applyMute() {
  for (const t of app.local?.getAudioTracks() || []) t.enabled = !app.muted.audio;
  for (const t of app.local?.getVideoTracks() || []) t.enabled = !app.muted.video;
}

function me() {
  return app.roster.find((e) => e.id === app.self?.site) || {};
}

/** Clicks on the chair's buttons and the site's own. */
function onCommandClick(ev) {
  const b = ev.target.closest('button[data-cmd], button[data-self], #hand-button');
  if (!b || !app.signal) return;
  const site = b.dataset.site;
  const entry = app.roster.find((e) => e.id === site) || {};
  const by = entry.muted_by_chair || {};
  let msg = null;
  switch (b.dataset.cmd) {
    case 'open': msg = { type: 'open' }; break;
    case 'lock': msg = { type: 'lock', locked: app.chair.state !== 'locked' }; break;
    case 'end':
      if (confirm('Kết thúc hội nghị cho tất cả các điểm cầu?')) msg = { type: 'end' };
      break;
    case 'floor': msg = { type: 'floor', site }; break;
    case 'floor-back': msg = { type: 'floor', site: null }; break;
    case 'mute-audio': msg = { type: 'mute', site, audio: !by.audio }; break;
    case 'mute-video': msg = { type: 'mute', site, video: !by.video }; break;
    case 'remove':
      if (confirm(`Mời ${entry.name || site} ra khỏi hội nghị?`)) msg = { type: 'remove', site };
      break;
    case 'allow': msg = { type: 'allow', site }; break;
    default:
      if (b.dataset.self) {
        const kind = b.dataset.self;
        msg = { type: 'mute', [kind]: !me()[`${kind}_muted`] };
      } else if (b.id === 'hand-button') {
        msg = { type: 'hand', raised: !me().hand };
      }
  }
  if (msg) app.signal.send(msg);
}

function onWelcome(msg) {
  const resumed = !!(app.call && app.resumeSession && msg.session === app.resumeSession);
  const resumeWhy = app.resumeWhy;
  app.resumeSession = null;
  app.resumeWhy = null;
  closeAbandoned();
  if (resumed) {
    // The same session on a new connection: the bridge kept our transport,
    // so keep the RTCPeerConnection and find the path again (protocol.md,
    // "Resuming a session").
    app.self = msg;
    app.roster = Array.isArray(msg.roster) ? msg.roster : [];
    takeChair(msg);
    app.phase = 'meeting';
    app.resumes++;
    app.retryMs = 1000;
    app.error = null;
    // Only signaling went silent and the media path is up: nothing to find.
    const pathUp = resumeWhy === 'silent' && app.call.connectionState() === 'connected';
    if (!pathUp) app.call.askIceRestart(true);
    render();
    return;
  }
  app.self = msg;
  app.roster = Array.isArray(msg.roster) ? msg.roster : [];
  takeChair(msg);
  app.muted = { audio: false, video: false, by_chair: { audio: false, video: false } };
  applyMute(); // a "muted" message follows when the site is muted
  app.phase = 'meeting';
  app.joins++;
  app.retryMs = 1000;
  app.error = null;
  sessionStorage.setItem(STORE, JSON.stringify(app.creds));
  if (app.call) app.call.close();
  app.call = new Call({
    localStream: app.local,
    send: (m) => app.signal?.send(m),
    changed: render,
    stalled: signalStalled,
  });
  meeting.enter(msg, app.local);
  meeting.notice(app.mediaWarning);
  startTimers();
  render();
}

function onServerError(msg) {
  const err = { code: msg.code || 'error', field: msg.field || null, message: msg.message || '' };
  app.error = err;
  console.warn('diemcau: server error', err);
  if (app.phase === 'reconnecting' && err.code === 'busy') {
    // The service is busy checking credentials: try again in a while,
    // keeping the call and the connections that may hold the session.
    const sig = app.signal;
    app.signal = null;
    sig?.close(); // refused, so not joined on it
    scheduleReconnect();
    return;
  }
  if (app.phase === 'joining' || app.phase === 'reconnecting') {
    // A refused join (bad credential, meeting full, ...): back to the form.
    closeSignal();
    sessionStorage.removeItem(STORE);
    if (app.phase === 'reconnecting') leaveMeetingView();
    showJoin(err);
    if (err.field === 'credential') view.setJoinCredential('');
    return;
  }
  meeting.notice(`${view.errorText(err.code)} ${err.message ? `(${err.message})` : ''}`);
}

function onClosed(sig, code, reason) {
  if (sig !== app.signal) return;
  app.signal = null;
  if (code === CLOSE_REPLACED) {
    stop('replaced');
    return;
  }
  if (code === CLOSE_REMOVED || code === CLOSE_ENDED) {
    stop(code === CLOSE_ENDED ? 'ended' : 'removed');
    return;
  }
  if (app.phase === 'meeting' || app.phase === 'reconnecting') {
    // The media may well be flowing still: keep the RTCPeerConnection and
    // resume this session on a new connection. If the session is gone, the
    // welcome brings a new one and the call is rebuilt there.
    if (app.phase === 'meeting') {
      app.resumeSession = app.self?.session ?? null;
      app.retryMs = 250;
    }
    app.phase = 'reconnecting';
    meeting.status('Mất kết nối tới máy chủ hội nghị — đang kết nối lại…', 'bad');
    scheduleReconnect();
    render();
  } else if (app.phase === 'joining') {
    showJoin({ code: 'no-server', message: reason || `WebSocket ${code}` });
  }
}

/** The signaling connection looks dead (an ICE restart asked on it brought
 * no offer): drop it without waiting for the browser to notice, and resume
 * the session on a new one. */
function signalStalled() {
  const sig = app.signal;
  if (!sig || app.phase !== 'meeting') return;
  console.info('diemcau: no answer on the signaling connection; resuming the session on a new one');
  // Not closed here: a close frame that did reach the service would end the
  // session. Left as it is, it is ignored from now on; the service closes it
  // when the session is resumed on the new connection, and so do we.
  abandon(sig);
  onClosed(sig, 1006, 'no answer');
}

/** Nothing at all has come on the signaling connection for the keepalive
 * limit (signal.js): it is dead without a close (a NAT that forgot it).
 * Resume the session on a new one as when it stalls; the RTCPeerConnection
 * stays, and is restarted only if its own path is down too. */
function signalSilent(sig, ms) {
  if (sig !== app.signal) return;
  console.info(`diemcau: nothing from the server for ${Math.round(ms / 1000)} s on the signaling connection`);
  if (app.phase === 'meeting') {
    abandon(sig);
    app.resumeWhy = 'silent';
    onClosed(sig, 1006, 'silent');
  } else if (app.phase === 'reconnecting') {
    // A resume whose welcome was lost may have moved the session here:
    // keep this one too, and try again on a new one.
    abandon(sig);
    onClosed(sig, 1006, 'no answer from the server');
  } else if (app.phase === 'joining') {
    sig.close(); // no session yet: nothing to lose
    onClosed(sig, 1006, 'no answer from the server');
  }
}

/** Keeps a Signal taken for dead, unclosed (its messages and events are
 * ignored from now on): a close that reached the server before the resume
 * would end the session. At most four; the oldest is closed first. */
function abandon(sig) {
  app.abandoned.push(sig);
  if (app.abandoned.length > 4) app.abandoned.shift().close();
}

function closeAbandoned() {
  for (const sig of app.abandoned) sig.close();
  app.abandoned = [];
}

function scheduleReconnect() {
  clearTimeout(app.retryTimer);
  app.retryTimer = setTimeout(() => {
    if (app.phase === 'reconnecting') join(app.creds);
  }, app.retryMs);
  app.retryMs = Math.min(app.retryMs * 2, 10000);
}

function closeSignal() {
  const sig = app.signal;
  app.signal = null;
  if (sig) sig.close();
  closeAbandoned();
}

function leaveMeetingView() {
  stopTimers();
  clearTimeout(app.retryTimer);
  app.call?.close();
  app.call = null;
  meeting.leave();
  app.linkStats = {};
  app.rawStats = {};
  app.levels.clear();
  app.speakingUntil.clear();
}

/** Stops for good: replaced by another tab, or left. */
function stop(why) {
  closeSignal();
  leaveMeetingView();
  stopLocal();
  sessionStorage.removeItem(STORE);
  app.phase = 'stopped';
  if (why === 'ended') {
    view.renderStopped('Hội nghị đã kết thúc', 'Chủ trì đã kết thúc hội nghị. Cảm ơn các đồng chí.');
  } else if (why === 'removed') {
    view.renderStopped('Đã bị mời ra khỏi hội nghị',
      'Chủ trì đã mời điểm cầu này ra khỏi hội nghị. Chỉ tham gia lại khi chủ trì cho phép.');
  } else if (why === 'replaced') {
    view.renderStopped('Điểm cầu đã được mở ở nơi khác',
      'Điểm cầu này vừa tham gia hội nghị từ một cửa sổ hoặc máy khác, nên cửa sổ này đã dừng ' +
      'để không có hai kết nối cùng lúc.');
  } else {
    view.renderStopped('Đã rời hội nghị', 'Bạn đã rời hội nghị.');
  }
}

function leave() {
  app.signal?.send({ type: 'leave' });
  stop('left');
}

/* ---------------------------------------------------------------------- */
/* Live figures: who speaks, how each link is                             */

function startTimers() {
  stopTimers();
  app.timers.push(setInterval(pollLevels, LEVEL_MS));
  app.timers.push(setInterval(pollStats, STATS_MS));
}

function stopTimers() {
  for (const t of app.timers) clearInterval(t);
  app.timers = [];
}

function pollLevels() {
  if (!app.call) return;
  const now = performance.now();
  const levels = app.call.audioLevels();
  // Where the bridge forwards no audio-level extension, the decoded level.
  for (const [site, st] of Object.entries(app.rawStats)) {
    if (!levels.has(site) && typeof st.audioLevel === 'number') levels.set(site, st.audioLevel);
  }
  // Smoothed levels; a site speaks when it is above the floor and close to
  // the loudest (so a hum or a far talker does not light every tile).
  let loudest = null;
  for (const [site, level] of levels) {
    const smooth = 0.5 * (app.levels.get(site) ?? 0) + 0.5 * level;
    app.levels.set(site, smooth);
    if (!loudest || smooth > app.levels.get(loudest)) loudest = site;
  }
  const top = loudest ? app.levels.get(loudest) : 0;
  for (const [site, smooth] of app.levels) {
    if (smooth >= SPEAKING_LEVEL && smooth >= 0.5 * top) {
      app.speakingUntil.set(site, now + SPEAKING_HOLD_MS);
    }
  }
  if (top < SPEAKING_LEVEL) loudest = null;
  // The chair's stage follows a district that stays the loudest for a while,
  // not every cough.
  if (loudest && siteEntry(loudest)?.role !== 'chair' && loudest !== app.stageSpeaker) {
    if (app.stageCandidate !== loudest) {
      app.stageCandidate = loudest;
      app.stageCandidateSince = now;
    } else if (now - app.stageCandidateSince >= STAGE_SWITCH_MS || !app.stageSpeaker) {
      app.stageSpeaker = loudest;
    }
  } else {
    app.stageCandidate = null;
  }
  render();
}

async function pollStats() {
  const call = app.call;
  if (!call) return;
  let s;
  try {
    s = await call.stats();
  } catch (e) {
    return;
  }
  if (call !== app.call) return;
  const now = performance.now();
  const dt = app.statsAt ? (now - app.statsAt) / 1000 : 0;
  const prev = app.rawStats;
  const figures = {};
  for (const [site, st] of Object.entries(s.sites)) {
    const p = prev[site];
    const dRecv = p ? st.packetsReceived - p.packetsReceived : st.packetsReceived;
    const dLost = p ? Math.max(0, st.packetsLost - p.packetsLost) : st.packetsLost;
    const flowing = p ? (st.framesDecoded > p.framesDecoded ||
      st.totalSamplesReceived > p.totalSamplesReceived) : st.packetsReceived > 0;
    figures[site] = {
      fps: st.fps || (p && dt ? (st.framesDecoded - p.framesDecoded) / dt : 0),
      width: st.width,
      height: st.height,
      jitter: st.jitter,
      lossPercent: dRecv + dLost > 0 ? (100 * dLost) / (dRecv + dLost) : 0,
      flowing,
    };
  }
  app.rawStats = s.sites;
  app.selfStats = s.self;
  app.transport = s.transport;
  app.linkStats = figures;
  app.statsAt = now;
  meeting.selfLevel(s.self.audioLevel || 0);
  render();
}

/* ---------------------------------------------------------------------- */
/* Drawing                                                                */

function siteEntry(id) {
  return app.roster.find((e) => e.id === id) || null;
}

/** The site shown large: the site with the floor on every screen (but its
 * own); else the chair's site for everyone else; for the chair, the
 * district that spoke last (else the first present one). */
function stageSite() {
  const present = app.roster.filter((e) => e.present && e.id !== app.self.site);
  if (app.chair.floor && present.some((e) => e.id === app.chair.floor)) return app.chair.floor;
  const chair = present.find((e) => e.role === 'chair');
  if (chair) return chair.id;
  if (app.stageSpeaker && present.some((e) => e.id === app.stageSpeaker)) return app.stageSpeaker;
  return present[0]?.id || null;
}

function renderStatus() {
  if (app.phase === 'reconnecting') return;
  if (app.chair.state === 'lobby' && app.self?.role !== 'chair') {
    meeting.status('Phòng chờ: đang chờ chủ trì khai mạc hội nghị…', 'warn');
    return;
  }
  const n = app.roster.filter((e) => e.present).length;
  const total = app.roster.length;
  const cs = app.call?.connectionState() || 'closed';
  if (!app.call?.pc) {
    meeting.status(`Đang chờ máy chủ truyền hình… · ${n}/${total} điểm cầu`, 'warn');
  } else if (app.call.restarting && cs !== 'connected') {
    meeting.status(`Máy chủ truyền hình đang khởi động lại… · ${n}/${total} điểm cầu`, 'warn');
  } else if (cs === 'connected') {
    const rtt = app.transport?.rtt;
    const rttText = typeof rtt === 'number' ? ` · trễ ${Math.round(rtt * 1000)} ms` : '';
    meeting.status(`Đã kết nối · ${n}/${total} điểm cầu${rttText}`, 'good');
  } else if (cs === 'failed' || cs === 'disconnected') {
    meeting.status('Mất kết nối đường truyền hình ảnh — đang chờ máy chủ…', 'bad');
  } else {
    meeting.status(`Đang kết nối đường truyền… · ${n}/${total} điểm cầu`, 'warn');
  }
}

/** Draws the meeting once per animation frame, however many changes came.
 * A browser may hold animation frames back for long (a tab in the
 * background, a page that is not in front, a busy machine): a timer draws
 * within 100 ms then, so that what the chair changed (a mute, the floor)
 * shows without waiting for the next frame. */
let renderQueued = false;
function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(draw);
  setTimeout(draw, 100);
}

function draw() {
  if (!renderQueued) return;
  renderQueued = false;
  if (!app.self || (app.phase !== 'meeting' && app.phase !== 'reconnecting')) return;
  const now = performance.now();
  const speaking = new Set();
  for (const [site, until] of app.speakingUntil) if (until > now) speaking.add(site);
  meeting.render({
    self: app.self.site,
    roster: app.roster,
    media: app.call ? app.call.sites() : new Map(),
    stats: app.linkStats,
    speaking,
    stageSite: stageSite(),
    chair: app.chair,
  });
  renderStatus();
}

/* ---------------------------------------------------------------------- */
/* For tests and for the technician's console                            */

window.diemcau = {
  /** Asks the bridge for an ICE restart, as the page does on its own when
   * the ICE connection goes 'disconnected' or 'failed' (for tests). */
  iceRestart() {
    app.call?.askIceRestart();
  },
  /** Sets the signaling keepalive's silence limit in ms (signal.js; pings
   * every 0.4 of it), on the open connection and the next ones, for tests. */
  setSignalTimeout(ms) {
    keepalive.silenceMs = ms;
    if (app.signal?.timer) {
      app.signal.stopKeepalive();
      app.signal.startKeepalive();
    }
  },
  /** Drops the signaling connection as if it had gone silent (the page's
   * own reaction to an ICE restart that brings no offer), for tests. */
  dropSignal() {
    signalStalled();
  },
  /** The bridge's last offer (SDP text), or null. */
  remoteSdp() {
    return app.call?.lastOffer ?? null;
  },
  /** Where the page is: phase, own site, roster, connection, remote media. */
  state() {
    const sites = app.call ? app.call.sites() : new Map();
    return {
      phase: app.phase,
      site: app.self?.site ?? null,
      name: app.self?.name ?? null,
      role: app.self?.role ?? null,
      session: app.self?.session ?? null,
      meeting: app.self?.meeting ?? null,
      joins: app.joins,
      resumes: app.resumes,
      roster: app.roster,
      connection: app.call ? app.call.connectionState() : 'closed',
      offers: app.call ? app.call.offers : 0,
      connections: app.call ? app.call.connections : 0,
      remoteSites: [...sites.keys()],
      speaking: [...app.speakingUntil].filter(([, t]) => t > performance.now()).map(([s]) => s),
      error: app.error,
      callError: app.call?.lastError ?? null,
      localTracks: app.local ? app.local.getTracks().map((t) => t.kind) : [],
      audioBlocked: meeting.audioBlocked,
      chair: app.chair,
      muted: app.muted,
      chairEvents: app.chairEvents,
      // The first join's milestones in ms after the join was sent: offer,
      // answer, ice (connected), dtls (done), firstFrame (decoded).
      timing: Object.fromEntries(Object.entries(app.call?.timing || {})
        .map(([k, v]) => [k, app.joinAt != null ? Math.round(v - app.joinAt) : null])),
    };
  },
  /** Per remote site: {framesDecoded, totalSamplesReceived, packetsLost,
   * packetsReceived, jitter, fps, width, height, audioLevel, nackCount, pliCount}. */
  async stats() {
    return app.call ? (await app.call.stats()).sites : {};
  },
  /** The last offer from the bridge and our answer (SDP text). */
  sdp() {
    return { offer: app.call?.lastOffer ?? null, answer: app.call?.lastAnswer ?? null };
  },
  /** Everything getStats gave, including our own outgoing media. */
  async fullStats() {
    return app.call ? app.call.stats() : { sites: {}, self: {}, transport: {} };
  },
};

/* ---------------------------------------------------------------------- */
/* Start                                                                  */

document.getElementById('join-form').addEventListener('submit', onJoinSubmit);
document.getElementById('leave-button').addEventListener('click', leave);
document.getElementById('meeting').addEventListener('click', onCommandClick);
document.getElementById('stopped-again').addEventListener('click', () => showJoin(null));
window.addEventListener('pagehide', () => {
  // A reload or a closed tab: tell the server at once rather than by timeout.
  app.signal?.send({ type: 'leave' });
});

const saved = (() => {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || 'null');
  } catch {
    return null;
  }
})();
if (saved && saved.site && saved.credential) {
  view.renderJoin(null, saved.site);
  view.joinBusy(true);
  join(saved);
} else {
  showJoin(null);
}
