/* Unit tests for client/receiver: real VP8 and Opus RTP from a remote site
 * through the sans-IO receive side with a hand clock: decoding and read-back
 * (identity, counters, latency), NACK and retransmission, PLI and recovery at
 * the next keyframe, freezes, audio tone and concealment, own media, RR
 * report blocks. Sequence cases run from start values 0, 32767 and 65535. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "client/audio-enc.h"
#include "client/receiver.h"
#include "client/tone.h"
#include "core/rtcp-fb.h"
#include "vp8-stream.h"

#define MS 1000
#define FRAME_US (1000000 / VS_FPS)
#define MID_EXT 4
#define SITE "can-loc"
#define SITE_INDEX 5
#define FEEDBACK_SSRC 0xfeed0001u

static const uint16_t starts[] = {0, 32767, 65535};

typedef struct {
    dc_receiver *r;
    vs_stream vs;
    GPtrArray *rtcp; /* of GBytes */
    int64_t now;
    int64_t wall;
    unsigned pictures;
} fx;

static void on_rtcp(void *user, const uint8_t *buf, size_t len)
{
    fx *f = user;
    g_ptr_array_add(f->rtcp, g_bytes_new(buf, len));
}

static void on_video(void *user, const char *site, const dc_i420 *pic)
{
    fx *f = user;
    g_assert_cmpstr(site, ==, SITE);
    f->pictures++;
}

static void fx_init(fx *f, uint16_t seq0)
{
    memset(f, 0, sizeof *f);
    static const dc_receiver_callbacks cb = {.send_rtcp = on_rtcp, .on_video = on_video};
    GError *error = NULL;
    f->r = dc_receiver_new("tinh", &cb, f, &error);
    g_assert_no_error(error);
    f->rtcp = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    const uint32_t own_ssrcs[2] = {0xa0a0a0a0, 0xb0b0b0b0};
    const char *own_mids[2] = {"0", "1"};
    dc_receiver_set_own(f->r, FEEDBACK_SSRC, own_ssrcs, own_mids);
    dc_receiver_set_site_index(f->r, "tinh", 0);
    dc_receiver_set_site_index(f->r, SITE, SITE_INDEX);
    const dc_receiver_stream_desc streams[] = {
        {"2", SITE, DC_MEDIA_AUDIO, 0x55667788, 111, true, false, false},
        {"3", SITE, DC_MEDIA_VIDEO, 0x11223344, 96, true, true, true},
    };
    f->now = 10000 * MS;
    f->wall = 1700000000000;
    g_assert_cmpint(dc_receiver_configure(f->r, streams, 2, MID_EXT, f->now), ==, 0);
    vs_init(&f->vs, seq0, SITE, SITE_INDEX, 300);
    f->vs.mid_ext_id = MID_EXT;
    g_strlcpy(f->vs.mid, "3", sizeof f->vs.mid);
}

static void fx_clear(fx *f)
{
    dc_receiver_free(f->r);
    vs_clear(&f->vs);
    g_ptr_array_unref(f->rtcp);
}

static void push(fx *f, const vs_packet *k)
{
    dc_receiver_push_rtp(f->r, k->data, k->len, f->now, f->wall);
}

/* Encodes a frame captured 40 ms ago and delivers all its packets. */
static void frame(fx *f, bool key)
{
    vs_next(&f->vs, (uint32_t)(f->wall - 40), key);
    for (size_t k = 0; k < f->vs.n_pkts; k++)
        push(f, &f->vs.pkts[k]);
}

static void advance(fx *f, int64_t us)
{
    f->now += us;
    f->wall += us / 1000;
}

/* Runs the receiver's timers up to now + us. */
static void run_until(fx *f, int64_t until)
{
    for (;;) {
        int64_t t = dc_receiver_next_timeout(f->r);
        if (t > until)
            break;
        if (t > f->now)
            advance(f, t - f->now);
        dc_receiver_handle_timeout(f->r, f->now, f->wall);
    }
    if (until > f->now)
        advance(f, until - f->now);
}

static void stats(fx *f, dc_receiver_site_stats *s)
{
    g_assert_cmpuint(dc_receiver_n_sites(f->r), ==, 2);
    for (size_t i = 0; i < 2; i++) {
        dc_receiver_site_stats t;
        dc_receiver_site_stats_at(f->r, i, &t);
        if (strcmp(t.site, SITE) == 0) {
            *s = t;
            return;
        }
    }
    g_assert_not_reached();
}

static void test_decode_and_read_back(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    for (int i = 0; i < 45; i++) {
        frame(&f, false);
        advance(&f, FRAME_US);
    }
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpuint(s.video_frames_decoded, ==, 45);
    g_assert_cmpuint(f.pictures, ==, 45);
    g_assert_cmpuint(s.video_identity_ok, ==, 45);
    g_assert_cmpuint(s.video_identity_bad, ==, 0);
    g_assert_cmpfloat(s.latency_p50_ms, ==, 40);
    g_assert_cmpfloat(s.latency_p95_ms, ==, 40);
    g_assert_cmpfloat_with_epsilon(s.fps, 15.0, 0.5);
    g_assert_cmpint(s.width, ==, VS_W);
    g_assert_cmpint(s.height, ==, VS_H);
    g_assert_cmpuint(s.freezes, ==, 0);
    g_assert_cmpuint(s.counter_first, ==, 0);
    g_assert_cmpuint(s.counter_last, ==, 44);
    g_assert_cmpuint(s.counter_expected, ==, 45);
    g_assert_cmpuint(s.counter_span_decoded, ==, 45);
    g_assert_cmpint(s.first_frame_ms, ==, 0);
    g_assert_cmpint(s.packets_lost, ==, 0);
    g_assert_cmpuint(s.plis_sent, ==, 0);
    g_assert_cmpuint(f.rtcp->len, ==, 0);
    g_assert_cmpuint(dc_receiver_own_media(f.r), ==, 0);
    fx_clear(&f);
}

/* A lost packet is NACKed (RTCP generic NACK for its seq, from our feedback
 * SSRC to the stream's); the retransmission completes the frame. */
static void test_nack_retransmission(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    vs_next(&f.vs, (uint32_t)f.wall, false); /* keyframe, several packets */
    g_assert_cmpuint(f.vs.n_pkts, >=, 3);
    vs_packet lost = f.vs.pkts[1];
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        if (k != 1)
            push(&f, &f.vs.pkts[k]);
    run_until(&f, f.now + 10 * MS);
    g_assert_cmpuint(f.rtcp->len, ==, 1);
    gsize len;
    const uint8_t *b = g_bytes_get_data(f.rtcp->pdata[0], &len);
    dc_rtcp_fb_nack nack;
    g_assert_cmpint(dc_rtcp_fb_nack_parse(b, len, &nack), ==, 0);
    g_assert_cmphex(nack.fb.sender_ssrc, ==, FEEDBACK_SSRC);
    g_assert_cmphex(nack.fb.media_ssrc, ==, 0x11223344);
    uint16_t seqs[17];
    g_assert_cmpint(dc_rtcp_fb_nack_expand(&nack, seqs, 17), ==, 1);
    g_assert_cmpuint(seqs[0], ==, lost.seq);
    push(&f, &lost);
    for (int i = 0; i < 5; i++) {
        advance(&f, FRAME_US);
        frame(&f, false);
    }
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpuint(s.video_frames_decoded, ==, 6);
    g_assert_cmpuint(s.nacks_sent, ==, 1);
    g_assert_cmpuint(s.plis_sent, ==, 0);
    g_assert_cmpint(s.packets_lost, ==, 0);
    dc_rtcp_report_block rb[4];
    size_t n = dc_receiver_report_blocks(f.r, f.now, rb, 4);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmphex(rb[0].ssrc, ==, 0x11223344);
    g_assert_cmpint(rb[0].cumulative_lost, ==, 0);
    g_assert_cmpuint(rb[0].ext_highest_seq & 0xffff, ==, (uint16_t)(f.vs.seq - 1));
    fx_clear(&f);
}

static bool has_pli(fx *f)
{
    for (guint i = 0; i < f->rtcp->len; i++) {
        gsize len;
        const uint8_t *b = g_bytes_get_data(f->rtcp->pdata[i], &len);
        dc_rtcp_fb pli;
        if (dc_rtcp_fb_pli_parse(b, len, &pli) == 0) {
            g_assert_cmphex(pli.media_ssrc, ==, 0x11223344);
            return true;
        }
    }
    return false;
}

/* A loss the retransmissions do not repair: after the bounded wait the
 * receiver sends a PLI, shows nothing until a keyframe, then resumes. */
static void test_unrecoverable_pli(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    for (int i = 0; i < 3; i++) {
        frame(&f, false);
        advance(&f, FRAME_US);
    }
    vs_next(&f.vs, 0, false); /* lost */
    int64_t t0 = f.now;
    advance(&f, FRAME_US);
    frame(&f, false);
    g_assert_false(has_pli(&f));
    run_until(&f, t0 + 300 * MS);
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_test_message("decoded %lu skipped %lu nacks %lu rtcp %u",
                   (unsigned long)s.video_frames_decoded, (unsigned long)s.frames_skipped,
                   (unsigned long)s.nacks_sent, f.rtcp->len);
    g_assert_true(has_pli(&f));
    stats(&f, &s);
    g_assert_cmpuint(s.video_frames_decoded, ==, 3);
    g_assert_cmpuint(s.plis_sent, ==, 1);
    g_assert_cmpuint(s.nacks_sent, >=, 3);
    /* Delta frames are refused; a second PLI is throttled. */
    frame(&f, false);
    advance(&f, FRAME_US);
    stats(&f, &s);
    g_assert_cmpuint(s.video_frames_decoded, ==, 3);
    g_assert_cmpuint(s.plis_sent, ==, 1);
    frame(&f, true);
    advance(&f, FRAME_US);
    frame(&f, false);
    stats(&f, &s);
    g_assert_cmpuint(s.video_frames_decoded, ==, 5);
    g_assert_cmpuint(s.video_identity_ok, ==, 5);
    g_assert_cmpint(s.packets_lost, >, 0);
    g_assert_cmpuint(s.frames_skipped, >=, 1);
    /* Counters 0..2 then 6..7: one span (no restart), 8 expected. */
    g_assert_cmpuint(s.counter_restarts, ==, 0);
    g_assert_cmpuint(s.counter_expected, ==, 8);
    /* The throttle lets a wanted PLI out later only while still needed. */
    run_until(&f, f.now + 2000 * MS);
    stats(&f, &s);
    g_assert_cmpuint(s.plis_sent, ==, 1);
    dc_rtcp_report_block rb[4];
    g_assert_cmpuint(dc_receiver_report_blocks(f.r, f.now, rb, 4), ==, 1);
    g_assert_cmpint(rb[0].cumulative_lost, >, 0);
    g_assert_cmpuint(rb[0].fraction_lost, >, 0);
    fx_clear(&f);
}

/* An inter-frame gap over max(3 x average, average + 150 ms) is a freeze. */
static void test_freeze(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    for (int i = 0; i < 20; i++) {
        frame(&f, false);
        advance(&f, FRAME_US);
    }
    advance(&f, 150 * MS); /* 217 ms: over 3 x 67, under 67 + 150 */
    frame(&f, false);
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpuint(s.freezes, ==, 0);
    advance(&f, 400 * MS);
    frame(&f, false);
    stats(&f, &s);
    g_assert_cmpuint(s.freezes, ==, 1);
    g_assert_cmpfloat(s.freeze_total_ms, >=, 400);
    for (int i = 0; i < 10; i++) {
        advance(&f, FRAME_US);
        frame(&f, false);
    }
    stats(&f, &s);
    g_assert_cmpuint(s.freezes, ==, 1);
    fx_clear(&f);
}

/* Our own media (our mid, or our SSRC) is counted, never decoded; packets
 * that no stream claims are counted as unknown. */
static void test_own_and_unknown(void)
{
    fx f;
    fx_init(&f, 100);
    g_strlcpy(f.vs.mid, "1", sizeof f.vs.mid);
    frame(&f, false);
    size_t own = f.vs.n_pkts;
    g_assert_cmpuint(dc_receiver_own_media(f.r), ==, own);
    f.vs.mid_ext_id = 0;
    f.vs.ssrc = 0xb0b0b0b0;
    frame(&f, false);
    g_assert_cmpuint(dc_receiver_own_media(f.r), ==, own + f.vs.n_pkts);
    f.vs.ssrc = 0x99999999;
    frame(&f, false);
    g_assert_cmpuint(dc_receiver_unknown(f.r), ==, f.vs.n_pkts);
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpuint(s.video_frames_decoded, ==, 0);
    fx_clear(&f);
}

/* Sends count Opus packets of site tone_site's tone as the remote site's
 * audio stream (seq from 65530, wrapping), leaving out the packets whose
 * index is in drop[0..n_drop). */
static void send_tone(fx *f, int tone_site, unsigned count, const unsigned *drop, size_t n_drop)
{
    GError *error = NULL;
    dc_aenc *enc = dc_aenc_new(1, 32000, &error);
    g_assert_no_error(error);
    dc_tone tone;
    dc_tone_init(&tone, tone_site, DC_AUDIO_RATE);
    for (unsigned i = 0; i < count; i++) {
        int16_t pcm[DC_AUDIO_FRAME];
        dc_tone_fill(&tone, pcm, DC_AUDIO_FRAME, 1);
        uint8_t pkt[1500];
        uint8_t ext[8];
        uint16_t profile;
        dc_rtp_ext_elem el = {MID_EXT, 1, (const uint8_t *)"2"};
        int el_len = dc_rtp_ext_write(&el, 1, ext, sizeof ext, &profile);
        dc_rtp_header h = {.payload_type = 111,
                           .seq = (uint16_t)(65530 + i),
                           .timestamp = i * DC_AUDIO_FRAME,
                           .ssrc = 0x55667788,
                           .extension = true,
                           .ext_profile = profile,
                           .ext = ext,
                           .ext_len = (size_t)el_len};
        int hl = dc_rtp_write_header(&h, pkt, sizeof pkt);
        g_assert_cmpint(hl, >, 0);
        int n = dc_aenc_encode(enc, pcm, pkt + hl, sizeof pkt - (size_t)hl);
        g_assert_cmpint(n, >, 0);
        bool dropped = false;
        for (size_t k = 0; k < n_drop; k++)
            dropped |= drop[k] == i;
        if (!dropped)
            dc_receiver_push_rtp(f->r, pkt, (size_t)(hl + n), f->now, f->wall);
        advance(f, 20 * MS);
    }
    dc_aenc_free(enc);
}

/* The remote site's tone comes through Opus with one packet lost: it is
 * concealed (FEC from the next packet) and the identity holds. The first
 * packets, while the decoder settles, are not judged: no check is bad. */
static void test_audio_tone(void)
{
    fx f;
    fx_init(&f, 0);
    send_tone(&f, SITE_INDEX, 50, (const unsigned[]){20}, 1);
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpuint(s.audio_packets_decoded, ==, 49);
    g_assert_cmpuint(s.audio_concealed, ==, 1);
    g_assert_true(s.audio_identity_ok);
    g_assert_cmpuint(s.audio_tone_bad, ==, 0);
    /* packets 15..49 decoded, every fifth checked: 16, 21, ... 46 */
    g_assert_cmpuint(s.audio_tone_ok, ==, 7);
    g_assert_cmpint(s.packets_lost, ==, 1);
    dc_receiver_roll_interval(f.r, f.now);
    stats(&f, &s);
    g_assert_true(s.status_audio);
    g_assert_cmpfloat(s.status_loss_pct, >, 1.9);
    fx_clear(&f);
}

/* A site that leaves (inactive) and comes back: the rejoin's first picture
 * is timed, and the sender's restarted counter starts a new span. */
static void test_rejoin(void)
{
    fx f;
    fx_init(&f, 1000);
    for (int i = 0; i < 10; i++) {
        frame(&f, false);
        advance(&f, FRAME_US);
    }
    const dc_receiver_stream_desc gone[] = {
        {"2", SITE, DC_MEDIA_AUDIO, 0x55667788, 111, false, false, false},
        {"3", SITE, DC_MEDIA_VIDEO, 0x11223344, 96, false, true, true},
    };
    g_assert_cmpint(dc_receiver_configure(f.r, gone, 2, MID_EXT, f.now), ==, 0);
    advance(&f, 6000 * MS);
    const dc_receiver_stream_desc back[] = {
        {"2", SITE, DC_MEDIA_AUDIO, 0x55667788, 111, true, false, false},
        {"3", SITE, DC_MEDIA_VIDEO, 0x11223344, 96, true, true, true},
    };
    g_assert_cmpint(dc_receiver_configure(f.r, back, 2, MID_EXT, f.now), ==, 0);
    advance(&f, 300 * MS);
    f.vs.counter = 0; /* a new sender process */
    frame(&f, true);
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpint(s.rejoin_first_frame_ms, ==, 300);
    g_assert_cmpuint(s.counter_restarts, ==, 1);
    g_assert_cmpuint(s.counter_expected, ==, 11);
    g_assert_cmpuint(s.counter_span_decoded, ==, 1);
    g_assert_cmpint(s.first_frame_after_gap_wall_ms, ==, f.wall);
    g_assert_cmpuint(s.freezes, ==, 0); /* a pause, not a freeze */
    fx_clear(&f);
}

static void add(const char *name, GTestDataFunc fn)
{
    for (size_t i = 0; i < G_N_ELEMENTS(starts); i++) {
        char *path = g_strdup_printf("/receiver/%s/start-%u", name, starts[i]);
        g_test_add_data_func(path, &starts[i], fn);
        g_free(path);
    }
}

/* Another site's tone on this site's stream: the identity check fails. */
static void test_audio_tone_wrong_site(void)
{
    fx f;
    fx_init(&f, 0);
    send_tone(&f, (SITE_INDEX + 3) % DC_TONE_SITES, 50, NULL, 0);
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpuint(s.audio_packets_decoded, ==, 50);
    g_assert_cmpuint(s.audio_tone_ok, ==, 0);
    g_assert_cmpuint(s.audio_tone_bad, ==, 7);
    g_assert_false(s.audio_identity_ok);
    fx_clear(&f);
}

/* A gap too long to conceal (8 packets) restarts the settling period: the
 * checks that would fall in it (packets 16 and 21 after the gap) are not
 * made, and none of the others is bad. */
static void test_audio_tone_after_long_gap(void)
{
    fx f;
    fx_init(&f, 0);
    send_tone(&f, SITE_INDEX, 60, (const unsigned[]){20, 21, 22, 23, 24, 25, 26, 27}, 8);
    dc_receiver_site_stats s;
    stats(&f, &s);
    g_assert_cmpuint(s.audio_packets_decoded, ==, 52);
    g_assert_cmpuint(s.audio_concealed, ==, 0);
    g_assert_cmpuint(s.audio_tone_bad, ==, 0);
    g_assert_true(s.audio_identity_ok);
    fx_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add("decode-and-read-back", test_decode_and_read_back);
    add("nack-retransmission", test_nack_retransmission);
    add("unrecoverable-pli", test_unrecoverable_pli);
    add("freeze", test_freeze);
    g_test_add_func("/receiver/own-and-unknown", test_own_and_unknown);
    g_test_add_func("/receiver/audio-tone", test_audio_tone);
    g_test_add_func("/receiver/audio-tone-wrong-site", test_audio_tone_wrong_site);
    g_test_add_func("/receiver/audio-tone-after-long-gap", test_audio_tone_after_long_gap);
    g_test_add_func("/receiver/rejoin", test_rejoin);
    return g_test_run();
}
