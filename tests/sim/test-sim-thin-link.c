/* A thin downlink in a simulated meeting (tests/sim): one receiver behind
 * a 1 Mbit/s bottleneck while three senders each send 600 kbit/s. What
 * must hold today: the other sites lose nothing because of it. What it
 * receives itself is printed, the baseline that simulcast and bandwidth
 * estimation (issues 16 and 17) must improve; their acceptance tests go
 * here. */
#include <glib.h>

#include "sim.h"

#define S 1000000

static void test_thin_downlink_harms_no_one_else(void)
{
    dc_sim_config cfg = {.n_sites = 4, .seed = 31, .video_bps = 600000, .fps = 15};
    dc_sim *sim = dc_sim_new(&cfg);
    dc_sim_link clean = {.delay_us = 20000, .jitter_us = 2000};
    dc_sim_link thin = {.delay_us = 20000, .jitter_us = 2000, .rate_bps = 1000000, .queue_ms = 200};
    for (unsigned i = 0; i < 4; i++) {
        dc_sim_set_uplink(sim, i, &clean);
        dc_sim_set_downlink(sim, i, i == 3 ? &thin : &clean);
        dc_sim_join(sim, i);
    }
    dc_sim_run_for(sim, 30 * S);
    uint64_t q, lost;
    dc_sim_link_drops(sim, 3, true, &q, &lost);
    for (unsigned tx = 0; tx < 3; tx++) {
        dc_sim_sender s;
        dc_sim_sender_of(sim, tx, &s);
        dc_sim_view thin_v;
        dc_sim_view_of(sim, 3, tx, &thin_v);
        g_test_message("thin receiver, sender %u: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                       " frames, %" G_GUINT64_FORMAT " freezes, longest %" G_GINT64_FORMAT
                       " ms, %" G_GUINT64_FORMAT " audio packets missing",
                       tx, thin_v.frames_decoded, s.frames, thin_v.freezes,
                       thin_v.longest_freeze_us / 1000, thin_v.audio_missing);
        for (unsigned rx = 0; rx < 3; rx++) {
            if (rx == tx) {
                continue;
            }
            dc_sim_view v;
            dc_sim_view_of(sim, rx, tx, &v);
            g_assert_cmpuint(v.frames_decoded + 2, >=, s.frames);
            g_assert_cmpuint(v.freezes, ==, 0);
            g_assert_cmpuint(v.audio_missing, ==, 0);
        }
        /* Its sender was not asked for less because of it. */
        g_assert_cmpuint(s.video_bps, ==, 600000);
    }
    g_test_message("the thin link dropped %" G_GUINT64_FORMAT " packets at its queue", q);
    g_assert_cmpuint(q, >, 0); /* the bottleneck is real */
    dc_sim_free(sim);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/thin-link/harms-no-one-else", test_thin_downlink_harms_no_one_else);
    return g_test_run();
}
