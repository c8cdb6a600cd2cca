// signal.js: the site protocol of diemcau-signal over one WebSocket
// (docs/protocol.md). JSON text messages both ways; this module only frames
// them: it knows nothing of WebRTC or the page.
//
//   const sig = new Signal(url, { message(msg) {...}, closed(code, reason) {...} });
//   await sig.open();
//   sig.send({ type: 'join', site, credential });
//   sig.close();

// WebSocket close codes of the site protocol.
export const CLOSE_REPLACED = 4001;
export const CLOSE_TOO_MANY = 4002;

/** The WebSocket URL of the site protocol for the page at @location. */
export function signalUrl(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export class Signal {
  /**
   * @param {string} url  ws(s)://HOST/ws
   * @param {{message: function(object): void, closed: function(number, string): void}} handlers
   *   message: every parsed message from the server, in order;
   *   closed: once, when the connection ends after open() resolved.
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
    this.closedByUs = false;
  }

  /** Connects. Resolves when open; rejects with an Error when it cannot. */
  open() {
    return new Promise((resolve, reject) => {
      let opened = false;
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.onopen = () => {
        opened = true;
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
        if (!this.closedByUs) this.handlers.closed(ev.code, ev.reason || '');
      };
      ws.onmessage = (ev) => {
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
    this.closedByUs = true;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'leaving');
    this.ws = null;
  }
}
