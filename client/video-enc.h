/* video-enc: VP8 encoding with libvpx in real-time mode.
 *
 * Pure: no clock reads, no I/O. The caller passes each I420 picture with its
 * presentation time in 90 kHz units (the RTP video clock) and gets back one
 * encoded frame. Settings follow what real-time VP8 senders use: CBR, no
 * look-ahead, error-resilient entropy, one thread, keyframes at most every
 * max_keyframe_interval_ms and on demand (PLI/FIR). Apart from libvpx's own
 * buffers nothing is allocated per frame.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/media-error.h"

#include "client/i420.h"

typedef struct dc_venc dc_venc;

typedef struct {
    int width;                    /* pixels, even values recommended */
    int height;                   /* pixels */
    int fps;                      /* nominal frame rate, 1..120 */
    int bitrate_kbps;             /* target bitrate, kbit/s */
    int cpu_used;                 /* libvpx speed, 0..16 (higher = faster) */
    int max_keyframe_interval_ms; /* automatic keyframe distance */
    int threads;                  /* encoder threads */
    bool allow_frame_drop;        /* let rate control skip frames */
} dc_venc_config;

/* One encoded frame. data points into the encoder and stays valid until the
 * next dc_venc_encode() or dc_venc_free() on the same encoder. */
typedef struct {
    const uint8_t *data;
    size_t size;
    bool keyframe;
    int64_t pts; /* 90 kHz, as passed in */
} dc_venc_frame;

/* Fills cfg with defaults for a size, rate and bitrate: cpu_used 8 up to
 * 640x360 and 10 above, keyframe interval 3000 ms, 1 thread, no frame
 * dropping. */
void dc_venc_config_default(dc_venc_config *cfg, int width, int height, int fps, int bitrate_kbps);

/* Creates an encoder. Returns NULL and sets error when libvpx rejects the
 * configuration. The caller owns the result (dc_venc_free). */
dc_venc *dc_venc_new(const dc_venc_config *cfg, GError **error);

/* Frees the encoder; NULL is allowed. */
void dc_venc_free(dc_venc *enc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_venc, dc_venc_free)

/* Changes the target bitrate from the next frame on (e.g. after REMB).
 * Returns 0 or -EINVAL. */
int dc_venc_set_bitrate(dc_venc *enc, int bitrate_kbps);

/* Makes the next encoded frame a keyframe (PLI or FIR received). Cheap;
 * repeated requests before the next encode collapse into one. */
void dc_venc_request_keyframe(dc_venc *enc);

/* Encodes one picture of the configured size taken at pts (90 kHz units,
 * increasing). Returns 1 with *out filled, 0 when rate control dropped the
 * picture (only with allow_frame_drop), -EINVAL for a wrong size or pts
 * going back, -EIO when libvpx fails. */
int dc_venc_encode(dc_venc *enc, const dc_i420 *pic, int64_t pts, dc_venc_frame *out);

/* Counters since creation. */
typedef struct {
    uint64_t frames;    /* encoded frames */
    uint64_t keyframes; /* of which keyframes */
    uint64_t forced;    /* keyframes made on request */
    uint64_t bytes;     /* encoded payload bytes */
    uint64_t dropped;   /* pictures skipped by rate control */
} dc_venc_stats;

void dc_venc_get_stats(const dc_venc *enc, dc_venc_stats *stats);
