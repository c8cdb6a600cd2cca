/* Unit tests for client/link: the site's view of its link, with a hand
 * clock. The figures must match what the bridge would compute from the same
 * traffic (bitrates over 1 s and 10 s, interval loss from sequence counts,
 * the bridge's report blocks for the uplink, RTT from LSR/DLSR, the score
 * of core/quality). */
#include <string.h>

#include <glib.h>

#include "client/link.h"
#include "core/rtp-stats.h"

#define S 1000000 /* one second in us */
#define NTP_UNIX_OFFSET 2208988800ULL

/* A second of a clean 14-site meeting seen from one site: ~50 audio and
 * ~15x5 video packets up, 13 times that down. */
static void advance(dc_link_sample *s, double down_loss)
{
    s->sent_packets[DC_MEDIA_AUDIO] += 50;
    s->sent_bytes[DC_MEDIA_AUDIO] += 50 * 100;
    s->sent_packets[DC_MEDIA_VIDEO] += 75;
    s->sent_bytes[DC_MEDIA_VIDEO] += 75 * 250;
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        uint64_t exp = k == DC_MEDIA_AUDIO ? 650 : 975;
        uint64_t got = exp - (uint64_t)(down_loss * (double)exp + 0.5);
        s->received[k].expected += exp;
        s->received[k].received += got;
        s->received[k].packets += got;
        s->received[k].bytes += got * (k == DC_MEDIA_AUDIO ? 100 : 250);
        s->received[k].jitter_ms = 3;
    }
}

static uint32_t ntp_mid(int64_t wall_us)
{
    uint64_t secs = (uint64_t)(wall_us / 1000000) + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)(wall_us % 1000000) << 32) / 1000000;
    return dc_rtp_stats_ntp_mid(secs << 32 | frac);
}

static void test_before_anything(void)
{
    dc_link l;
    dc_link_init(&l);
    const dc_link_stats *st = dc_link_get(&l);
    g_assert_false(st->have_score);
    g_assert_cmpfloat(st->rtt_ms, <, 0);
    dc_link_sample s;
    memset(&s, 0, sizeof s);
    dc_link_tick(&l, &s, 5 * S); /* baseline only */
    dc_link_tick(&l, &s, 6 * S); /* nothing moved */
    g_assert_false(st->have_score);
    g_assert_cmpuint(st->down[DC_MEDIA_VIDEO].bitrate_1s, ==, 0);
    g_assert_cmpfloat(st->down[DC_MEDIA_VIDEO].loss, ==, 0);
}

/* Bitrates per second and over 10 s; down loss per interval and in all. */
static void test_rates_and_down_loss(void)
{
    dc_link l;
    dc_link_init(&l);
    dc_link_sample s;
    memset(&s, 0, sizeof s);
    int64_t t = 100 * (int64_t)S;
    dc_link_tick(&l, &s, t);
    for (int i = 0; i < 12; i++) {
        advance(&s, 0);
        t += S;
        dc_link_tick(&l, &s, t);
    }
    const dc_link_stats *st = dc_link_get(&l);
    g_assert_cmpuint(st->up[DC_MEDIA_AUDIO].bitrate_1s, ==, 50 * 100 * 8);
    g_assert_cmpuint(st->up[DC_MEDIA_VIDEO].bitrate_10s, ==, 75 * 250 * 8);
    g_assert_cmpuint(st->down[DC_MEDIA_VIDEO].bitrate_1s, ==, 975 * 250 * 8);
    g_assert_cmpuint(st->down[DC_MEDIA_AUDIO].packets, ==, 12 * 650);
    g_assert_cmpfloat(st->down[DC_MEDIA_VIDEO].loss, ==, 0);
    g_assert_cmpfloat(st->down[DC_MEDIA_VIDEO].jitter_ms, ==, 3);
    /* Down scored (it carried), up not yet: the bridge has not reported. */
    g_assert_true(st->have_score);
    g_assert_cmpfloat(st->score_down, >, 80);
    g_assert_cmpfloat(st->score_up, ==, 100);
    g_assert_false(st->up[DC_MEDIA_VIDEO].reported);

    /* A second with 5 % down loss: the interval shows it, the total counts it. */
    advance(&s, 0.05);
    t += S;
    dc_link_tick(&l, &s, t);
    g_assert_cmpfloat_with_epsilon(st->down[DC_MEDIA_VIDEO].loss, 0.05, 0.001);
    g_assert_cmpint(st->down[DC_MEDIA_VIDEO].lost, ==, 49);
    g_assert_cmpfloat(st->score_down, <, 80); /* falls fast */
    /* Half the bitrate in one second: bitrate_1s drops, the 10 s one barely. */
    s.sent_bytes[DC_MEDIA_VIDEO] += 75 * 125;
    t += S;
    dc_link_tick(&l, &s, t);
    g_assert_cmpuint(st->up[DC_MEDIA_VIDEO].bitrate_1s, ==, 75 * 125 * 8);
    g_assert_cmpuint(st->up[DC_MEDIA_VIDEO].bitrate_10s, >, 75 * 200 * 8);
}

/* The bridge's report blocks: uplink loss, lost, jitter, and the RTT. */
static void test_bridge_reports(void)
{
    dc_link l;
    dc_link_init(&l);
    dc_link_sample s;
    memset(&s, 0, sizeof s);
    int64_t t = 0, wall = 1795000000LL * S;
    dc_link_tick(&l, &s, t);
    advance(&s, 0);
    /* Our SR left at wall; the bridge held it 250 ms; its RR came back 80
     * ms of network later. */
    dc_rtcp_report_block b = {
        .ssrc = 1234,
        .fraction_lost = 13, /* 13/256 = 5.1 % */
        .cumulative_lost = 40,
        .jitter = 90 * 4, /* 4 ms at 90 kHz */
        .lsr = ntp_mid(wall),
        .dlsr = 65536 / 4,
    };
    dc_link_on_report_block(&l, DC_MEDIA_VIDEO, &b, wall + 250000 + 80000);
    b.jitter = 48 * 2; /* 2 ms at 48 kHz */
    b.fraction_lost = 0;
    b.cumulative_lost = -3; /* duplicates: clamped to 0 */
    dc_link_on_report_block(&l, DC_MEDIA_AUDIO, &b, wall + 250000 + 80000);
    t += S;
    dc_link_tick(&l, &s, t);
    const dc_link_stats *st = dc_link_get(&l);
    g_assert_true(st->up[DC_MEDIA_VIDEO].reported);
    g_assert_cmpfloat_with_epsilon(st->up[DC_MEDIA_VIDEO].loss, 13 / 256.0, 1e-9);
    g_assert_cmpint(st->up[DC_MEDIA_VIDEO].lost, ==, 40);
    g_assert_cmpfloat_with_epsilon(st->up[DC_MEDIA_VIDEO].jitter_ms, 4, 1e-9);
    g_assert_cmpfloat_with_epsilon(st->up[DC_MEDIA_AUDIO].jitter_ms, 2, 1e-9);
    g_assert_cmpint(st->up[DC_MEDIA_AUDIO].lost, ==, 0);
    g_assert_cmpfloat_with_epsilon(st->rtt_ms, 80, 0.1);
    /* Both directions scored now; up is the lossy one. */
    g_assert_cmpfloat(st->score_up, <, st->score_down);
    g_assert_cmpfloat(st->mos, >, 1);
    g_assert_cmpfloat(st->mos, <=, 4.5);

    /* A block without LSR (no SR seen yet) leaves the RTT alone. */
    b.lsr = 0;
    dc_link_on_report_block(&l, DC_MEDIA_VIDEO, &b, wall + 5 * S);
    t += S;
    dc_link_tick(&l, &s, t);
    g_assert_cmpfloat_with_epsilon(st->rtt_ms, 80, 0.1);
}

/* Counters that go backwards (a restarted sender, a renegotiated stream)
 * never give negative or huge figures. */
static void test_counters_backwards(void)
{
    dc_link l;
    dc_link_init(&l);
    dc_link_sample s;
    memset(&s, 0, sizeof s);
    dc_link_tick(&l, &s, S);
    advance(&s, 0);
    advance(&s, 0);
    dc_link_tick(&l, &s, 2 * S);
    dc_link_sample back;
    memset(&back, 0, sizeof back);
    advance(&back, 0);
    back.received[DC_MEDIA_VIDEO].received += 5; /* more received than expected */
    dc_link_tick(&l, &back, 3 * S);
    const dc_link_stats *st = dc_link_get(&l);
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        g_assert_cmpfloat(st->down[k].loss, >=, 0);
        g_assert_cmpfloat(st->down[k].loss, <=, 1);
        g_assert_cmpint(st->down[k].lost, >=, 0);
        g_assert_cmpuint(st->up[k].bitrate_1s, ==, 0);
    }
    /* The same instant twice, or time going back: ignored. */
    dc_link_tick(&l, &s, 3 * S);
    dc_link_tick(&l, &s, 2 * S);
    g_assert_cmpfloat(st->score_down, >=, 0);
    g_assert_cmpfloat(st->score_down, <=, 100);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/link/before-anything", test_before_anything);
    g_test_add_func("/link/rates-and-down-loss", test_rates_and_down_loss);
    g_test_add_func("/link/bridge-reports", test_bridge_reports);
    g_test_add_func("/link/counters-backwards", test_counters_backwards);
    return g_test_run();
}
