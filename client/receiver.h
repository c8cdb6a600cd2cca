/* receiver: everything the client does with the media of the other sites.
 *
 * Incoming (decrypted) RTP is mapped to a remote stream by its MID header
 * extension, or by the SSRC the offer announced, then: video goes through a
 * jitter buffer (client/jitter.h) with NACKs and PLIs, is decoded with libvpx,
 * and the test picture is read back (identity, frame counter, capture time:
 * latency on the same machine's clock), freezes, frame rate and resolution are
 * measured; audio is decoded with libopus (in-band FEC or concealment for a
 * missing packet) and its test tone checked. RFC 3550 reception statistics
 * feed the RR report blocks. Media of our own site never should arrive; it is
 * counted if it does.
 *
 * Sans-IO: time comes in as now_us (monotonic) and wall_ms (the wall clock in
 * milliseconds, for latency against the sender's capture time); RTCP to send,
 * decoded pictures and decoded audio go out through callbacks. Buffers are
 * allocated when streams are configured, never per packet.
 *
 * Ownership: the receiver owns its streams, decoders and statistics; strings
 * passed in are copied; pointers passed to callbacks are borrowed for the
 * call only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/i420.h"
#include "client/media-kind.h"
#include "core/rtcp.h"

typedef struct {
    /* Plaintext RTCP (NACK, PLI) to protect and send. */
    void (*send_rtcp)(void *user, const uint8_t *buf, size_t len);
    /* A decoded picture of a remote site (for --record); may be NULL. */
    void (*on_video)(void *user, const char *site, const dc_i420 *pic);
    /* Decoded (or concealed) mono 48 kHz audio of a remote site; may be NULL. */
    void (*on_audio)(void *user, const char *site, const int16_t *pcm, size_t samples);
} dc_receiver_callbacks;

/* One m-line on which the bridge sends us a remote site's media. */
typedef struct {
    const char *mid;
    const char *site; /* remote site id */
    dc_media_kind kind;
    uint32_t ssrc; /* from a=ssrc; 0 when not announced */
    uint8_t pt;    /* negotiated payload type */
    bool active;   /* sendonly in the offer (else inactive) */
    bool fb_nack;  /* "nack" negotiated */
    bool fb_pli;   /* "nack pli" negotiated */
} dc_receiver_stream_desc;

/* What the report and the status line show about one remote site. */
typedef struct {
    const char *site; /* borrowed from the receiver */
    int index;        /* roster index, -1 when unknown */
    bool active;      /* announced in the latest offer */
    bool announced;   /* announced in any offer so far */
    uint64_t video_packets, audio_packets;
    uint64_t video_frames_decoded;
    uint64_t video_identity_ok;
    uint64_t video_identity_bad; /* readable test picture of another site */
    uint64_t video_unreadable;   /* no test picture found (or a misread) */
    uint64_t video_decode_errors;
    uint64_t video_keyframes;
    uint64_t audio_packets_decoded;
    uint64_t audio_concealed; /* lost frames filled by FEC or PLC */
    uint64_t audio_tone_ok, audio_tone_bad;
    bool audio_identity_ok;
    double latency_p50_ms, latency_p95_ms, latency_max_ms; /* -1 without samples */
    uint64_t latency_samples;
    uint64_t freezes;
    double freeze_total_ms;
    double fps; /* decoded frames per second between the first and last */
    int width, height;
    int64_t packets_lost; /* RFC 3550 cumulative, video plus audio */
    uint64_t nacks_sent;  /* sequence numbers asked for */
    uint64_t plis_sent;
    uint64_t frames_skipped;       /* jitter-buffer give-ups */
    int64_t first_frame_ms;        /* from the first announcement to the first picture; -1 */
    int64_t rejoin_first_frame_ms; /* from the latest re-announcement; -1 */
    /* Frame counters read back: decoded pictures with the right identity,
     * and the counters they spanned (restarts of the sender's counter, e.g. a
     * rejoin, start a new span; expected sums the spans). */
    uint32_t counter_first, counter_last; /* the current span */
    uint64_t counter_span_decoded;        /* identity-ok pictures in it */
    uint64_t counter_expected;            /* all spans */
    unsigned counter_restarts;
    /* Wall clock (ms) of the first picture after the stream was announced
     * again or after a gap of over a second; -1 before any picture. */
    int64_t first_frame_after_gap_wall_ms;
    /* The last status interval (dc_receiver_roll_interval). */
    double status_fps;
    bool status_audio;
    double status_loss_pct;
    double status_latency_ms; /* -1 when no picture was read */
} dc_receiver_site_stats;

typedef struct dc_receiver dc_receiver;

/* Creates a receiver for own_site (copied). Returns NULL with error set when
 * a decoder cannot be created. cb is copied, user borrowed. */
dc_receiver *dc_receiver_new(const char *own_site, const dc_receiver_callbacks *cb, void *user,
                             GError **error);

/* Frees r; NULL is allowed. */
void dc_receiver_free(dc_receiver *r);

/* The roster index of a site (the test picture and tone carry it). */
void dc_receiver_set_site_index(dc_receiver *r, const char *site, int index);

/* Our own sending side: feedback is sent from feedback_ssrc; media with one
 * of our SSRCs or our sending mids (may be NULL) counts as own media. */
void dc_receiver_set_own(dc_receiver *r, uint32_t feedback_ssrc, const uint32_t own_ssrcs[2],
                         const char *own_mids[2]);

/* Applies a new offer: the streams it carries (all of them: a mid missing
 * from the list becomes inactive) and the MID extension id (0: map by SSRC
 * only). A mid that now carries another site or kind starts over. May
 * allocate. Returns 0, or -ENOMEM when a decoder cannot be created. */
int dc_receiver_configure(dc_receiver *r, const dc_receiver_stream_desc *streams, size_t n,
                          uint8_t mid_ext_id, int64_t now_us);

/* Takes one decrypted RTP packet. buf is only read. */
void dc_receiver_push_rtp(dc_receiver *r, const uint8_t *buf, size_t len, int64_t now_us,
                          int64_t wall_ms);

/* An SR arrived for ssrc with this NTP time (for LSR/DLSR in RR). */
void dc_receiver_on_sr(dc_receiver *r, uint32_t ssrc, uint64_t ntp_time, int64_t now_us);

/* Runs timers due at now_us: NACK retries, jitter-buffer give-ups, repeated
 * PLIs. */
void dc_receiver_handle_timeout(dc_receiver *r, int64_t now_us, int64_t wall_ms);

/* When dc_receiver_handle_timeout() next has work, or INT64_MAX. */
int64_t dc_receiver_next_timeout(const dc_receiver *r);

/* Fills up to cap RR report blocks (core/rtcp.h dc_rtcp_report_block) for
 * the streams that have received anything; returns the number.
 * Updates the interval bookkeeping of the fraction lost. */
size_t dc_receiver_report_blocks(dc_receiver *r, int64_t now_us, dc_rtcp_report_block *blocks,
                                 size_t cap);

/* Closes the status interval at now_us: fills the status_* fields. */
void dc_receiver_roll_interval(dc_receiver *r, int64_t now_us);

/* Remote sites seen in any offer, in first-seen order. */
size_t dc_receiver_n_sites(const dc_receiver *r);
void dc_receiver_site_stats_at(const dc_receiver *r, size_t i, dc_receiver_site_stats *out);

/* Everything received of one kind, summed over the remote streams: what
 * the client's link view (client/link.h) samples once a second. */
typedef struct {
    uint64_t packets, bytes;     /* since each stream's first packet */
    uint64_t expected, received; /* RFC 3550 A.3, summed: expected - received were lost */
    double jitter_ms;            /* RFC 3550 A.8, the highest of the active streams */
    uint64_t nacks_sent;         /* sequence numbers asked for (video) */
    uint64_t plis_sent;
    uint64_t recovered; /* asked-for packets that came (video) */
} dc_receiver_totals;

void dc_receiver_get_totals(const dc_receiver *r, dc_media_kind kind, dc_receiver_totals *out);

/* Packets of our own media received (must stay 0), and packets that no
 * stream claimed. */
uint64_t dc_receiver_own_media(const dc_receiver *r);
uint64_t dc_receiver_unknown(const dc_receiver *r);
