/* audio-dec: Opus decoding of a remote site's audio, with loss recovery.
 *
 * Pure: no clock, no I/O. Decodes mono or stereo packets at 48 kHz into the
 * channel count chosen at creation (Opus up- or down-mixes). For a missing
 * packet the caller either has the next one (in-band FEC recovers the lost
 * frame from it) or not (packet loss concealment).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/media-error.h"

#include "client/audio-enc.h" /* DC_AUDIO_RATE, DC_AUDIO_FRAME */

typedef struct dc_adec dc_adec;

/* Creates a decoder producing channels (1 or 2) interleaved. Returns NULL
 * and sets error on bad arguments. The caller owns the result. */
dc_adec *dc_adec_new(int channels, GError **error);

/* Frees the decoder; NULL is allowed. */
void dc_adec_free(dc_adec *dec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_adec, dc_adec_free)

/* Decodes one packet into pcm, which has room for max_samples samples per
 * channel (5760 = 120 ms is always enough; 960 for this project's 20 ms
 * packets). Returns the samples per channel written, or -EBADMSG for a
 * corrupt packet, -ENOSPC when pcm is too small. */
int dc_adec_decode(dc_adec *dec, const uint8_t *pkt, size_t len, int16_t *pcm, int max_samples);

/* Fills in one lost frame of frame_samples samples per channel (a multiple
 * of 2.5 ms, normally DC_AUDIO_FRAME). With next != NULL (the packet after
 * the lost one, not yet decoded) it uses that packet's in-band FEC, and the
 * caller then decodes next normally; with next == NULL, or when next has no
 * FEC, libopus conceals (PLC). Returns samples per channel or a negative
 * errno. */
int dc_adec_recover(dc_adec *dec, const uint8_t *next, size_t next_len, int16_t *pcm,
                    int frame_samples);

/* Channels of a packet (1 or 2), or -EBADMSG. */
int dc_adec_packet_channels(const uint8_t *pkt, size_t len);

typedef struct {
    uint64_t decoded;   /* packets decoded */
    uint64_t fec;       /* frames recovered with the next packet's FEC */
    uint64_t concealed; /* frames concealed without FEC */
    uint64_t errors;    /* corrupt packets */
} dc_adec_stats;

void dc_adec_get_stats(const dc_adec *dec, dc_adec_stats *stats);
