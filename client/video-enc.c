/* video-enc: libvpx VP8 real-time encoder wrapper (see video-enc.h). */
#include "client/video-enc.h"

#include <errno.h>
#include <string.h>

#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#define VIDEO_CLOCK 90000

struct dc_venc {
    dc_venc_config cfg;
    vpx_codec_ctx_t codec;
    vpx_codec_enc_cfg_t vcfg;
    vpx_image_t img; /* describes the caller's planes for each frame */
    bool force_kf;
    bool have_last_pts;
    int64_t last_pts;
    dc_venc_stats stats;
};

void dc_venc_config_default(dc_venc_config *cfg, int width, int height, int fps, int bitrate_kbps)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->width = width;
    cfg->height = height;
    cfg->fps = fps;
    cfg->bitrate_kbps = bitrate_kbps;
    cfg->cpu_used = width * height <= 640 * 360 ? 8 : 10;
    cfg->max_keyframe_interval_ms = 3000;
    cfg->threads = 1;
    cfg->allow_frame_drop = false;
}

static bool config_valid(const dc_venc_config *c)
{
    return c->width >= 2 && c->height >= 2 && c->width <= 16384 && c->height <= 16384 &&
           c->fps >= 1 && c->fps <= 120 && c->bitrate_kbps >= 10 && c->bitrate_kbps <= 100000 &&
           c->cpu_used >= 0 && c->cpu_used <= 16 && c->max_keyframe_interval_ms >= 0 &&
           c->threads >= 1 && c->threads <= 16;
}

dc_venc *dc_venc_new(const dc_venc_config *cfg, GError **error)
{
    if (!config_valid(cfg)) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID,
                    "VP8 encoder: invalid configuration %dx%d %d fps %d kbit/s", cfg->width,
                    cfg->height, cfg->fps, cfg->bitrate_kbps);
        return NULL;
    }
    dc_venc *enc = g_new0(dc_venc, 1);
    enc->cfg = *cfg;
    vpx_codec_enc_cfg_t *v = &enc->vcfg;
    vpx_codec_err_t err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), v, 0);
    if (err != VPX_CODEC_OK) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_CODEC, "VP8 encoder: %s",
                    vpx_codec_err_to_string(err));
        g_free(enc);
        return NULL;
    }
    v->g_w = (unsigned)cfg->width;
    v->g_h = (unsigned)cfg->height;
    v->g_timebase.num = 1;
    v->g_timebase.den = VIDEO_CLOCK;
    v->g_threads = (unsigned)cfg->threads;
    v->g_lag_in_frames = 0;
    v->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    v->g_pass = VPX_RC_ONE_PASS;
    v->rc_end_usage = VPX_CBR;
    v->rc_target_bitrate = (unsigned)cfg->bitrate_kbps;
    v->rc_min_quantizer = 2;
    v->rc_max_quantizer = 56;
    v->rc_undershoot_pct = 100;
    v->rc_overshoot_pct = 15;
    v->rc_buf_initial_sz = 500;
    v->rc_buf_optimal_sz = 600;
    v->rc_buf_sz = 1000;
    v->rc_dropframe_thresh = cfg->allow_frame_drop ? 30 : 0;
    v->rc_resize_allowed = 0;
    v->kf_mode = VPX_KF_AUTO;
    v->kf_min_dist = 0;
    v->kf_max_dist = (unsigned)((int64_t)cfg->max_keyframe_interval_ms * cfg->fps / 1000);
    if (v->kf_max_dist == 0)
        v->kf_max_dist = 1;

    err = vpx_codec_enc_init(&enc->codec, vpx_codec_vp8_cx(), v, 0);
    if (err != VPX_CODEC_OK) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_CODEC, "VP8 encoder init: %s",
                    vpx_codec_err_to_string(err));
        g_free(enc);
        return NULL;
    }
    /* Real-time tuning as WebRTC senders do it; speed is negative-signed in
     * libvpx for "real-time, adapt to CPU" but a fixed positive value keeps
     * the output independent of load, which tests rely on. */
    vpx_codec_control(&enc->codec, VP8E_SET_CPUUSED, cfg->cpu_used);
    vpx_codec_control(&enc->codec, VP8E_SET_STATIC_THRESHOLD, 1u);
    vpx_codec_control(&enc->codec, VP8E_SET_NOISE_SENSITIVITY, 0u);
    vpx_codec_control(&enc->codec, VP8E_SET_TOKEN_PARTITIONS, (int)VP8_ONE_TOKENPARTITION);
    /* Keyframe size cap: half the optimal buffer at this frame rate, in
     * percent of an average frame (libwebrtc's MaxIntraTarget). */
    unsigned intra_pct = (unsigned)(v->rc_buf_optimal_sz * 0.5 * cfg->fps / 10.0);
    if (intra_pct < 300)
        intra_pct = 300;
    vpx_codec_control(&enc->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT, intra_pct);

    return enc;
}

void dc_venc_free(dc_venc *enc)
{
    if (!enc)
        return;
    vpx_codec_destroy(&enc->codec);
    g_free(enc);
}

int dc_venc_set_bitrate(dc_venc *enc, int bitrate_kbps)
{
    if (bitrate_kbps < 10 || bitrate_kbps > 100000)
        return -EINVAL;
    if ((unsigned)bitrate_kbps == enc->vcfg.rc_target_bitrate)
        return 0;
    enc->vcfg.rc_target_bitrate = (unsigned)bitrate_kbps;
    if (vpx_codec_enc_config_set(&enc->codec, &enc->vcfg) != VPX_CODEC_OK)
        return -EIO;
    enc->cfg.bitrate_kbps = bitrate_kbps;
    return 0;
}

void dc_venc_request_keyframe(dc_venc *enc)
{
    enc->force_kf = true;
}

int dc_venc_encode(dc_venc *enc, const dc_i420 *pic, int64_t pts, dc_venc_frame *out)
{
    if (pic->width != enc->cfg.width || pic->height != enc->cfg.height)
        return -EINVAL;
    if (enc->have_last_pts && pts <= enc->last_pts)
        return -EINVAL;
    unsigned long duration = VIDEO_CLOCK / (unsigned long)enc->cfg.fps;
    if (enc->have_last_pts && pts - enc->last_pts < (int64_t)4 * VIDEO_CLOCK)
        duration = (unsigned long)(pts - enc->last_pts);

    /* Describe the caller's planes to libvpx (no copy, no allocation: a
     * non-NULL data pointer makes vpx_img_wrap only fill the fields). */
    vpx_img_wrap(&enc->img, VPX_IMG_FMT_I420, (unsigned)pic->width, (unsigned)pic->height, 1,
                 pic->plane[0]);
    for (int p = 0; p < 3; p++) {
        enc->img.planes[p] = pic->plane[p];
        enc->img.stride[p] = pic->stride[p];
    }
    vpx_enc_frame_flags_t flags = enc->force_kf ? VPX_EFLAG_FORCE_KF : 0;
    vpx_codec_err_t err =
        vpx_codec_encode(&enc->codec, &enc->img, pts, duration, flags, VPX_DL_REALTIME);
    if (err != VPX_CODEC_OK)
        return -EIO;
    enc->have_last_pts = true;
    enc->last_pts = pts;

    /* With no look-ahead and one token partition, libvpx emits at most one
     * frame packet per picture. */
    vpx_codec_iter_t iter = NULL;
    const vpx_codec_cx_pkt_t *pkt;
    int got = 0;
    while ((pkt = vpx_codec_get_cx_data(&enc->codec, &iter)) != NULL) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || got)
            continue;
        out->data = pkt->data.frame.buf;
        out->size = pkt->data.frame.sz;
        out->keyframe = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
        out->pts = pts;
        got = 1;
    }
    if (!got) {
        enc->stats.dropped++;
        return 0;
    }
    if (out->keyframe) {
        enc->stats.keyframes++;
        if (enc->force_kf)
            enc->stats.forced++;
        enc->force_kf = false;
    }
    enc->stats.frames++;
    enc->stats.bytes += out->size;
    return 1;
}

void dc_venc_get_stats(const dc_venc *enc, dc_venc_stats *stats)
{
    *stats = enc->stats;
}
