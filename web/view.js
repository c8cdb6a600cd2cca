// view.js: the page's DOM. Knows nothing of WebSockets or WebRTC: app.js
// hands it plain data (roster entries, media tracks, link figures) and it
// draws them. Every site name is shown exactly as the server sends it (UTF-8
// with Vietnamese diacritics).

const $ = (id) => document.getElementById(id);

const num = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 });
const num0 = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });

/** Plain Vietnamese for the server's error codes (the server's own message is
 * shown beneath). */
const ERROR_TEXT = {
  'unknown-site': 'Không có điểm cầu này trong hội nghị.',
  'bad-credential': 'Mã xác thực không đúng. Kiểm tra lại mã của điểm cầu.',
  'role-not-allowed': 'Điểm cầu này không được tham gia với vai trò đó.',
  'meeting-full': 'Hội nghị đã đủ số điểm cầu được phép.',
  'already-joined': 'Kết nối này đã tham gia hội nghị.',
  'not-joined': 'Chưa tham gia hội nghị.',
  'bad-message': 'Máy chủ không hiểu yêu cầu của trang.',
  'bridge-error': 'Máy chủ truyền hình báo lỗi.',
  'no-server': 'Không kết nối được tới máy chủ hội nghị. Kiểm tra mạng rồi thử lại.',
  'roster-failed': 'Không tải được danh sách điểm cầu.',
  'not-chair': 'Chỉ điểm cầu chủ trì mới được dùng lệnh này.',
  'muted-by-chair': 'Chủ trì đã tắt tiếng/hình của điểm cầu này; chỉ chủ trì mới bật lại được.',
  'meeting-locked': 'Hội nghị đã khóa: không nhận thêm điểm cầu mới.',
  removed: 'Chủ trì đã mời điểm cầu này ra khỏi hội nghị. Chờ chủ trì cho phép tham gia lại.',
  'not-open': 'Hội nghị chưa khai mạc.',
  'meeting-ended': 'Hội nghị đã kết thúc.',
  'record-failed': 'Máy chủ không ghi được biên bản hội nghị; lệnh chưa được thực hiện.',
};

/** The meeting's life cycle, for people. */
export const MEETING_STATE_TEXT = {
  lobby: 'Phòng chờ — chưa khai mạc',
  open: 'Đang họp',
  locked: 'Đang họp · đã khóa phòng',
  ended: 'Đã kết thúc',
};

export function errorText(code) {
  return ERROR_TEXT[code] || 'Có lỗi xảy ra.';
}

const ROLE_TEXT = { chair: 'Chủ trì', district: 'Điểm cầu', observer: 'Theo dõi' };
const STATE_TEXT = { absent: 'Vắng mặt', connecting: 'Đang kết nối', connected: 'Đã kết nối' };
const LINK_TEXT = {
  good: 'Tốt', fair: 'Trung bình', poor: 'Kém', silent: 'Không có tín hiệu',
  connecting: 'Đang kết nối', absent: 'Vắng mặt',
};

/** "Huyện Đức Thọ" → "ĐT": two letters for a tile without video. */
function initials(name) {
  const words = name.split(/\s+/).filter(Boolean);
  const skip = new Set(['Huyện', 'Thị', 'xã', 'Thành', 'phố', 'Công', 'an', 'tỉnh']);
  const main = words.filter((w) => !skip.has(w));
  const use = main.length ? main : words;
  return use.slice(0, 2).map((w) => w[0]).join('').toUpperCase();
}

function show(el, on) {
  el.hidden = !on;
}

export function showScreen(which) {
  for (const id of ['join', 'meeting', 'stopped']) show($(id), id === which);
}

/* ---------------------------------------------------------------------- */
/* Join screen                                                            */

/**
 * Fills the join screen from GET /api/roster ({meeting, bridge, sites}).
 * @param {object|null} api  null when the roster could not be loaded
 * @param {string} preferred site id to preselect
 */
export function renderJoin(api, preferred) {
  showScreen('join');
  const sel = $('join-site');
  const keep = sel.value || preferred;
  sel.textContent = '';
  if (api) {
    $('join-title').textContent = api.meeting?.title || 'Hội nghị trực tuyến';
    document.title = $('join-title').textContent;
    const groups = [
      ['Chủ trì', api.sites.filter((s) => s.role === 'chair')],
      ['Các điểm cầu', api.sites.filter((s) => s.role !== 'chair')],
    ];
    for (const [label, sites] of groups) {
      if (!sites.length) continue;
      const g = document.createElement('optgroup');
      g.label = label;
      for (const s of sites) {
        const o = document.createElement('option');
        o.value = s.id;
        o.textContent = s.present ? `${s.name} — đang trong hội nghị` : s.name;
        g.append(o);
      }
      sel.append(g);
    }
    if (keep && api.sites.some((s) => s.id === keep)) sel.value = keep;
    const present = api.sites.filter((s) => s.present).length;
    let note = `${present}/${api.sites.length} điểm cầu đang trong hội nghị.`;
    if (api.bridge === 'down') {
      note += ' Máy chủ truyền hình chưa sẵn sàng: vẫn tham gia được, hình và tiếng sẽ có khi máy chủ sẵn sàng.';
    }
    $('join-note').textContent = note;
  } else {
    $('join-note').textContent = '';
  }
}

/** Shows (or, with null, hides) an error on the join screen. */
export function joinError(err) {
  const box = $('join-error');
  show(box, !!err);
  if (!err) return;
  box.querySelector('.error-text').textContent = errorText(err.code);
  box.querySelector('.error-detail').textContent = err.message ? `Chi tiết: ${err.message}` : '';
}

export function joinBusy(busy) {
  $('join-button').disabled = busy;
  $('join-button').textContent = busy ? 'Đang vào hội nghị…' : 'Tham gia hội nghị';
}

export function joinForm() {
  return { site: $('join-site').value, credential: $('join-credential').value };
}

export function setJoinCredential(value) {
  $('join-credential').value = value;
}

/* ---------------------------------------------------------------------- */
/* Stopped screen                                                         */

export function renderStopped(title, text) {
  showScreen('stopped');
  $('stopped-title').textContent = title;
  $('stopped-text').textContent = text;
}

/* ---------------------------------------------------------------------- */
/* Meeting                                                                */

/** One site's tile: kept for the site's whole presence so its media
 * elements keep playing while the layout moves it. */
class Tile {
  constructor(site) {
    this.site = site;
    this.el = document.createElement('article');
    this.el.className = 'tile';
    this.el.dataset.site = site.id;
    this.el.innerHTML = `
      <div class="placeholder"><span class="initials"></span><span class="wait"></span></div>
      <video autoplay playsinline muted></video>
      <audio autoplay></audio>
      <div class="label"><span class="speaking" title="Đang phát biểu"></span>
        <span class="name"></span><span class="role"></span></div>
      <div class="link"><span class="dot"></span><span class="link-text"><span class="l-full"></span><span
        class="l-short"></span><span class="l-tiny"></span></span></div>`;
    this.video = this.el.querySelector('video');
    this.audio = this.el.querySelector('audio');
    this.el.querySelector('.initials').textContent = initials(site.name);
    this.el.querySelector('.name').textContent = site.name;
    this.el.querySelector('.role').textContent = site.role === 'chair' ? 'Chủ trì' : '';
    this.videoTrack = null;
    this.audioTrack = null;
    this.video.addEventListener('resize', () => this.el.classList.toggle('has-video', this.video.videoWidth > 0));
  }

  setTracks(video, audio, onBlocked) {
    if (video !== this.videoTrack) {
      this.videoTrack = video;
      this.video.srcObject = video ? new MediaStream([video]) : null;
      this.el.classList.remove('has-video');
    }
    if (audio !== this.audioTrack) {
      this.audioTrack = audio;
      this.audio.srcObject = audio ? new MediaStream([audio]) : null;
    }
    this.resume(onBlocked);
  }

  /** Starts the media elements if the layout or the browser paused them. */
  resume(onBlocked) {
    if (this.video.srcObject && this.video.paused) this.video.play().catch(() => {});
    if (this.audio.srcObject && this.audio.paused) {
      this.audio.play().catch((e) => {
        if (e.name === 'NotAllowedError' && onBlocked) onBlocked();
      });
    }
  }

  update(entry, link, speaking) {
    this.el.classList.toggle('speaking', speaking);
    this.el.dataset.link = link.level;
    // Which one shows depends on the tile's size (style.css).
    this.el.querySelector('.l-full').textContent = link.text;
    this.el.querySelector('.l-short').textContent = link.short || link.text;
    this.el.querySelector('.l-tiny').textContent = link.tiny || link.text;
    this.el.querySelector('.wait').textContent =
      entry.state === 'connected' ? 'Đang chờ hình ảnh…' : STATE_TEXT[entry.state] || '';
  }
}

/**
 * Link figures of one remote site for people: level (good, fair, poor,
 * silent, connecting, absent) and a short line such as
 * "25 hình/giây · mất 0,2 % · jitter 4 ms".
 */
export function describeLink(entry, st) {
  if (!entry.present) return { level: 'absent', text: LINK_TEXT.absent };
  if (entry.state !== 'connected' && !st) return { level: 'connecting', text: LINK_TEXT.connecting };
  if (!st) return { level: 'connecting', text: LINK_TEXT.connecting };
  const parts = [];
  if (st.width) parts.push(`${st.height}p`);
  parts.push(`${num0.format(st.fps || 0)} hình/giây`);
  parts.push(`mất gói ${num.format(st.lossPercent)} %`);
  parts.push(`jitter ${num0.format((st.jitter || 0) * 1000)} ms`);
  let level = 'good';
  if (!st.flowing) level = 'silent';
  else if (st.lossPercent >= 5) level = 'poor';
  else if (st.lossPercent >= 1 || st.jitter > 0.05) level = 'fair';
  const prefix = level === 'good' ? '' : `${LINK_TEXT[level]} · `;
  const fpsLoss = parts.slice(st.width ? 1 : 0, st.width ? 3 : 2);
  return {
    level,
    text: prefix + parts.join(' · '), // the stage and the roster
    short: prefix + fpsLoss.join(' · '), // grid tiles
    tiny: level === 'good' ? fpsLoss[0] : LINK_TEXT[level], // small grid tiles
  };
}

export class MeetingView {
  constructor() {
    this.tiles = new Map(); // site id → Tile
    this.audioBlocked = false;
    this.onUnblock = null;
  }

  /** Enters the meeting screen for the welcome message. */
  enter(welcome, localStream) {
    showScreen('meeting');
    $('meeting-title').textContent = welcome.meeting?.title || welcome.meeting?.id || '';
    document.title = `${welcome.name} — ${$('meeting-title').textContent}`;
    $('meeting-self').textContent = `${ROLE_TEXT[welcome.role] || ''}: ${welcome.name}`;
    document.body.classList.toggle('is-chair', welcome.role === 'chair');
    show($('roster-panel'), welcome.role === 'chair');
    const sv = $('self-view');
    sv.querySelector('.self-name').textContent = `${welcome.name} (bạn)`;
    const v = sv.querySelector('video');
    const vt = localStream?.getVideoTracks() || [];
    if (vt.length) {
      if (!v.srcObject) v.srcObject = new MediaStream(vt);
      v.play().catch(() => {});
    }
    sv.classList.toggle('no-video', !vt.length);
  }

  leave() {
    for (const t of this.tiles.values()) {
      t.video.srcObject = null;
      t.audio.srcObject = null;
      t.el.remove();
    }
    this.tiles.clear();
    $('self-view').querySelector('video').srcObject = null;
    this.notice(null);
  }

  status(text, level) {
    const el = $('meeting-status');
    el.textContent = text;
    el.dataset.level = level || '';
  }

  /** A bar over the meeting; null hides it. */
  notice(text, button, onClick) {
    const n = $('notice');
    show(n, !!text);
    if (!text) return;
    n.querySelector('.notice-text').textContent = text;
    const b = $('notice-button');
    show(b, !!button);
    if (button) {
      b.textContent = button;
      b.onclick = onClick;
    }
  }

  selfLevel(level) {
    const bar = $('self-view').querySelector('.mic-meter span');
    bar.style.width = `${Math.min(100, Math.round(Math.sqrt(level || 0) * 140))}%`;
  }

  /**
   * Draws the meeting.
   * @param {object} m
   * @param {string} m.self         our site id
   * @param {Array} m.roster        roster entries {id, name, role, present, state}
   * @param {Map} m.media           site id → {video: {track}, audio: {track}}
   * @param {object} m.stats        site id → link figures (describeLink)
   * @param {Set} m.speaking        site ids speaking now
   * @param {string|null} m.stageSite  the site shown large
   */
  render(m) {
    const remote = m.roster.filter((e) => e.id !== m.self && e.present);
    const ids = new Set(remote.map((e) => e.id));
    for (const [id, t] of this.tiles) {
      if (!ids.has(id)) {
        t.video.srcObject = null;
        t.audio.srcObject = null;
        t.el.remove();
        this.tiles.delete(id);
      }
    }
    const stage = $('stage');
    const grid = $('grid');
    const blocked = () => this.audioWasBlocked();
    for (const e of remote) {
      let t = this.tiles.get(e.id);
      if (!t) {
        t = new Tile(e);
        this.tiles.set(e.id, t);
      }
      const media = m.media.get(e.id) || {};
      t.setTracks(media.video?.track || null, media.audio?.track || null, blocked);
      t.update(e, describeLink(e, m.stats[e.id]), m.speaking.has(e.id));
      const parent = e.id === m.stageSite ? stage : grid;
      if (t.el.parentNode !== parent) {
        if (parent === stage) stage.prepend(t.el);
        else parent.append(t.el);
        t.resume(blocked);
      }
    }
    // Keep the grid in roster (configuration) order.
    const order = remote.map((e) => e.id);
    const kids = [...grid.children];
    const want = order.filter((id) => id !== m.stageSite).map((id) => this.tiles.get(id).el);
    if (kids.length !== want.length || kids.some((k, i) => k !== want[i])) {
      for (const el of want) grid.append(el);
      for (const t of this.tiles.values()) t.resume(blocked);
    }
    stage.classList.toggle('empty', !m.stageSite || !this.tiles.has(m.stageSite));
    stage.dataset.emptyText = remote.length
      ? ''
      : 'Chưa có điểm cầu nào khác trong hội nghị.';
    grid.dataset.count = String(want.length);
    grid.dataset.size = want.length <= 3 ? 'few' : want.length <= 6 ? 'some' : 'many';
    const absent = m.roster.filter((e) => !e.present && e.id !== m.self);
    $('absent-line').textContent = absent.length
      ? `Chưa tham gia (${absent.length}): ${absent.map((e) => e.name).join(', ')}`
      : 'Tất cả điểm cầu đã tham gia.';
    this.renderRoster(m);
    this.renderSelf(m);
  }

  /** Our own state in the bar: lobby, muted (by the chair), hand, floor. */
  renderSelf(m) {
    const c = m.chair || {};
    const me = m.roster.find((e) => e.id === m.self) || {};
    const byChair = me.muted_by_chair || {};
    const notes = [];
    if (c.state === 'lobby') notes.push('Đang ở phòng chờ: chờ chủ trì khai mạc');
    if (c.floor === m.self) notes.push('Bạn đang được phát biểu');
    else if (c.floor) notes.push(`Đang phát biểu: ${m.roster.find((e) => e.id === c.floor)?.name || c.floor}`);
    if (byChair.audio) notes.push('Chủ trì đã tắt mic');
    if (byChair.video) notes.push('Chủ trì đã tắt camera');
    if (me.hand) notes.push('Đã giơ tay');
    const st = $('chair-state');
    st.textContent = notes.join(' · ');
    show(st, notes.length > 0);
    st.dataset.floor = c.floor === m.self ? 'self' : '';
    const mic = $('mic-button'), cam = $('cam-button'), hand = $('hand-button');
    mic.textContent = me.audio_muted ? 'Bật mic' : 'Tắt mic';
    mic.disabled = !!byChair.audio;
    mic.dataset.on = me.audio_muted ? 'false' : 'true';
    cam.textContent = me.video_muted ? 'Bật camera' : 'Tắt camera';
    cam.disabled = !!byChair.video;
    cam.dataset.on = me.video_muted ? 'false' : 'true';
    hand.textContent = me.hand ? 'Hạ tay' : 'Giơ tay phát biểu';
    hand.dataset.on = me.hand ? 'true' : 'false';
    show(hand, me.role !== 'chair');
    for (const t of this.tiles.values()) {
      const e = m.roster.find((x) => x.id === t.site.id) || {};
      t.el.classList.toggle('floor', c.floor === t.site.id);
      t.el.dataset.muted = e.audio_muted ? (e.muted_by_chair?.audio ? 'chair' : 'self') : '';
    }
  }

  audioWasBlocked() {
    if (this.audioBlocked) return;
    this.audioBlocked = true;
    this.notice('Trình duyệt đang chặn âm thanh của hội nghị.', 'Bật âm thanh', () => {
      this.audioBlocked = false;
      this.notice(null);
      for (const t of this.tiles.values()) t.resume(() => this.audioWasBlocked());
    });
  }

  /** The chair's roster panel: every configured site. */
  renderRoster(m) {
    if ($('roster-panel').hidden) return;
    const body = $('roster-table').tBodies[0];
    const present = m.roster.filter((e) => e.present).length;
    $('roster-count').textContent = `(${present}/${m.roster.length})`;
    const rows = [...body.rows];
    m.roster.forEach((e, i) => {
      let tr = rows[i];
      if (!tr) {
        tr = body.insertRow();
        tr.innerHTML = '<td class="r-site"><div class="r-name"><span class="dot"></span>' +
          '<span class="n"></span></div><div class="r-link"></div><div class="r-cmd"></div></td>' +
          '<td class="r-state"></td>';
      }
      tr.dataset.site = e.id;
      tr.dataset.state = e.present ? e.state : 'absent';
      const link = e.id === m.self
        ? { level: e.state === 'connected' ? 'good' : 'connecting', text: 'Điểm cầu này' }
        : describeLink(e, m.stats[e.id]);
      tr.dataset.link = link.level;
      tr.classList.toggle('speaking', m.speaking.has(e.id));
      tr.querySelector('.n').textContent = e.name;
      tr.classList.toggle('chair', e.role === 'chair');
      tr.querySelector('.r-link').textContent = e.present ? link.text : '';
      tr.querySelector('.r-state').textContent = stateText(e, m.chair);
      this.renderCommands(tr.querySelector('.r-cmd'), e, m);
    });
    while (body.rows.length > m.roster.length) body.deleteRow(-1);
    const c = m.chair || {};
    $('meeting-state').textContent = MEETING_STATE_TEXT[c.state] || '';
    const q = $('hand-queue');
    const hands = c.hands || [];
    const key = hands.join(',');
    if (q.dataset.key !== key) {
      q.dataset.key = key;
      q.replaceChildren(...hands.map((id) => {
        const li = document.createElement('li');
        const name = document.createElement('span');
        name.textContent = m.roster.find((e) => e.id === id)?.name || id;
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.cmd = 'floor';
        b.dataset.site = id;
        b.textContent = 'Trao quyền';
        li.append(name, ' ', b);
        return li;
      }));
    }
    if (!hands.length) q.textContent = 'Chưa có điểm cầu nào xin phát biểu.';
    const lock = document.querySelector('#chair-commands [data-cmd="lock"]');
    lock.textContent = c.state === 'locked' ? 'Mở khóa phòng' : 'Khóa phòng';
    lock.disabled = c.state === 'lobby';
    const open = document.querySelector('#chair-commands [data-cmd="open"]');
    open.disabled = c.state !== 'lobby';
    open.textContent = c.state === 'lobby' ? 'Khai mạc' : 'Đã khai mạc';
    document.querySelector('#chair-commands [data-cmd="floor-back"]').disabled = !c.floor;
  }

  /** The chair's per-site buttons: mic, camera, floor, remove/allow. */
  renderCommands(td, e, m) {
    const c = m.chair || {};
    const by = e.muted_by_chair || {};
    const key = [e.present, by.audio, by.video, c.floor === e.id, e.removed, e.role].join();
    if (td.dataset.key === key) return;
    td.dataset.key = key;
    const btn = (cmd, text, title, on) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'mini';
      b.dataset.cmd = cmd;
      b.dataset.site = e.id;
      b.textContent = text;
      b.title = title;
      if (on !== undefined) b.dataset.on = String(on);
      return b;
    };
    const kids = [];
    if (e.removed) {
      kids.push(btn('allow', 'Cho vào', 'Cho phép tham gia lại'));
    } else if (e.id !== m.self) {
      if (!e.present) {
        td.replaceChildren();
        return;
      }
      kids.push(btn('mute-audio', by.audio ? 'Bật mic' : 'Tắt mic', 'Chủ trì tắt/bật mic', !by.audio));
      kids.push(btn('mute-video', by.video ? 'Bật hình' : 'Tắt hình', 'Chủ trì tắt/bật camera', !by.video));
      kids.push(c.floor === e.id
        ? btn('floor-back', 'Thu hồi', 'Thu hồi quyền phát biểu', true)
        : btn('floor', 'Phát biểu', 'Trao quyền phát biểu'));
      if (e.role !== 'chair') kids.push(btn('remove', 'Mời ra', 'Mời ra khỏi hội nghị'));
    }
    td.replaceChildren(...kids);
  }
}

/** A roster entry's state with the chair's marks. */
function stateText(e, c) {
  if (e.removed) return 'Đã mời ra';
  if (!e.present) return STATE_TEXT.absent;
  const parts = [e.waiting ? 'Phòng chờ' : STATE_TEXT[e.state] || e.state];
  if (c?.floor === e.id) parts.push('đang phát biểu');
  if (e.hand) parts.push('giơ tay');
  if (e.muted_by_chair?.audio) parts.push('chủ trì tắt mic');
  else if (e.audio_muted) parts.push('tự tắt mic');
  if (e.muted_by_chair?.video) parts.push('chủ trì tắt camera');
  else if (e.video_muted) parts.push('tự tắt camera');
  return parts.join(' · ');
}
