#!/usr/bin/python3
"""A diemcau site on a second WebRTC stack: GStreamer's webrtcbin (Debian 12,
1.22) from Python, written from docs/protocol.md alone (no diemcau code).

It joins over the site WebSocket, answers every offer of the bridge on one
webrtcbin, trickles candidates both ways, sends VP8 (videotestsrc ! vp8enc)
and Opus (audiotestsrc ! opusenc) on the offer's first video and audio
m-lines, and counts per remote site the RTP packets received and the frames
decoded (vp8dec, opusdec). No workaround for the bridge: the bundle policy is
the only setting (webrtcbin's default is "none").

Prints one line "STATUS {json}" a second with what --report writes at the
end: {"site", "bundle_policy", "state", "offers", "answers", "errors",
"connection", "remote": {SITE: {"audio_packets", "video_packets",
"audio_frames", "video_frames"}}, "sent": {"audio_packets",
"video_packets"}}. --transcript FILE writes every message sent and received,
one JSON object a line: {"t": seconds since start, "dir": "send" or "recv",
"msg": {...}}. Exits 0 after --duration seconds, on SIGINT or SIGTERM
(after a leave); 2 when it cannot start."""
import argparse
import json
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("Soup", "3.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Soup  # noqa: E402

SEND = {
    # kind: (source, encoder and payloader, RTP caps), payload types as the
    # document says the offer carries them (Opus 111, VP8 96).
    "audio": ("audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
              "opusenc bitrate=32000 ! rtpopuspay pt=111",
              "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000"),
    "video": ("videotestsrc is-live=true pattern=ball ! "
              "video/x-raw,width=320,height=180,framerate=15/1 ! videoconvert ! "
              "vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=300000 ! rtpvp8pay pt=96",
              "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"),
}


class Site:
    def __init__(self, a):
        self.a = a
        self.loop = GLib.MainLoop()
        self.lock = threading.Lock()
        self.ws = None
        self.state = "connecting"  # joined, refused, left
        self.offers = 0
        self.answers = 0
        self.errors = []
        self.remote = {}  # site -> counters
        self.sent = {"audio_packets": 0, "video_packets": 0}
        self.streams = {}  # mid -> {"site", "kind"} of the last offer
        self.early = []  # candidates before the first remote description
        self.have_remote = False
        self.pipe = None
        self.webrtc = None
        self.t0 = time.time()
        self.transcript = open(a.transcript, "w", encoding="utf-8") if a.transcript else None

    def record(self, direction, msg):
        if self.transcript:
            line = {"t": round(time.time() - self.t0, 3), "dir": direction, "msg": msg}
            self.transcript.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.transcript.flush()

    # ---- media ----

    def build_pipeline(self):
        self.pipe = Gst.Pipeline.new("site")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        self.webrtc.set_property("bundle-policy", {
            "max-bundle": GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE,
            "none": GstWebRTC.WebRTCBundlePolicy.NONE}[self.a.bundle_policy])
        self.pipe.add(self.webrtc)
        # Our camera and microphone first, so that their transceivers take
        # the offer's first audio and video m-lines (a=recvonly there).
        for kind in ("audio", "video"):
            src, caps = SEND[kind]
            bin_ = Gst.parse_bin_from_description(f"{src} ! queue ! capsfilter caps=\"{caps}\"", True)
            self.pipe.add(bin_)
            bin_.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_sent, kind)
            sink = self.webrtc.request_pad_simple("sink_%u")
            bin_.get_static_pad("src").link(sink)
        self.webrtc.connect("on-ice-candidate", self.on_ice_candidate)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.connect("pad-added", self.on_pad_added)
        self.pipe.set_state(Gst.State.PLAYING)

    def on_sent(self, pad, info, kind):
        with self.lock:
            self.sent[f"{kind}_packets"] += 1
        return Gst.PadProbeReturn.OK

    def counters(self, site):
        return self.remote.setdefault(site, {"audio_packets": 0, "video_packets": 0,
                                             "audio_frames": 0, "video_frames": 0})

    def on_pad_added(self, webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        trans = pad.get_property("transceiver")
        mid = trans.get_property("mid") if trans else None
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_string("media") if caps and caps.get_size() else None
        with self.lock:
            s = self.streams.get(mid, {})
        site, kind = s.get("site", f"mid-{mid}"), s.get("kind", media or "?")
        chain = ("rtpvp8depay ! vp8dec ! fakesink name=out sync=false signal-handoffs=true"
                 if kind == "video" else
                 "rtpopusdepay ! opusdec ! fakesink name=out sync=false signal-handoffs=true")
        bin_ = Gst.parse_bin_from_description(f"queue ! {chain}", True)
        self.pipe.add(bin_)
        bin_.sync_state_with_parent()
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_rtp, (site, kind))
        bin_.get_by_name("out").connect("handoff", self.on_frame, (site, kind))
        pad.link(bin_.get_static_pad("sink"))

    def on_rtp(self, pad, info, key):
        with self.lock:
            self.counters(key[0])[f"{key[1]}_packets"] += 1
        return Gst.PadProbeReturn.OK

    def on_frame(self, sink, buf, pad, key):
        with self.lock:
            self.counters(key[0])[f"{key[1]}_frames"] += 1

    # ---- signaling (protocol.md sections 2 to 4) ----

    def send(self, msg):
        # From webrtcbin's threads too: the WebSocket lives on the main loop.
        GLib.idle_add(self._send, json.dumps(msg))

    def _send(self, text):
        if self.ws and self.ws.get_state() == Soup.WebsocketState.OPEN:
            self.record("send", json.loads(text))
            self.ws.send_text(text)
        return False

    def on_ice_candidate(self, webrtc, mline, candidate):
        self.send({"type": "candidate", "candidate": candidate, "sdpMLineIndex": mline})

    def on_gathering(self, webrtc, pspec):
        if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self.send({"type": "candidate", "candidate": ""})

    def connect(self):
        session = Soup.Session()
        msg = Soup.Message.new("GET", self.a.signal)
        session.websocket_connect_async(msg, None, None, GLib.PRIORITY_DEFAULT, None,
                                        self.on_connected, None)
        self.session = session

    def on_connected(self, session, result, _):
        try:
            self.ws = session.websocket_connect_finish(result)
        except GLib.Error as e:
            self.errors.append({"code": "connect", "message": e.message})
            self.loop.quit()
            return
        self.ws.connect("message", self.on_message)
        self.ws.connect("closed", lambda ws: self.stop("the service closed the connection"))
        self._send(json.dumps({"type": "join", "site": self.a.site, "credential": self.a.credential}))
        GLib.timeout_add_seconds(10, self.ping)

    def ping(self):
        self._send(json.dumps({"type": "ping"}))
        return True

    def on_message(self, ws, kind, data):
        try:
            m = json.loads(data.get_data().decode("utf-8"))
        except ValueError:
            return
        self.record("recv", m)
        t = m.get("type")
        if t == "welcome":
            self.state = "joined"
        elif t == "offer":
            self.answer(m)
        elif t == "candidate":
            if not self.have_remote:
                self.early.append(m)
            else:
                self.add_candidate(m)
        elif t == "error":
            self.errors.append({"code": m.get("code"), "message": m.get("message")})
            print("ERROR " + json.dumps(m, ensure_ascii=False), flush=True)
            if m.get("code") in ("unknown-site", "bad-credential", "role-not-allowed"):
                self.state = "refused"

    def add_candidate(self, m):
        if m.get("candidate"):
            self.webrtc.emit("add-ice-candidate", m.get("sdpMLineIndex") or 0, m["candidate"])

    def answer(self, m):
        self.offers += 1
        ok, sdp = GstSdp.SDPMessage.new_from_text(m["sdp"])
        if ok != GstSdp.SDPResult.OK:
            self.errors.append({"code": "local", "message": "the offer does not parse"})
            return
        with self.lock:
            self.streams = {s["mid"]: s for s in m.get("streams", [])}
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)
        p = Gst.Promise.new()
        self.webrtc.emit("set-remote-description", offer, p)
        p.wait()
        if not self.promise_ok(p, "set-remote-description"):
            return
        self.have_remote = True
        for c in self.early:
            self.add_candidate(c)
        self.early = []
        p = Gst.Promise.new()
        self.webrtc.emit("create-answer", None, p)
        p.wait()
        reply = p.get_reply()
        answer = reply.get_value("answer") if reply and reply.has_field("answer") else None
        if answer is None:
            self.promise_ok(p, "create-answer")
            return
        p = Gst.Promise.new()
        self.webrtc.emit("set-local-description", answer, p)
        p.wait()
        if not self.promise_ok(p, "set-local-description"):
            return
        self.send({"type": "answer", "sdp": answer.sdp.as_text()})
        self.answers += 1

    def promise_ok(self, p, what):
        reply = p.get_reply()
        if reply is not None and reply.has_field("error"):
            err = reply.get_value("error")
            text = f"{what}: {err.message if hasattr(err, 'message') else err}"
            self.errors.append({"code": "webrtcbin", "message": text})
            print("WEBRTCBIN-ERROR " + text, flush=True)
            return False
        return True

    # ---- report ----

    def snapshot(self):
        with self.lock:
            conn = self.webrtc.get_property("connection-state").value_nick if self.webrtc else "new"
            return {"site": self.a.site, "bundle_policy": self.a.bundle_policy, "state": self.state,
                    "offers": self.offers, "answers": self.answers, "errors": list(self.errors),
                    "connection": conn, "elapsed_s": round(time.time() - self.t0, 1),
                    "remote": json.loads(json.dumps(self.remote)), "sent": dict(self.sent)}

    def status(self):
        if self.a.status:
            print("STATUS " + json.dumps(self.snapshot(), ensure_ascii=False), flush=True)
        return True

    def stop(self, why=""):
        if self.state != "left":
            self._send(json.dumps({"type": "leave"}))
            self.state = "left" if self.state != "refused" else self.state
        GLib.timeout_add(200, self.loop.quit)
        return False

    def run(self):
        self.build_pipeline()
        self.connect()
        GLib.timeout_add_seconds(1, self.status)
        GLib.timeout_add(int(self.a.duration * 1000), self.stop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, self.stop)
        self.loop.run()
        snap = self.snapshot()
        self.pipe.set_state(Gst.State.NULL)
        if self.a.report:
            with open(self.a.report, "w", encoding="utf-8") as f:
                json.dump(snap, f, ensure_ascii=False, indent=1)
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--signal", required=True, help="ws://HOST:PORT/ws")
    ap.add_argument("--site", required=True)
    ap.add_argument("--credential", required=True)
    ap.add_argument("--bundle-policy", choices=("none", "max-bundle"), default="none",
                    help="webrtcbin's bundle policy (its default: none)")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--report", help="write the final counters here as JSON")
    ap.add_argument("--status", action="store_true", help="print a STATUS line every second")
    ap.add_argument("--transcript", help="write every message sent and received here (JSON lines)")
    a = ap.parse_args()
    Gst.init(None)
    if not Gst.ElementFactory.find("webrtcbin"):
        print("webrtcbin is missing: run scripts/setup.sh (gstreamer1.0-plugins-bad)", file=sys.stderr)
        return 2
    return Site(a).run()


if __name__ == "__main__":
    sys.exit(main())
