/* Unit tests for signaling/auth: checks run off the main loop and answer
 * through it; a verified secret is cached; wrong ones are counted per
 * address and slowed (short delays here); cancelled checks never call back;
 * freeing with checks under way leaks nothing. */
#include <glib.h>
#include <string.h>

#include "signaling/auth.h"

#define WAIT_MS 5000

typedef struct {
    int calls;
    bool ok;
} answer;

static void on_done(void *user, bool ok)
{
    answer *a = user;
    a->calls++;
    a->ok = ok;
}

static gboolean tick_cb(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

/* Iterates the default context until @a has its answer (bounded). */
static void wait_answer(answer *a)
{
    int64_t deadline = g_get_monotonic_time() + WAIT_MS * 1000;
    guint tick = g_timeout_add(10, tick_cb, NULL);
    while (a->calls == 0 && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(tick);
    g_assert_cmpint(a->calls, ==, 1);
}

/* Iterates until no check is under way (bounded). */
static void wait_idle(dc_auth *auth)
{
    int64_t deadline = g_get_monotonic_time() + WAIT_MS * 1000;
    guint tick = g_timeout_add(10, tick_cb, NULL);
    while (dc_auth_pending(auth) > 0 && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(tick);
    g_assert_cmpuint(dc_auth_pending(auth), ==, 0);
}

static dc_credential *stored(const char *secret)
{
    g_autofree char *h = dc_credential_hash(secret, DC_CREDENTIAL_N_MIN, NULL);
    return dc_credential_parse(h, NULL);
}

static void test_cache(void)
{
    dc_auth *auth = dc_auth_new(NULL);
    g_autoptr(dc_credential) a = stored("canloc-secret-02");
    g_autoptr(dc_credential) b = stored("ductho-secret-03");

    answer r1 = {0};
    dc_auth_job *job = NULL;
    g_assert_cmpint(
        dc_auth_check(auth, a, "canloc-secret-02", "site can-loc", "127.0.0.1", on_done, &r1, &job),
        ==, DC_AUTH_PENDING);
    g_assert_nonnull(job);
    g_assert_cmpuint(dc_auth_pending(auth), ==, 1);
    wait_answer(&r1);
    g_assert_true(r1.ok);
    g_assert_cmpuint(dc_auth_pending(auth), ==, 0);

    /* Known now: at once, from any address, without a callback. */
    answer r2 = {0};
    g_assert_cmpint(
        dc_auth_check(auth, a, "canloc-secret-02", "site can-loc", "10.9.9.9", on_done, &r2, &job),
        ==, DC_AUTH_OK);
    g_assert_null(job);
    /* The same secret against another stored credential is not known. */
    answer r3 = {0};
    g_assert_cmpint(
        dc_auth_check(auth, b, "canloc-secret-02", "site duc-tho", "127.0.0.1", on_done, &r3, NULL),
        ==, DC_AUTH_PENDING);
    wait_answer(&r3);
    g_assert_false(r3.ok);
    /* A wrong secret is never cached as right. */
    answer r4 = {0};
    g_assert_cmpint(
        dc_auth_check(auth, a, "canloc-secret-03", "site can-loc", "127.0.0.1", on_done, &r4, NULL),
        ==, DC_AUTH_PENDING);
    wait_answer(&r4);
    g_assert_false(r4.ok);
    /* Nothing stored, nothing given: refused at once. */
    g_assert_cmpint(dc_auth_check(auth, NULL, "x", "technician", "127.0.0.1", on_done, &r4, NULL),
                    ==, DC_AUTH_WRONG);
    g_assert_cmpint(dc_auth_check(auth, a, NULL, "site can-loc", "127.0.0.1", on_done, &r4, NULL),
                    ==, DC_AUTH_WRONG);
    g_assert_cmpint(dc_auth_check(auth, a, "", "site can-loc", "127.0.0.1", on_done, &r4, NULL), ==,
                    DC_AUTH_WRONG);
    g_assert_cmpint(r2.calls + r4.calls, ==, 1);
    dc_auth_free(auth);
}

/* Two free failures, then 100 ms doubling: a third attempt from the same
 * address waits, even with the right secret (accepted after the wait); the
 * same address with a cached secret, and other addresses, do not. */
static void test_throttle(void)
{
    dc_throttle_params p = dc_throttle_defaults();
    p.free_failures = 2;
    p.first_delay_us = 100 * 1000;
    dc_auth *auth = dc_auth_new(&p);
    g_autoptr(dc_credential) a = stored("tinh-secret-0001");
    g_autoptr(dc_credential) b = stored("canloc-secret-02");

    answer warm = {0};
    dc_auth_check(auth, b, "canloc-secret-02", "site can-loc", "192.0.2.9", on_done, &warm, NULL);
    wait_answer(&warm);
    /* Logged once, on the failure that starts slowing the address. */
    g_test_expect_message("dc-auth", G_LOG_LEVEL_WARNING,
                          "2 wrong credentials from 192.0.2.9 in * s (the last for site tinh)*");
    for (int i = 0; i < 2; i++) {
        answer r = {0};
        dc_auth_check(auth, a, "guess-guess", "site tinh", "192.0.2.9", on_done, &r, NULL);
        wait_answer(&r);
        g_assert_false(r.ok);
    }
    int64_t t0 = g_get_monotonic_time();
    answer slow = {0};
    g_assert_cmpint(
        dc_auth_check(auth, a, "tinh-secret-0001", "site tinh", "192.0.2.9", on_done, &slow, NULL),
        ==, DC_AUTH_PENDING);
    wait_answer(&slow);
    g_assert_true(slow.ok);
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 100 * 1000);
    g_test_assert_expected_messages();
    /* Cached secrets are not slowed; another address is not either. */
    g_assert_cmpint(dc_auth_check(auth, b, "canloc-secret-02", "site can-loc", "192.0.2.9", on_done,
                                  &warm, NULL),
                    ==, DC_AUTH_OK);
    g_autoptr(dc_credential) c = stored("ductho-secret-03");
    t0 = g_get_monotonic_time();
    answer other = {0};
    dc_auth_check(auth, c, "ductho-secret-03", "site duc-tho", "192.0.2.10", on_done, &other, NULL);
    wait_answer(&other);
    g_assert_true(other.ok);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 100 * 1000);
    dc_auth_free(auth);
}

/* A cancelled check never calls back; freeing the checker with checks
 * waiting on the throttle or on a worker leaks nothing (ASan). */
static void test_cancel_and_free(void)
{
    dc_throttle_params p = dc_throttle_defaults();
    p.free_failures = 1;
    p.first_delay_us = 60 * 1000 * 1000;
    dc_auth *auth = dc_auth_new(&p);
    g_autoptr(dc_credential) a = stored("tinh-secret-0001");
    answer r = {0};
    g_test_expect_message("dc-auth", G_LOG_LEVEL_WARNING, "1 wrong credentials from 203.0.113.1*");
    dc_auth_check(auth, a, "wrong-wrong", "site tinh", "203.0.113.1", on_done, &r, NULL);
    wait_answer(&r);
    g_test_assert_expected_messages();

    answer never = {0};
    dc_auth_job *waiting = NULL, *working = NULL;
    g_assert_cmpint(dc_auth_check(auth, a, "tinh-secret-0001", "site tinh", "203.0.113.1", on_done,
                                  &never, &waiting),
                    ==, DC_AUTH_PENDING);
    dc_auth_cancel(auth, waiting);
    g_assert_cmpint(dc_auth_check(auth, a, "tinh-secret-0001", "site tinh", "203.0.113.2", on_done,
                                  &never, &working),
                    ==, DC_AUTH_PENDING);
    dc_auth_cancel(auth, working);
    wait_idle(auth); /* the cancelled one on the worker finished silently */
    g_assert_cmpint(never.calls, ==, 0);

    /* Cached by the cancelled check: known at once. */
    g_assert_cmpint(dc_auth_check(auth, a, "tinh-secret-0001", "site tinh", "203.0.113.1", on_done,
                                  &never, NULL),
                    ==, DC_AUTH_OK);
    /* Freed with one waiting (60 s) and several on workers. */
    dc_auth_check(auth, a, "guess-again", "site tinh", "203.0.113.1", on_done, &never, NULL);
    for (int i = 0; i < 6; i++) {
        dc_auth_check(auth, a, "another-guess", "site tinh", "203.0.113.4", on_done, &never, NULL);
    }
    g_assert_cmpuint(dc_auth_pending(auth), ==, 7);
    dc_auth_free(auth);
    g_assert_cmpint(never.calls, ==, 0);
}

static void test_address_key(void)
{
    static const struct {
        const char *in, *key;
    } cases[] = {
        {"10.0.0.5", "10.0.0.5"},
        {"::ffff:10.0.0.5", "10.0.0.5"},
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
        {"2001:db8:1:2::99", "2001:db8:1:2::/64"},
        {"::1", "::/64"},
        {"not an address", "not an address"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *k = dc_auth_address_key(cases[i].in);
        g_assert_cmpstr(k, ==, cases[i].key);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/auth/cache", test_cache);
    g_test_add_func("/auth/throttle", test_throttle);
    g_test_add_func("/auth/cancel-and-free", test_cancel_and_free);
    g_test_add_func("/auth/address-key", test_address_key);
    return g_test_run();
}
