"""A minimal WebSocket client (RFC 6455, text frames, client masking) for the
system tests to play the chair or a district on diemcau-signal's /ws: the
Python standard library has none. One background thread reads messages
into a list; send() and the helpers are called from the test."""
import base64
import hashlib
import json
import os
import socket
import struct
import threading
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    def __init__(self, port, path="/ws", timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if b" 101 " not in head.split(b"\r\n")[0] or accept.encode() not in head:
            raise ConnectionError(f"bad handshake: {head!r}")
        self.sock.settimeout(None)
        self.messages, self.closed, self.close_code = [], False, None
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self):
        try:
            while True:
                b0, b1 = self._recv(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._recv(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._recv(8))[0]
                payload = self._recv(n)  # the server never masks
                op = b0 & 0x0F
                if op == 1:
                    with self.lock:
                        self.messages.append(json.loads(payload.decode()))
                elif op == 9:
                    self._frame(10, payload)
                elif op == 8:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    break
        except (OSError, ConnectionError, ValueError):
            pass
        self.closed = True

    def send(self, obj):
        self._frame(1, json.dumps(obj).encode())

    def close(self):
        try:
            self._frame(8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()

    def take(self, type_, timeout=5.0, pred=lambda m: True):
        """Removes and returns the first message of type_ matching pred."""
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                for i, m in enumerate(self.messages):
                    if m.get("type") == type_ and pred(m):
                        return self.messages.pop(i)
            time.sleep(0.02)
        return None

    def latest(self, type_, settle=0.3):
        """The newest message of type_ after traffic settles (others dropped)."""
        time.sleep(settle)
        with self.lock:
            found = [m for m in self.messages if m.get("type") == type_]
            self.messages = [m for m in self.messages if m.get("type") != type_]
        return found[-1] if found else None


def join(port, site, credential, role=None):
    ws = WebSocket(port)
    msg = {"type": "join", "site": site, "credential": credential}
    if role:
        msg["role"] = role
    ws.send(msg)
    return ws
