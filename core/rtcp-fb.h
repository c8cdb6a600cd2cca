/* rtcp-fb: RTCP feedback messages. Generic NACK and PLI (RFC 4585), FIR
 * (RFC 5104), REMB (draft-alvestrand-rmcat-remb) and transport-wide
 * congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01).
 *
 * Ownership: nothing here allocates. Parsers fill caller-owned view structs
 * whose pointers point into the caller's input buffer (valid only as long as
 * it is); list entries are read through the *_at() accessors or iterators.
 * Builders write into a caller buffer and return bytes written, -ENOSPC when
 * it is too small (nothing is written past cap), or -EINVAL for input no
 * packet can carry.
 *
 * Parsers take one packet at the start of buf (len bytes available, trailing
 * bytes ignored: pass dc_rtcp_packet.data/len from the compound iterator) and
 * return 0, -EBADMSG (malformed) or -ENOMSG (another PT or FMT).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rtcp.h"

enum {
    DC_RTCP_FB_FMT_NACK = 1,  /* PT 205 */
    DC_RTCP_FB_FMT_TWCC = 15, /* PT 205 */
    DC_RTCP_FB_FMT_PLI = 1,   /* PT 206 */
    DC_RTCP_FB_FMT_FIR = 4,   /* PT 206 */
    DC_RTCP_FB_FMT_AFB = 15,  /* PT 206: application layer, REMB */
};

/* The common feedback header (RFC 4585 6.1). */
typedef struct {
    uint8_t pt;  /* DC_RTCP_PT_RTPFB or DC_RTCP_PT_PSFB */
    uint8_t fmt; /* 0..31 */
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    const uint8_t *fci; /* feedback control information, padding excluded */
    size_t fci_len;
} dc_rtcp_fb;

/* Parses any PT 205/206 packet's common header. -ENOMSG for other PTs. */
int dc_rtcp_fb_parse(const uint8_t *buf, size_t len, dc_rtcp_fb *out);

/* ---- Generic NACK (205/1) ---- */

typedef struct {
    uint16_t pid; /* a lost packet */
    uint16_t blp; /* bit i set: pid + i + 1 lost too */
} dc_rtcp_fb_nack_pair;

typedef struct {
    dc_rtcp_fb fb;
    size_t pair_count; /* >= 1 */
} dc_rtcp_fb_nack;

int dc_rtcp_fb_nack_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_nack *out);
/* Pair i of a parsed NACK; i < pair_count. */
dc_rtcp_fb_nack_pair dc_rtcp_fb_nack_pair_at(const dc_rtcp_fb_nack *nack, size_t i);
/* Writes the lost sequence numbers of every pair, in pair order and each
 * pair's PID first then ascending BLP bits, into seqs (cap entries; at most
 * 17 * pair_count are needed). Duplicates from overlapping pairs are kept.
 * Returns the number written, or -ENOSPC when they do not all fit (the first
 * cap are written). */
int dc_rtcp_fb_nack_expand(const dc_rtcp_fb_nack *nack, uint16_t *seqs, size_t cap);
/* Builds a NACK for the lost sequence numbers seqs[0..n), which must be in
 * ascending RTP order (each newer than the one before, wrap allowed, as by
 * dc_seq_newer; repeats are skipped). Returns bytes written, -ENOSPC, or
 * -EINVAL when n == 0 or the list is not ascending. */
int dc_rtcp_fb_nack_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                          const uint16_t *seqs, size_t n);

/* ---- PLI (206/1) ---- */

/* Fills the common header of a PLI; any FCI bytes are ignored. */
int dc_rtcp_fb_pli_parse(const uint8_t *buf, size_t len, dc_rtcp_fb *out);
/* Writes a 12-byte PLI. Returns 12 or -ENOSPC. */
int dc_rtcp_fb_pli_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);

/* ---- FIR (206/4) ---- */

typedef struct {
    uint32_t ssrc; /* the media sender asked for a key frame */
    uint8_t seq_nr;
} dc_rtcp_fb_fir_entry;

typedef struct {
    dc_rtcp_fb fb;      /* fb.media_ssrc is 0 by RFC 5104 */
    size_t entry_count; /* >= 1 */
} dc_rtcp_fb_fir;

/* -EBADMSG unless the FCI is one or more whole 8-byte entries. */
int dc_rtcp_fb_fir_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_fir *out);
/* Entry i of a parsed FIR; i < entry_count. */
dc_rtcp_fb_fir_entry dc_rtcp_fb_fir_entry_at(const dc_rtcp_fb_fir *fir, size_t i);
/* Writes a FIR asking for key frames from entries[0..n) (media SSRC 0).
 * -EINVAL when n == 0. */
int dc_rtcp_fb_fir_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc,
                         const dc_rtcp_fb_fir_entry *entries, size_t n);

/* ---- REMB (206/15, "REMB") ---- */

typedef struct {
    dc_rtcp_fb fb;
    uint64_t bitrate_bps; /* mantissa << exp, saturated at UINT64_MAX */
    uint8_t ssrc_count;
} dc_rtcp_fb_remb;

/* -ENOMSG for application-layer feedback that is not REMB; -EBADMSG when
 * the SSRC list is shorter than its count. */
int dc_rtcp_fb_remb_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_remb *out);
/* SSRC i of a parsed REMB; i < ssrc_count. */
uint32_t dc_rtcp_fb_remb_ssrc_at(const dc_rtcp_fb_remb *remb, size_t i);
/* The bitrate is rounded down to 18 significant bits (exact below 2^18).
 * n <= 255, else -EINVAL. */
int dc_rtcp_fb_remb_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                          const uint32_t *ssrcs, size_t n);

/* ---- Transport-wide congestion control feedback (205/15) ---- */

#define DC_RTCP_FB_TWCC_DELTA_US 250
#define DC_RTCP_FB_TWCC_REF_US 64000

typedef struct {
    dc_rtcp_fb fb;
    uint16_t base_seq;
    uint16_t status_count;  /* >= 1 */
    int32_t reference_time; /* 24-bit signed, in 64 ms */
    uint8_t fb_pkt_count;
    /* Internal: where the receive deltas start and end within fb.fci. */
    size_t deltas_off;
    size_t deltas_end;
} dc_rtcp_fb_twcc;

/* Parses and fully validates a transport-cc feedback: every status chunk and
 * every receive delta fits the packet, no reserved symbol. Trailing zero
 * bytes (padding without the P bit) are allowed. */
int dc_rtcp_fb_twcc_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_twcc *out);

/* One packet reported by the feedback. */
typedef struct {
    uint16_t seq;
    bool received;
    int32_t delta_us;   /* from the previous received packet (or the
                           reference time); 0 when not received */
    int64_t arrival_us; /* reference_time * 64000 + sum of deltas so far */
} dc_rtcp_fb_twcc_status;

/* Walks a parsed feedback (borrowed, must outlive the iterator). */
typedef struct {
    const dc_rtcp_fb_twcc *tw;
    size_t chunk_off;
    size_t delta_off;
    uint32_t index;     /* statuses returned so far */
    uint16_t chunk;     /* the current chunk */
    uint16_t chunk_pos; /* statuses of it used */
    uint16_t chunk_size;
    int64_t time_us;
} dc_rtcp_fb_twcc_iter;

void dc_rtcp_fb_twcc_iter_init(dc_rtcp_fb_twcc_iter *it, const dc_rtcp_fb_twcc *tw);
/* Fills *st and returns 1; returns 0 after status_count packets. Cannot fail
 * on a feedback that dc_rtcp_fb_twcc_parse() accepted. */
int dc_rtcp_fb_twcc_iter_next(dc_rtcp_fb_twcc_iter *it, dc_rtcp_fb_twcc_status *st);

/* Builder input: one packet; gaps between entries are sent as not received. */
typedef struct {
    uint16_t seq;
    bool received;
    int64_t arrival_us; /* ignored when !received */
} dc_rtcp_fb_twcc_entry;

/* Builds a feedback for entries[0..n): sequence numbers strictly ascending in
 * RTP order (wrap allowed), spanning at most 65535 packets. The base is
 * entries[0].seq; the reference time is the first received arrival rounded
 * down to 64 ms (written modulo 2^24); each arrival is rounded down to 250 us,
 * so arrival times on that grid, with the first within +-2^23 * 64 ms of 0,
 * parse back exactly. Returns bytes written, -ENOSPC, or -EINVAL when n == 0,
 * the list is not ascending or too long, or two consecutive received arrivals
 * are more than 8.19 s apart (a 16-bit delta; split the feedback). */
int dc_rtcp_fb_twcc_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                          uint8_t fb_pkt_count, const dc_rtcp_fb_twcc_entry *entries, size_t n);
