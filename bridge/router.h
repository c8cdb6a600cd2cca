/* router: the sans-IO heart of the bridge. One router per meeting: it takes
 * decrypted RTP and RTCP from each site's endpoint and emits, through a
 * callbacks struct, the plaintext packets to protect and send to each site.
 *
 * Sites are numbered 0..n_sites-1 (the configured sites, in config order);
 * a site is "up" while it has a session (endpoint.add .. endpoint.remove or
 * replacement). For each (receiver, source site, kind) there is an output with
 * a fixed SSRC chosen by the router (dc_router_output_ssrc(), to be put in the
 * offer) and a rewrite state (core-free, see rewrite.h) so that the receiver
 * sees one continuous stream across the sender's reconnects. A site's media is
 * never sent back to itself.
 *
 * No sockets, no clock reads, no locks, no logging: time comes in as now_us
 * (a monotonic clock in microseconds) and the caller asks
 * dc_router_next_timeout() when to call dc_router_handle_timeout() again. The
 * per-packet path does not allocate: NACK histories and buffers are allocated
 * when a site's parameters are set.
 *
 * Ownership: the router owns everything it allocates; the callbacks' user
 * pointer is borrowed. Buffers passed to the send callback are borrowed for
 * the duration of the call only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_ROUTER_MAX_SITES 64
#define DC_ROUTER_MID_MAX 16

typedef enum {
    DC_ROUTER_AUDIO = 0,
    DC_ROUTER_VIDEO = 1,
} dc_router_kind;
#define DC_ROUTER_KINDS 2

/* Header extensions the router knows; others are stripped when forwarding. */
typedef enum {
    DC_ROUTER_EXT_MID = 0,       /* urn:ietf:params:rtp-hdrext:sdes:mid: set per receiver */
    DC_ROUTER_EXT_AUDIO_LEVEL,   /* forwarded, id translated */
    DC_ROUTER_EXT_ABS_SEND_TIME, /* forwarded, id translated */
    DC_ROUTER_EXT_TRANSPORT_CC,  /* never forwarded (hop by hop) */
    DC_ROUTER_EXT_COUNT,
} dc_router_ext;

/* One negotiated m-line, from the endpoint's answer. */
typedef struct {
    bool active;                         /* m-line accepted and media flows in its direction */
    uint8_t pt;                          /* the codec's payload type */
    uint32_t clock_rate;                 /* 48000 Opus, 90000 VP8 */
    uint8_t ext_id[DC_ROUTER_EXT_COUNT]; /* 0 = not negotiated */
    bool fb_nack;                        /* "nack" */
    bool fb_pli;                         /* "nack pli" */
    bool fb_fir;                         /* "ccm fir" */
    bool fb_remb;                        /* "goog-remb" */
    char mid[DC_ROUTER_MID_MAX];         /* NUL-terminated */
} dc_router_mline;

/* What one site negotiated: the two m-lines it sends on (index by kind) and,
 * for each other site and kind, the m-line on which it receives that site. */
typedef struct {
    dc_router_mline recv[DC_ROUTER_KINDS];
    uint32_t recv_ssrc[DC_ROUTER_KINDS]; /* from a=ssrc; 0 = learn from the mid */
    dc_router_mline send[DC_ROUTER_MAX_SITES][DC_ROUTER_KINDS];
} dc_router_site_params;

typedef struct {
    /* Hands one plaintext packet to the I/O shell to protect and send to
     * site. buf is borrowed for the call; the shell must not call back into
     * the router from here. */
    void (*send)(void *user, unsigned site, const uint8_t *buf, size_t len, bool is_rtcp);
} dc_router_callbacks;

/* Counters, all monotonically increasing. */
typedef struct {
    uint64_t rtp_in, rtp_in_bytes;
    uint64_t rtp_out, rtp_out_bytes;
    uint64_t rtcp_in, rtcp_out;
    uint64_t malformed;        /* RTP or RTCP that did not parse */
    uint64_t unknown;          /* RTP with an SSRC/mid/pt we cannot place */
    uint64_t site_down;        /* input for a site that is not up */
    uint64_t nack_in;          /* sequence numbers asked for */
    uint64_t nack_resent;      /* answered from history */
    uint64_t nack_missed;      /* too old, unknown or over budget */
    uint64_t nack_out;         /* sequence numbers asked of senders */
    uint64_t remb_out;         /* REMBs sent to senders */
    uint64_t keyframe_req_in;  /* PLI + FIR from receivers */
    uint64_t keyframe_req_out; /* PLI + FIR sent upstream */
    uint64_t keyframes_in;
    uint64_t sr_out, rr_out, sr_in;
    uint64_t oversize; /* packets too large to forward */
    uint64_t kf_gated; /* video held back after a sender restart until its keyframe */
    uint64_t muted;    /* packets of a muted stream, not forwarded */
} dc_router_stats;

typedef struct dc_router dc_router;

/* Creates a router for n_sites (1..DC_ROUTER_MAX_SITES) sites. seed chooses
 * the output SSRCs (deterministic for a seed; all distinct and non-zero).
 * wallclock_offset_us is added to now_us to get the wall clock (Unix epoch,
 * microseconds) used for SR NTP times. cb is copied; user is borrowed.
 * Returns NULL on bad arguments. Free with dc_router_free(). */
dc_router *dc_router_new(unsigned n_sites, uint64_t seed, int64_t wallclock_offset_us,
                         const dc_router_callbacks *cb, void *user);

/* Frees r and everything it owns. NULL is allowed. */
void dc_router_free(dc_router *r);

/* The fixed SSRC of the output carrying source's kind to receiver (also
 * defined for receiver == source: unused, but stable). 0 on bad arguments. */
uint32_t dc_router_output_ssrc(const dc_router *r, unsigned receiver, unsigned source,
                               dc_router_kind kind);

/* The SSRC the router uses as sender SSRC of RR and feedback toward site. */
uint32_t dc_router_feedback_ssrc(const dc_router *r, unsigned site);

/* Starts a new session of site (endpoint.add, or a replacement): the site
 * is up; its inbound streams start over (SSRCs relearned, statistics reset),
 * and every output carrying it will continue its receiver's sequence numbers
 * and timestamps. Outputs toward site keep their continuity. Returns 0 or
 * -EINVAL. */
int dc_router_site_start(dc_router *r, unsigned site, int64_t now_us);

/* Sets what site negotiated (from its answer; may be called again on every
 * answer). Allocates NACK histories for newly active outputs. Returns 0,
 * -EINVAL, or -ENOMEM. */
int dc_router_site_set_params(dc_router *r, unsigned site, const dc_router_site_params *p);

/* The site's transport is ready (DTLS done): ask every video source it
 * receives for a keyframe, so that it can start decoding. Returns 0 or
 * -EINVAL. */
int dc_router_site_ready(dc_router *r, unsigned site, int64_t now_us);

/* Ends site's session: nothing is forwarded from or to it any more. Its
 * outputs keep their state for a later session. Returns 0 or -EINVAL. */
int dc_router_site_stop(dc_router *r, unsigned site);

/* Mutes or unmutes site's kind (the chair's mute, docs/control.md "mute"):
 * while muted, its packets are received (statistics, NACK history) but
 * reach no other site. Unmuting starts a new epoch of that stream, so every
 * receiver's output continues at the next sequence number, and video waits
 * for a keyframe (asked for at once). Survives the site's sessions.
 * Returns 0 or -EINVAL. */
int dc_router_site_set_mute(dc_router *r, unsigned site, dc_router_kind kind, bool muted,
                            int64_t now_us);
bool dc_router_site_is_muted(const dc_router *r, unsigned site, dc_router_kind kind);

/* The site with the floor (-1 none): its video is asked for the best the
 * sender can send: the REMB toward it starts at the top (2.5 Mbit/s) and
 * follows only the loss it sees, not the receivers' lower REMBs. Returns 0
 * or -EINVAL. */
int dc_router_set_floor(dc_router *r, int site);

/* True while site is up. */
bool dc_router_site_is_up(const dc_router *r, unsigned site);

/* Feeds one decrypted RTP packet received from site. buf is only read.
 * Bad or unplaceable packets are counted and dropped. */
void dc_router_receive_rtp(dc_router *r, unsigned site, const uint8_t *buf, size_t len,
                           int64_t now_us);

/* Feeds one decrypted (compound) RTCP packet received from site: SRs of its
 * streams, NACKs, PLIs and FIRs about its outputs. */
void dc_router_receive_rtcp(dc_router *r, unsigned site, const uint8_t *buf, size_t len,
                            int64_t now_us);

/* Runs the timers that are due at now_us: SR and RR about every second per
 * site, delayed and repeated keyframe requests. */
void dc_router_handle_timeout(dc_router *r, int64_t now_us);

/* When dc_router_handle_timeout() next has work, as an absolute now_us value;
 * INT64_MAX when there is none. */
int64_t dc_router_next_timeout(const dc_router *r);

/* One direction and medium of a site's link. "up" is site -> bridge (what
 * the bridge receives from it), "down" bridge -> site (everything the
 * bridge sends it of that medium, all sources together). */
typedef struct {
    uint64_t packets, bytes;          /* since the router began (never reset) */
    uint64_t bitrate_1s, bitrate_10s; /* bits per second */
    double loss;      /* 0..1 in the last RTCP interval; up: gaps; down: what the site's reports
                         say it lost of our streams, pooled, less the packets the bridge never had */
    uint64_t lost;    /* up: this session; down: the reports' cumulative lost less those holes */
    double jitter_ms; /* up: RFC 3550 jitter; down: the largest reported */
    uint64_t nacks;   /* numbers asked for: up by us of the site, down by the site of us */
    uint64_t retransmissions; /* up: missing packets that came later; down: resent */
    uint64_t pli, fir;        /* keyframe requests: up we sent it, down it sent us */
    /* Video it sends, as we forward it (up only). */
    double fps;
    unsigned width, height;
    double keyframe_interval_s; /* between the last two keyframes; 0 unknown */
    uint64_t keyframes;
    uint64_t remb_bps; /* up video: the bitrate we last told it (REMB); 0 none */
} dc_router_medium_stats;

typedef struct {
    bool active;    /* the site is up */
    int64_t rtt_us; /* from its reports' LSR/DLSR; -1 unknown */
    dc_router_medium_stats up[DC_ROUTER_KINDS], down[DC_ROUTER_KINDS];
    bool have_score;
    double score_up, score_down; /* smoothed 0..100 (core/quality) */
    int level;                   /* dc_quality_level of the lower of the two */
    double mos;                  /* audio, the worse direction; 0 unknown */
} dc_router_site_stats;

/* Fills *out with site's link statistics at now_us. Returns 0 or -EINVAL. */
int dc_router_get_site_stats(const dc_router *r, unsigned site, int64_t now_us,
                             dc_router_site_stats *out);

/* A snapshot of the counters. */
void dc_router_get_stats(const dc_router *r, dc_router_stats *out);
