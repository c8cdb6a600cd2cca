/* rtp-ext: RTP header extension elements (RFC 8285), one-byte (0xBEDE) and
 * two-byte (0x100X) forms: an iterator, find by id, typed accessors, in-place
 * rewriting of an element's value, and a writer for the packet builder.
 *
 * Extension ids are negotiated in SDP (a=extmap), so every accessor takes the
 * id; nothing here assumes one. The two-byte form needs a=extmap-allow-mixed.
 *
 * Ownership: nothing allocates. Elements and iterators borrow the buffer they
 * were made from (usually the packet a dc_rtp_view was parsed from) and are
 * valid while it lives unchanged. String accessors copy into a caller buffer.
 *
 * Malformed element lists are reported as -EBADMSG, never asserted on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rtp.h"

#define DC_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
#define DC_RTP_EXT_PROFILE_TWO_BYTE 0x1000 /* low 4 bits: "appbits" */
#define DC_RTP_EXT_ONE_BYTE_MAX_ID 14
#define DC_RTP_EXT_ONE_BYTE_MAX_LEN 16
/* Large enough for any string element plus its NUL. */
#define DC_RTP_EXT_STR_MAX 256

/* One element: id 1..14 (one-byte form) or 1..255 (two-byte form) and its
 * value. From the iterator, data points into the packet. For the writer, the
 * caller owns data. */
typedef struct {
    uint8_t id;
    uint8_t len;         /* value bytes: 1..16 one-byte form, 0..255 two-byte form */
    const uint8_t *data; /* may be NULL when len is 0 */
} dc_rtp_ext_elem;

/* Iterates the elements of one extension block; plain data, no cleanup. */
typedef struct {
    const uint8_t *data;
    size_t len;
    size_t off;
    bool two_byte;
} dc_rtp_ext_iter;

/* True when profile is an RFC 8285 form (0xBEDE or 0x1000..0x100F). */
bool dc_rtp_ext_profile_known(uint16_t profile);

/* Starts iterating extension data data[0..len) (a view's ext, ext_len)
 * tagged with profile (a view's ext_profile). Returns 0, or -ENOTSUP when the
 * profile is not an RFC 8285 form (then the iterator yields nothing). */
int dc_rtp_ext_iter_init(dc_rtp_ext_iter *it, uint16_t profile, const uint8_t *data, size_t len);

/* Same, for the extension block of a parsed view; a view without extension
 * gives an empty iterator (returns 0). */
int dc_rtp_ext_iter_init_view(dc_rtp_ext_iter *it, const dc_rtp_view *v);

/* Next element into *out. Skips padding (a zero byte; in the one-byte form,
 * any byte with id 0). Returns 1 with an element, 0 at the end (also at a
 * one-byte id 15, where RFC 8285 says processing stops), or -EBADMSG when an
 * element overruns the block (the iterator then stays at the end). */
int dc_rtp_ext_next(dc_rtp_ext_iter *it, dc_rtp_ext_elem *out);

/* Finds the first element with id in the view's extension block. Returns 0
 * with *out filled, -ENOENT when absent (also for a view without an RFC 8285
 * block), -EINVAL for id 0, or -EBADMSG when the block is malformed before
 * the element is reached. */
int dc_rtp_ext_find(const dc_rtp_view *v, uint8_t id, dc_rtp_ext_elem *out);

/* Typed accessors: the first element with id, decoded. Each returns 0, or
 * -ENOENT / -EINVAL / -EBADMSG as dc_rtp_ext_find(), and -EBADMSG when the
 * element's length or content does not match its definition. */

/* MID (RFC 8843): copies the value and a NUL into out[0..cap). The value must
 * be non-empty printable ASCII without spaces. Returns its length (>0) or
 * -ENOSPC when cap is too small (DC_RTP_EXT_STR_MAX always fits). */
int dc_rtp_ext_mid(const dc_rtp_view *v, uint8_t id, char *out, size_t cap);
/* RtpStreamId and RepairedRtpStreamId (RFC 8852): as dc_rtp_ext_mid(), the
 * value must be 1*(ALPHA / DIGIT / "-" / "_") (RFC 8851 rid-id). */
int dc_rtp_ext_rid(const dc_rtp_view *v, uint8_t id, char *out, size_t cap);
int dc_rtp_ext_repaired_rid(const dc_rtp_view *v, uint8_t id, char *out, size_t cap);
/* abs-send-time: 24-bit 6.18 fixed-point seconds (3 bytes). */
int dc_rtp_ext_abs_send_time(const dc_rtp_view *v, uint8_t id, uint32_t *out);
/* transport-wide-cc-01 sequence number (2 bytes). */
int dc_rtp_ext_transport_seq(const dc_rtp_view *v, uint8_t id, uint16_t *out);
/* Client-to-mixer audio level (RFC 6464, 1 byte): *voice is the V bit,
 * *level is 0..127 in -dBov (0 loudest, 127 silence). */
int dc_rtp_ext_audio_level(const dc_rtp_view *v, uint8_t id, bool *voice, uint8_t *level);

/* abs-send-time value for a time in microseconds (any epoch: the value wraps
 * every 64 s). */
uint32_t dc_rtp_ext_abs_send_time_from_us(uint64_t us);

/* In-place rewriting in the RTP packet pkt[0..len): replaces the value of the
 * first element with id by val[0..val_len), which must have the element's
 * length. Returns 0, -EBADMSG when pkt does not parse or its block is
 * malformed before the element, -ENOENT when absent, -EINVAL when val_len
 * differs from the element's length or id is 0. */
int dc_rtp_ext_rewrite(uint8_t *pkt, size_t len, uint8_t id, const uint8_t *val, size_t val_len);
/* Typed rewriters built on dc_rtp_ext_rewrite(); abs-send-time keeps the low
 * 24 bits of value. */
int dc_rtp_ext_set_transport_seq(uint8_t *pkt, size_t len, uint8_t id, uint16_t seq);
int dc_rtp_ext_set_abs_send_time(uint8_t *pkt, size_t len, uint8_t id, uint32_t value);

/* Writes the n elements as extension data (without the 4-byte header that
 * dc_rtp_write_header() adds) into buf[0..cap), zero-padded to a multiple of
 * 4, in the one-byte form when every id is 1..14 and every length 1..16, else
 * in the two-byte form. Sets *profile to the form's profile word. Returns the
 * bytes written (0 for n == 0), -EINVAL for id 0, a duplicate id or NULL data
 * with a non-zero length, or -ENOSPC when it does not fit (buf then holds
 * garbage). elems and buf must not overlap. */
int dc_rtp_ext_write(const dc_rtp_ext_elem *elems, size_t n, uint8_t *buf, size_t cap,
                     uint16_t *profile);
