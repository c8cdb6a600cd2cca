// signal.js: the site protocol of diemcau-signal over one WebSocket
// (docs/protocol.md). JSON text messages both ways; this module only frames
// them: it knows nothing of WebRTC or the page.
//
//   const sig = new Signal(url, { message(msg) {...}, closed(code, reason) {...},
//                                 silent(ms) {...} });
//   await sig.open();
//   sig.send({ type: 'join', site, credential });
//   sig.close();

// WebSocket close codes of the site protocol.
export const CLOSE_REPLACED = 4001;
export const CLOSE_TOO_MANY = 4002;

// Keepalive (docs/protocol.md, "ping"): a ping every 0.4 x the silence
// limit; nothing at all from the server for the limit, and the connection is
// taken for dead (a NAT or firewall that forgot it closes nothing, and a
// browser cannot see WebSocket pongs).
export const keepalive = { silenceMs: 25000 };

/** The WebSocket URL of the site protocol for the page at @location. */
export function signalUrl(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export class Signal {
  /**
   * @param {string} url  ws(s)://HOST/ws
   * @param {{message: function(object): void, closed: function(number, string): void,
   *          silent: function(number): void}} handlers
   *   message: every parsed message from the server, in order (not pong);
   *   closed: once, when the connection ends after open() resolved;
   *   silent: once, when nothing has come for keepalive.silenceMs on an open
   *     connection (the argument: ms since the last message); the
   *     connection is left as it is.
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
    this.closedByUs = false;
    this.lastRx = 0;
    this.timer = null;
  }

  startKeepalive() {
    this.lastRx = performance.now();
    this.pingAt = null; // the first ping sent since the last message
    const limit = keepalive.silenceMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      const silent = now - this.lastRx;
      const unanswered = this.pingAt !== null && this.lastRx < this.pingAt;
      // Silent only when a ping has had time to be answered: a hidden tab's
      // timers may run once a minute, but its messages still arrive.
      if (silent >= limit && unanswered && now - this.pingAt >= limit * 0.6) {
        this.stopKeepalive();
        if (this.handlers.silent) this.handlers.silent(silent);
        return;
      }
      if (!unanswered) this.pingAt = now;
      this.send({ type: 'ping' });
    }, limit * 0.4);
  }

  stopKeepalive() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** Connects. Resolves when open; rejects with an Error when it cannot. */
  open() {
    return new Promise((resolve, reject) => {
      let opened = false;
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.onopen = () => {
        opened = true;
        this.startKeepalive();
        resolve();
      };
      ws.onerror = () => {
        if (!opened) reject(new Error(`cannot connect to ${this.url}`));
      };
      ws.onclose = (ev) => {
        if (!opened) {
          reject(new Error(`cannot connect to ${this.url} (code ${ev.code})`));
          return;
        }
        this.stopKeepalive();
        if (!this.closedByUs) this.handlers.closed(ev.code, ev.reason || '');
      };
      ws.onmessage = (ev) => {
        this.lastRx = performance.now();
        let msg;
        try {
          msg = JSON.parse(ev.data);
        } catch (e) {
          console.warn('diemcau: not JSON from the server:', ev.data);
          return;
        }
        if (!msg || typeof msg.type !== 'string') {
          console.warn('diemcau: message without a type:', msg);
          return;
        }
        if (msg.type === 'pong') return; // its arrival was the point
        this.handlers.message(msg);
      };
    });
  }

  /** Sends one message; false when the connection is not open. */
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Closes without calling handlers.closed. */
  close() {
    this.stopKeepalive();
    this.closedByUs = true;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'leaving');
    this.ws = null;
  }
}
