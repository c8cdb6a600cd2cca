// call.js: the page's one RTCPeerConnection to the bridge.
//
// The bridge is always the offerer (docs/architecture.md): its offer carries
// our own audio and video m-lines first (a=recvonly: the bridge receives our
// microphone and camera there), then one audio and one video m-line per other
// site (a=sendonly, listed in the offer message's "streams" as mid → site).
// Every re-offer (a site joins or leaves) is answered on the same connection.
// Messages are handled strictly one after the other, so a candidate never
// overtakes the offer it belongs to. The bridge sends its candidates after
// its offer (docs/protocol.md); one that comes before any offer is kept and
// applied once the offer is set, not dropped.

/** Parses the m-sections of an SDP into [{kind, mid, direction}], in order. */
export function parseSections(sdp) {
  const out = [];
  let cur = null;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      cur = { kind: line.slice(2).split(' ')[0], mid: null, direction: 'sendrecv' };
      out.push(cur);
    } else if (cur) {
      if (line.startsWith('a=mid:')) cur.mid = line.slice(6).trim();
      else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line.trim())) {
        cur.direction = line.trim().slice(2);
      }
    }
  }
  return out;
}

/** The session-level or first a=fingerprint value of an SDP, or null. */
function fingerprint(sdp) {
  const m = /^a=fingerprint:(.+)$/m.exec(sdp);
  return m ? m[1].trim() : null;
}

export class Call {
  /**
   * @param {object} o
   * @param {MediaStream} o.localStream  our microphone and camera (either may be missing)
   * @param {function(object): boolean} o.send  sends one protocol message
   * @param {function(): void} o.changed  the remote sites or the connection state changed
   * @param {function(): void} [o.stalled]  an ICE restart asked over the signaling
   *   connection got no offer within 5 s: that connection is likely dead too
   */
  constructor({ localStream, send, changed, stalled }) {
    this.localStream = localStream;
    this.send = send;
    this.changed = changed;
    this.stalled = stalled || (() => {});
    this.offersSeen = 0; // offers received, answered or not
    this.pc = null;
    this.streams = new Map(); // mid → {mid, site, kind} from the last offer
    this.queue = Promise.resolve();
    this.offers = 0; // offers answered on the current connection
    this.connections = 0; // RTCPeerConnections made (one more per bridge restart)
    this.lastError = null;
    this.earlyCandidates = []; // from the bridge before any remote description
    // The first connection's milestones (performance.now() ms): offer
    // received, answer sent, ICE connected, DTLS done (connectionState
    // connected), first video frame decoded. For the technician and tests.
    this.timing = {};
  }

  /** Notes milestone @name once (the first time only). */
  mark(name) {
    if (this.timing[name] == null) this.timing[name] = performance.now();
  }

  /** Polls getStats every 20 ms from the answer until a first video frame
   * is decoded (10 s at most). */
  watchFirstFrame(pc) {
    const until = performance.now() + 10000;
    const poll = async () => {
      if (pc !== this.pc || this.timing.firstFrame != null || performance.now() > until) return;
      const report = await pc.getStats();
      let decoded = false;
      report.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video' && r.framesDecoded > 0) decoded = true;
      });
      if (decoded) this.mark('firstFrame');
      else setTimeout(poll, 20);
    };
    setTimeout(poll, 20);
  }

  /** Runs @fn after every message handled before it. */
  enqueue(fn) {
    this.queue = this.queue.then(fn).catch((e) => {
      this.lastError = String(e && e.message ? e.message : e);
      console.error('diemcau call:', e);
    });
    return this.queue;
  }

  makePc() {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.connections++;
    pc.onicecandidate = (ev) => {
      if (pc !== this.pc) return;
      if (!ev.candidate) {
        this.send({ type: 'candidate', candidate: '' }); // end of candidates
        return;
      }
      const c = ev.candidate;
      this.send({
        type: 'candidate',
        candidate: c.candidate,
        sdpMid: c.sdpMid,
        sdpMLineIndex: c.sdpMLineIndex,
      });
    };
    pc.onconnectionstatechange = () => {
      if (pc === this.pc && pc.connectionState === 'connected') this.mark('dtls');
      this.changed();
    };
    pc.oniceconnectionstatechange = () => {
      this.changed();
      const st = pc.iceConnectionState;
      if (pc === this.pc && (st === 'connected' || st === 'completed')) this.mark('ice');
      if (pc === this.pc && (st === 'disconnected' || st === 'failed')) this.askIceRestart();
    };
    pc.ontrack = () => this.changed();
    return pc;
  }

  /** Handles {"type":"offer","sdp","streams"}: answers it. An offer still
   * waiting behind another when a newer one arrives is dropped (the newer
   * one replaces it). An offer for a new transport (after
   * bridge-restarting, or from a bridge with a new DTLS fingerprint) gets a
   * new RTCPeerConnection. */
  offer(msg) {
    this.latestOffer = msg;
    this.offersSeen++;
    return this.enqueue(async () => {
      if (msg !== this.latestOffer) return;
      const fp = fingerprint(msg.sdp);
      if (this.pc && (this.restarting || (this.fingerprint && fp && fp !== this.fingerprint))) {
        this.closePc();
      }
      this.restarting = false;
      this.fingerprint = fp;
      if (!this.pc) {
        this.pc = this.makePc();
        this.offers = 0;
        this.mark('offer');
      }
      const pc = this.pc;
      this.lastOffer = msg.sdp;
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      for (const c of this.earlyCandidates.splice(0)) await this.addCandidate(pc, c);
      this.streams = new Map((msg.streams || []).map((s) => [s.mid, s]));
      await this.attachLocal(pc, msg.sdp);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      this.lastAnswer = pc.localDescription.sdp;
      this.send({ type: 'answer', sdp: this.lastAnswer });
      if (this.timing.answer == null) {
        this.mark('answer');
        this.watchFirstFrame(pc);
      }
      this.offers++;
      this.changed();
    });
  }

  /** Our microphone and camera go on the first audio and the first video
   * m-line that the bridge receives on (a=recvonly in its offer). */
  async attachLocal(pc, sdp) {
    const done = new Set();
    const byMid = new Map(pc.getTransceivers().map((t) => [t.mid, t]));
    for (const s of parseSections(sdp)) {
      if (s.direction !== 'recvonly' || done.has(s.kind) || !byMid.has(s.mid)) continue;
      done.add(s.kind);
      const t = byMid.get(s.mid);
      const track = this.localStream
        ? this.localStream.getTracks().find((x) => x.kind === s.kind) || null
        : null;
      t.direction = track ? 'sendonly' : 'inactive';
      if (t.sender.track !== track) await t.sender.replaceTrack(track);
      if (track && s.kind === 'video') {
        // One camera stream: let the bridge's receivers see its full detail.
        track.contentHint = 'motion';
      }
    }
  }

  /** Handles {"type":"candidate",...} from the bridge. One that comes
   * before any offer (addIceCandidate would reject it) waits for the offer. */
  candidate(msg) {
    return this.enqueue(async () => {
      if (!this.pc || !this.pc.remoteDescription) {
        this.earlyCandidates.push(msg);
        return;
      }
      await this.addCandidate(this.pc, msg);
    });
  }

  async addCandidate(pc, msg) {
    const init = { candidate: msg.candidate || '' };
    if (msg.sdpMid != null) init.sdpMid = msg.sdpMid;
    if (msg.sdpMLineIndex != null) init.sdpMLineIndex = msg.sdpMLineIndex;
    if (init.sdpMid == null && init.sdpMLineIndex == null) init.sdpMLineIndex = 0;
    try {
      await pc.addIceCandidate(init);
    } catch (e) {
      console.warn('diemcau: candidate refused:', msg.candidate, e);
    }
  }

  /** Our media path broke (the browser saw ICE 'disconnected' or 'failed':
   * a cut link, a new address): ask the bridge for an ICE restart over the
   * signaling session, at most every 5 s while it lasts. The bridge offers
   * (pc.restartIce() is for offerers): its next offer carries new ICE
   * credentials with the same fingerprint, mids and SSRCs, and offer()
   * answers it on this RTCPeerConnection, so DTLS-SRTP is kept. */
  askIceRestart(force = false) {
    const now = Date.now();
    if (!force && this.lastIceRestart && now - this.lastIceRestart < 5000) return;
    this.lastIceRestart = now;
    this.iceRestarts = (this.iceRestarts || 0) + 1;
    const seen = this.offersSeen;
    this.send({ type: 'ice-restart' });
    clearTimeout(this.iceRestartTimer);
    this.iceRestartTimer = setTimeout(() => {
      const st = this.pc ? this.pc.iceConnectionState : 'closed';
      if (st !== 'disconnected' && st !== 'failed') return;
      // The bridge answers a restart with an offer within a second or two;
      // none at all means our request never reached it: when the address
      // changed, the WebSocket died with it, often without a close event.
      if (this.offersSeen === seen) this.stalled();
      else this.askIceRestart();
    }, 5000);
  }

  /** The link to the bridge dropped ("bridge-restarting"). If the bridge
   * process restarted, the next offer is for a new transport and gets a new
   * RTCPeerConnection; if it did not, no offer comes and the media, which
   * never stopped, stays on this one. */
  reset() {
    return this.enqueue(async () => {
      this.restarting = true;
      this.changed();
    });
  }

  closePc() {
    clearTimeout(this.iceRestartTimer);
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
    this.streams = new Map();
    this.fingerprint = null;
  }

  close() {
    this.closePc();
    this.earlyCandidates = [];
    this.queue = Promise.resolve();
  }

  /** 'new', 'connecting', 'connected', 'disconnected', 'failed' or 'closed'. */
  connectionState() {
    return this.pc ? this.pc.connectionState : 'closed';
  }

  /** site id → {audio: {track, receiver, mid}, video: {...}} for every site
   * the last offer sends us. */
  sites() {
    const out = new Map();
    if (!this.pc) return out;
    for (const t of this.pc.getTransceivers()) {
      const s = t.mid != null ? this.streams.get(t.mid) : null;
      if (!s || t.stopped) continue;
      if (!out.has(s.site)) out.set(s.site, {});
      out.get(s.site)[s.kind] = { track: t.receiver.track, receiver: t.receiver, mid: t.mid };
    }
    return out;
  }

  /** site id → audio level 0..1 from the RTP audio-level header extension
   * (RFC 6464) of the last 500 ms, where the bridge forwards it. */
  audioLevels() {
    const out = new Map();
    const now = performance.now();
    for (const [site, m] of this.sites()) {
      if (!m.audio) continue;
      let level = null;
      for (const s of m.audio.receiver.getSynchronizationSources()) {
        if (typeof s.audioLevel === 'number' && now - s.timestamp < 500) {
          level = Math.max(level ?? 0, s.audioLevel);
        }
      }
      if (level != null) out.set(site, level);
    }
    return out;
  }

  /**
   * Resolves to {sites: {SITE: {...}}, self: {...}} from pc.getStats():
   * per remote site framesDecoded, framesPerSecond (fps), width, height,
   * totalSamplesReceived, audioLevel, packetsReceived, packetsLost (audio +
   * video), jitter (seconds, the larger of the two), and for our own
   * outgoing media the packets and bytes sent and the round-trip time.
   */
  async stats() {
    const result = { sites: {}, self: {}, transport: {} };
    if (!this.pc) return result;
    const report = await this.pc.getStats();
    // Chromium names the mid in inbound-rtp; older builds only the track.
    const midOfTrack = new Map();
    for (const t of this.pc.getTransceivers()) {
      if (t.mid != null && t.receiver.track) midOfTrack.set(t.receiver.track.id, t.mid);
    }
    report.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) {
        const pair = report.get(r.selectedCandidatePairId);
        const local = pair && report.get(pair.localCandidateId);
        const remote = pair && report.get(pair.remoteCandidateId);
        result.transport.localCandidateType = local ? local.candidateType : null;
        result.transport.remoteCandidateType = remote ? remote.candidateType : null;
        result.transport.remoteAddress = remote ? `${remote.address}:${remote.port}` : null;
      }
      if (r.type === 'inbound-rtp') {
        const mid = r.mid ?? midOfTrack.get(r.trackIdentifier);
        const s = this.streams.get(mid);
        if (!s) return;
        const o = (result.sites[s.site] ??= {
          framesDecoded: 0, fps: 0, width: 0, height: 0, totalSamplesReceived: 0,
          audioLevel: 0, packetsReceived: 0, packetsLost: 0, jitter: 0,
          nackCount: 0, pliCount: 0,
        });
        o.packetsReceived += r.packetsReceived || 0;
        o.packetsLost += r.packetsLost || 0;
        o.jitter = Math.max(o.jitter, r.jitter || 0);
        o.nackCount += r.nackCount || 0;
        if (r.kind === 'video') {
          o.framesDecoded = r.framesDecoded || 0;
          o.fps = r.framesPerSecond || 0;
          o.width = r.frameWidth || 0;
          o.height = r.frameHeight || 0;
          o.pliCount += r.pliCount || 0;
          o.videoPacketsLost = r.packetsLost || 0;
        } else {
          o.totalSamplesReceived = r.totalSamplesReceived || 0;
          o.audioLevel = r.audioLevel || 0;
          o.audioPacketsLost = r.packetsLost || 0;
        }
      } else if (r.type === 'outbound-rtp') {
        const o = (result.self[r.kind] ??= {});
        o.packetsSent = r.packetsSent || 0;
        o.bytesSent = r.bytesSent || 0;
        if (r.kind === 'video') {
          o.framesEncoded = r.framesEncoded || 0;
          o.qualityLimitationReason = r.qualityLimitationReason || 'none';
          o.targetBitrate = r.targetBitrate || 0;
          o.nackCount = r.nackCount || 0;
          o.pliCount = r.pliCount || 0;
          o.fps = r.framesPerSecond || 0;
          o.width = r.frameWidth || 0;
          o.height = r.frameHeight || 0;
        }
      } else if (r.type === 'media-source' && r.kind === 'audio') {
        result.self.audioLevel = r.audioLevel || 0;
      } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
        result.transport.rtt = r.currentRoundTripTime ?? null;
        result.transport.availableOutgoingBitrate = r.availableOutgoingBitrate ?? null;
      }
    });
    return result;
  }
}
