/* Unit tests for signaling/conn-limits on a hand-advanced clock: the caps
 * per address and in total, header deadlines (first request, keep-alive,
 * read in time), and the refusal log's one line per burst with a count. */
#include <glib.h>

#include "signaling/conn-limits.h"

#define S G_USEC_PER_SEC

static const dc_conn_limits_params params = {
    .max_per_address = 3,
    .max_total = 5,
    .header_timeout_us = 10 * S,
    .log_interval_us = 10 * S,
};

/* Handles are never dereferenced: small integers will do. */
#define H(n) GUINT_TO_POINTER(n)

static void test_caps(void)
{
    dc_conn_limits *l = dc_conn_limits_new(&params);
    bool log = false;
    unsigned suppressed = 99;
    for (unsigned i = 1; i <= 3; i++) {
        g_assert_cmpint(dc_conn_limits_open(l, H(i), "10.0.0.5", 0, &log, &suppressed), ==,
                        DC_CONN_OK);
        g_assert_false(log);
    }
    /* Opening the same handle twice counts it once. */
    g_assert_cmpint(dc_conn_limits_open(l, H(1), "10.0.0.5", 0, NULL, NULL), ==, DC_CONN_OK);
    g_assert_cmpuint(dc_conn_limits_count(l, "10.0.0.5"), ==, 3);
    g_assert_cmpint(dc_conn_limits_open(l, H(4), "10.0.0.5", 0, &log, &suppressed), ==,
                    DC_CONN_REFUSE_ADDRESS);
    g_assert_true(log);
    g_assert_cmpuint(suppressed, ==, 0);
    g_assert_cmpint(dc_conn_limits_open(l, H(5), "10.0.0.5", S, &log, &suppressed), ==,
                    DC_CONN_REFUSE_ADDRESS);
    g_assert_false(log);
    /* Another address is not affected, up to the total. */
    g_assert_cmpint(dc_conn_limits_open(l, H(6), "10.0.0.6", S, NULL, NULL), ==, DC_CONN_OK);
    g_assert_cmpint(dc_conn_limits_open(l, H(7), "2001:db8::/64", S, NULL, NULL), ==, DC_CONN_OK);
    g_assert_cmpuint(dc_conn_limits_total(l), ==, 5);
    g_assert_cmpint(dc_conn_limits_open(l, H(8), "10.0.0.7", S, &log, &suppressed), ==,
                    DC_CONN_REFUSE_TOTAL);
    g_assert_true(log);
    /* A closed connection frees its slot at once, for anyone. */
    dc_conn_limits_close(l, H(2));
    dc_conn_limits_close(l, H(2)); /* twice: ignored */
    g_assert_cmpuint(dc_conn_limits_count(l, "10.0.0.5"), ==, 2);
    g_assert_cmpint(dc_conn_limits_open(l, H(8), "10.0.0.7", S, NULL, NULL), ==, DC_CONN_OK);
    for (unsigned i = 1; i <= 8; i++) {
        dc_conn_limits_close(l, H(i));
    }
    g_assert_cmpuint(dc_conn_limits_total(l), ==, 0);
    /* 10.0.0.5 keeps its unreported refusal until the summary. */
    const char *key = NULL;
    g_assert_false(dc_conn_limits_log_due(l, 5 * S, &key, &suppressed));
    g_assert_true(dc_conn_limits_log_due(l, 10 * S, &key, &suppressed));
    g_assert_cmpstr(key, ==, "10.0.0.5");
    g_assert_cmpuint(suppressed, ==, 1);
    g_assert_false(dc_conn_limits_log_due(l, 10 * S, &key, &suppressed));
    g_assert_cmpuint(dc_conn_limits_keys(l), ==, 0);
    dc_conn_limits_free(l);
}

/* The header deadline: from each request start to its read. */
static void test_deadlines(void)
{
    dc_conn_limits *l = dc_conn_limits_new(&params);
    g_assert_cmpint(dc_conn_limits_next_timeout(l), ==, -1);
    dc_conn_limits_open(l, H(1), "a", 0, NULL, NULL);
    dc_conn_limits_request_started(l, H(1), 0);
    dc_conn_limits_open(l, H(2), "b", S, NULL, NULL);
    dc_conn_limits_request_started(l, H(2), S);
    dc_conn_limits_open(l, H(3), "c", 2 * S, NULL, NULL);
    dc_conn_limits_request_started(l, H(3), 2 * S);
    dc_conn_limits_request_started(l, H(9), 2 * S); /* unknown: ignored */
    g_assert_cmpint(dc_conn_limits_next_timeout(l), ==, 10 * S);

    /* 2 reads its request in time; then it idles on keep-alive. */
    dc_conn_limits_request_read(l, H(2));
    g_assert_null(dc_conn_limits_expired(l, 10 * S - 1));
    g_assert_true(dc_conn_limits_expired(l, 10 * S) == H(1));
    g_assert_null(dc_conn_limits_expired(l, 10 * S));
    g_assert_cmpint(dc_conn_limits_next_timeout(l), ==, 12 * S);
    dc_conn_limits_request_started(l, H(2), 11 * S); /* its next request */
    g_assert_true(dc_conn_limits_expired(l, 12 * S) == H(3));
    g_assert_cmpint(dc_conn_limits_next_timeout(l), ==, 21 * S);
    /* Expired connections stay counted until they are closed. */
    g_assert_cmpuint(dc_conn_limits_total(l), ==, 3);
    dc_conn_limits_close(l, H(1));
    dc_conn_limits_close(l, H(3));
    /* Closing one with a running deadline removes the deadline. */
    dc_conn_limits_close(l, H(2));
    g_assert_cmpint(dc_conn_limits_next_timeout(l), ==, -1);
    g_assert_null(dc_conn_limits_expired(l, 100 * S));
    g_assert_cmpuint(dc_conn_limits_keys(l), ==, 0);
    dc_conn_limits_free(l);
}

/* 500 half-open connections from 500 addresses, the cap well above: every
 * one expires at its own deadline, in order, and every slot comes back. */
static void test_half_open_burst(void)
{
    dc_conn_limits_params p = params;
    p.max_total = 1000;
    dc_conn_limits *l = dc_conn_limits_new(&p);
    for (unsigned i = 1; i <= 500; i++) {
        g_autofree char *key = g_strdup_printf("10.1.%u.%u", i / 256, i % 256);
        int64_t t = (int64_t)i * 1000;
        g_assert_cmpint(dc_conn_limits_open(l, H(i), key, t, NULL, NULL), ==, DC_CONN_OK);
        dc_conn_limits_request_started(l, H(i), t);
    }
    unsigned expired = 0;
    int64_t now;
    while ((now = dc_conn_limits_next_timeout(l)) >= 0) {
        const void *h;
        while ((h = dc_conn_limits_expired(l, now))) {
            expired++;
            g_assert_cmpint(now, ==, 10 * S + (int64_t)GPOINTER_TO_UINT(h) * 1000);
            dc_conn_limits_close(l, h);
        }
    }
    g_assert_cmpuint(expired, ==, 500);
    g_assert_cmpuint(dc_conn_limits_total(l), ==, 0);
    g_assert_cmpuint(dc_conn_limits_keys(l), ==, 0);
    dc_conn_limits_free(l);
}

/* A burst of refusals: one line at its start, then one summary per
 * interval with the count; a new burst after a quiet interval is logged at
 * once again. The total cap has its own line. */
static void test_refusal_log(void)
{
    dc_conn_limits_params p = params;
    p.max_per_address = 1;
    p.max_total = 2;
    dc_conn_limits *l = dc_conn_limits_new(&p);
    dc_conn_limits_open(l, H(1), "a", 0, NULL, NULL);
    bool log;
    unsigned suppressed, lines = 0;
    for (unsigned i = 0; i < 100; i++) {
        g_assert_cmpint(
            dc_conn_limits_open(l, H(100 + i), "a", (int64_t)i * S / 10, &log, &suppressed), ==,
            DC_CONN_REFUSE_ADDRESS);
        lines += log;
    }
    g_assert_cmpuint(lines, ==, 1);
    g_assert_cmpint(dc_conn_limits_next_timeout(l), ==, 10 * S);
    const char *key;
    g_assert_true(dc_conn_limits_log_due(l, 10 * S, &key, &suppressed));
    g_assert_cmpstr(key, ==, "a");
    g_assert_cmpuint(suppressed, ==, 99);
    g_assert_false(dc_conn_limits_log_due(l, 10 * S, &key, &suppressed));
    g_assert_cmpint(dc_conn_limits_next_timeout(l), ==, -1);
    /* Quiet for an interval: the next refusal is logged at once. */
    g_assert_cmpint(dc_conn_limits_open(l, H(300), "a", 25 * S, &log, &suppressed), ==,
                    DC_CONN_REFUSE_ADDRESS);
    g_assert_true(log);
    g_assert_cmpuint(suppressed, ==, 0);

    dc_conn_limits_open(l, H(2), "b", 25 * S, NULL, NULL);
    g_assert_cmpint(dc_conn_limits_open(l, H(3), "c", 25 * S, &log, &suppressed), ==,
                    DC_CONN_REFUSE_TOTAL);
    g_assert_true(log);
    g_assert_cmpint(dc_conn_limits_open(l, H(4), "d", 26 * S, &log, &suppressed), ==,
                    DC_CONN_REFUSE_TOTAL);
    g_assert_false(log);
    g_assert_true(dc_conn_limits_log_due(l, 35 * S, &key, &suppressed));
    g_assert_null(key);
    g_assert_cmpuint(suppressed, ==, 1);
    g_assert_false(dc_conn_limits_log_due(l, 35 * S, &key, &suppressed));
    dc_conn_limits_free(l);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conn-limits/caps", test_caps);
    g_test_add_func("/conn-limits/deadlines", test_deadlines);
    g_test_add_func("/conn-limits/half-open-burst", test_half_open_burst);
    g_test_add_func("/conn-limits/refusal-log", test_refusal_log);
    return g_test_run();
}
