/* router-private: the router's state, shared by router.c (sites and
 * forwarding) and router-rtcp.c (RTCP in and out, timers). Not for other
 * files. */
#pragma once

#include "bridge/rewrite.h"
#include "bridge/router.h"
#include "core/nack-history.h"
#include "core/quality.h"
#include "core/rtp-stats.h"
#include "core/rtp.h"
#include "core/vp8.h"
#include "core/seq.h"

#define ROUTER_PKT_MAX 2048
#define ROUTER_RTCP_MTU 1200
#define ROUTER_RTCP_INTERVAL_US 1000000
#define ROUTER_KF_MIN_INTERVAL_US 300000 /* at most one request upstream per 300 ms */
#define ROUTER_KF_RETRY_US 1000000       /* re-request when no keyframe within 1 s */
#define ROUTER_KF_MAX_RETRIES 5
#define ROUTER_NACK_MAX_RESENDS 5
#define ROUTER_NACK_MIN_INTERVAL_US 10000
#define ROUTER_RESEND_SLOTS 64
/* NACKs toward senders (as mediasoup): a 40 ms timer, at most 10 tries per
 * number, a retry not before an RTT has passed, given up after 1 s. */
#define ROUTER_NACK_TIMER_US 40000
#define ROUTER_NACK_REORDER_US 10000 /* first NACK this long after the gap */
#define ROUTER_NACK_MAX_TRIES 10
#define ROUTER_NACK_GIVE_UP_US 1000000
#define ROUTER_MISSING_MAX 64 /* larger gaps ask for a keyframe instead */
/* Loss-based estimate toward video senders (as Galene), REMB each second. */
#define ROUTER_REMB_MIN_BPS 100000
#define ROUTER_REMB_MAX_BPS 2500000
#define ROUTER_REMB_RX_MAX_AGE_US 5000000 /* per-output retransmission budget entries */

/* NACK history per inbound stream: packets as received (after SRTP
 * unprotect, before rewriting), rewritten per receiver on a NACK. Slot sizes
 * fit what WebRTC senders emit (Chromium and our client stay under 1200
 * bytes of RTP; Opus packets are a few hundred); a larger packet is simply
 * not kept. */
#define ROUTER_HIST_VIDEO_SLOTS 1024
#define ROUTER_HIST_VIDEO_AGE_US 1000000
#define ROUTER_HIST_VIDEO_BYTES 1280
#define ROUTER_HIST_AUDIO_SLOTS 256
#define ROUTER_HIST_AUDIO_AGE_US 500000
#define ROUTER_HIST_AUDIO_BYTES 512

/* A sequence number missing from an inbound stream. */
typedef struct {
    int64_t ext; /* extended seq */
    int64_t first_us;
    int64_t last_sent_us;
    uint8_t tries;
} router_missing;

/* One stream a site sends to the bridge. */
typedef struct {
    uint32_t ssrc;  /* 0 until known */
    uint32_t epoch; /* bumped on a new session or SSRC */
    int64_t epoch_start_us;

    /* Reception statistics (RFC 3550 A.1, A.3, A.8) and the sender's SR. */
    dc_rtp_stats rs;

    dc_rtp_stats_mark q_mark; /* for the per-second loss */
    double loss_1s;           /* fraction lost in the last RTCP interval */

    /* Sequence numbers missing, ascending, NACKed to the sender (video). */
    router_missing miss[ROUTER_MISSING_MAX];
    unsigned n_miss;
    int64_t nack_next_us; /* INT64_MAX when nothing is missing */
    uint64_t nack_sent;   /* numbers asked for */
    uint64_t recovered;   /* missing numbers that arrived later */
    uint64_t pli_sent, fir_sent;

    /* Video seen: frames, keyframes and their size. */
    uint64_t frames, keyframes;
    int64_t last_kf_us;
    int64_t kf_interval_us;
    uint16_t width, height;
    dc_rtp_stats_rate frame_rate; /* counts frames, not bytes */

    uint64_t remb_bps; /* the loss-based estimate (video) */

    /* Keyframe requests upstream (video). */
    bool kf_pending;  /* a receiver asked; not sent yet */
    bool kf_awaiting; /* sent; no keyframe since */
    bool kf_sent_any;
    int64_t kf_sent_us;
    unsigned kf_retries;
    uint8_t fir_seq;

    /* What it sent lately, for receivers' NACKs; NULL until negotiated. */
    dc_nack_history *hist;
    bool hist_started;
    uint16_t hist_last; /* newest seq put (source numbering) */
} router_in;

/* How often one output sequence number was resent to its receiver. */
typedef struct {
    bool used;
    uint8_t count;
    uint16_t seq;
    int64_t last_us;
} router_resend;

/* One stream the bridge sends to a receiver. */
typedef struct {
    uint32_t ssrc;
    dc_rewrite rw;
    uint16_t epoch_first_seq;                  /* output seq of the first packet of rw.epoch */
    router_resend resend[ROUTER_RESEND_SLOTS]; /* by seq % ROUTER_RESEND_SLOTS */
    uint32_t packets;
    uint32_t octets;
    uint64_t bytes;
    dc_rtp_stats_rate rate;
    uint64_t nack_in, resent, pli_in, fir_in;
    /* Output sequence numbers the bridge itself never sent (the sender's
     * packets it never received): the receiver counts them as lost, but
     * they are not the loss of the bridge-to-receiver link. */
    bool fwd_started;
    uint16_t fwd_last_seq;
    uint64_t holes;
    /* From the receiver's latest report block about this output. */
    bool have_rr;
    uint8_t rr_fraction;
    int32_t rr_lost;
    uint32_t rr_jitter;
    /* The link's own loss between the last two reports (holes removed). */
    bool rr_prev;
    uint32_t rr_prev_ext;
    int32_t rr_prev_lost;
    uint64_t rr_prev_holes;
    uint32_t rr_int_expected;
    uint32_t rr_int_lost;
    uint64_t rr_link_lost; /* cumulative, holes removed */
    /* The receiver's REMB share for this stream. */
    uint64_t remb_bps;
    int64_t remb_us;
} router_out;

typedef struct {
    bool up;
    bool has_params;
    uint32_t fb_ssrc;
    int64_t next_rtcp_us;
    int64_t rtt_us;               /* from its RRs' LSR/DLSR; -1 unknown */
    dc_quality q_up, q_down, q_r; /* smoothed scores and audio R */
    dc_router_site_params params;
    router_in in[DC_ROUTER_KINDS];
    router_out *out;             /* [source * DC_ROUTER_KINDS + kind], n_sites * 2 */
    bool muted[DC_ROUTER_KINDS]; /* the chair muted it: nothing forwarded */
} router_site;

struct dc_router {
    unsigned n_sites;
    int64_t wallclock_offset_us;
    dc_router_callbacks cb;
    void *user;
    router_site *sites;
    dc_router_stats stats;
    int floor;                   /* the site with the floor (dc_router_set_floor), -1 none */
    uint8_t pkt[ROUTER_PKT_MAX]; /* scratch for one outgoing packet */
};

static inline router_out *router_output(dc_router *r, unsigned receiver, unsigned source,
                                        unsigned kind)
{
    return &r->sites[receiver].out[source * DC_ROUTER_KINDS + kind];
}

/* router.c */

/* Builds into r->pkt the packet v of source's kind as receiver gets it
 * (mapped through the output's rewrite state). Returns its length, or -1
 * when it does not fit. */
int router_build_out(dc_router *r, unsigned receiver, unsigned source, unsigned kind,
                     const dc_rtp_view *v, const dc_vp8_descriptor *vp8, int64_t now_us);

/* router-stats.c */

/* Once per RTCP interval of site: updates its smoothed scores. */
void router_quality_update(dc_router *r, unsigned site, int64_t now_us);

/* router-rtcp.c */

/* Tracks missing numbers of source's video after dc_rtp_stats_receive()
 * returned res for seq (prev_max: the highest extended seq before it). */
void router_nack_track(dc_router *r, unsigned source, dc_rtp_stats_result res, int64_t prev_max,
                       uint16_t seq, int64_t now_us);

/* Media clock ticks in elapsed_us (0 when negative). */
uint32_t router_ticks(int64_t elapsed_us, uint32_t clock_rate);

/* Notes that a receiver wants a keyframe of source's video and sends or
 * schedules the request upstream. */
void router_keyframe_request(dc_router *r, unsigned source, int64_t now_us);

/* A keyframe of source's video arrived. */
void router_keyframe_seen(dc_router *r, unsigned source);
