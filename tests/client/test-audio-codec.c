/* Unit tests for client/audio-enc and client/audio-dec: Opus 20 ms frames,
 * mono sent and decoded to mono or stereo, in-band FEC and PLC for a lost
 * packet, DTX, and argument checks. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib.h>

#include "client/audio-dec.h"
#include "client/audio-enc.h"
#include "client/tone.h"

#define PACKETS 40

/* Encodes PACKETS frames of site 3's tone into pkts / lens. */
static void encode_tone(dc_aenc *enc, uint8_t pkts[PACKETS][DC_AUDIO_MAX_PACKET], int lens[PACKETS])
{
    dc_tone tone;
    g_assert_cmpint(dc_tone_init(&tone, 3, DC_AUDIO_RATE), ==, 0);
    int16_t pcm[DC_AUDIO_FRAME];
    for (int i = 0; i < PACKETS; i++) {
        dc_tone_fill(&tone, pcm, DC_AUDIO_FRAME, 1);
        lens[i] = dc_aenc_encode(enc, pcm, pkts[i], DC_AUDIO_MAX_PACKET);
        g_assert_cmpint(lens[i], >, 2);
    }
}

static double rms(const int16_t *pcm, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)pcm[i] * pcm[i];
    return sqrt(s / (double)n);
}

static void test_round_trip(void)
{
    GError *error = NULL;
    g_autoptr(dc_aenc) enc = dc_aenc_new(1, 32000, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dc_aenc_channels(enc), ==, 1);
    g_autoptr(dc_adec) mono = dc_adec_new(1, &error);
    g_assert_no_error(error);
    g_autoptr(dc_adec) stereo = dc_adec_new(2, &error);
    g_assert_no_error(error);
    static uint8_t pkts[PACKETS][DC_AUDIO_MAX_PACKET];
    int lens[PACKETS];
    encode_tone(enc, pkts, lens);
    int total = 0;
    for (int i = 0; i < PACKETS; i++) {
        total += lens[i];
        g_assert_cmpint(dc_adec_packet_channels(pkts[i], (size_t)lens[i]), ==, 1);
        int16_t m[DC_AUDIO_FRAME], s[2 * DC_AUDIO_FRAME];
        g_assert_cmpint(dc_adec_decode(mono, pkts[i], (size_t)lens[i], m, DC_AUDIO_FRAME), ==,
                        DC_AUDIO_FRAME);
        g_assert_cmpint(dc_adec_decode(stereo, pkts[i], (size_t)lens[i], s, DC_AUDIO_FRAME), ==,
                        DC_AUDIO_FRAME);
        if (i >= 5) {
            /* The -20 dBFS tone (RMS ~2317) comes through at its level. */
            g_assert_cmpfloat(fabs(rms(m, DC_AUDIO_FRAME) - 2317.0), <, 400.0);
            for (int k = 0; k < DC_AUDIO_FRAME; k++)
                g_assert_cmpint(abs(s[2 * k] - s[2 * k + 1]), <=, 2);
        }
    }
    /* About the configured bitrate: 32 kbit/s is 80 bytes per 20 ms. */
    g_assert_cmpint(total / PACKETS, <, 120);
    dc_adec_stats st;
    dc_adec_get_stats(mono, &st);
    g_assert_cmpuint(st.decoded, ==, PACKETS);
}

/* A lost packet: recovered from the next one's FEC, or concealed. Either
 * way the output keeps the tone's level instead of dropping to silence. */
static void test_loss_recovery(void)
{
    GError *error = NULL;
    g_autoptr(dc_aenc) enc = dc_aenc_new(1, 32000, &error);
    g_assert_cmpint(dc_aenc_set_packet_loss(enc, 20), ==, 0);
    g_autoptr(dc_adec) dec = dc_adec_new(1, &error);
    static uint8_t pkts[PACKETS][DC_AUDIO_MAX_PACKET];
    int lens[PACKETS];
    encode_tone(enc, pkts, lens);
    int16_t pcm[DC_AUDIO_FRAME];
    for (int i = 0; i < PACKETS; i++) {
        if (i == 20) { /* lost; 21 is here */
            g_assert_cmpint(dc_adec_recover(dec, pkts[21], (size_t)lens[21], pcm, DC_AUDIO_FRAME),
                            ==, DC_AUDIO_FRAME);
            g_assert_cmpfloat(rms(pcm, DC_AUDIO_FRAME), >, 1000.0);
            continue;
        }
        if (i == 30) { /* lost, and so is 31 as far as we know: PLC */
            g_assert_cmpint(dc_adec_recover(dec, NULL, 0, pcm, DC_AUDIO_FRAME), ==, DC_AUDIO_FRAME);
            g_assert_cmpfloat(rms(pcm, DC_AUDIO_FRAME), >, 500.0);
            continue;
        }
        g_assert_cmpint(dc_adec_decode(dec, pkts[i], (size_t)lens[i], pcm, DC_AUDIO_FRAME), ==,
                        DC_AUDIO_FRAME);
    }
    dc_adec_stats st;
    dc_adec_get_stats(dec, &st);
    g_assert_cmpuint(st.fec, ==, 1);
    g_assert_cmpuint(st.concealed, ==, 1);
    g_assert_cmpuint(st.decoded, ==, PACKETS - 2);
    g_assert_cmpint(dc_adec_recover(dec, NULL, 0, pcm, 100), ==, -EINVAL);
}

/* With DTX on, silence stops producing packets to send; sound resumes them. */
static void test_dtx(void)
{
    GError *error = NULL;
    g_autoptr(dc_aenc) enc = dc_aenc_new(1, 32000, &error);
    g_assert_cmpint(dc_aenc_set_dtx(enc, true), ==, 0);
    int16_t pcm[DC_AUDIO_FRAME] = {0};
    uint8_t pkt[DC_AUDIO_MAX_PACKET];
    int skipped = 0;
    for (int i = 0; i < 50; i++) {
        int n = dc_aenc_encode(enc, pcm, pkt, sizeof(pkt));
        g_assert_cmpint(n, >=, 0);
        skipped += n == 0;
    }
    g_assert_cmpint(skipped, >, 30);
    dc_tone tone;
    dc_tone_init(&tone, 0, DC_AUDIO_RATE);
    dc_tone_fill(&tone, pcm, DC_AUDIO_FRAME, 1);
    g_assert_cmpint(dc_aenc_encode(enc, pcm, pkt, sizeof(pkt)), >, 2);
    g_assert_cmpint(dc_aenc_set_dtx(enc, false), ==, 0);
    memset(pcm, 0, sizeof(pcm));
    g_assert_cmpint(dc_aenc_encode(enc, pcm, pkt, sizeof(pkt)), >, 0);
}

static void test_bad_args(void)
{
    GError *error = NULL;
    g_assert_null(dc_aenc_new(3, 32000, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(dc_aenc_new(1, 100, &error));
    g_clear_error(&error);
    g_assert_null(dc_adec_new(0, &error));
    g_clear_error(&error);

    g_autoptr(dc_aenc) enc = dc_aenc_new(2, 64000, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dc_aenc_set_packet_loss(enc, 101), ==, -EINVAL);
    g_assert_cmpint(dc_aenc_set_bitrate(enc, 5), ==, -EINVAL);
    g_assert_cmpint(dc_aenc_set_bitrate(enc, 48000), ==, 0);
    int16_t pcm[2 * DC_AUDIO_FRAME] = {0};
    uint8_t pkt[DC_AUDIO_MAX_PACKET];
    int n = dc_aenc_encode(enc, pcm, pkt, sizeof(pkt));
    g_assert_cmpint(n, >, 0);
    g_assert_cmpint(dc_adec_packet_channels(pkt, (size_t)n), ==, 2);

    g_autoptr(dc_adec) dec = dc_adec_new(1, &error);
    int16_t out[DC_AUDIO_FRAME];
    /* A stereo packet decodes to mono; a too-small buffer is refused. */
    g_assert_cmpint(dc_adec_decode(dec, pkt, (size_t)n, out, DC_AUDIO_FRAME), ==, DC_AUDIO_FRAME);
    g_assert_cmpint(dc_adec_decode(dec, pkt, (size_t)n, out, 480), ==, -ENOSPC);
    static const uint8_t bad[] = {0xff, 0xff, 0xff};
    g_assert_cmpint(dc_adec_decode(dec, bad, sizeof(bad), out, DC_AUDIO_FRAME), ==, -EBADMSG);
    g_assert_cmpint(dc_adec_decode(dec, pkt, 0, out, DC_AUDIO_FRAME), ==, -EBADMSG);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/audio/round-trip", test_round_trip);
    g_test_add_func("/client/audio/loss-recovery", test_loss_recovery);
    g_test_add_func("/client/audio/dtx", test_dtx);
    g_test_add_func("/client/audio/bad-args", test_bad_args);
    return g_test_run();
}
