/* core/bwe: a send-side bandwidth estimator for one transport, after Google
 * congestion control (draft-ietf-rmcat-gcc-02), fed by transport-wide
 * congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01).
 *
 * The caller numbers every packet it sends on the transport (the
 * transport-wide sequence number it writes into the RTP header extension),
 * tells the estimator what left when (dc_bwe_on_sent), and hands it each
 * feedback's per-packet arrival times (dc_bwe_on_feedback). The estimator
 * keeps three views and reports the least of them as the target:
 *
 * - delay-based: packets are grouped by send time (5 ms bursts); the change
 *   of one-way delay between groups goes through a trendline filter (least
 *   squares over the last 20 groups of the smoothed accumulated delay); an
 *   adaptive threshold on the trend says over-use, under-use or normal; on
 *   over-use the rate drops to 0.85 x what the receiver got, otherwise it
 *   grows 8 % a second far from the last known capacity and additively
 *   near it, never above 1.5 x what the receiver got (an application that
 *   sends less than its budget learns nothing about the link);
 * - loss-based, once a second: x1.05 below 2 % loss, x(1 - loss/2) above
 *   10 %, unchanged between;
 * - probes: at the start, and after a drop when the link looks clean
 *   again, the estimator asks for a short burst (a cluster) at a rate above
 *   the target (dc_bwe_probe_due); the rate at which the cluster arrived,
 *   when it arrived without queueing, raises the target at once. Without
 *   probes a receiver whose rate fell could climb back only 8 % a second.
 *
 * Sans-IO: no clock reads; every call takes now_us (a monotonic clock);
 * dc_bwe_next_timeout says when dc_bwe_probe_due may next have work.
 * Allocates only in dc_bwe_new. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t start_bps; /* the first target (default 300 kbit/s) */
    uint64_t min_bps;   /* never below (default 30 kbit/s) */
    uint64_t max_bps;   /* never above (default 20 Mbit/s) */
    bool probe;         /* send probes (default on through dc_bwe_config_default) */
} dc_bwe_config;

void dc_bwe_config_default(dc_bwe_config *cfg);

/* One packet of a feedback, in sequence order. arrival_us is on the
 * receiver's clock (any origin, the same for every feedback). */
typedef struct {
    uint16_t seq;
    bool received;
    int64_t arrival_us;
} dc_bwe_packet_result;

typedef enum {
    DC_BWE_NORMAL = 0,
    DC_BWE_OVERUSE,
    DC_BWE_UNDERUSE,
} dc_bwe_usage;

/* A probe cluster to send now: about `bytes` (at least min_packets
 * packets) paced at rate_bps in all: the media due meanwhile plus padding
 * or retransmissions of recent packets to make up the rate, each passed to
 * dc_bwe_on_sent with this cluster id. The probe measures the total rate
 * the link carried, so nothing else may be sent beside it. */
typedef struct {
    int cluster;
    uint64_t rate_bps;
    size_t bytes;
    unsigned min_packets;
} dc_bwe_probe;

/* What the estimator thinks, for statistics and tests. */
typedef struct {
    uint64_t target_bps;
    uint64_t delay_bps;  /* the delay-based estimate */
    uint64_t loss_bps;   /* the loss-based estimate */
    uint64_t acked_bps;  /* what the receiver got over the last 500 ms; 0 unknown */
    double trend_ms;     /* the modified trend (ms of delay growth, scaled) */
    double threshold_ms; /* the adaptive threshold it is compared with */
    dc_bwe_usage usage;
    double loss;             /* over the last loss interval, 0..1 */
    uint64_t probes_sent;    /* clusters asked for */
    uint64_t last_probe_bps; /* the last probe's result; 0 none */
} dc_bwe_state;

typedef struct dc_bwe dc_bwe;

/* A new estimator at now_us. NULL on bad configuration (min > max, start
 * outside them). Free with dc_bwe_free(). */
dc_bwe *dc_bwe_new(const dc_bwe_config *cfg, int64_t now_us);
void dc_bwe_free(dc_bwe *b);

/* A packet with transport-wide seq of size bytes (whole datagram) left at
 * now_us; cluster is the probe cluster it belongs to, or -1. */
void dc_bwe_on_sent(dc_bwe *b, uint16_t seq, size_t size, int64_t now_us, int cluster);

/* The results of one feedback, n entries in sequence order, at now_us.
 * Packets never sent (or forgotten: more than 4096 ago) are ignored. */
void dc_bwe_on_feedback(dc_bwe *b, const dc_bwe_packet_result *r, size_t n, int64_t now_us);

/* The rate the sender may use now (bits per second, all media together). */
uint64_t dc_bwe_target_bps(const dc_bwe *b);

/* True when a probe cluster should start now (fills *out). */
bool dc_bwe_probe_due(dc_bwe *b, int64_t now_us, dc_bwe_probe *out);

/* When dc_bwe_probe_due may next return true; INT64_MAX when not planned. */
int64_t dc_bwe_next_timeout(const dc_bwe *b);

void dc_bwe_get_state(const dc_bwe *b, dc_bwe_state *out);
