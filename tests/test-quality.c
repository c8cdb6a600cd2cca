/* Unit tests for core/quality: table-driven scores, levels, MOS and the
 * smoothing. */
#include <string.h>
#include <glib.h>

#include "core/quality.h"

static void test_scores(void)
{
    static const struct {
        const char *name;
        dc_quality_input in;
        double want;
        dc_quality_level level;
    } cases[] = {
        {"audio clean", {false, 0, 1, 2, 0, 0}, 93.128, DC_QUALITY_EXCELLENT},
        {"audio 1% 100ms", {false, 0.01, 10, 100, 0, 0}, 82.884, DC_QUALITY_EXCELLENT},
        {"audio 5% 80ms", {false, 0.05, 5, 80, 0, 0}, 60.333, DC_QUALITY_GOOD},
        {"audio 20%", {false, 0.20, 0, 0, 0, 0}, 29.867, DC_QUALITY_POOR},
        {"audio 50%", {false, 0.50, 0, 0, 0, 0}, 14.033, DC_QUALITY_LOST},
        {"audio 600ms rtt", {false, 0, 50, 600, 0, 0}, 59.103, DC_QUALITY_GOOD},
        {"audio rtt unknown", {false, 0, 0, -1, 0, 0}, 93.2, DC_QUALITY_EXCELLENT},
        {"video clean", {true, 0, 1, 2, 1e6, 1e6}, 99.928, DC_QUALITY_EXCELLENT},
        {"video 3%", {true, 0.03, 0, 0, 0, 0}, 70.0, DC_QUALITY_GOOD},
        {"video 5% 80ms", {true, 0.05, 5, 80, 0, 0}, 48.8, DC_QUALITY_GOOD},
        {"video 7%", {true, 0.07, 0, 0, 0, 0}, 30.0, DC_QUALITY_POOR},
        {"video half rate", {true, 0, 0, 0, 1e6, 5e5}, 86.137, DC_QUALITY_EXCELLENT},
        {"video tenth rate", {true, 0, 0, 0, 1e6, 1e5}, 53.948, DC_QUALITY_GOOD},
        {"video above rate", {true, 0, 0, 0, 1e6, 2e6}, 100.0, DC_QUALITY_EXCELLENT},
        {"video nothing", {true, 0, 0, 0, 1e6, 0}, 0.0, DC_QUALITY_LOST},
        /* Clamped inputs: never outside 0..100. */
        {"loss > 1", {true, 1.5, 0, 0, 0, 0}, 0.0, DC_QUALITY_LOST},
        {"loss < 0", {false, -0.5, 0, 0, 0, 0}, 93.2, DC_QUALITY_EXCELLENT},
        {"negative jitter", {true, 0, -100, -100, 0, 0}, 100.0, DC_QUALITY_EXCELLENT},
        {"huge delay", {false, 0, 1e9, 1e9, 0, 0}, 0.0, DC_QUALITY_LOST},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        double s = dc_quality_score(&cases[i].in);
        g_test_message("%s: %.3f", cases[i].name, s);
        g_assert_cmpfloat_with_epsilon(s, cases[i].want, 0.001);
        g_assert_cmpint(dc_quality_level_of(s), ==, cases[i].level);
    }
}

static void test_levels_and_mos(void)
{
    static const struct {
        double score;
        const char *name;
    } levels[] = {{100, "excellent"}, {80.01, "excellent"}, {80, "good"}, {40.5, "good"},
                  {40, "poor"},       {20.5, "poor"},       {20, "lost"}, {0, "lost"}};
    for (size_t i = 0; i < G_N_ELEMENTS(levels); i++)
        g_assert_cmpstr(dc_quality_level_name(dc_quality_level_of(levels[i].score)), ==,
                        levels[i].name);
    static const struct {
        double r, mos;
    } mos[] = {{-10, 1.0}, {0, 1.0}, {50, 2.575}, {60.333, 3.117}, {93.2, 4.4094}, {120, 4.5}};
    for (size_t i = 0; i < G_N_ELEMENTS(mos); i++)
        g_assert_cmpfloat_with_epsilon(dc_quality_mos(mos[i].r), mos[i].mos, 0.001);
}

/* Falls at 80 % per update, recovers at 20 %. */
static void test_smoothing(void)
{
    dc_quality q;
    dc_quality_init(&q);
    g_assert_cmpfloat(dc_quality_update(&q, 90), ==, 90);
    g_assert_cmpfloat_with_epsilon(dc_quality_update(&q, 10), 26, 1e-9);
    g_assert_cmpfloat_with_epsilon(dc_quality_update(&q, 10), 13.2, 1e-9);
    g_assert_cmpfloat_with_epsilon(dc_quality_update(&q, 90), 28.56, 1e-9);
    /* Ten seconds of clean link to be back above 80 from there. */
    int n = 1;
    while (dc_quality_update(&q, 90) <= 80)
        n++;
    g_assert_cmpint(n, ==, 9);
    g_assert_cmpfloat(dc_quality_update(&q, 1000), <=, 100);
    g_assert_cmpfloat(dc_quality_update(&q, -5), >=, 0);
}

/* A direction scores its worst medium that flowed in the last second. */
static void test_direction(void)
{
    double r = 1000;
    dc_quality_medium idle[2];
    memset(idle, 0, sizeof idle);
    g_assert_cmpfloat(dc_quality_direction_score(idle, 10, &r), ==, 0);
    g_assert_cmpfloat(r, ==, 1000); /* no audio: R untouched */

    dc_quality_medium clean[2] = {{32000, 32000, 0, 2}, {150000, 150000, 0, 2}};
    double good = dc_quality_direction_score(clean, 10, &r);
    g_assert_cmpfloat(good, >, 80);
    g_assert_cmpfloat(r, <, 1000);
    g_assert_cmpfloat(r, >, 90);

    /* 5 % video loss: video is the worst medium and sets the score. */
    dc_quality_medium lossy[2] = {{32000, 32000, 0, 2}, {150000, 150000, 0.05, 2}};
    double r2 = 1000;
    double bad = dc_quality_direction_score(lossy, 10, &r2);
    dc_quality_input vin = {.video = true,
                            .loss = 0.05,
                            .jitter_ms = 2,
                            .rtt_ms = 10,
                            .expected_bps = 150000,
                            .actual_bps = 150000};
    g_assert_cmpfloat_with_epsilon(bad, dc_quality_score(&vin), 1e-9);
    g_assert_cmpfloat(bad, <, good);
    g_assert_cmpfloat_with_epsilon(r2, r, 1e-9); /* audio was clean in both */

    /* Video alone (audio silent this second): only video counts. */
    dc_quality_medium video_only[2] = {{0, 32000, 0.5, 0}, {150000, 150000, 0, 2}};
    double r3 = 1000;
    g_assert_cmpfloat(dc_quality_direction_score(video_only, -1, &r3), >, 80);
    g_assert_cmpfloat(r3, ==, 1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/quality/scores", test_scores);
    g_test_add_func("/quality/levels-and-mos", test_levels_and_mos);
    g_test_add_func("/quality/smoothing", test_smoothing);
    g_test_add_func("/quality/direction", test_direction);
    return g_test_run();
}
