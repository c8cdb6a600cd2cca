/* audio-enc: Opus encoding for the client's microphone (or test tone).
 *
 * Pure: no clock, no I/O. 48 kHz, 20 ms frames (DC_AUDIO_FRAME samples per
 * channel), VOIP application, in-band FEC on, with an expected packet loss
 * the sender can update from receiver reports, and optional DTX.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/media-error.h"

#define DC_AUDIO_RATE 48000
#define DC_AUDIO_FRAME 960       /* samples per channel in 20 ms */
#define DC_AUDIO_MAX_PACKET 1275 /* largest Opus packet (RFC 6716) */

typedef struct dc_aenc dc_aenc;

/* Creates an encoder for channels (1 or 2) at bitrate_bps (6000..510000).
 * FEC is on with 5 % expected loss, DTX off. Returns NULL and sets error
 * on bad arguments or when libopus refuses. The caller owns the result. */
dc_aenc *dc_aenc_new(int channels, int bitrate_bps, GError **error);

/* Frees the encoder; NULL is allowed. */
void dc_aenc_free(dc_aenc *enc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_aenc, dc_aenc_free)

/* Expected packet loss in percent (0..100); Opus spends more on FEC as it
 * grows. Returns 0 or -EINVAL. */
int dc_aenc_set_packet_loss(dc_aenc *enc, int percent);

/* Turns discontinuous transmission on or off. Returns 0 or -EIO. */
int dc_aenc_set_dtx(dc_aenc *enc, bool on);

/* Changes the target bitrate. Returns 0 or -EINVAL. */
int dc_aenc_set_bitrate(dc_aenc *enc, int bitrate_bps);

/* Encodes one 20 ms frame: pcm holds DC_AUDIO_FRAME * channels interleaved
 * samples. Writes the packet to out (cap >= DC_AUDIO_MAX_PACKET is always
 * enough) and returns its length; returns 0 when DTX is on and the frame
 * need not be sent (the RTP timestamp still advances); -EIO when libopus
 * fails. */
int dc_aenc_encode(dc_aenc *enc, const int16_t *pcm, uint8_t *out, size_t cap);

/* Channels the encoder was made for. */
int dc_aenc_channels(const dc_aenc *enc);
