/* load-media: the pre-encoded media diemcau-load replays. Encodes, once at
 * start, a few seconds of the client's test picture (client/testpattern ->
 * client/video-enc, VP8) and test tone (client/tone -> client/audio-enc,
 * Opus 20 ms) per site index, packetizes the video into RFC 7741 payloads,
 * and gives every payload a 32-bit hash of its media bytes (the VP8 data
 * after the payload descriptor, the whole Opus packet) so that a receiver can
 * tell which site and which loop packet it got, whatever the server rewrote
 * in the RTP header and the VP8 descriptor.
 *
 * Pure apart from the codecs: no I/O, no clock. Owned by the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/media-kind.h"

#define DC_LOAD_MAX_PAYLOAD 1100

/* One RTP payload of the loop. */
typedef struct {
    uint8_t *data; /* payload: VP8 descriptor + data, or an Opus packet */
    uint16_t len;
    bool marker;    /* last packet of a video frame */
    uint32_t frame; /* video frame (or audio packet) index in the loop */
    uint32_t hash;  /* of the media bytes (descriptor excluded) */
    bool unique;    /* no other payload of any site has this hash */
} dc_load_packet;

typedef struct {
    dc_load_packet *pkts;
    size_t n;
    uint32_t frames; /* video frames or audio packets in the loop */
} dc_load_loop;

typedef struct {
    int sites; /* site indexes 0..sites-1 */
    int fps;   /* video frame rate */
    dc_load_loop video[16], audio[16];
} dc_load_media;

/* What a received payload hashes to. */
typedef struct {
    int site; /* site index */
    dc_media_kind kind;
    uint32_t index; /* packet index in that site's loop */
} dc_load_origin;

/* Encodes seconds of media for site indexes 0..sites-1 (at most 16) at
 * width x height, fps, kbps. Returns NULL with error set when an encoder
 * refuses. */
dc_load_media *dc_load_media_new(int sites, int width, int height, int fps, int kbps,
                                 double seconds, GError **error);
void dc_load_media_free(dc_load_media *m);

/* Hash of a received payload of kind: for video the descriptor is skipped. */
uint32_t dc_load_payload_hash(dc_media_kind kind, const uint8_t *payload, size_t len);

/* Looks up a hash. Returns true with *out filled when exactly one payload
 * has it. */
bool dc_load_media_find(const dc_load_media *m, uint32_t hash, dc_load_origin *out);
