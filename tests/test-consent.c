/* Unit tests for core/consent: the receive-silence watchdog, driven by a
 * hand-advanced clock. */
#include <glib.h>

#include "core/consent.h"

#define S 1000000

static const dc_consent_config cfg = {.stall_us = 2 * S, .retry_us = 5 * S, .expire_us = 30 * S};

static void test_disarmed(void)
{
    dc_consent c;
    dc_consent_init(&c, &cfg);
    g_assert_cmpint(dc_consent_poll(&c, 100 * S), ==, DC_CONSENT_NONE);
    g_assert_cmpint(dc_consent_next_timeout(&c), ==, INT64_MAX);
    g_assert_cmpint(dc_consent_silence_us(&c, 100 * S), ==, 0);
}

/* A steady stream never triggers anything; the deadline follows the last
 * packet. */
static void test_steady(void)
{
    dc_consent c;
    dc_consent_init(&c, &cfg);
    dc_consent_start(&c, 10 * S);
    for (int64_t t = 10 * S; t < 70 * S; t += S / 10) {
        dc_consent_on_receive(&c, t);
        g_assert_cmpint(dc_consent_poll(&c, t), ==, DC_CONSENT_NONE);
        g_assert_cmpint(dc_consent_next_timeout(&c), ==, t + 2 * S);
    }
}

/* A cut: a restart request at 2 s of silence, again every 5 s, expiry at
 * 30 s, once. Table of (time since last packet, expected action). */
static void test_cut_to_expiry(void)
{
    static const struct {
        int64_t at;
        dc_consent_action want;
    } steps[] = {
        {1 * S, DC_CONSENT_NONE},     {2 * S - 1, DC_CONSENT_NONE}, {2 * S, DC_CONSENT_RESTART},
        {3 * S, DC_CONSENT_NONE},     {7 * S - 1, DC_CONSENT_NONE}, {7 * S, DC_CONSENT_RESTART},
        {12 * S, DC_CONSENT_RESTART}, {29 * S, DC_CONSENT_RESTART}, {30 * S - 1, DC_CONSENT_NONE},
        {30 * S, DC_CONSENT_EXPIRED}, {31 * S, DC_CONSENT_NONE},    {100 * S, DC_CONSENT_NONE},
    };
    dc_consent c;
    dc_consent_init(&c, &cfg);
    int64_t t0 = 5 * S;
    dc_consent_start(&c, t0);
    unsigned restarts = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        dc_consent_action a = dc_consent_poll(&c, t0 + steps[i].at);
        g_test_message("t=%" G_GINT64_FORMAT " action %d", steps[i].at, a);
        g_assert_cmpint(a, ==, steps[i].want);
        restarts += a == DC_CONSENT_RESTART;
        if (a != DC_CONSENT_EXPIRED && steps[i].at < 30 * S)
            g_assert_cmpint(dc_consent_next_timeout(&c), >, t0 + steps[i].at);
    }
    g_assert_cmpuint(restarts, ==, 4); /* 2, 7, 12 and 29 s: 17-27 were not polled */
    g_assert_cmpint(dc_consent_next_timeout(&c), ==, INT64_MAX);
}

/* Polling only at the deadlines the tracker gives reaches the same actions
 * (no busy loop, no missed request). */
static void test_deadline_driven(void)
{
    dc_consent c;
    dc_consent_init(&c, &cfg);
    dc_consent_start(&c, 0);
    int64_t now = 0;
    unsigned restarts = 0, expired = 0, polls = 0;
    while (polls < 100) {
        int64_t next = dc_consent_next_timeout(&c);
        if (next == INT64_MAX)
            break;
        g_assert_cmpint(next, >=, now);
        now = next;
        polls++;
        dc_consent_action a = dc_consent_poll(&c, now);
        restarts += a == DC_CONSENT_RESTART;
        expired += a == DC_CONSENT_EXPIRED;
    }
    g_assert_cmpuint(expired, ==, 1);
    g_assert_cmpint(now, ==, 30 * S);
    g_assert_cmpuint(restarts, ==, 6); /* 2, 7, 12, 17, 22, 27 s */
    g_assert_cmpuint(polls, ==, 7);
}

/* Traffic that resumes ends the gap: the next gap asks again at once after
 * 2 s, and the restart count starts over. */
static void test_resume(void)
{
    dc_consent c;
    dc_consent_init(&c, &cfg);
    dc_consent_start(&c, 0);
    g_assert_cmpint(dc_consent_poll(&c, 2 * S), ==, DC_CONSENT_RESTART);
    g_assert_cmpuint(dc_consent_restarts(&c), ==, 1);
    dc_consent_on_receive(&c, 3 * S);
    g_assert_cmpuint(dc_consent_restarts(&c), ==, 0);
    g_assert_cmpint(dc_consent_silence_us(&c, 4 * S), ==, S);
    g_assert_cmpint(dc_consent_poll(&c, 4 * S), ==, DC_CONSENT_NONE);
    g_assert_cmpint(dc_consent_next_timeout(&c), ==, 5 * S);
    g_assert_cmpint(dc_consent_poll(&c, 5 * S), ==, DC_CONSENT_RESTART);
    /* stop disarms; start re-arms from the new time, even after expiry */
    g_assert_cmpint(dc_consent_poll(&c, 40 * S), ==, DC_CONSENT_EXPIRED);
    dc_consent_stop(&c);
    g_assert_cmpint(dc_consent_poll(&c, 80 * S), ==, DC_CONSENT_NONE);
    dc_consent_start(&c, 80 * S);
    g_assert_cmpint(dc_consent_poll(&c, 81 * S), ==, DC_CONSENT_NONE);
    g_assert_cmpint(dc_consent_poll(&c, 82 * S), ==, DC_CONSENT_RESTART);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consent/disarmed", test_disarmed);
    g_test_add_func("/consent/steady", test_steady);
    g_test_add_func("/consent/cut-to-expiry", test_cut_to_expiry);
    g_test_add_func("/consent/deadline-driven", test_deadline_driven);
    g_test_add_func("/consent/resume", test_resume);
    return g_test_run();
}
