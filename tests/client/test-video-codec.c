/* Unit tests for client/video-enc and client/video-dec: real-time VP8
 * round trip, keyframes on demand and by interval, bitrate control, and
 * the decoder's refusal of frames it cannot trust. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "client/testpattern.h"
#include "client/video-dec.h"
#include "client/video-enc.h"

#define W 320
#define H 180
#define FPS 15

typedef struct {
    dc_venc *enc;
    dc_vdec *dec;
    dc_i420 pic;
    dc_pattern_motion motion;
    uint32_t n;
} fixture;

static void setup(fixture *fx, int kbps, dc_pattern_motion motion)
{
    dc_venc_config cfg;
    dc_venc_config_default(&cfg, W, H, FPS, kbps);
    GError *error = NULL;
    fx->enc = dc_venc_new(&cfg, &error);
    g_assert_no_error(error);
    fx->dec = dc_vdec_new(1, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dc_i420_alloc(&fx->pic, W, H), ==, 0);
    fx->motion = motion;
    fx->n = 0;
}

static void teardown(fixture *fx)
{
    dc_venc_free(fx->enc);
    dc_vdec_free(fx->dec);
    dc_i420_clear(&fx->pic);
}

/* Draws and encodes the next picture. */
static void next_frame(fixture *fx, dc_venc_frame *f)
{
    dc_pattern_info in = {.site_index = 4, .site_tag = 99, .counter = fx->n, .capture_ms = 0};
    g_assert_cmpint(dc_pattern_draw(&fx->pic, &in, fx->motion), ==, 0);
    g_assert_cmpint(dc_venc_encode(fx->enc, &fx->pic, (int64_t)fx->n * 90000 / FPS, f), ==, 1);
    g_assert_cmpuint(f->size, >, 0);
    fx->n++;
}

static void test_round_trip(void)
{
    fixture fx;
    setup(&fx, 300, DC_PATTERN_CALM);
    for (int i = 0; i < 20; i++) {
        dc_venc_frame f;
        next_frame(&fx, &f);
        g_assert_cmpint(f.keyframe, ==, i == 0);
        g_assert_cmpint(f.pts, ==, (int64_t)i * 6000);
        int w = 0, h = 0;
        g_assert_cmpint(dc_vdec_peek(f.data, f.size, &w, &h), ==, i == 0 ? 1 : 0);
        if (i == 0) {
            g_assert_cmpint(w, ==, W);
            g_assert_cmpint(h, ==, H);
        }
        dc_i420 out;
        g_assert_cmpint(dc_vdec_decode(fx.dec, f.data, f.size, &out), ==, 0);
        g_assert_cmpint(out.width, ==, W);
        g_assert_cmpint(out.height, ==, H);
        g_assert_null(out.buf);
        g_assert_false(dc_vdec_needs_keyframe(fx.dec));
        /* Close to the source: mean absolute luma error under 4. */
        uint64_t err = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                err += (uint64_t)abs(out.plane[0][y * out.stride[0] + x] -
                                     fx.pic.plane[0][y * fx.pic.stride[0] + x]);
        g_assert_cmpuint(err, <, 4u * W * H);
    }
    dc_vdec_stats ds;
    dc_vdec_get_stats(fx.dec, &ds);
    g_assert_cmpuint(ds.frames, ==, 20);
    g_assert_cmpuint(ds.keyframes, ==, 1);
    teardown(&fx);
}

static void test_keyframe_on_demand(void)
{
    fixture fx;
    setup(&fx, 200, DC_PATTERN_CALM);
    for (int i = 0; i < 12; i++) {
        if (i == 5 || i == 9) {
            dc_venc_request_keyframe(fx.enc);
            dc_venc_request_keyframe(fx.enc); /* collapses into one */
        }
        dc_venc_frame f;
        next_frame(&fx, &f);
        g_assert_cmpint(f.keyframe, ==, i == 0 || i == 5 || i == 9);
    }
    dc_venc_stats st;
    dc_venc_get_stats(fx.enc, &st);
    g_assert_cmpuint(st.frames, ==, 12);
    g_assert_cmpuint(st.keyframes, ==, 3);
    g_assert_cmpuint(st.forced, ==, 2);
    teardown(&fx);
}

/* No request at all: a keyframe still comes at least every 3 s. */
static void test_keyframe_interval(void)
{
    fixture fx;
    setup(&fx, 200, DC_PATTERN_CALM);
    int last = 0, keys = 0;
    for (int i = 0; i < 7 * FPS; i++) {
        dc_venc_frame f;
        next_frame(&fx, &f);
        if (f.keyframe) {
            g_assert_cmpint(i - last, <=, 3 * FPS);
            last = i;
            keys++;
        }
    }
    g_assert_cmpint(7 * FPS - 1 - last, <=, 3 * FPS);
    g_assert_cmpint(keys, >=, 3);
    teardown(&fx);
}

/* The encoder follows the target: lower after set_bitrate, and near it. */
static void test_bitrate(void)
{
    fixture fx;
    setup(&fx, 600, DC_PATTERN_BUSY);
    uint64_t bytes[2] = {0, 0};
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1)
            g_assert_cmpint(dc_venc_set_bitrate(fx.enc, 300), ==, 0);
        for (int i = 0; i < 4 * FPS; i++) {
            dc_venc_frame f;
            next_frame(&fx, &f);
            if (i >= FPS) /* skip the settling second */
                bytes[phase] += f.size;
        }
    }
    double kbps0 = bytes[0] * 8.0 / 3.0 / 1000.0, kbps1 = bytes[1] * 8.0 / 3.0 / 1000.0;
    g_test_message("busy pattern: %.0f kbit/s at 600, %.0f kbit/s at 300", kbps0, kbps1);
    g_assert_cmpfloat(kbps0, <, 600 * 1.3);
    g_assert_cmpfloat(kbps0, >, 600 * 0.5);
    g_assert_cmpfloat(kbps1, <, kbps0 * 0.8);
    g_assert_cmpint(dc_venc_set_bitrate(fx.enc, 0), ==, -EINVAL);
    teardown(&fx);
}

static void test_encoder_bad_args(void)
{
    dc_venc_config cfg;
    dc_venc_config_default(&cfg, W, H, 0, 100);
    GError *error = NULL;
    g_assert_null(dc_venc_new(&cfg, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID);
    g_clear_error(&error);

    fixture fx;
    setup(&fx, 200, DC_PATTERN_CALM);
    dc_venc_frame f;
    next_frame(&fx, &f);
    /* pts must increase. */
    g_assert_cmpint(dc_venc_encode(fx.enc, &fx.pic, 0, &f), ==, -EINVAL);
    dc_i420 other;
    g_assert_cmpint(dc_i420_alloc(&other, W / 2, H / 2), ==, 0);
    g_assert_cmpint(dc_venc_encode(fx.enc, &other, 100000, &f), ==, -EINVAL);
    dc_i420_clear(&other);
    teardown(&fx);
}

/* Garbage, a delta frame first, a truncated keyframe, and a reported loss
 * all leave the decoder waiting for a keyframe, which then recovers it. */
static void test_decoder_refuses(void)
{
    fixture fx;
    setup(&fx, 300, DC_PATTERN_BUSY);
    dc_venc_frame f;
    GPtrArray *frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    for (int i = 0; i < 6; i++) {
        next_frame(&fx, &f);
        g_ptr_array_add(frames, g_bytes_new(f.data, f.size));
    }
    size_t len;
    const uint8_t *key = g_bytes_get_data(frames->pdata[0], &len);
    const uint8_t *delta = g_bytes_get_data(frames->pdata[1], NULL);
    size_t delta_len = g_bytes_get_size(frames->pdata[1]);
    dc_i420 out;

    g_assert_true(dc_vdec_needs_keyframe(fx.dec));
    g_assert_cmpint(dc_vdec_decode(fx.dec, delta, delta_len, &out), ==, -EAGAIN);
    static const uint8_t junk[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00};
    g_assert_cmpint(dc_vdec_decode(fx.dec, junk, sizeof(junk), &out), ==, -EBADMSG);
    g_assert_cmpint(dc_vdec_decode(fx.dec, junk, 2, &out), ==, -EBADMSG);
    /* Half a keyframe: undecodable or flagged corrupt, never shown. */
    g_assert_cmpint(dc_vdec_decode(fx.dec, key, len / 2, &out), ==, -EBADMSG);
    g_assert_true(dc_vdec_needs_keyframe(fx.dec));

    g_assert_cmpint(dc_vdec_decode(fx.dec, key, len, &out), ==, 0);
    g_assert_false(dc_vdec_needs_keyframe(fx.dec));
    g_assert_cmpint(dc_vdec_decode(fx.dec, delta, delta_len, &out), ==, 0);
    /* Frame 2 is lost: the caller says so, and frame 3 is refused. */
    dc_vdec_mark_loss(fx.dec);
    g_assert_cmpint(dc_vdec_decode(fx.dec, g_bytes_get_data(frames->pdata[3], NULL),
                                   g_bytes_get_size(frames->pdata[3]), &out),
                    ==, -EAGAIN);
    /* A truncated delta frame on good references is reported too. */
    g_assert_cmpint(dc_vdec_decode(fx.dec, key, len, &out), ==, 0);
    const uint8_t *d4 = g_bytes_get_data(frames->pdata[4], NULL);
    size_t d4_len = g_bytes_get_size(frames->pdata[4]);
    int rc = dc_vdec_decode(fx.dec, d4, d4_len / 3, &out);
    g_assert_cmpint(rc, ==, -EBADMSG);
    g_assert_true(dc_vdec_needs_keyframe(fx.dec));

    dc_vdec_stats ds;
    dc_vdec_get_stats(fx.dec, &ds);
    g_assert_cmpuint(ds.skipped, ==, 2);
    g_assert_cmpuint(ds.errors, ==, 4);
    g_test_message("decoder: %" G_GUINT64_FORMAT " errors, %" G_GUINT64_FORMAT " flagged corrupt",
                   ds.errors, ds.corrupt);
    g_ptr_array_unref(frames);
    teardown(&fx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/video/round-trip", test_round_trip);
    g_test_add_func("/client/video/keyframe-on-demand", test_keyframe_on_demand);
    g_test_add_func("/client/video/keyframe-interval", test_keyframe_interval);
    g_test_add_func("/client/video/bitrate", test_bitrate);
    g_test_add_func("/client/video/encoder-bad-args", test_encoder_bad_args);
    g_test_add_func("/client/video/decoder-refuses", test_decoder_refuses);
    return g_test_run();
}
