/* i420: the planar YUV 4:2:0 picture shared by the client's media modules.
 *
 * A dc_i420 is either a view (buf == NULL: the planes belong to someone else,
 * e.g. the VP8 decoder, and stay valid only as long as that owner says) or an
 * owned picture made by dc_i420_alloc() and released by dc_i420_clear().
 * Chroma planes are (width + 1) / 2 by (height + 1) / 2.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int width;
    int height;
    uint8_t *plane[3]; /* Y, U, V */
    int stride[3];     /* bytes per row of each plane */
    uint8_t *buf;      /* owned storage, or NULL for a view */
} dc_i420;

/* Chroma plane width / height for a luma size. */
static inline int dc_i420_chroma(int luma)
{
    return (luma + 1) / 2;
}

/* Bytes of a tightly packed I420 picture of this size (Y4M frame payload). */
size_t dc_i420_packed_size(int width, int height);

/* Allocates a tightly packed picture (stride == plane width), zero luma and
 * neutral (128) chroma. Returns 0, or -EINVAL for a size outside
 * 2..16384 in either dimension. On success the caller owns f->buf and must
 * call dc_i420_clear(). */
int dc_i420_alloc(dc_i420 *f, int width, int height);

/* Frees an owned picture (no-op for a view) and zeroes *f. */
void dc_i420_clear(dc_i420 *f);

/* Copies pixels between two pictures of the same size. Returns 0 or -EINVAL
 * when the sizes differ. */
int dc_i420_copy(dc_i420 *dst, const dc_i420 *src);
