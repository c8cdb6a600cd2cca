/* tests/sim: a simulated meeting for the media core, in one process, on a
 * hand-advanced clock, deterministic from a seed.
 *
 * The real bridge/router sits in the middle; each site is a synthetic
 * sender (Opus-sized audio every 20 ms, VP8-packetized video frames at a
 * set bitrate and frame rate, a NACK history, keyframes on PLI/FIR) and a
 * synthetic receiver (a jitter buffer that decodes a frame only when all its
 * packets are there and its reference chain is whole, NACKs for gaps, PLI
 * when the chain breaks, receiver reports every second). Every site has an
 * uplink (site -> bridge) and a downlink (bridge -> site): a bottleneck rate
 * with a drop-tail queue, then a propagation delay with jitter (never
 * reordering), then random or bursty loss.
 *
 * What the tests read is what a person at the receiver would see: frames
 * decoded, freezes, the longest freeze, audio packets missing, and the
 * router's own counters. This is the place where the bandwidth estimator
 * and layer selection of issues 16 and 17 are to be tested.
 *
 * Nothing here reads a clock, sleeps or touches a socket. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bridge/router.h"

typedef struct {
    int64_t delay_us;  /* one way, propagation */
    int64_t jitter_us; /* added uniformly in 0..jitter_us (order kept) */
    double loss;       /* probability a packet is lost, 0..1 */
    double burst;      /* mean length of a loss burst in packets; <= 1: independent */
    uint64_t rate_bps; /* bottleneck; 0: unlimited */
    uint32_t queue_ms; /* drop-tail queue in front of the bottleneck, in ms at rate */
} dc_sim_link;

typedef struct {
    unsigned n_sites;    /* 2..DC_ROUTER_MAX_SITES */
    uint64_t seed;       /* everything random comes from it */
    uint64_t video_bps;  /* each sender's video bitrate (default 600 kbit/s) */
    unsigned fps;        /* default 15 */
    unsigned keyframe_s; /* periodic keyframe interval; 0: only on request */
    bool follow_remb;    /* senders cap their video at the last REMB */
} dc_sim_config;

/* What one receiver got of one source. */
typedef struct {
    uint64_t video_packets, video_bytes;
    uint64_t frames_decoded; /* complete and with a whole reference chain */
    uint64_t frames_skipped; /* given up (missing packets or a broken chain) */
    uint64_t keyframes_decoded;
    uint64_t freezes;          /* gaps over max(3 frames, a frame + 150 ms) */
    int64_t longest_freeze_us; /* the longest gap between decoded frames */
    int64_t first_frame_us;    /* -1 before the first decoded frame */
    uint64_t nacked;           /* sequence numbers asked for */
    uint64_t plis;             /* keyframe requests sent */
    uint64_t audio_packets;    /* received */
    uint64_t audio_missing;    /* never arrived (no NACK for audio) */
} dc_sim_view;

/* What one site's sender did. */
typedef struct {
    uint64_t frames, keyframes;
    uint64_t packets, bytes;
    uint64_t resent; /* answered from its history */
    uint64_t keyframe_requests;
    uint64_t remb_bps;  /* the last REMB it got; 0 none */
    uint64_t video_bps; /* what it encodes at now */
} dc_sim_sender;

typedef struct dc_sim dc_sim;

/* A simulation of n_sites sites, all absent, clean links, at time 1 s.
 * Returns NULL on bad arguments. Free with dc_sim_free(). */
dc_sim *dc_sim_new(const dc_sim_config *cfg);
void dc_sim_free(dc_sim *sim);

/* Link settings of a site, each direction (copied; may change any time:
 * packets already in flight keep their fate). */
void dc_sim_set_uplink(dc_sim *sim, unsigned site, const dc_sim_link *link);
void dc_sim_set_downlink(dc_sim *sim, unsigned site, const dc_sim_link *link);

/* The site joins now (endpoint.add, answer, DTLS done): the router learns
 * its parameters and it starts sending and receiving. */
void dc_sim_join(dc_sim *sim, unsigned site);
/* The site leaves now; its sender stops. */
void dc_sim_leave(dc_sim *sim, unsigned site);

/* Runs every event up to and including t_us, then sets the clock to t_us. */
void dc_sim_run_until(dc_sim *sim, int64_t t_us);
/* Runs for d_us from now. */
void dc_sim_run_for(dc_sim *sim, int64_t d_us);
int64_t dc_sim_now(const dc_sim *sim);

dc_router *dc_sim_router(dc_sim *sim);
void dc_sim_view_of(const dc_sim *sim, unsigned receiver, unsigned source, dc_sim_view *out);
void dc_sim_sender_of(const dc_sim *sim, unsigned site, dc_sim_sender *out);
/* Packets each link dropped: at its queue and by loss. */
void dc_sim_link_drops(const dc_sim *sim, unsigned site, bool downlink, uint64_t *queue,
                       uint64_t *lost);
