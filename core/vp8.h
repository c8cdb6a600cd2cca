/* vp8: the VP8 RTP payload format (RFC 7741): payload descriptor parse and
 * write, keyframe detection and size, in-place rewriting of picture id and
 * TL0PICIDX (the bridge's per-receiver rewrite), and a packetizer.
 *
 * Payload descriptor (RFC 7741 section 4.2):
 *
 *        0 1 2 3 4 5 6 7
 *       +-+-+-+-+-+-+-+-+
 *       |X|R|N|S|R| PID |  required
 *       +-+-+-+-+-+-+-+-+
 *    X: |I|L|T|K| RSV   |  when X
 *       +-+-+-+-+-+-+-+-+
 *    I: |M| PictureID   |  when I; M = 1: 15-bit picture id, one more byte
 *       +-+-+-+-+-+-+-+-+
 *    L: |   TL0PICIDX   |  when L
 *       +-+-+-+-+-+-+-+-+
 *  T/K: |TID|Y| KEYIDX  |  when T or K
 *       +-+-+-+-+-+-+-+-+
 *
 * followed by the VP8 payload; the first packet of a frame (S = 1, PID = 0)
 * starts with the 3-byte frame tag, whose lowest bit P is 0 on keyframes, and
 * on keyframes 9d 01 2a and the size.
 *
 * Ownership: nothing here allocates. Parsers read the caller's buffer during
 * the call only; the packetizer borrows the frame for its whole life.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_VP8_MAX_DESCRIPTOR_LEN 6

/* A parsed payload descriptor. Also the input of dc_vp8_write_descriptor().
 * Fields of an absent extension are 0. */
typedef struct {
    bool non_reference; /* N */
    bool start;         /* S: first packet of a partition */
    uint8_t pid;        /* partition index, 0..7 */

    bool has_picture_id; /* I */
    bool picture_id_15;  /* M: 15-bit picture id (else 7-bit) */
    uint16_t picture_id;
    bool has_tl0picidx; /* L */
    uint8_t tl0picidx;
    bool has_tid;    /* T */
    uint8_t tid;     /* 0..3 */
    bool layer_sync; /* Y, meaningful with T */
    bool has_keyidx; /* K */
    uint8_t keyidx;  /* 0..31 */

    /* Set by parse, ignored by write: */
    size_t header_len;   /* descriptor length = offset of the VP8 payload */
    bool start_of_frame; /* start && pid == 0 */
    bool keyframe;       /* start_of_frame and the P bit of the payload is 0 */
} dc_vp8_descriptor;

/* Parses the descriptor at the start of an RTP payload buf[0..len).
 * Returns 0 and fills *d, or -EBADMSG when the descriptor is truncated or
 * nothing follows it (RFC 7741 packets always carry payload). Reserved bits
 * are ignored. */
int dc_vp8_parse(const uint8_t *buf, size_t len, dc_vp8_descriptor *d);

/* Frame size from a keyframe header. */
typedef struct {
    uint16_t width;  /* 14 bits */
    uint16_t height; /* 14 bits */
    uint8_t hscale;  /* 2 bits: upscaling, 0 none, 1 5/4, 2 5/3, 3 2 */
    uint8_t vscale;
} dc_vp8_size;

/* Reads the size from the VP8 payload (after the descriptor, buf + header_len)
 * of the first packet of a keyframe: frame tag (3 bytes), start code
 * 9d 01 2a, then width and height as 16-bit little endian.
 * Returns 0, -EINVAL when the frame tag says interframe, or -EBADMSG when it
 * is shorter than 10 bytes or the start code is wrong. */
int dc_vp8_keyframe_size(const uint8_t *payload, size_t len, dc_vp8_size *size);

/* Rewrites the picture id of the descriptor at the start of buf in place,
 * keeping its 7- or 15-bit size: picture_id is masked to that size (0x7f or
 * 0x7fff). Returns 0, -ENOENT when the descriptor has no picture id, or
 * -EBADMSG when it does not parse. */
int dc_vp8_set_picture_id(uint8_t *buf, size_t len, uint16_t picture_id);

/* Rewrites TL0PICIDX in place. Returns 0, -ENOENT when the descriptor has
 * none, or -EBADMSG when it does not parse. */
int dc_vp8_set_tl0picidx(uint8_t *buf, size_t len, uint8_t tl0picidx);

/* Writes the descriptor d into buf[0..cap): the X byte when any extension is
 * present, the picture id as 15 bits when picture_id_15 (else 7), values
 * masked to their field widths. Returns the number of bytes written (1..6),
 * or -ENOSPC when cap is too small, -EINVAL when pid > 7. */
int dc_vp8_write_descriptor(const dc_vp8_descriptor *d, uint8_t *buf, size_t cap);

/* Splits one encoded frame into RTP payloads (descriptor + data) of at most
 * max_payload bytes each, of nearly equal sizes, as one partition (PID 0,
 * S on the first packet). Iterator style: init, then next() until -ENOENT.
 * Plain struct on the caller's stack; the frame is borrowed and must outlive
 * it. */
typedef struct {
    const uint8_t *frame; /* borrowed */
    size_t frame_len;
    size_t off;             /* bytes of the frame already handed out */
    size_t packets;         /* total number of payloads this frame becomes */
    size_t index;           /* payloads handed out so far */
    dc_vp8_descriptor desc; /* written before each chunk; start cleared after the first */
} dc_vp8_packetizer;

/* Prepares to packetize frame[0..frame_len) with a 15-bit picture id (and,
 * when tl0picidx >= 0, that TL0PICIDX) and non_reference as the N bit.
 * Returns 0, or -EINVAL when frame_len is 0 or max_payload leaves no room
 * for data after the descriptor. */
int dc_vp8_packetizer_init(dc_vp8_packetizer *p, const uint8_t *frame, size_t frame_len,
                           size_t max_payload, uint16_t picture_id, int tl0picidx,
                           bool non_reference);

/* Writes the next payload into out[0..cap) and sets *out_len, and *last when
 * it is the frame's last payload (the caller sets the RTP marker bit).
 * Returns 0, -ENOENT when the frame is done, or -ENOSPC when cap is smaller
 * than this payload (the iterator does not advance). */
int dc_vp8_packetizer_next(dc_vp8_packetizer *p, uint8_t *out, size_t cap, size_t *out_len,
                           bool *last);
