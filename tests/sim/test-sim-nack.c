/* Loss repair in a simulated meeting (tests/sim): the bridge answers a
 * receiver's NACKs from its own history, NACKs a lossy sender itself, and
 * the same seed gives the same meeting to the packet. */
#include <glib.h>

#include "sim.h"

#define S 1000000

static dc_sim *meeting(unsigned n, uint64_t seed)
{
    dc_sim_config cfg = {.n_sites = n, .seed = seed, .video_bps = 600000, .fps = 15};
    dc_sim *sim = dc_sim_new(&cfg);
    g_assert_nonnull(sim);
    dc_sim_link clean = {.delay_us = 10000, .jitter_us = 2000};
    for (unsigned i = 0; i < n; i++) {
        dc_sim_set_uplink(sim, i, &clean);
        dc_sim_set_downlink(sim, i, &clean);
        dc_sim_join(sim, i);
    }
    return sim;
}

static void show(const char *who, const dc_sim_view *v)
{
    g_test_message("%s: %" G_GUINT64_FORMAT " frames decoded, %" G_GUINT64_FORMAT
                   " skipped, %" G_GUINT64_FORMAT " freezes (longest %" G_GINT64_FORMAT
                   " ms), %" G_GUINT64_FORMAT " NACKed, %" G_GUINT64_FORMAT
                   " PLIs, audio %" G_GUINT64_FORMAT " missing",
                   who, v->frames_decoded, v->frames_skipped, v->freezes,
                   v->longest_freeze_us / 1000, v->nacked, v->plis, v->audio_missing);
}

/* A clean meeting: every receiver decodes every frame of every sender. */
static void test_clean(void)
{
    dc_sim *sim = meeting(4, 1);
    dc_sim_run_for(sim, 20 * S);
    for (unsigned rx = 0; rx < 4; rx++) {
        for (unsigned tx = 0; tx < 4; tx++) {
            if (rx == tx) {
                continue;
            }
            dc_sim_view v;
            dc_sim_view_of(sim, rx, tx, &v);
            dc_sim_sender s;
            dc_sim_sender_of(sim, tx, &s);
            g_assert_cmpuint(v.frames_decoded + 2, >=, s.frames);
            g_assert_cmpuint(v.frames_skipped, ==, 0);
            g_assert_cmpuint(v.freezes, ==, 0);
            g_assert_cmpuint(v.nacked, ==, 0);
            g_assert_cmpuint(v.audio_missing, ==, 0);
            g_assert_cmpint(v.first_frame_us, <, 1 * S + 100000);
        }
    }
    dc_sim_free(sim);
}

/* 3 % loss on one receiver's downlink (40 ms, 5 ms jitter): the bridge
 * resends from its history; the receiver decodes at least 99 % of the
 * frames, freezes at most once in 30 s (a retransmission lost again) and
 * never for 400 ms, and the others see nothing of it. */
static void test_downlink_loss(void)
{
    dc_sim *sim = meeting(4, 2);
    dc_sim_link lossy = {.delay_us = 40000, .jitter_us = 5000, .loss = 0.03};
    dc_sim_set_downlink(sim, 3, &lossy);
    dc_sim_run_for(sim, 30 * S);
    dc_sim_sender s;
    dc_sim_sender_of(sim, 0, &s);
    dc_sim_view v;
    dc_sim_view_of(sim, 3, 0, &v);
    show("lossy receiver 3 of sender 0", &v);
    g_assert_cmpuint(v.nacked, >, 0);
    g_assert_cmpfloat((double)v.frames_decoded, >=, 0.99 * (double)s.frames);
    g_assert_cmpuint(v.freezes, <=, 1);
    g_assert_cmpint(v.longest_freeze_us, <, 400000);
    dc_router_stats rs;
    dc_router_get_stats(dc_sim_router(sim), &rs);
    g_test_message("router: %" G_GUINT64_FORMAT " NACKed, %" G_GUINT64_FORMAT
                   " resent, %" G_GUINT64_FORMAT " missed",
                   rs.nack_in, rs.nack_resent, rs.nack_missed);
    g_assert_cmpuint(rs.nack_resent, >, 0);
    g_assert_cmpuint(s.resent, ==, 0); /* the bridge answered, not the sender */
    dc_sim_view clean;
    dc_sim_view_of(sim, 1, 0, &clean);
    g_assert_cmpuint(clean.nacked, ==, 0);
    g_assert_cmpuint(clean.frames_skipped, ==, 0);
    dc_sim_free(sim);
}

/* 3 % loss on one sender's uplink: the bridge NACKs the sender itself, so
 * every receiver decodes at least 99 % of its frames. */
static void test_uplink_loss(void)
{
    dc_sim *sim = meeting(4, 3);
    dc_sim_link lossy = {.delay_us = 40000, .jitter_us = 5000, .loss = 0.03};
    dc_sim_set_uplink(sim, 0, &lossy);
    dc_sim_run_for(sim, 30 * S);
    dc_sim_sender s;
    dc_sim_sender_of(sim, 0, &s);
    g_test_message("sender 0 resent %" G_GUINT64_FORMAT " packets of %" G_GUINT64_FORMAT, s.resent,
                   s.packets);
    g_assert_cmpuint(s.resent, >, 0);
    for (unsigned rx = 1; rx < 4; rx++) {
        dc_sim_view v;
        dc_sim_view_of(sim, rx, 0, &v);
        show("receiver of the lossy sender", &v);
        g_assert_cmpfloat((double)v.frames_decoded, >=, 0.99 * (double)s.frames);
    }
    dc_sim_free(sim);
}

/* The same seed gives the same meeting; another seed another one. */
static void test_deterministic(void)
{
    dc_sim_view v[3];
    uint64_t seeds[3] = {7, 7, 8};
    for (int i = 0; i < 3; i++) {
        dc_sim *sim = meeting(3, seeds[i]);
        dc_sim_link lossy = {.delay_us = 30000, .jitter_us = 10000, .loss = 0.05, .burst = 3};
        dc_sim_set_downlink(sim, 2, &lossy);
        dc_sim_run_for(sim, 10 * S);
        dc_sim_view_of(sim, 2, 0, &v[i]);
        dc_sim_free(sim);
    }
    g_assert_cmpmem(&v[0], sizeof v[0], &v[1], sizeof v[1]);
    g_assert_true(v[0].nacked != v[2].nacked || v[0].video_packets != v[2].video_packets);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/nack/clean", test_clean);
    g_test_add_func("/sim/nack/downlink-loss", test_downlink_loss);
    g_test_add_func("/sim/nack/uplink-loss", test_uplink_loss);
    g_test_add_func("/sim/nack/deterministic", test_deterministic);
    return g_test_run();
}
