/* rtcp: RTCP compound-packet iterator, and views and builders for SR, RR,
 * SDES and BYE (RFC 3550 section 6). Feedback messages live in rtcp-fb.h.
 *
 * Ownership: nothing here allocates. Parsers fill caller-owned structs; any
 * pointer they store (dc_rtcp_packet.body, CNAME and BYE reason text) points
 * into the caller's input buffer and is valid only as long as that buffer.
 * Builders write into a caller buffer and return the number of bytes written,
 * or a negative errno (-ENOSPC when the buffer is too small, -EINVAL for
 * arguments no packet can carry); on error the buffer contents are unspecified
 * but nothing is written past the given capacity.
 *
 * Parsers return 0 or a negative errno: -EBADMSG for a malformed packet,
 * -ENOMSG for a well-formed packet of another type.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    DC_RTCP_PT_SR = 200,
    DC_RTCP_PT_RR = 201,
    DC_RTCP_PT_SDES = 202,
    DC_RTCP_PT_BYE = 203,
    DC_RTCP_PT_APP = 204,
    DC_RTCP_PT_RTPFB = 205, /* RFC 4585 transport-layer feedback */
    DC_RTCP_PT_PSFB = 206,  /* RFC 4585 payload-specific feedback */
};

#define DC_RTCP_HEADER_LEN 4
/* The 5-bit count field limits report blocks, SDES chunks and BYE SSRCs. */
#define DC_RTCP_MAX_COUNT 31
/* The 16-bit length field (in words, minus one) limits one packet. */
#define DC_RTCP_MAX_PACKET_LEN (65536 * 4)

/* One packet of a compound packet, as found by the iterator. */
typedef struct {
    uint8_t count; /* RC, SC or FMT: the low 5 bits of the first octet */
    uint8_t pt;
    bool padding;        /* the P bit was set (padding already stripped) */
    const uint8_t *data; /* the whole packet, header and padding included */
    size_t len;          /* (length field + 1) * 4 */
    const uint8_t *body; /* after the 4-byte header, padding excluded */
    size_t body_len;
} dc_rtcp_packet;

/* Reads the header of the packet at the start of buf (len bytes available).
 * Checks version 2, that the length field stays within len, and that a
 * padding count is non-zero and within the packet. On success fills *pkt
 * (pointers into buf) and returns 0; -EBADMSG otherwise. */
int dc_rtcp_packet_parse(const uint8_t *buf, size_t len, dc_rtcp_packet *pkt);

/* Iterator over a compound packet. Plain data: copy it to restart. */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t off;
    int err; /* sticky: once negative, next() keeps returning it */
} dc_rtcp_iter;

/* Starts iterating over buf (borrowed, must outlive the iterator). */
void dc_rtcp_iter_init(dc_rtcp_iter *it, const uint8_t *buf, size_t len);

/* Fills *pkt with the next packet and returns 1; returns 0 after the last
 * packet; returns -EBADMSG (and keeps returning it) when the next header is
 * malformed or its length runs past the buffer. Packets before the bad one
 * have already been returned: callers that must treat the compound packet as
 * a whole (RFC 3550 A.2) should first walk it to the end. It does not demand
 * that the first packet be SR or RR (RFC 5506 reduced-size RTCP). */
int dc_rtcp_iter_next(dc_rtcp_iter *it, dc_rtcp_packet *pkt);

/* Writes a 4-byte RTCP header for a packet of packet_len bytes (a multiple of
 * 4, at least 4, at most DC_RTCP_MAX_PACKET_LEN) into buf, which must have 4
 * bytes. count must be < 32. Padding bit clear. Returns 0 or -EINVAL. */
int dc_rtcp_header_write(uint8_t *buf, uint8_t count, uint8_t pt, size_t packet_len);

typedef struct {
    uint32_t ssrc;
    uint8_t fraction_lost;    /* fixed point, /256 */
    int32_t cumulative_lost;  /* 24-bit signed on the wire */
    uint32_t ext_highest_seq; /* cycles << 16 | highest seq */
    uint32_t jitter;          /* RTP timestamp units */
    uint32_t lsr;             /* middle 32 bits of the last SR's NTP time */
    uint32_t dlsr;            /* 1/65536 s */
} dc_rtcp_report_block;

typedef struct {
    uint32_t ssrc;
    uint64_t ntp_time; /* 32.32 fixed point seconds */
    uint32_t rtp_time;
    uint32_t packet_count;
    uint32_t octet_count;
    uint8_t report_count; /* <= DC_RTCP_MAX_COUNT */
    dc_rtcp_report_block reports[DC_RTCP_MAX_COUNT];
} dc_rtcp_sr;

typedef struct {
    uint32_t ssrc;
    uint8_t report_count; /* <= DC_RTCP_MAX_COUNT */
    dc_rtcp_report_block reports[DC_RTCP_MAX_COUNT];
} dc_rtcp_rr;

typedef struct {
    uint32_t ssrc;
    const uint8_t *cname; /* not NUL-terminated; NULL when the chunk has none */
    uint8_t cname_len;
} dc_rtcp_sdes_chunk;

typedef struct {
    uint8_t chunk_count; /* <= DC_RTCP_MAX_COUNT */
    dc_rtcp_sdes_chunk chunks[DC_RTCP_MAX_COUNT];
} dc_rtcp_sdes;

typedef struct {
    uint8_t ssrc_count; /* <= DC_RTCP_MAX_COUNT */
    uint32_t ssrcs[DC_RTCP_MAX_COUNT];
    const uint8_t *reason; /* not NUL-terminated; NULL when absent */
    uint8_t reason_len;
} dc_rtcp_bye;

/* Parse the packet at the start of buf (len bytes available; trailing bytes
 * after the packet are ignored, so pkt.data/pkt.len from the iterator or a
 * whole compound packet both work) into caller-owned *out. Bytes after the
 * report blocks (profile-specific extensions) are ignored. Return 0,
 * -EBADMSG (malformed) or -ENOMSG (another packet type). */
int dc_rtcp_sr_parse(const uint8_t *buf, size_t len, dc_rtcp_sr *out);
int dc_rtcp_rr_parse(const uint8_t *buf, size_t len, dc_rtcp_rr *out);
/* Keeps the first CNAME of each chunk; skips every other item type. */
int dc_rtcp_sdes_parse(const uint8_t *buf, size_t len, dc_rtcp_sdes *out);
int dc_rtcp_bye_parse(const uint8_t *buf, size_t len, dc_rtcp_bye *out);

/* Build one packet into buf (cap bytes). Return bytes written, -ENOSPC, or
 * -EINVAL when a count exceeds DC_RTCP_MAX_COUNT. cumulative_lost is clamped
 * to the 24-bit range as RFC 3550 6.4.1 asks. SDES chunks carry only CNAME
 * (chunks with a NULL cname carry no item). */
int dc_rtcp_sr_build(uint8_t *buf, size_t cap, const dc_rtcp_sr *sr);
int dc_rtcp_rr_build(uint8_t *buf, size_t cap, const dc_rtcp_rr *rr);
int dc_rtcp_sdes_build(uint8_t *buf, size_t cap, const dc_rtcp_sdes *sdes);
int dc_rtcp_bye_build(uint8_t *buf, size_t cap, const dc_rtcp_bye *bye);

/* Appends packets to a caller buffer to make a compound packet. The error is
 * sticky, so a sequence of appends needs one check at the end:
 *
 *     dc_rtcp_compound c;
 *     dc_rtcp_compound_init(&c, buf, sizeof buf);
 *     dc_rtcp_compound_add(&c, dc_rtcp_sr_build(dc_rtcp_compound_tail(&c),
 *                                               dc_rtcp_compound_room(&c), &sr));
 *     dc_rtcp_compound_add(&c, dc_rtcp_sdes_build(...tail, ...room, &sdes));
 *     int n = dc_rtcp_compound_finish(&c);  // bytes, or the first error
 */
typedef struct {
    uint8_t *buf; /* borrowed */
    size_t cap;
    size_t len;
    int err;
} dc_rtcp_compound;

/* Starts an empty compound packet in buf (cap bytes, borrowed). */
void dc_rtcp_compound_init(dc_rtcp_compound *c, uint8_t *buf, size_t cap);
/* Where the next packet goes, and how many bytes it may take (0 after an
 * error, so that builders fail with -ENOSPC). Never NULL. */
uint8_t *dc_rtcp_compound_tail(dc_rtcp_compound *c);
size_t dc_rtcp_compound_room(const dc_rtcp_compound *c);
/* Takes a builder's return value: counts written bytes, or records the first
 * error. Returns 0 or the (sticky) error. */
int dc_rtcp_compound_add(dc_rtcp_compound *c, int written);
/* Returns the compound length in bytes, or the first error. */
int dc_rtcp_compound_finish(const dc_rtcp_compound *c);
