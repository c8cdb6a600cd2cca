/* link: the site's own view of its link to the bridge, the same figures the
 * bridge keeps about the site (bridge/router-stats.c, docs/link-quality.md),
 * so that a technician can put `diemcau-client --report` beside
 * `diemcau-ctl site ID` and see where the two ends disagree.
 *
 *   down (bridge -> site), measured here: packets, bytes, bitrate over the
 *     last second and the last 10 s, loss from sequence gaps (the same counts
 *     our receiver reports carry to the bridge), RFC 3550 jitter, NACKs and
 *     PLIs sent, packets that NACKs repaired;
 *   up (site -> bridge): what we sent; loss, cumulative lost and jitter as
 *     the bridge states them in its receiver reports about our streams;
 *     the NACKed packets and keyframe requests it sent us, the
 *     retransmissions we made;
 *   RTT from the LSR/DLSR of those reports (RFC 3550 6.4.1); a 0-100 score
 *     per direction with core/quality's formula and smoothing, its level
 *     and an audio MOS.
 *
 * Sans-IO: cumulative counters come in once a second (dc_link_tick) with the
 * monotonic now_us; the bridge's report blocks as they arrive, with the wall
 * clock our sender reports use for their NTP times. Plain struct, no
 * allocation; the owner embeds it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "client/media-kind.h"
#include "client/receiver.h"
#include "core/quality.h"
#include "core/rtcp.h"

#define DC_LINK_WINDOW 10 /* seconds of history for the 10 s bitrate */

/* One medium of one direction (the names of the bridge's per-medium stats). */
typedef struct {
    uint64_t packets, bytes;
    uint64_t bitrate_1s, bitrate_10s; /* bits per second */
    double loss;                      /* 0..1 over the last interval */
    int64_t lost;                     /* cumulative, >= 0 */
    double jitter_ms;
    uint64_t nacks;           /* down: seqs we asked for; up: seqs the bridge asked for */
    uint64_t retransmissions; /* down: asked-for packets that came; up: ones we resent */
    uint64_t plis;            /* down: PLIs we sent; up: keyframe requests (PLI, FIR) we got */
    bool reported;            /* up: the bridge has reported on this stream */
} dc_link_medium;

typedef struct {
    dc_link_medium up[DC_MEDIA_KINDS], down[DC_MEDIA_KINDS];
    double rtt_ms; /* -1: unknown */
    bool have_score;
    double score_up, score_down; /* smoothed 0..100; 100 before a direction carried anything */
    dc_quality_level level;      /* of the lower of the two */
    double mos;                  /* audio, the worse direction; 0 unknown */
} dc_link_stats;

/* Cumulative counters at one moment. */
typedef struct {
    uint64_t sent_packets[DC_MEDIA_KINDS], sent_bytes[DC_MEDIA_KINDS];
    uint64_t nack_seqs_in, retransmits, keyframe_requests; /* video, from the bridge */
    dc_receiver_totals received[DC_MEDIA_KINDS];
} dc_link_sample;

typedef struct {
    bool started;
    int64_t last_us;
    dc_link_sample prev;
    /* per second: bytes per [up=0/down=1][kind], and the second's length */
    uint64_t hist_bytes[DC_LINK_WINDOW][2][DC_MEDIA_KINDS];
    int64_t hist_us[DC_LINK_WINDOW];
    unsigned head, filled;
    struct {
        bool have;
        double loss;
        int64_t lost;
        double jitter_ms;
    } rr[DC_MEDIA_KINDS];
    int64_t rtt_us; /* -1 unknown */
    dc_quality q_up, q_down, q_r;
    dc_link_stats cur;
} dc_link;

void dc_link_init(dc_link *l);

/* A report block from the bridge about our stream of kind, received when
 * the wall clock read wall_us (the clock of our SRs' NTP times). */
void dc_link_on_report_block(dc_link *l, dc_media_kind kind, const dc_rtcp_report_block *b,
                             int64_t wall_us);

/* Takes the counters at now_us (about once a second): rates, the interval's
 * down loss, the scores. The first call only sets the baseline. */
void dc_link_tick(dc_link *l, const dc_link_sample *s, int64_t now_us);

/* The figures as of the last tick. */
const dc_link_stats *dc_link_get(const dc_link *l);
