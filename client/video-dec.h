/* video-dec: VP8 decoding with libvpx.
 *
 * Pure: takes one whole encoded frame (the depacketizer reassembles it) and
 * returns the picture. It tracks whether the reference pictures can be
 * trusted: after an undecodable or corrupt frame, or a loss the caller
 * reports, it refuses delta frames until a keyframe arrives, so the caller
 * knows to send PLI/FIR and never shows smeared pictures.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/media-error.h"

#include "client/i420.h"

typedef struct dc_vdec dc_vdec;

/* Creates a decoder (threads: 1..16). Returns NULL and sets error when
 * libvpx refuses. The caller owns it (dc_vdec_free). */
dc_vdec *dc_vdec_new(int threads, GError **error);

/* Frees the decoder; NULL is allowed. */
void dc_vdec_free(dc_vdec *dec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_vdec, dc_vdec_free)

/* Decodes one whole VP8 frame. On 0, *pic is a view of the decoded picture
 * (pic->buf == NULL) owned by the decoder, valid until the next call on it.
 * Errors:
 *   -EAGAIN   a delta frame while waiting for a keyframe (nothing decoded);
 *   -EBADMSG  libvpx could not decode the frame, or decoded it but flagged
 *             it corrupt (VP8D_GET_FRAME_CORRUPTED);
 *   -ENODATA  the frame produced no picture (e.g. a non-shown frame).
 * After -EAGAIN or -EBADMSG dc_vdec_needs_keyframe() is true; the caller
 * should request one (PLI/FIR). */
int dc_vdec_decode(dc_vdec *dec, const uint8_t *buf, size_t len, dc_i420 *pic);

/* Tells the decoder that at least one frame was lost before the next one:
 * it will wait for a keyframe instead of decoding on broken references. */
void dc_vdec_mark_loss(dc_vdec *dec);

/* True until a keyframe has been decoded after start, a loss or an error. */
bool dc_vdec_needs_keyframe(const dc_vdec *dec);

/* Peeks at a frame without decoding: returns 1 for a keyframe (and sets
 * *width / *height when not NULL), 0 for a delta frame, -EBADMSG when the
 * bytes are not a VP8 frame header. */
int dc_vdec_peek(const uint8_t *buf, size_t len, int *width, int *height);

typedef struct {
    uint64_t frames;    /* pictures returned */
    uint64_t keyframes; /* keyframes decoded */
    uint64_t errors;    /* -EBADMSG results */
    uint64_t corrupt;   /* of which flagged corrupt by libvpx */
    uint64_t skipped;   /* delta frames refused while waiting (-EAGAIN) */
} dc_vdec_stats;

void dc_vdec_get_stats(const dc_vdec *dec, dc_vdec_stats *stats);
