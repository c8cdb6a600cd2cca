/* Tests of bench/load-rx: sequence continuity (loss, repair, duplicates,
 * wrap) from start values 0, 32767 and 65535, and the latency histogram. */
#include <glib.h>

#include "bench/load-rx.h"

static const uint16_t starts[] = {0, 32767, 65535};

typedef struct {
    const char *name;
    int offsets[16]; /* seq = start + offset, in arrival order; -1000 ends */
    uint64_t received, missing, repaired, duplicates, expected;
} seq_case;

static const seq_case cases[] = {
    {"in order", {0, 1, 2, 3, 4, -1000}, 5, 0, 0, 0, 5},
    {"one lost", {0, 1, 3, 4, -1000}, 4, 1, 0, 0, 5},
    {"lost then repaired", {0, 1, 3, 4, 2, -1000}, 5, 0, 1, 0, 5},
    {"reordered", {0, 2, 1, 3, -1000}, 4, 0, 1, 0, 4},
    {"duplicate", {0, 1, 1, 2, -1000}, 3, 0, 0, 1, 3},
    {"burst lost", {0, 10, -1000}, 2, 9, 0, 0, 11},
    {"older than first ignored", {5, 4, 6, -1000}, 2, 0, 0, 0, 2},
};

static void test_seq(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
            const seq_case *k = &cases[c];
            dc_load_seq q = {0};
            for (int i = 0; k->offsets[i] != -1000; i++)
                dc_load_seq_push(&q, (uint16_t)(starts[s] + k->offsets[i]));
            g_test_message("%s from %u", k->name, starts[s]);
            g_assert_cmpuint(q.received, ==, k->received);
            g_assert_cmpuint(q.missing, ==, k->missing);
            g_assert_cmpuint(q.repaired, ==, k->repaired);
            g_assert_cmpuint(q.duplicates, ==, k->duplicates);
            g_assert_cmpuint(dc_load_seq_expected(&q), ==, k->expected);
        }
    }
}

static void test_seq_long_run(void)
{
    /* 200,000 packets (three wraps), every 100th lost, every 1000th of
     * those repaired 50 packets later. */
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_load_seq q = {0};
        for (int i = 0; i < 200000; i++) {
            if (i % 100 == 7)
                continue;
            dc_load_seq_push(&q, (uint16_t)(starts[s] + i));
            if (i >= 50 && (i - 50) % 1000 == 7)
                dc_load_seq_push(&q, (uint16_t)(starts[s] + i - 50));
        }
        g_assert_cmpuint(dc_load_seq_expected(&q), ==, 200000);
        g_assert_cmpuint(q.repaired, ==, 200);
        g_assert_cmpuint(q.missing, ==, 2000 - 200);
        g_assert_cmpuint(q.received, ==, 200000 - 2000 + 200);
    }
}

static void test_hist(void)
{
    static dc_load_hist h;
    for (int i = 1; i <= 1000; i++)
        dc_load_hist_add(&h, i * 10); /* 10 us .. 10 ms */
    g_assert_cmpuint(h.n, ==, 1000);
    g_assert_cmpfloat_with_epsilon(dc_load_hist_quantile(&h, 0.5), 5010, 20);
    g_assert_cmpfloat_with_epsilon(dc_load_hist_quantile(&h, 0.99), 9910, 20);
    dc_load_hist_add(&h, 10 * 1000 * 1000); /* 10 s: the overflow bucket */
    g_assert_cmpint(h.max_us, ==, 10 * 1000 * 1000);
    static dc_load_hist e;
    g_assert_cmpfloat(dc_load_hist_quantile(&e, 0.5), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/load-rx/seq", test_seq);
    g_test_add_func("/load-rx/seq-long-run", test_seq_long_run);
    g_test_add_func("/load-rx/hist", test_hist);
    return g_test_run();
}
