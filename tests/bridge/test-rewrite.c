/* Unit tests for bridge/rewrite: continuity of sequence numbers, timestamps
 * and VP8 picture ids across source epochs, from start values 0, 32767 and
 * 65535. */
#include <glib.h>

#include "bridge/rewrite.h"

static const uint16_t starts[] = {0, 32767, 65535};

static void test_first_epoch_keeps_values(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_rewrite w;
        dc_rewrite_init(&w);
        uint16_t seq;
        uint32_t ts;
        g_assert_true(dc_rewrite_map(&w, 1, starts[s], 1000, 90000, 0, &seq, &ts));
        g_assert_cmpuint(seq, ==, starts[s]);
        g_assert_cmpuint(ts, ==, 1000);
        g_assert_false(
            dc_rewrite_map(&w, 1, (uint16_t)(starts[s] + 1), 4000, 90000, 33000, &seq, &ts));
        g_assert_cmpuint(seq, ==, (uint16_t)(starts[s] + 1));
    }
}

static void test_new_epoch_continues(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        for (size_t s2 = 0; s2 < G_N_ELEMENTS(starts); s2++) {
            dc_rewrite w;
            dc_rewrite_init(&w);
            uint16_t seq;
            uint32_t ts;
            for (int i = 0; i < 5; i++)
                dc_rewrite_map(&w, 1, (uint16_t)(starts[s] + i), 0xfffff000u + 3000u * i, 90000,
                               i * 33333, &seq, &ts);
            uint16_t last_seq = seq;
            uint32_t last_ts = ts;
            /* Late packet: mapped, but does not move the reference. */
            dc_rewrite_map(&w, 1, (uint16_t)(starts[s] + 2), 0xfffff000u + 6000u, 90000, 150000,
                           &seq, &ts);
            g_assert_cmpuint(seq, ==, (uint16_t)(last_seq - 2));
            /* Restart 2 s after the last packet with unrelated values. */
            g_assert_true(
                dc_rewrite_map(&w, 2, starts[s2], 777, 90000, 4 * 33333 + 2000000, &seq, &ts));
            g_assert_cmpuint(seq, ==, (uint16_t)(last_seq + 1));
            g_assert_cmpuint(ts, ==, last_ts + 180000u);
            dc_rewrite_map(&w, 2, (uint16_t)(starts[s2] + 1), 777 + 3000, 90000,
                           4 * 33333 + 2033333, &seq, &ts);
            g_assert_cmpuint(seq, ==, (uint16_t)(last_seq + 2));
            g_assert_cmpuint(ts, ==, last_ts + 183000u);
        }
    }
}

static void test_same_time_restart_advances(void)
{
    dc_rewrite w;
    dc_rewrite_init(&w);
    uint16_t seq;
    uint32_t ts;
    dc_rewrite_map(&w, 1, 10, 500, 48000, 1000, &seq, &ts);
    dc_rewrite_map(&w, 2, 9000, 5, 48000, 1000, &seq, &ts);
    g_assert_cmpuint(seq, ==, 11);
    g_assert_cmpuint(ts, ==, 501);
}

static void test_picture_id(void)
{
    dc_rewrite w;
    dc_rewrite_init(&w);
    uint16_t seq;
    uint32_t ts;
    dc_rewrite_map(&w, 1, 1, 0, 90000, 0, &seq, &ts);
    g_assert_cmpuint(dc_rewrite_picture_id(&w, 0x7ffe), ==, 0x7ffe);
    g_assert_cmpuint(dc_rewrite_picture_id(&w, 0x7fff), ==, 0x7fff);
    g_assert_cmpuint(dc_rewrite_picture_id(&w, 0), ==, 0);
    g_assert_cmpuint(dc_rewrite_tl0picidx(&w, 255), ==, 255);
    dc_rewrite_map(&w, 2, 100, 0, 90000, 1000, &seq, &ts);
    g_assert_cmpuint(dc_rewrite_picture_id(&w, 1234), ==, 1);
    g_assert_cmpuint(dc_rewrite_picture_id(&w, 1235), ==, 2);
    g_assert_cmpuint(dc_rewrite_tl0picidx(&w, 7), ==, 0);
    g_assert_cmpuint(dc_rewrite_tl0picidx(&w, 8), ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rewrite/first-epoch-keeps-values", test_first_epoch_keeps_values);
    g_test_add_func("/rewrite/new-epoch-continues", test_new_epoch_continues);
    g_test_add_func("/rewrite/same-time-restart-advances", test_same_time_restart_advances);
    g_test_add_func("/rewrite/picture-id", test_picture_id);
    return g_test_run();
}
