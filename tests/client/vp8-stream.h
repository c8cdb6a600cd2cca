/* vp8-stream: a test helper that makes a real VP8 RTP stream: the test
 * picture encoded with client/video-enc, packetized with core/vp8 into RTP
 * packets built with core/rtp (and a MID extension when asked), so the
 * client's receive side can be driven packet by packet with a hand clock. */
#pragma once

#include <string.h>

#include <glib.h>

#include "client/testpattern.h"
#include "client/video-enc.h"
#include "core/rtp-ext.h"
#include "core/rtp.h"
#include "core/vp8.h"

#define VS_W 320
#define VS_H 180
#define VS_FPS 15
#define VS_MAX_PKTS 64

typedef struct {
    uint8_t data[1500];
    size_t len;
    uint16_t seq;
    uint32_t ts;
    bool marker;
    const uint8_t *payload; /* into data */
    size_t payload_len;
} vs_packet;

typedef struct {
    dc_venc *enc;
    dc_i420 pic;
    uint32_t counter; /* written in the picture (a test may restart it) */
    uint32_t frames;  /* encoded so far: the pts */
    uint16_t seq;
    uint32_t ssrc;
    uint16_t picture_id;
    uint8_t pt;
    uint8_t mid_ext_id; /* 0: no extension */
    char mid[16];
    int site_index;
    char site[32];
    size_t max_payload;
    /* the last frame */
    vs_packet pkts[VS_MAX_PKTS];
    size_t n_pkts;
    uint8_t frame[65536];
    size_t frame_len;
    bool keyframe;
} vs_stream;

static inline void vs_init(vs_stream *vs, uint16_t seq0, const char *site, int site_index,
                           size_t max_payload)
{
    memset(vs, 0, sizeof *vs);
    dc_venc_config cfg;
    dc_venc_config_default(&cfg, VS_W, VS_H, VS_FPS, 300);
    GError *error = NULL;
    vs->enc = dc_venc_new(&cfg, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dc_i420_alloc(&vs->pic, VS_W, VS_H), ==, 0);
    vs->seq = seq0;
    vs->ssrc = 0x11223344;
    vs->pt = 96;
    vs->picture_id = 100;
    vs->max_payload = max_payload;
    vs->site_index = site_index;
    g_strlcpy(vs->site, site, sizeof vs->site);
}

static inline void vs_clear(vs_stream *vs)
{
    dc_venc_free(vs->enc);
    dc_i420_clear(&vs->pic);
}

/* Encodes the next picture (capture time capture_ms) into vs->pkts. */
static inline void vs_next(vs_stream *vs, uint32_t capture_ms, bool force_keyframe)
{
    dc_pattern_info info = {
        .site_index = (uint8_t)vs->site_index,
        .site_tag = dc_pattern_site_tag(vs->site),
        .counter = vs->counter,
        .capture_ms = capture_ms,
    };
    g_assert_cmpint(dc_pattern_draw(&vs->pic, &info, DC_PATTERN_CALM), ==, 0);
    if (force_keyframe)
        dc_venc_request_keyframe(vs->enc);
    dc_venc_frame f;
    int64_t pts = (int64_t)vs->frames++ * 90000 / VS_FPS;
    g_assert_cmpint(dc_venc_encode(vs->enc, &vs->pic, pts, &f), ==, 1);
    g_assert_cmpuint(f.size, <=, sizeof vs->frame);
    memcpy(vs->frame, f.data, f.size);
    vs->frame_len = f.size;
    vs->keyframe = f.keyframe;
    vs->counter++;
    dc_vp8_packetizer p;
    g_assert_cmpint(dc_vp8_packetizer_init(&p, vs->frame, vs->frame_len, vs->max_payload,
                                           vs->picture_id++ & 0x7fff, -1, false),
                    ==, 0);
    vs->n_pkts = 0;
    bool last = false;
    while (!last) {
        g_assert_cmpuint(vs->n_pkts, <, VS_MAX_PKTS);
        vs_packet *k = &vs->pkts[vs->n_pkts++];
        uint8_t ext[32];
        uint16_t profile = 0;
        int ext_len = 0;
        if (vs->mid_ext_id) {
            dc_rtp_ext_elem el = {vs->mid_ext_id, (uint8_t)strlen(vs->mid),
                                  (const uint8_t *)vs->mid};
            ext_len = dc_rtp_ext_write(&el, 1, ext, sizeof ext, &profile);
            g_assert_cmpint(ext_len, >, 0);
        }
        dc_rtp_header h = {
            .payload_type = vs->pt,
            .seq = vs->seq,
            .timestamp = (uint32_t)pts + 12345,
            .ssrc = vs->ssrc,
            .extension = ext_len > 0,
            .ext_profile = profile,
            .ext = ext,
            .ext_len = (size_t)ext_len,
        };
        size_t hl = dc_rtp_header_size(&h);
        size_t plen = 0;
        g_assert_cmpint(dc_vp8_packetizer_next(&p, k->data + hl, sizeof k->data - hl, &plen, &last),
                        ==, 0);
        h.marker = last;
        g_assert_cmpint(dc_rtp_write_header(&h, k->data, hl), ==, (int)hl);
        k->len = hl + plen;
        k->seq = vs->seq++;
        k->ts = h.timestamp;
        k->marker = last;
        k->payload = k->data + hl;
        k->payload_len = plen;
    }
}
