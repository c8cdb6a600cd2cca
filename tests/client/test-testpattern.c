/* Unit tests for client/testpattern: draw and read back, rejection of
 * non-patterns and damaged codes, and the round trip through VP8 at the
 * bitrates the meeting uses. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "client/testpattern.h"
#include "client/video-dec.h"
#include "client/video-enc.h"

static dc_pattern_info info_for(int site, uint32_t counter)
{
    dc_pattern_info in = {
        .site_index = (uint8_t)site,
        .site_tag = dc_pattern_site_tag(site == 0 ? "tinh" : "huong-khe"),
        .counter = counter,
        .capture_ms = 0xfffff000u + counter * 67u, /* wraps during the test */
    };
    return in;
}

static bool same(const dc_pattern_info *a, const dc_pattern_info *b)
{
    return a->site_index == b->site_index && a->site_tag == b->site_tag &&
           a->counter == b->counter && a->capture_ms == b->capture_ms;
}

static void assert_same(const dc_pattern_info *a, const dc_pattern_info *b)
{
    g_assert_cmpuint(a->site_index, ==, b->site_index);
    g_assert_cmpuint(a->site_tag, ==, b->site_tag);
    g_assert_cmpuint(a->counter, ==, b->counter);
    g_assert_cmpuint(a->capture_ms, ==, b->capture_ms);
}

static void test_cell_size(void)
{
    g_assert_cmpint(dc_pattern_cell_size(320, 180), ==, 8);
    g_assert_cmpint(dc_pattern_cell_size(1280, 720), ==, 32);
    g_assert_cmpint(dc_pattern_cell_size(640, 360), ==, 16);
    g_assert_cmpint(dc_pattern_cell_size(160, 90), ==, 4);
    g_assert_cmpint(dc_pattern_cell_size(159, 90), ==, 0);
    g_assert_cmpint(dc_pattern_cell_size(160, 89), ==, 0);
    /* Tags differ between the sites of the meeting and are 12 bits. */
    static const char *ids[] = {"tinh",    "tp-ha-tinh", "tx-hong-linh", "tx-ky-anh", "cam-xuyen",
                                "can-loc", "duc-tho",    "huong-khe",    "huong-son", "ky-anh",
                                "loc-ha",  "nghi-xuan",  "thach-ha",     "vu-quang"};
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        uint16_t t = dc_pattern_site_tag(ids[i]);
        g_assert_cmpuint(t, >, 0);
        g_assert_cmpuint(t, <=, 0xfff);
        for (size_t j = 0; j < i; j++)
            g_assert_cmpuint(t, !=, dc_pattern_site_tag(ids[j]));
    }
}

/* Exact round trip without a codec, every site, both motion styles,
 * several sizes including odd ones. */
static void test_draw_read(void)
{
    static const int sizes[][2] = {{320, 180}, {160, 90}, {1280, 720}, {333, 201}, {640, 480}};
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
        dc_i420 pic;
        g_assert_cmpint(dc_i420_alloc(&pic, sizes[s][0], sizes[s][1]), ==, 0);
        for (int site = 0; site <= DC_PATTERN_MAX_SITE; site++) {
            for (int busy = 0; busy < 2; busy++) {
                dc_pattern_info in = info_for(site, (uint32_t)(site * 7919 + busy)), out;
                g_assert_cmpint(
                    dc_pattern_draw(&pic, &in, busy ? DC_PATTERN_BUSY : DC_PATTERN_CALM), ==, 0);
                g_assert_cmpint(dc_pattern_read(&pic, &out), ==, 0);
                assert_same(&in, &out);
            }
        }
        dc_i420_clear(&pic);
    }
}

static void test_bad_args(void)
{
    dc_i420 pic;
    g_assert_cmpint(dc_i420_alloc(&pic, 320, 180), ==, 0);
    dc_pattern_info in = info_for(3, 1);
    in.site_index = 16;
    g_assert_cmpint(dc_pattern_draw(&pic, &in, DC_PATTERN_CALM), ==, -EINVAL);
    in.site_index = 3;
    in.site_tag = 0x1000;
    g_assert_cmpint(dc_pattern_draw(&pic, &in, DC_PATTERN_CALM), ==, -EINVAL);
    dc_i420_clear(&pic);
    g_assert_cmpint(dc_i420_alloc(&pic, 120, 90), ==, 0);
    in = info_for(3, 1);
    g_assert_cmpint(dc_pattern_draw(&pic, &in, DC_PATTERN_CALM), ==, -EINVAL);
    g_assert_cmpint(dc_pattern_read(&pic, &in), ==, -EINVAL);
    dc_i420_clear(&pic);
}

/* Pictures that are not the pattern are rejected, and so is a pattern with
 * one flipped bit or one washed-out cell pair. */
static void test_reject(void)
{
    dc_i420 pic;
    dc_pattern_info out;
    g_assert_cmpint(dc_i420_alloc(&pic, 320, 180), ==, 0);
    memset(pic.plane[0], 128, 320 * 180);
    g_assert_cmpint(dc_pattern_read(&pic, &out), ==, -ENOENT);
    GRand *rand = g_rand_new_with_seed(7);
    for (int i = 0; i < 320 * 180; i++)
        pic.plane[0][i] = (uint8_t)g_rand_int_range(rand, 0, 256);
    g_assert_cmpint(dc_pattern_read(&pic, &out), <, 0);
    g_rand_free(rand);

    dc_pattern_info in = info_for(5, 1234);
    int u = dc_pattern_cell_size(320, 180);
    /* Flip each payload pair in turn (swap its two cells): always caught. */
    for (int k = 24; k < 120; k++) {
        g_assert_cmpint(dc_pattern_draw(&pic, &in, DC_PATTERN_CALM), ==, 0);
        int c0 = 2 * k, c1 = 2 * k + 1;
        for (int y = 0; y < u; y++) {
            uint8_t *r0 = pic.plane[0] + (size_t)((c0 / 40) * u + y) * 320 + (c0 % 40) * u;
            uint8_t *r1 = pic.plane[0] + (size_t)((c1 / 40) * u + y) * 320 + (c1 % 40) * u;
            uint8_t tmp[32];
            memcpy(tmp, r0, (size_t)u);
            memcpy(r0, r1, (size_t)u);
            memcpy(r1, tmp, (size_t)u);
        }
        g_assert_cmpint(dc_pattern_read(&pic, &out), ==, -EBADMSG);
    }
    /* A grey pair is ambiguous, not guessed. */
    g_assert_cmpint(dc_pattern_draw(&pic, &in, DC_PATTERN_CALM), ==, 0);
    for (int y = 0; y < u; y++)
        memset(pic.plane[0] + (size_t)(2 * u + y) * 320 + 4 * u, 128, (size_t)(2 * u));
    g_assert_cmpint(dc_pattern_read(&pic, &out), ==, -EBADMSG);
    dc_i420_clear(&pic);
}

typedef struct {
    int ok, misread, wrong, frames;
} vp8_result;

/* Draws n pictures, encodes them with VP8 at kbps, decodes and reads them. */
static vp8_result vp8_round_trip(int width, int height, int fps, int kbps, int n,
                                 dc_pattern_motion motion, int site)
{
    dc_venc_config cfg;
    dc_venc_config_default(&cfg, width, height, fps, kbps);
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_venc) enc = dc_venc_new(&cfg, &error);
    g_assert_no_error(error);
    g_autoptr(dc_vdec) dec = dc_vdec_new(1, &error);
    g_assert_no_error(error);
    dc_i420 pic;
    g_assert_cmpint(dc_i420_alloc(&pic, width, height), ==, 0);
    vp8_result r = {0};
    for (int i = 0; i < n; i++) {
        dc_pattern_info in = info_for(site, (uint32_t)i), out;
        g_assert_cmpint(dc_pattern_draw(&pic, &in, motion), ==, 0);
        dc_venc_frame f;
        g_assert_cmpint(dc_venc_encode(enc, &pic, (int64_t)i * 90000 / fps, &f), ==, 1);
        dc_i420 dpic;
        g_assert_cmpint(dc_vdec_decode(dec, f.data, f.size, &dpic), ==, 0);
        r.frames++;
        int rc = dc_pattern_read(&dpic, &out);
        if (rc == 0 && same(&in, &out))
            r.ok++;
        else if (rc == 0)
            r.wrong++;
        else
            r.misread++;
    }
    dc_venc_stats st;
    dc_venc_get_stats(enc, &st);
    g_test_message("%dx%d %d fps %d kbit/s %s: %d/%d read (%.1f %%), %d misread, %d wrong, "
                   "%.0f kbit/s actual",
                   width, height, fps, kbps, motion == DC_PATTERN_BUSY ? "busy" : "calm", r.ok,
                   r.frames, 100.0 * r.ok / r.frames, r.misread, r.wrong,
                   st.bytes * 8.0 * fps / n / 1000.0);
    dc_i420_clear(&pic);
    return r;
}

static void test_vp8_calm(void)
{
    vp8_result r = vp8_round_trip(320, 180, 15, 150, 150, DC_PATTERN_CALM, 7);
    g_assert_cmpint(r.wrong, ==, 0);
    g_assert_cmpint(r.ok * 100, >=, 98 * r.frames);
}

static void test_vp8_busy(void)
{
    vp8_result r = vp8_round_trip(320, 180, 15, 150, 150, DC_PATTERN_BUSY, 12);
    g_assert_cmpint(r.wrong, ==, 0);
    g_assert_cmpint(r.ok * 100, >=, 98 * r.frames);
}

static void test_vp8_720p(void)
{
    vp8_result r = vp8_round_trip(1280, 720, 30, 1200, 45, DC_PATTERN_BUSY, 0);
    g_assert_cmpint(r.wrong, ==, 0);
    g_assert_cmpint(r.ok * 100, >=, 98 * r.frames);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/pattern/cell-size-and-tags", test_cell_size);
    g_test_add_func("/client/pattern/draw-read", test_draw_read);
    g_test_add_func("/client/pattern/bad-args", test_bad_args);
    g_test_add_func("/client/pattern/reject", test_reject);
    g_test_add_func("/client/pattern/vp8-150k-calm", test_vp8_calm);
    g_test_add_func("/client/pattern/vp8-150k-busy", test_vp8_busy);
    g_test_add_func("/client/pattern/vp8-720p", test_vp8_720p);
    return g_test_run();
}
