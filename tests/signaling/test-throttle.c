/* Unit tests for signaling/throttle, sans-IO: a hand-advanced clock, never
 * sleeping. */
#include <glib.h>

#include "signaling/throttle.h"

#define S G_USEC_PER_SEC
#define T0 (1000 * S) /* any origin */

/* Five wrong ones are free; then 1, 2, 4, 8, 16, 30, 30 s; logged once. */
static void test_delays_double_to_cap(void)
{
    dc_throttle *t = dc_throttle_new(NULL);
    int64_t now = T0;
    unsigned logs = 0, failures = 0;
    int64_t span = -1;
    for (int i = 0; i < 5; i++) {
        g_assert_cmpint(dc_throttle_delay(t, "10.0.0.5", now), ==, 0);
        logs += dc_throttle_failed(t, "10.0.0.5", now, &failures, &span);
        now += S / 10;
    }
    g_assert_cmpuint(logs, ==, 1); /* the fifth starts slowing */
    g_assert_cmpuint(failures, ==, 5);
    g_assert_cmpint(span, ==, 4 * S / 10);
    static const int64_t want[] = {1, 2, 4, 8, 16, 30, 30, 30};
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        int64_t d = dc_throttle_delay(t, "10.0.0.5", now);
        g_assert_cmpint(d, ==, want[i] * S);
        now += d; /* the attempt waits, then fails again */
        g_assert_false(dc_throttle_failed(t, "10.0.0.5", now, &failures, NULL));
        g_assert_cmpuint(failures, ==, 6 + i);
    }
    /* Another address is not affected. */
    g_assert_cmpint(dc_throttle_delay(t, "10.0.0.6", now), ==, 0);
    g_assert_cmpuint(dc_throttle_failures(t, "10.0.0.6", now), ==, 0);
    g_assert_cmpuint(dc_throttle_size(t), ==, 1);
    dc_throttle_free(t);
}

/* A burst ends a window after its last wrong credential: the count starts
 * again from zero and is logged again when it reaches the threshold. */
static void test_burst_ends(void)
{
    dc_throttle *t = dc_throttle_new(NULL);
    int64_t now = T0;
    for (int i = 0; i < 7; i++) {
        dc_throttle_failed(t, "192.0.2.1", now, NULL, NULL);
    }
    g_assert_cmpint(dc_throttle_delay(t, "192.0.2.1", now), ==, 4 * S);
    /* Just inside the window: still slow. */
    now += 60 * S - 1;
    g_assert_cmpint(dc_throttle_delay(t, "192.0.2.1", now), ==, 4 * S);
    now += 1;
    g_assert_cmpint(dc_throttle_delay(t, "192.0.2.1", now), ==, 0);
    g_assert_cmpuint(dc_throttle_failures(t, "192.0.2.1", now), ==, 0);
    g_assert_cmpuint(dc_throttle_size(t), ==, 0);
    unsigned logs = 0;
    for (int i = 0; i < 6; i++) {
        logs += dc_throttle_failed(t, "192.0.2.1", now + i, NULL, NULL);
    }
    g_assert_cmpuint(logs, ==, 1);
    dc_throttle_free(t);
}

/* A wrong credential every 50 s keeps one burst going: slow attackers stay
 * slowed. */
static void test_slow_attacker_stays_slowed(void)
{
    dc_throttle *t = dc_throttle_new(NULL);
    int64_t now = T0;
    for (int i = 0; i < 20; i++) {
        now += 50 * S;
        dc_throttle_failed(t, "198.51.100.7", now, NULL, NULL);
    }
    g_assert_cmpuint(dc_throttle_failures(t, "198.51.100.7", now), ==, 20);
    g_assert_cmpint(dc_throttle_delay(t, "198.51.100.7", now), ==, 30 * S);
    dc_throttle_free(t);
}

/* The table never holds more than max_addresses: ended bursts go first,
 * then the address whose last failure is oldest. */
static void test_bounded_table(void)
{
    dc_throttle_params p = dc_throttle_defaults();
    p.max_addresses = 4;
    dc_throttle *t = dc_throttle_new(&p);
    int64_t now = T0;
    for (int i = 0; i < 6; i++) {
        dc_throttle_failed(t, "10.1.1.1", now, NULL, NULL); /* the attacker */
    }
    for (int i = 0; i < 100; i++) {
        g_autofree char *a = g_strdup_printf("10.2.%d.%d", i / 250, i % 250);
        now += S / 100;
        dc_throttle_failed(t, a, now, NULL, NULL);
        g_assert_cmpuint(dc_throttle_size(t), <=, 4);
    }
    /* The oldest (the attacker's) was dropped; the newest are kept. */
    g_assert_cmpuint(dc_throttle_failures(t, "10.1.1.1", now), ==, 0);
    g_assert_cmpuint(dc_throttle_failures(t, "10.2.0.99", now), ==, 1);
    g_assert_cmpuint(dc_throttle_failures(t, "10.2.0.96", now), ==, 1);
    g_assert_cmpuint(dc_throttle_failures(t, "10.2.0.95", now), ==, 0);
    /* Ended bursts make room before a live one is dropped. */
    now += 61 * S;
    dc_throttle_failed(t, "10.3.0.1", now, NULL, NULL);
    g_assert_cmpuint(dc_throttle_size(t), ==, 1);
    dc_throttle_free(t);
}

/* Other parameters: three free, 100 ms doubling to 250 ms. */
static void test_params(void)
{
    dc_throttle_params p = {
        .free_failures = 3,
        .window_us = 10 * S,
        .first_delay_us = S / 10,
        .max_delay_us = S / 4,
        .max_addresses = 16,
    };
    dc_throttle *t = dc_throttle_new(&p);
    int64_t now = T0;
    bool logged = false;
    for (int i = 0; i < 3; i++) {
        logged = dc_throttle_failed(t, "2001:db8::/64", now, NULL, NULL);
    }
    g_assert_true(logged);
    g_assert_cmpint(dc_throttle_delay(t, "2001:db8::/64", now), ==, S / 10);
    dc_throttle_failed(t, "2001:db8::/64", now, NULL, NULL);
    g_assert_cmpint(dc_throttle_delay(t, "2001:db8::/64", now), ==, S / 5);
    dc_throttle_failed(t, "2001:db8::/64", now, NULL, NULL);
    g_assert_cmpint(dc_throttle_delay(t, "2001:db8::/64", now), ==, S / 4);
    g_assert_cmpint(dc_throttle_delay(t, NULL, now), ==, 0);
    g_assert_false(dc_throttle_failed(t, NULL, now, NULL, NULL));
    dc_throttle_free(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/throttle/delays-double-to-cap", test_delays_double_to_cap);
    g_test_add_func("/throttle/burst-ends", test_burst_ends);
    g_test_add_func("/throttle/slow-attacker-stays-slowed", test_slow_attacker_stays_slowed);
    g_test_add_func("/throttle/bounded-table", test_bounded_table);
    g_test_add_func("/throttle/params", test_params);
    return g_test_run();
}
