/* testpattern: the synthetic camera, whose pictures say who sent them.
 *
 * Each picture carries, as a machine-readable code, the sending site's index
 * (0..15) and a 12-bit tag hashed from its site id, a 32-bit frame counter
 * and a 32-bit capture time in milliseconds (mod 2^32), protected by a
 * CRC-16. Below the code a person sees the site index in large digits on a
 * background whose hue is the site's, and a moving bar.
 *
 * The code is a band of 40 x 6 square cells across the top of the picture.
 * The cell side u is the largest multiple of 4 with 40u <= width and
 * 22u <= height (8 px at 320x180, 32 px at 1280x720), so cells sit on
 * VP8's 4x4 transform grid and stay flat under quantisation. Each bit is a
 * pair of neighbouring cells, white-black for 1 and black-white for 0
 * (Manchester), so the reader compares the two cells and needs no threshold.
 * 120 pairs: 24 sync bits, then index (4), tag (12), counter (32), capture
 * time (32), CRC-16/CCITT over those 80 bits.
 *
 * Pure: the caller passes the capture time; no clock reads, no I/O.
 */
#pragma once

#include <stdint.h>

#include "client/i420.h"

#define DC_PATTERN_MIN_WIDTH 160
#define DC_PATTERN_MIN_HEIGHT 90
#define DC_PATTERN_MAX_SITE 15

typedef struct {
    uint8_t site_index;  /* 0..DC_PATTERN_MAX_SITE */
    uint16_t site_tag;   /* 12 bits, dc_pattern_site_tag() of the site id */
    uint32_t counter;    /* frame counter */
    uint32_t capture_ms; /* capture time in ms, mod 2^32 */
} dc_pattern_info;

typedef enum {
    DC_PATTERN_CALM, /* flat background, one moving bar: cheap to encode */
    DC_PATTERN_BUSY, /* plus a scrolling random texture: a worst-case camera */
} dc_pattern_motion;

/* 12-bit tag of a site id (FNV-1a folded), never 0 for a non-empty id. */
uint16_t dc_pattern_site_tag(const char *site_id);

/* Cell side in pixels for a picture size, or 0 when the size is below
 * DC_PATTERN_MIN_WIDTH x DC_PATTERN_MIN_HEIGHT. */
int dc_pattern_cell_size(int width, int height);

/* Draws the whole picture (every pixel is written). Returns 0, or -EINVAL
 * when the picture is too small, site_index > 15 or site_tag > 0xfff. */
int dc_pattern_draw(dc_i420 *pic, const dc_pattern_info *info, dc_pattern_motion motion);

/* Reads the code from a (decoded) picture, using only its luma. Returns 0
 * with *info filled; -EINVAL when the picture is too small; -ENOENT when
 * the sync bits are not there (not a test pattern); -EBADMSG when a cell
 * pair is ambiguous or the CRC fails (a misread, never a wrong answer
 * short of a 1-in-65536 CRC collision). */
int dc_pattern_read(const dc_i420 *pic, dc_pattern_info *info);
