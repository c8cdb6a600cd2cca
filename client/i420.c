/* i420: planar YUV 4:2:0 pictures (see i420.h). */
#include "client/i420.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t dc_i420_packed_size(int width, int height)
{
    size_t cw = (size_t)dc_i420_chroma(width), ch = (size_t)dc_i420_chroma(height);
    return (size_t)width * (size_t)height + 2 * cw * ch;
}

int dc_i420_alloc(dc_i420 *f, int width, int height)
{
    memset(f, 0, sizeof(*f));
    if (width < 2 || height < 2 || width > 16384 || height > 16384)
        return -EINVAL;
    size_t ysize = (size_t)width * (size_t)height;
    size_t total = dc_i420_packed_size(width, height);
    uint8_t *buf = malloc(total);
    if (!buf)
        return -ENOMEM;
    memset(buf, 0, ysize);
    memset(buf + ysize, 128, total - ysize);
    int cw = dc_i420_chroma(width), ch = dc_i420_chroma(height);
    f->width = width;
    f->height = height;
    f->buf = buf;
    f->plane[0] = buf;
    f->plane[1] = buf + ysize;
    f->plane[2] = buf + ysize + (size_t)cw * (size_t)ch;
    f->stride[0] = width;
    f->stride[1] = cw;
    f->stride[2] = cw;
    return 0;
}

void dc_i420_clear(dc_i420 *f)
{
    free(f->buf);
    memset(f, 0, sizeof(*f));
}

int dc_i420_copy(dc_i420 *dst, const dc_i420 *src)
{
    if (dst->width != src->width || dst->height != src->height)
        return -EINVAL;
    for (int p = 0; p < 3; p++) {
        int w = p ? dc_i420_chroma(src->width) : src->width;
        int h = p ? dc_i420_chroma(src->height) : src->height;
        for (int y = 0; y < h; y++)
            memcpy(dst->plane[p] + (size_t)y * (size_t)dst->stride[p],
                   src->plane[p] + (size_t)y * (size_t)src->stride[p], (size_t)w);
    }
    return 0;
}
