/* rtp: RTP fixed-header view, in-place rewriting and header builder
 * (RFC 3550 section 5.1).
 *
 * Ownership: nothing here allocates. A dc_rtp_view borrows the caller's
 * buffer: its pointers (csrcs, ext, payload) point into that buffer and are
 * valid only while it lives and is not changed in length. The rewriting
 * functions change the caller's buffer in place and do not update any view
 * parsed from it earlier (re-parse, or update the view's copy yourself).
 *
 * Header extension elements (RFC 8285) are read and written by core/rtp-ext.h;
 * dc_rtp_parse() only checks that the extension block fits the packet.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_RTP_VERSION 2
#define DC_RTP_HEADER_MIN 12 /* fixed header, no CSRCs, no extension */
#define DC_RTP_MAX_CSRC 15
/* The largest extension block data: the 16-bit length counts 32-bit words. */
#define DC_RTP_EXT_DATA_MAX (65535u * 4u)

/* A parsed RTP packet. All fields are copies, except the pointers, which
 * point into the parsed buffer (see above). */
typedef struct {
    uint8_t version;      /* always DC_RTP_VERSION after a successful parse */
    bool padding;         /* P bit */
    bool extension;       /* X bit */
    bool marker;          /* M bit */
    uint8_t csrc_count;   /* CC, 0..15 */
    uint8_t payload_type; /* 0..127 */
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    const uint8_t *csrcs;   /* csrc_count big-endian 32-bit words; read with
                               dc_rtp_csrc(); NULL when csrc_count is 0 */
    uint16_t ext_profile;   /* "defined by profile" word; 0 when !extension */
    const uint8_t *ext;     /* extension data after its 4-byte header;
                               NULL when !extension or ext_len is 0 */
    size_t ext_len;         /* bytes of extension data, a multiple of 4 */
    size_t header_len;      /* offset of the payload in the buffer */
    const uint8_t *payload; /* payload start (never NULL after a parse) */
    size_t payload_len;     /* payload bytes, padding removed; may be 0 */
    uint8_t padding_len;    /* padding bytes at the end, incl. the count */
} dc_rtp_view;

/* Parses buf[0..len) as one RTP packet into *out. Checks the version, that
 * the CSRC list and the extension block fit, and that the padding count is
 * non-zero and fits after the header. Does not look inside the extension
 * block. Returns 0, or -EBADMSG when the packet is malformed (then *out is
 * unspecified). buf may be NULL only when len is 0. */
int dc_rtp_parse(const uint8_t *buf, size_t len, dc_rtp_view *out);

/* CSRC number i (host order) of a parsed view; 0 when i >= csrc_count. */
uint32_t dc_rtp_csrc(const dc_rtp_view *v, unsigned i);

/* In-place rewriting of the fixed header of an RTP packet in buf[0..len).
 * Each returns 0, or -EBADMSG when len is shorter than the fixed header;
 * dc_rtp_set_payload_type() also returns -EINVAL when pt > 127. They touch
 * only the field named (no version or length checks: parse first). */
int dc_rtp_set_ssrc(uint8_t *buf, size_t len, uint32_t ssrc);
int dc_rtp_set_seq(uint8_t *buf, size_t len, uint16_t seq);
int dc_rtp_set_timestamp(uint8_t *buf, size_t len, uint32_t timestamp);
int dc_rtp_set_payload_type(uint8_t *buf, size_t len, uint8_t pt);
int dc_rtp_set_marker(uint8_t *buf, size_t len, bool marker);

/* What dc_rtp_write_header() writes. The caller owns csrcs and ext; they are
 * only read during the call. */
typedef struct {
    bool marker;
    uint8_t payload_type; /* 0..127 */
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    const uint32_t *csrcs; /* csrc_count values in host order; may be NULL when 0 */
    uint8_t csrc_count;    /* 0..15 */
    bool extension;        /* write an extension block (X bit) */
    uint16_t ext_profile;  /* e.g. 0xBEDE, from dc_rtp_ext_write() */
    const uint8_t *ext;    /* extension data, may be NULL when ext_len is 0 */
    size_t ext_len;        /* a multiple of 4, at most DC_RTP_EXT_DATA_MAX */
} dc_rtp_header;

/* Bytes dc_rtp_write_header() would write for h (no validation). */
size_t dc_rtp_header_size(const dc_rtp_header *h);

/* Writes the RTP header described by h (version 2, no padding) to
 * buf[0..cap); the payload goes right after it. Returns the number of bytes
 * written, -EINVAL when h is inconsistent (payload type > 127, more than 15
 * CSRCs, ext_len not a multiple of 4 or too large, NULL data with a non-zero
 * count), or -ENOSPC when it does not fit (then buf is untouched). ext may
 * overlap buf. */
int dc_rtp_write_header(const dc_rtp_header *h, uint8_t *buf, size_t cap);
