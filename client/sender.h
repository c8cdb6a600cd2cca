/* sender: the client's camera and microphone side. Test picture (or a Y4M
 * file) -> VP8 -> RTP (RFC 7741 descriptor, 15-bit picture id) and test tone
 * (or a WAV file) -> Opus 20 ms -> RTP, with the negotiated RFC 8285
 * extensions (mid; audio level on audio; transport-wide sequence number when
 * negotiated). Keeps a NACK history of the video it sent and answers NACKs
 * from it; PLI/FIR make the next frame a keyframe; builds the SR of each
 * stream. REMB and transport-cc feedback are not acted on (the encoder runs
 * at the configured bitrate).
 *
 * Time comes in as now_us (monotonic) and wall_ms (capture time written in
 * the test picture); the caller runs dc_sender_handle_timeout() at
 * dc_sender_next_timeout(). Packets go out through the send_rtp callback in a
 * buffer with room for SRTP to protect in place. The per-packet path does
 * not allocate. The only I/O is reading the optional source files.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/media-kind.h"
#include "core/rtcp.h"

typedef struct {
    /* A plaintext RTP packet buf[0..len) in a buffer of cap bytes (cap >= len
     * + DC_SRTP_MAX_OVERHEAD): protect in place and send. */
    void (*send_rtp)(void *user, uint8_t *buf, size_t len, size_t cap);
} dc_sender_callbacks;

typedef struct {
    const char *site_id;
    int site_index; /* roster index: written in the picture, picks the tone */
    int width, height, fps, bitrate_kbps;
    const char *video_file; /* a .y4m to loop, NULL: the test picture */
    const char *audio_file; /* a 48 kHz .wav to loop, NULL: the test tone */
} dc_sender_config;

/* Where and how one kind is sent, from the negotiated answer. */
typedef struct {
    bool active; /* the m-line is negotiated sendonly */
    uint8_t pt;
    char mid[16];
    uint8_t ext_mid, ext_audio_level, ext_transport_cc; /* 0: not negotiated (one-byte ids) */
} dc_sender_track;

typedef struct {
    uint64_t video_frames, video_keyframes, video_packets, video_bytes;
    uint64_t audio_packets, audio_bytes;
    uint64_t nack_seqs_in, retransmits, keyframe_requests;
} dc_sender_stats;

typedef struct dc_sender dc_sender;

/* Creates the sources and encoders. Returns NULL with error set when a file
 * cannot be read or an encoder refuses the settings. cb copied, user
 * borrowed. */
dc_sender *dc_sender_new(const dc_sender_config *cfg, const dc_sender_callbacks *cb, void *user,
                         GError **error);
void dc_sender_free(dc_sender *s);

/* The SSRC of our audio or video stream (random, fixed for the process). */
uint32_t dc_sender_ssrc(const dc_sender *s, dc_media_kind kind);

/* Sets where a kind is sent (after every answer). */
void dc_sender_set_track(dc_sender *s, dc_media_kind kind, const dc_sender_track *t);

/* Media flows from now_us (the transport is up) until dc_sender_stop().
 * A start after a stop asks for a keyframe. */
void dc_sender_start(dc_sender *s, int64_t now_us);
void dc_sender_stop(dc_sender *s);

/* Sends the frames and audio packets due at now_us. */
void dc_sender_handle_timeout(dc_sender *s, int64_t now_us, int64_t wall_ms);
/* When the next frame or audio packet is due, or INT64_MAX when stopped. */
int64_t dc_sender_next_timeout(const dc_sender *s);

/* A NACK from the bridge for seqs[0..n) of media_ssrc: resend what the
 * history still holds. */
void dc_sender_on_nack(dc_sender *s, uint32_t media_ssrc, const uint16_t *seqs, size_t n,
                       int64_t now_us);

/* PLI or FIR for our video. */
void dc_sender_request_keyframe(dc_sender *s);

/* Pauses (a mute: nothing of that kind is encoded or sent; sequence numbers
 * continue without a gap, the audio timestamp grid goes on) or resumes it
 * (video resumes with a keyframe). */
void dc_sender_set_paused(dc_sender *s, dc_media_kind kind, bool paused);
bool dc_sender_is_paused(const dc_sender *s, dc_media_kind kind);

/* Fills *sr (no report blocks) for kind at now_us / wall_us. Returns 0, or
 * -ENOENT when nothing was sent on it yet. */
int dc_sender_fill_sr(const dc_sender *s, dc_media_kind kind, int64_t now_us, int64_t wall_us,
                      dc_rtcp_sr *sr);

void dc_sender_get_stats(const dc_sender *s, dc_sender_stats *out);
