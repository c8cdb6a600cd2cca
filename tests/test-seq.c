/* Unit tests for core/seq: comparison and unwrapping, every case rerun from
 * start values 0, 32767 and 65535. */
#include <glib.h>

#include "core/seq.h"

static const uint16_t starts[] = {0, 32767, 65535};

static void test_delta(void)
{
    static const struct {
        int32_t step;
        int32_t want;
    } cases[] = {{0, 0},         {1, 1},          {-1, -1},         {100, 100},
                 {32767, 32767}, {32768, -32768}, {-32767, -32767}, {65535, -1}};
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            uint16_t a = starts[s];
            uint16_t b = (uint16_t)(a + cases[i].step);
            g_assert_cmpint(dc_seq_delta(a, b), ==, cases[i].want);
            g_assert_true(dc_seq_newer(b, a) == (cases[i].want > 0));
        }
    }
}

static void test_unwrap_forward(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_seq_unwrapper u;
        dc_seq_unwrapper_init(&u);
        int64_t first = dc_seq_unwrap(&u, starts[s]);
        /* Three full wraps in steps of 1000. */
        for (int64_t k = 1; k <= 200; k++) {
            uint16_t seq = (uint16_t)(starts[s] + k * 1000);
            g_assert_cmpint(dc_seq_unwrap(&u, seq), ==, first + k * 1000);
        }
    }
}

static void test_unwrap_reorder(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_seq_unwrapper u;
        dc_seq_unwrapper_init(&u);
        uint16_t a = starts[s];
        int64_t first = dc_seq_unwrap(&u, a);
        g_assert_cmpint(dc_seq_unwrap(&u, (uint16_t)(a + 5)), ==, first + 5);
        /* Late packets map behind the newest without moving it. */
        g_assert_cmpint(dc_seq_unwrap(&u, (uint16_t)(a + 2)), ==, first + 2);
        g_assert_cmpint(dc_seq_unwrap(&u, (uint16_t)(a - 3)), ==, first - 3);
        g_assert_cmpint(dc_seq_unwrap(&u, (uint16_t)(a + 6)), ==, first + 6);
        g_assert_cmpint(first - 3, >=, 0);
    }
}

static void test_ts_unwrap(void)
{
    static const uint32_t ts_starts[] = {0, 0x7fffffff, 0xffffffff, 0xfffff000};
    for (size_t s = 0; s < G_N_ELEMENTS(ts_starts); s++) {
        dc_ts_unwrapper u;
        dc_ts_unwrapper_init(&u);
        int64_t first = dc_ts_unwrap(&u, ts_starts[s]);
        for (int64_t k = 1; k <= 100; k++) {
            uint32_t ts = (uint32_t)(ts_starts[s] + (uint32_t)(k * 90000));
            g_assert_cmpint(dc_ts_unwrap(&u, ts), ==, first + k * 90000);
        }
        g_assert_cmpint(dc_ts_unwrap(&u, (uint32_t)(ts_starts[s] + 100 * 90000 - 3000)), ==,
                        first + 100 * 90000 - 3000);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/seq/delta", test_delta);
    g_test_add_func("/seq/unwrap-forward", test_unwrap_forward);
    g_test_add_func("/seq/unwrap-reorder", test_unwrap_reorder);
    g_test_add_func("/seq/ts-unwrap", test_ts_unwrap);
    return g_test_run();
}
