/* jitter: the receive buffer of one remote VP8 stream. It puts packets back
 * in order, assembles whole frames (RFC 7741: a frame starts with S = 1 and
 * PID 0, and ends at the RTP marker bit or where the timestamp changes),
 * asks for missing packets (generic NACK, paced and limited), waits a
 * bounded time for retransmissions, and gives a frame up when it cannot be
 * completed, flagging the next frame it hands out as "after loss" (the
 * caller then needs a keyframe: PLI).
 *
 * Sans-IO: every call takes now_us (any monotonic microsecond clock); the
 * caller asks dc_jitter_next_timeout() when to call dc_jitter_pop() and
 * dc_jitter_poll_nacks() again. All storage is allocated by dc_jitter_new();
 * push and pop never allocate. One owner, not thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_JITTER_SLOTS 512        /* packets held at most (a power of two) */
#define DC_JITTER_MAX_PAYLOAD 1500 /* VP8 payload bytes per packet */
#define DC_JITTER_NO_TIMEOUT INT64_MAX

typedef struct {
    int64_t max_wait_us;      /* longest a hole may hold frames back (150 ms) */
    int64_t nack_delay_us;    /* first NACK this long after a hole is seen (5 ms) */
    int64_t nack_interval_us; /* between two NACKs of one packet (40 ms) */
    unsigned max_nacks;       /* NACKs per missing packet (3) */
} dc_jitter_config;

/* Fills cfg with the defaults above. */
void dc_jitter_config_default(dc_jitter_config *cfg);

/* One assembled frame, as returned by dc_jitter_pop(). */
typedef struct {
    size_t len;         /* bytes of VP8 frame written to the caller's buffer */
    uint32_t timestamp; /* RTP timestamp */
    bool keyframe;      /* the frame tag says keyframe */
    bool after_loss;    /* frames were given up since the previous frame */
    uint16_t first_seq; /* sequence numbers of its first and last packet */
    uint16_t last_seq;
    int64_t first_arrival_us; /* when its first packet arrived */
} dc_jitter_frame;

typedef struct {
    uint64_t packets;        /* accepted into the buffer */
    uint64_t duplicates;     /* already held */
    uint64_t late;           /* older than what was handed out or given up */
    uint64_t malformed;      /* bad VP8 descriptor or too large */
    uint64_t nacked;         /* sequence numbers asked for (each request counted) */
    uint64_t recovered;      /* asked-for packets that arrived */
    uint64_t lost;           /* missing packets given up */
    uint64_t frames;         /* frames handed out */
    uint64_t frames_skipped; /* give-ups (one or more frames each) */
    uint64_t orphans;        /* packets dropped because their frame start was gone */
    uint64_t resets;         /* sequence jumps that restarted the buffer */
} dc_jitter_stats;

typedef struct dc_jitter dc_jitter;

/* Creates an empty buffer (cfg NULL: defaults). Returns NULL on bad
 * arguments. Free with dc_jitter_free(). */
dc_jitter *dc_jitter_new(const dc_jitter_config *cfg);

/* Frees j; NULL is allowed. */
void dc_jitter_free(dc_jitter *j);

/* Forgets every packet and starts over with the next one pushed (the stream
 * was renegotiated or its sender changed). Statistics are kept. */
void dc_jitter_reset(dc_jitter *j);

/* Takes one RTP packet of the stream: its sequence number, timestamp, marker
 * bit and payload (VP8 descriptor and data, copied). Returns 0 when kept,
 * -EALREADY for a duplicate or a packet older than what was handed out,
 * -EBADMSG for a bad descriptor, -EMSGSIZE for a payload over
 * DC_JITTER_MAX_PAYLOAD. A jump of more than half the buffer restarts it. */
int dc_jitter_push(dc_jitter *j, uint16_t seq, uint32_t timestamp, bool marker,
                   const uint8_t *payload, size_t len, int64_t now_us);

/* Hands out the next whole frame, in order, into buf[0..cap): returns 1 with
 * *f filled, 0 when none is ready. Gives up frames whose missing packets have
 * waited max_wait_us (or that a complete later keyframe makes useless): those
 * are counted, and the next frame returned has after_loss set. A frame larger
 * than cap is given up the same way. Call until it returns 0. */
int dc_jitter_pop(dc_jitter *j, int64_t now_us, uint8_t *buf, size_t cap, dc_jitter_frame *f);

/* Writes the sequence numbers to NACK now (ascending RTP order, at most cap)
 * and returns how many. Each missing packet is asked for first nack_delay_us
 * after its hole was seen, then every nack_interval_us, max_nacks times. */
size_t dc_jitter_poll_nacks(dc_jitter *j, int64_t now_us, uint16_t *seqs, size_t cap);

/* When pop or poll_nacks next has work without a new packet, or
 * DC_JITTER_NO_TIMEOUT. */
int64_t dc_jitter_next_timeout(const dc_jitter *j);

void dc_jitter_get_stats(const dc_jitter *j, dc_jitter_stats *out);
