#!/usr/bin/env python3
"""Writes the seed corpus for tests/fuzz/fuzz-rtcp.c into this directory.

Run it from anywhere: python3 tests/fuzz/corpus/rtcp/gen-seeds.py
(The replay test feeds this script to the target as well; it is just one
more malformed input.)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def hdr(count, pt, body, padding=0):
    """RTCP header + body (+ padding bytes, P bit, last octet = count)."""
    if padding:
        body = body + b"\0" * (padding - 1) + bytes([padding])
    assert len(body) % 4 == 0
    first = 0x80 | (0x20 if padding else 0) | count
    return struct.pack("!BBH", first, pt, len(body) // 4) + body


def block(ssrc, frac, lost, ehs, jitter, lsr, dlsr):
    return struct.pack("!IB", ssrc, frac) + (lost & 0xFFFFFF).to_bytes(3, "big") + \
        struct.pack("!IIII", ehs, jitter, lsr, dlsr)


def sr(ssrc, blocks):
    body = struct.pack("!IQIII", ssrc, 0xE1234567_89ABCDEF, 0x11223344, 100, 64000)
    return hdr(len(blocks), 200, body + b"".join(blocks))


def rr(ssrc, blocks, padding=0):
    return hdr(len(blocks), 201, struct.pack("!I", ssrc) + b"".join(blocks), padding)


def sdes(chunks):
    body = b""
    for ssrc, items in chunks:
        c = struct.pack("!I", ssrc)
        for t, text in items:
            c += bytes([t, len(text)]) + text
        c += b"\0"
        c += b"\0" * (-len(c) % 4)
        body += c
    return hdr(len(chunks), 202, body)


def bye(ssrcs, reason=None):
    body = b"".join(struct.pack("!I", s) for s in ssrcs)
    if reason is not None:
        r = bytes([len(reason)]) + reason
        body += r + b"\0" * (-len(r) % 4)
    return hdr(len(ssrcs), 203, body)


def fb(pt, fmt, sender, media, fci):
    fci += b"\0" * (-len(fci) % 4)
    return hdr(fmt, pt, struct.pack("!II", sender, media) + fci)


def nack(pairs):
    return fb(205, 1, 1, 2, b"".join(struct.pack("!HH", p, b) for p, b in pairs))


def twcc(base, count, ref, fbc, chunks, deltas):
    fci = struct.pack("!HH", base, count) + (ref & 0xFFFFFF).to_bytes(3, "big") + bytes([fbc])
    fci += b"".join(struct.pack("!H", c) for c in chunks) + deltas
    return fb(205, 15, 0x11111111, 0x22222222, fci)


B1 = block(0xAABBCCDD, 0x40, -2, 0x0001FFFF, 32, 0x45678901, 65536)
B2 = block(0x01020304, 0xFF, 0x7FFFFF, 0xFFFFFFFF, 0, 0, 0)
SDES = sdes([(0x11111111, [(1, b"unit42@hanoi")]),
             (0x22222222, [(2, b"Name"), (8, b"\x01xy"), (1, b"a@b")])])
TWCC = twcc(0xFFFE, 20, -1, 7, [0x2003, 0xA801, 0xE100],
            bytes([4, 0, 255, 1, 2, 8, 0xFF, 0x38, 40]))
REMB = fb(206, 15, 0x11223344, 0, b"REMB" + bytes([2, (10 << 2) | 1, 0x23, 0x45]) +
          struct.pack("!II", 0x55667788, 0x99AABBCC))
COMPOUND = sr(0x11111111, [B1]) + SDES

seeds = {
    "01-sr": sr(0x01020304, [B1]),
    "02-rr": rr(0x05060708, [B1, B2]),
    "03-sdes": SDES,
    "04-bye": bye([10, 11], b"close"),
    "05-compound-sr-sdes": COMPOUND,
    "06-compound-rr-sdes-bye-padded": rr(1, []) + SDES + bye([1]) + rr(7, [], padding=4),
    "07-nack": nack([(0x1234, 0x8001), (0x2000, 0x0003)]),
    "08-nack-wrap": nack([(0xFFFF, 0xFFFF), (0xFFF0, 0x0000)]),
    "09-pli": fb(206, 1, 0xDEADBEEF, 0x12345678, b""),
    "10-fir": fb(206, 4, 1, 0, struct.pack("!IBxxxIBxxx", 0xAABBCCDD, 7, 0x11223344, 255)),
    "11-remb": REMB,
    "12-twcc": TWCC,
    "13-twcc-runs": twcc(0x7FFF, 9000, 100, 1, [0x2001, 0x0000 | 8190, 0x4000 | 808, 0x2000 | 1],
                         bytes([3]) + struct.pack("!h", -4) * 808 + bytes([9])),
    "14-twcc-1bit": twcc(0, 30, 0x7FFFFF, 255, [0xBFFF, 0x8001, 0xD555],
                         bytes(range(1, 16)) + bytes([200, 201])),
    "15-compound-fb": rr(3, [B2]) + nack([(5, 1)]) + fb(206, 1, 3, 4, b"") + REMB + TWCC,
    "16-truncated": COMPOUND[:len(COMPOUND) - 6],
    "17-lying-length": bytes([0x81, 0xC9, 0x00, 0x07]) + B1[:20],
    "18-app-and-unknown": hdr(3, 204, struct.pack("!I", 9) + b"name" + b"data") +
                          hdr(0, 207, b"\0" * 8),
}

for name, data in seeds.items():
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {HERE}")
