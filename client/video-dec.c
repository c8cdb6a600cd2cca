/* video-dec: libvpx VP8 decoder wrapper (see video-dec.h). */
#include "client/video-dec.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

struct dc_vdec {
    vpx_codec_ctx_t codec;
    bool need_kf;
    dc_vdec_stats stats;
};

dc_vdec *dc_vdec_new(int threads, GError **error)
{
    if (threads < 1 || threads > 16) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID,
                    "VP8 decoder: %d threads is out of range", threads);
        return NULL;
    }
    dc_vdec *dec = g_new0(dc_vdec, 1);
    vpx_codec_dec_cfg_t cfg = {.threads = (unsigned)threads, .w = 0, .h = 0};
    vpx_codec_err_t err = vpx_codec_dec_init(&dec->codec, vpx_codec_vp8_dx(), &cfg, 0);
    if (err != VPX_CODEC_OK) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_CODEC, "VP8 decoder init: %s",
                    vpx_codec_err_to_string(err));
        g_free(dec);
        return NULL;
    }
    dec->need_kf = true;
    return dec;
}

void dc_vdec_free(dc_vdec *dec)
{
    if (!dec)
        return;
    vpx_codec_destroy(&dec->codec);
    g_free(dec);
}

/* VP8 frame tag (RFC 6386 section 9.1): bit 0 of the first byte is 0 for a
 * keyframe, which is followed by the start code 9d 01 2a and 14-bit sizes. */
int dc_vdec_peek(const uint8_t *buf, size_t len, int *width, int *height)
{
    if (len < 3)
        return -EBADMSG;
    if (buf[0] & 1)
        return 0;
    if (len < 10 || buf[3] != 0x9d || buf[4] != 0x01 || buf[5] != 0x2a)
        return -EBADMSG;
    int w = (buf[6] | buf[7] << 8) & 0x3fff;
    int h = (buf[8] | buf[9] << 8) & 0x3fff;
    if (w == 0 || h == 0)
        return -EBADMSG;
    if (width)
        *width = w;
    if (height)
        *height = h;
    return 1;
}

static int fail(dc_vdec *dec, bool corrupt)
{
    dec->need_kf = true;
    dec->stats.errors++;
    if (corrupt)
        dec->stats.corrupt++;
    return -EBADMSG;
}

int dc_vdec_decode(dc_vdec *dec, const uint8_t *buf, size_t len, dc_i420 *pic)
{
    memset(pic, 0, sizeof(*pic));
    int kind = dc_vdec_peek(buf, len, NULL, NULL);
    if (kind < 0)
        return fail(dec, false);
    if (kind == 0 && dec->need_kf) {
        dec->stats.skipped++;
        return -EAGAIN;
    }
    if (len > UINT_MAX)
        return fail(dec, false);
    if (vpx_codec_decode(&dec->codec, buf, (unsigned)len, NULL, 0) != VPX_CODEC_OK)
        return fail(dec, false);
    int corrupted = 0;
    if (vpx_codec_control(&dec->codec, VP8D_GET_FRAME_CORRUPTED, &corrupted) != VPX_CODEC_OK ||
        corrupted) {
        /* Drain the picture so it is not returned later. */
        vpx_codec_iter_t it = NULL;
        while (vpx_codec_get_frame(&dec->codec, &it) != NULL) {
        }
        return fail(dec, true);
    }
    vpx_codec_iter_t iter = NULL;
    vpx_image_t *img = vpx_codec_get_frame(&dec->codec, &iter);
    if (!img)
        return -ENODATA;
    if (img->fmt != VPX_IMG_FMT_I420)
        return fail(dec, false);
    pic->width = (int)img->d_w;
    pic->height = (int)img->d_h;
    for (int p = 0; p < 3; p++) {
        pic->plane[p] = img->planes[p];
        pic->stride[p] = img->stride[p];
    }
    if (kind == 1) {
        dec->need_kf = false;
        dec->stats.keyframes++;
    }
    dec->stats.frames++;
    return 0;
}

void dc_vdec_mark_loss(dc_vdec *dec)
{
    dec->need_kf = true;
}

bool dc_vdec_needs_keyframe(const dc_vdec *dec)
{
    return dec->need_kf;
}

void dc_vdec_get_stats(const dc_vdec *dec, dc_vdec_stats *stats)
{
    *stats = dec->stats;
}
