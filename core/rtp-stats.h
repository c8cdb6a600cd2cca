/* rtp-stats: RFC 3550 receive statistics of one inbound RTP stream, a
 * bitrate meter, and the LSR/DLSR arithmetic for round-trip times.
 *
 * dc_rtp_stats follows appendix A.1 (sequence validation), A.3 (expected and
 * lost packets, fraction lost per interval) and A.8 (interarrival jitter).
 * Sequence numbers are extended with core/seq.h. A sender restart (a new
 * SSRC, or a jump of more than DC_RTP_STATS_MAX_DROPOUT ahead or
 * DC_RTP_STATS_MAX_MISORDER back confirmed by the next packet in sequence)
 * resets the counts, so nothing wraps or goes negative: every count and
 * ratio is clamped (lost >= 0, fraction in [0, 1]). Duplicates within the
 * last 64 numbers are detected and not counted as received.
 *
 * Sans-IO: time comes in as now_us (a monotonic clock, microseconds). Plain
 * structs, no allocation; the owner embeds them. Not thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/rtcp.h"
#include "core/seq.h"

#define DC_RTP_STATS_MAX_DROPOUT 3000
#define DC_RTP_STATS_MAX_MISORDER 100
#define DC_RTP_STATS_BUCKET_US 100000 /* bitrate meter resolution */
#define DC_RTP_STATS_BUCKETS 101      /* 10 s of complete buckets + the current one */

/* Bytes per 100 ms over the last 10 s: a ring of buckets stamped with their
 * bucket number, so stale ones are ignored without clearing. */
typedef struct {
    uint64_t bytes[DC_RTP_STATS_BUCKETS];
    int64_t id[DC_RTP_STATS_BUCKETS]; /* now_us / DC_RTP_STATS_BUCKET_US; -1 = empty */
} dc_rtp_stats_rate;

/* Empties r. */
void dc_rtp_stats_rate_init(dc_rtp_stats_rate *r);
/* Counts bytes at now_us. */
void dc_rtp_stats_rate_add(dc_rtp_stats_rate *r, uint64_t bytes, int64_t now_us);
/* Bits per second over the window_us (100 ms .. 10 s, whole buckets) that
 * ended with the last complete bucket before now_us. */
uint64_t dc_rtp_stats_rate_bps(const dc_rtp_stats_rate *r, int64_t now_us, int64_t window_us);

/* A point in a stream's counts, to measure loss over an interval. */
typedef struct {
    uint64_t expected;
    uint64_t received;
} dc_rtp_stats_mark;

typedef enum {
    DC_RTP_STATS_OK = 0,
    DC_RTP_STATS_RESTART,   /* counts were reset: a new SSRC or a confirmed jump */
    DC_RTP_STATS_DUPLICATE, /* seen before: not counted as received */
    DC_RTP_STATS_PROBATION, /* a big jump, not counted until confirmed */
    DC_RTP_STATS_LATE,      /* older than the newest (reordered or retransmitted) */
} dc_rtp_stats_result;

typedef struct {
    uint32_t clock_rate; /* Hz, for jitter */
    uint32_t ssrc;
    bool started;
    dc_seq_unwrapper unwrap;
    int64_t base_ext; /* first extended seq */
    int64_t max_ext;  /* highest extended seq */
    uint64_t seen;    /* bit i: max_ext - i received */
    uint16_t bad_seq; /* a jump awaits confirmation by this seq */
    bool bad_seq_valid;

    uint64_t received; /* distinct packets since the (re)start */
    uint64_t packets;  /* every packet, duplicates included, never reset */
    uint64_t bytes;    /* bytes of every packet, never reset */
    uint64_t restarts;
    uint64_t duplicates;
    uint64_t lost_before; /* lost in runs before the (re)start, never reset */

    dc_rtp_stats_mark rr_mark; /* for the RR's fraction lost */

    bool have_transit;
    int64_t last_arrival_us;
    uint32_t last_ts;
    double jitter; /* RFC 3550 A.8, timestamp units */

    /* The sender's last SR (RFC 3550 6.4.1 LSR, DLSR). */
    bool have_sr;
    uint32_t sr_lsr; /* middle 32 bits of its NTP time */
    uint32_t sr_rtp;
    int64_t sr_arrival_us;

    dc_rtp_stats_rate rate;
} dc_rtp_stats;

/* Starts s empty for a stream with a clock_rate Hz media clock. */
void dc_rtp_stats_init(dc_rtp_stats *s, uint32_t clock_rate);

/* Forgets the stream (a new session); keeps clock_rate and the never-reset
 * totals (packets, bytes, restarts, duplicates, lost_before) and the
 * bitrate meter. */
void dc_rtp_stats_reset(dc_rtp_stats *s);

/* Counts one packet of len bytes received at now_us. */
dc_rtp_stats_result dc_rtp_stats_receive(dc_rtp_stats *s, uint32_t ssrc, uint16_t seq, uint32_t ts,
                                         uint64_t len, int64_t now_us);

/* Packets expected since the (re)start: highest - first + 1 (0 before any). */
uint64_t dc_rtp_stats_expected(const dc_rtp_stats *s);
/* Packets lost since the (re)start, clamped at 0 (an RR's cumulative lost). */
uint64_t dc_rtp_stats_lost(const dc_rtp_stats *s);
/* Packets lost over every run since init, the same span as `packets`:
 * lost_before plus dc_rtp_stats_lost(). */
uint64_t dc_rtp_stats_lost_total(const dc_rtp_stats *s);
/* The current counts, to pass to loss_since() later. */
dc_rtp_stats_mark dc_rtp_stats_mark_now(const dc_rtp_stats *s);
/* Fraction of packets lost since *mark (0..1; 0 when nothing was expected,
 * or after a restart made the mark meaningless); moves *mark to now. */
double dc_rtp_stats_loss_since(const dc_rtp_stats *s, dc_rtp_stats_mark *mark);

/* Interarrival jitter in timestamp units and in milliseconds. */
uint32_t dc_rtp_stats_jitter(const dc_rtp_stats *s);
double dc_rtp_stats_jitter_ms(const dc_rtp_stats *s);

/* Notes an SR of the stream (ntp_time 32.32) that arrived at now_us. */
void dc_rtp_stats_on_sr(dc_rtp_stats *s, uint64_t ntp_time, uint32_t rtp_time, int64_t now_us);

/* Fills report block *b for an RR sent at now_us: fraction lost since the
 * previous block, cumulative lost, extended highest seq, jitter, LSR/DLSR.
 * Returns false (b untouched) before the first packet. */
bool dc_rtp_stats_report_block(dc_rtp_stats *s, int64_t now_us, dc_rtcp_report_block *b);

/* The middle 32 bits of a 32.32 NTP time (units of 1/65536 s). */
static inline uint32_t dc_rtp_stats_ntp_mid(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

/* Round-trip time from a report block about a stream we send, received when
 * our NTP clock read now_mid (middle 32 bits): now - LSR - DLSR (RFC 3550
 * 6.4.1), in microseconds. -1 when lsr is 0 (no SR seen yet); a negative
 * result (clock steps, bad DLSR) gives 0. Modulo 2^32 arithmetic, so NTP
 * era changes are fine. */
int64_t dc_rtp_stats_rtt_us(uint32_t now_mid, uint32_t lsr, uint32_t dlsr);
