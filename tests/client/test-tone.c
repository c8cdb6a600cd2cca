/* Unit tests for client/tone: per-site frequencies, phase continuity,
 * Goertzel detection clean and through Opus for all 14 sites of the
 * meeting, rejection of silence, noise and mixtures, RFC 6464 levels. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib.h>

#include "client/audio-dec.h"
#include "client/audio-enc.h"
#include "client/tone.h"

#define SITES 14 /* tinh and the 13 districts */

static void test_frequencies(void)
{
    for (int i = 0; i < DC_TONE_SITES; i++) {
        int f = dc_tone_frequency(i);
        g_assert_cmpint(f, >=, 300);
        g_assert_cmpint(f, <=, 3400);
        if (i > 0)
            g_assert_cmpint(f - dc_tone_frequency(i - 1), >=, 100);
    }
    g_assert_cmpint(dc_tone_frequency(-1), ==, 0);
    g_assert_cmpint(dc_tone_frequency(DC_TONE_SITES), ==, 0);
    dc_tone t;
    g_assert_cmpint(dc_tone_init(&t, 16, DC_AUDIO_RATE), ==, -EINVAL);
}

/* Two 20 ms frames equal one 40 ms run: the phase carries over; stereo
 * duplicates the mono samples; the peak is -20 dBFS. */
static void test_continuity(void)
{
    dc_tone a, b;
    dc_tone_init(&a, 9, DC_AUDIO_RATE);
    dc_tone_init(&b, 9, DC_AUDIO_RATE);
    int16_t two[2 * DC_AUDIO_FRAME], one[2 * DC_AUDIO_FRAME], st[2 * DC_AUDIO_FRAME];
    dc_tone_fill(&a, two, DC_AUDIO_FRAME, 1);
    dc_tone_fill(&a, two + DC_AUDIO_FRAME, DC_AUDIO_FRAME, 1);
    dc_tone_fill(&b, one, 2 * DC_AUDIO_FRAME, 1);
    int peak = 0;
    for (int i = 0; i < 2 * DC_AUDIO_FRAME; i++) {
        g_assert_cmpint(abs(two[i] - one[i]), <=, 1);
        peak = MAX(peak, abs(one[i]));
    }
    g_assert_cmpint(peak, >=, DC_TONE_AMPLITUDE - 2);
    g_assert_cmpint(peak, <=, DC_TONE_AMPLITUDE);
    dc_tone c;
    dc_tone_init(&c, 9, DC_AUDIO_RATE);
    dc_tone_fill(&c, st, DC_AUDIO_FRAME, 2);
    for (int i = 0; i < DC_AUDIO_FRAME; i++) {
        g_assert_cmpint(st[2 * i], ==, st[2 * i + 1]);
        g_assert_cmpint(abs(st[2 * i] - one[i]), <=, 1);
    }
}

static void test_detect_clean(void)
{
    for (int site = 0; site < DC_TONE_SITES; site++) {
        dc_tone t;
        dc_tone_init(&t, site, DC_AUDIO_RATE);
        int16_t pcm[DC_AUDIO_FRAME];
        dc_tone_fill(&t, pcm, 123, 1); /* start at an arbitrary phase */
        dc_tone_fill(&t, pcm, DC_AUDIO_FRAME, 1);
        dc_tone_result r;
        g_assert_cmpint(dc_tone_detect(pcm, DC_AUDIO_FRAME, 1, DC_AUDIO_RATE, &r), ==, 0);
        g_assert_cmpint(r.site_index, ==, site);
        g_assert_cmpfloat(r.snr_db, >, 30.0);
        g_assert_cmpfloat(fabs(r.level_db - -23.0), <, 1.5);
    }
}

/* Every site's tone through Opus (mono 32 kbit/s, decoded to stereo like a
 * receiving client): each 20 ms frame after the first 100 ms names the
 * right site and no other. */
static void test_detect_through_opus(void)
{
    GError *error = NULL;
    for (int site = 0; site < SITES; site++) {
        g_autoptr(dc_aenc) enc = dc_aenc_new(1, 32000, &error);
        g_assert_no_error(error);
        g_autoptr(dc_adec) dec = dc_adec_new(2, &error);
        g_assert_no_error(error);
        dc_tone t;
        dc_tone_init(&t, site, DC_AUDIO_RATE);
        int right = 0, frames = 0;
        double worst_margin = 1e9;
        for (int i = 0; i < 25; i++) {
            int16_t pcm[DC_AUDIO_FRAME], out[2 * DC_AUDIO_FRAME];
            uint8_t pkt[DC_AUDIO_MAX_PACKET];
            dc_tone_fill(&t, pcm, DC_AUDIO_FRAME, 1);
            int n = dc_aenc_encode(enc, pcm, pkt, sizeof(pkt));
            g_assert_cmpint(n, >, 0);
            g_assert_cmpint(dc_adec_decode(dec, pkt, (size_t)n, out, DC_AUDIO_FRAME), ==,
                            DC_AUDIO_FRAME);
            if (i < 5)
                continue;
            dc_tone_result r;
            int rc = dc_tone_detect(out, DC_AUDIO_FRAME, 2, DC_AUDIO_RATE, &r);
            frames++;
            if (rc == 0) {
                g_assert_cmpint(r.site_index, ==, site); /* never a wrong site */
                right++;
                worst_margin = MIN(worst_margin, r.margin_db);
            }
        }
        g_test_message("site %d (%d Hz): %d/%d frames, worst margin %.1f dB", site,
                       dc_tone_frequency(site), right, frames, worst_margin);
        g_assert_cmpint(right, ==, frames);
    }
}

static void test_detect_rejects(void)
{
    int16_t pcm[DC_AUDIO_FRAME] = {0};
    dc_tone_result r;
    g_assert_cmpint(dc_tone_detect(pcm, DC_AUDIO_FRAME, 1, DC_AUDIO_RATE, &r), ==, -ENODATA);
    g_assert_cmpint(dc_tone_detect(pcm, 10, 1, DC_AUDIO_RATE, &r), ==, -EINVAL);
    /* White noise at -20 dBFS: no tone dominates. */
    GRand *rand = g_rand_new_with_seed(42);
    for (int i = 0; i < DC_AUDIO_FRAME; i++)
        pcm[i] = (int16_t)g_rand_int_range(rand, -5000, 5000);
    g_rand_free(rand);
    g_assert_cmpint(dc_tone_detect(pcm, DC_AUDIO_FRAME, 1, DC_AUDIO_RATE, &r), ==, -EBADMSG);
    /* Two sites at once (a mixing bug): refused rather than guessed. */
    dc_tone a, b;
    dc_tone_init(&a, 2, DC_AUDIO_RATE);
    dc_tone_init(&b, 6, DC_AUDIO_RATE);
    int16_t x[DC_AUDIO_FRAME], y[DC_AUDIO_FRAME];
    dc_tone_fill(&a, x, DC_AUDIO_FRAME, 1);
    dc_tone_fill(&b, y, DC_AUDIO_FRAME, 1);
    for (int i = 0; i < DC_AUDIO_FRAME; i++)
        pcm[i] = (int16_t)(x[i] + y[i]);
    g_assert_cmpint(dc_tone_detect(pcm, DC_AUDIO_FRAME, 1, DC_AUDIO_RATE, &r), ==, -EBADMSG);
    /* A tone off the grid (350 Hz, between sites 0 and 1) is not a site. */
    for (int i = 0; i < DC_AUDIO_FRAME; i++)
        pcm[i] = (int16_t)lrint(3277 * sin(2 * M_PI * 350.0 * i / DC_AUDIO_RATE));
    g_assert_cmpint(dc_tone_detect(pcm, DC_AUDIO_FRAME, 1, DC_AUDIO_RATE, &r), ==, -EBADMSG);
}

static void test_audio_level(void)
{
    int16_t pcm[DC_AUDIO_FRAME] = {0};
    g_assert_cmpuint(dc_tone_audio_level(pcm, DC_AUDIO_FRAME), ==, 127);
    g_assert_cmpuint(dc_tone_audio_level(pcm, 0), ==, 127);
    for (int i = 0; i < DC_AUDIO_FRAME; i++)
        pcm[i] = i & 1 ? 32767 : -32767;
    g_assert_cmpuint(dc_tone_audio_level(pcm, DC_AUDIO_FRAME), ==, 0);
    for (int i = 0; i < DC_AUDIO_FRAME; i++)
        pcm[i] = i & 1 ? 328 : -328; /* -40 dBov */
    g_assert_cmpuint(dc_tone_audio_level(pcm, DC_AUDIO_FRAME), ==, 40);
    dc_tone t;
    dc_tone_init(&t, 5, DC_AUDIO_RATE);
    dc_tone_fill(&t, pcm, DC_AUDIO_FRAME, 1);
    /* -20 dBFS peak sine: RMS 3 dB lower. */
    g_assert_cmpuint(dc_tone_audio_level(pcm, DC_AUDIO_FRAME), ==, 23);
    for (int i = 0; i < DC_AUDIO_FRAME; i++)
        pcm[i] = 1; /* one LSB: 20 log10(32768) below overload */
    g_assert_cmpuint(dc_tone_audio_level(pcm, DC_AUDIO_FRAME), ==, 90);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/tone/frequencies", test_frequencies);
    g_test_add_func("/client/tone/continuity", test_continuity);
    g_test_add_func("/client/tone/detect-clean", test_detect_clean);
    g_test_add_func("/client/tone/detect-through-opus", test_detect_through_opus);
    g_test_add_func("/client/tone/detect-rejects", test_detect_rejects);
    g_test_add_func("/client/tone/audio-level", test_audio_level);
    return g_test_run();
}
