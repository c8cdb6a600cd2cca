/* demux: classifies a datagram that arrived on the one BUNDLE'd UDP port as
 * STUN, DTLS, RTP or RTCP (RFC 7983 first-byte ranges, RFC 5761 for RTP versus
 * RTCP), and walks the attributes of a STUN message.
 *
 * Ownership: nothing here allocates or keeps a pointer past the call, except
 * the STUN attribute iterator, which borrows the caller's buffer; the buffer
 * must outlive the iterator and the attribute values it hands out.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DC_DEMUX_UNKNOWN = 0, /* anything else: TURN channel data, ZRTP, QUIC, garbage */
    DC_DEMUX_STUN,        /* first byte 0..3, 20-byte header, magic cookie, length */
    DC_DEMUX_DTLS,        /* first byte 20..63, at least a 13-byte record header */
    DC_DEMUX_RTP,         /* first byte 128..191, second byte outside 192..223 */
    DC_DEMUX_RTCP,        /* first byte 128..191, second byte 192..223 */
} dc_demux_class;

/* Minimum datagram length of each class; shorter datagrams are UNKNOWN. */
enum {
    DC_DEMUX_STUN_HEADER_LEN = 20, /* type, length, magic cookie, transaction id */
    DC_DEMUX_DTLS_MIN_LEN = 13,    /* DTLS record header (RFC 6347 4.1) */
    DC_DEMUX_RTP_MIN_LEN = 12,     /* fixed RTP header, no CSRC (RFC 3550 5.1) */
    DC_DEMUX_RTCP_MIN_LEN = 8,     /* header + sender SSRC, e.g. an empty RR */
};

#define DC_DEMUX_STUN_MAGIC_COOKIE 0x2112A442u

/* Classifies one datagram. buf may be NULL when len is 0. Never reads past
 * buf[len - 1]; never fails: anything malformed or too short is
 * DC_DEMUX_UNKNOWN, which the caller counts and drops.
 *
 * The checks per class: STUN wants the first two bits 00 (byte 0..3), the
 * magic cookie, a message length that is a multiple of 4 and equals the bytes
 * after the 20-byte header. DTLS only wants byte 20..63 and 13 bytes. RTP and
 * RTCP want byte 128..191 (version 2); the second byte is RTCP's packet type
 * when it is 192..223 (RFC 5761 section 4: RTP payload types 64..95 with the
 * marker bit set collide with it and must not be used), so 200 SR, 201 RR,
 * 202 SDES, 203 BYE, 204 APP, 205 RTPFB, 206 PSFB, 207 XR and the old 192 FIR
 * / 193 NACK all classify as RTCP; any other second byte means RTP. */
dc_demux_class dc_demux_classify(const uint8_t *buf, size_t len);

/* A static lowercase name for logs and metrics ("stun", "dtls", "rtp", "rtcp",
 * "unknown"). Never NULL. */
const char *dc_demux_class_name(dc_demux_class c);

/* Iterator over the attributes (type-length-value, padded to 4 bytes,
 * RFC 8489 section 14) of a STUN message. Plain struct on the caller's stack;
 * no cleanup. */
typedef struct {
    const uint8_t *buf; /* borrowed: the whole message */
    size_t end;         /* 20 + message length */
    size_t off;         /* next attribute header */
} dc_demux_stun_iter;

/* Starts iterating over the attributes of buf. Returns 0, or -EBADMSG when
 * dc_demux_classify(buf, len) is not DC_DEMUX_STUN. */
int dc_demux_stun_iter_init(dc_demux_stun_iter *it, const uint8_t *buf, size_t len);

/* Hands out the next attribute: *type, *value (borrowed from the message;
 * never NULL, even for an empty value) and *value_len (without padding).
 * Returns 0, -ENOENT after the last attribute, or -EBADMSG when an attribute
 * runs past the message (the iterator then stays at its end). */
int dc_demux_stun_iter_next(dc_demux_stun_iter *it, uint16_t *type, const uint8_t **value,
                            uint16_t *value_len);
