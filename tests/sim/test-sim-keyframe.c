/* Keyframes in a simulated meeting (tests/sim): a site that joins late
 * sees every sender at once (the bridge asks for keyframes when its
 * transport is ready), a receiver whose link drops out for longer than the
 * bridge's history recovers through a PLI, and many receivers' requests
 * reach the sender merged. */
#include <glib.h>

#include "sim.h"

#define S 1000000

static dc_sim *meeting(unsigned n, unsigned present, uint64_t seed)
{
    dc_sim_config cfg = {.n_sites = n, .seed = seed, .video_bps = 500000, .fps = 15};
    dc_sim *sim = dc_sim_new(&cfg);
    g_assert_nonnull(sim);
    dc_sim_link clean = {.delay_us = 20000, .jitter_us = 2000};
    for (unsigned i = 0; i < n; i++) {
        dc_sim_set_uplink(sim, i, &clean);
        dc_sim_set_downlink(sim, i, &clean);
        if (i < present) {
            dc_sim_join(sim, i);
        }
    }
    return sim;
}

/* Site 3 joins 5 s into the meeting (no periodic keyframes): it decodes a
 * first frame of every sender within 250 ms, one round trip and a frame. */
static void test_late_join(void)
{
    dc_sim *sim = meeting(4, 3, 11);
    dc_sim_run_for(sim, 5 * S);
    int64_t t_join = dc_sim_now(sim);
    dc_sim_join(sim, 3);
    dc_sim_run_for(sim, 5 * S);
    for (unsigned tx = 0; tx < 3; tx++) {
        dc_sim_view v;
        dc_sim_view_of(sim, 3, tx, &v);
        g_assert_cmpint(v.first_frame_us, >=, t_join);
        g_test_message("sender %u: first frame %" G_GINT64_FORMAT " ms after the join", tx,
                       (v.first_frame_us - t_join) / 1000);
        g_assert_cmpint(v.first_frame_us - t_join, <, 250000);
        g_assert_cmpuint(v.keyframes_decoded, >=, 1);
    }
    dc_sim_free(sim);
}

/* Site 3's downlink is cut for 2 s (longer than the bridge's 1 s history):
 * afterwards its receiver asks for a keyframe and decodes again within
 * 500 ms; the three receivers that did not lose anything are not
 * disturbed, and the senders get few requests (merged at the bridge). */
static void test_outage_recovery(void)
{
    dc_sim *sim = meeting(5, 5, 12);
    dc_sim_run_for(sim, 5 * S);
    dc_sim_sender before;
    dc_sim_sender_of(sim, 0, &before);
    dc_sim_link cut = {.delay_us = 20000, .loss = 1.0};
    dc_sim_link clean = {.delay_us = 20000, .jitter_us = 2000};
    dc_sim_set_downlink(sim, 3, &cut);
    dc_sim_set_downlink(sim, 4, &cut);
    dc_sim_run_for(sim, 2 * S);
    dc_sim_view cut_view;
    dc_sim_view_of(sim, 3, 0, &cut_view);
    int64_t t_back = dc_sim_now(sim);
    dc_sim_set_downlink(sim, 3, &clean);
    dc_sim_set_downlink(sim, 4, &clean);
    /* The first frame after the cut. */
    int64_t seen = -1;
    for (int i = 0; i < 200 && seen < 0; i++) {
        dc_sim_run_for(sim, 5000);
        dc_sim_view v;
        dc_sim_view_of(sim, 3, 0, &v);
        if (v.frames_decoded > cut_view.frames_decoded) {
            seen = dc_sim_now(sim) - t_back;
        }
    }
    g_test_message("decoding again %" G_GINT64_FORMAT " ms after the link came back", seen / 1000);
    g_assert_cmpint(seen, >=, 0);
    g_assert_cmpint(seen, <, 500000);
    dc_sim_run_for(sim, 5 * S);
    dc_sim_view v3, v1;
    dc_sim_view_of(sim, 3, 0, &v3);
    dc_sim_view_of(sim, 1, 0, &v1);
    g_assert_cmpuint(v3.plis, >=, 1);
    g_assert_cmpuint(v1.plis, ==, 0);
    g_assert_cmpuint(v1.freezes, ==, 0);
    dc_sim_sender after;
    dc_sim_sender_of(sim, 0, &after);
    g_test_message("sender 0 got %" G_GUINT64_FORMAT " keyframe requests for 2 receivers' PLIs",
                   after.keyframe_requests - before.keyframe_requests);
    g_assert_cmpuint(after.keyframe_requests - before.keyframe_requests, <=, 3);
    dc_sim_free(sim);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/keyframe/late-join", test_late_join);
    g_test_add_func("/sim/keyframe/outage-recovery", test_outage_recovery);
    return g_test_run();
}
