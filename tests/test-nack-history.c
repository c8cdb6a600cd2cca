/* Unit tests for core/nack-history: put/get, age expiry on a hand-advanced
 * clock, count eviction, wrap-around, sender restarts and the resend budget.
 * Every sequence case runs from start values 0, 32767 and 65535. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/nack-history.h"

static const uint16_t starts[] = {0, 32767, 65535};

#define MS 1000 /* microseconds */

/* A recognisable packet: 12 bytes carrying the 16-bit seq and a run tag. */
static size_t make_packet(uint8_t *buf, uint16_t seq, uint8_t tag)
{
    memset(buf, 0, 12);
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[11] = tag;
    return 12;
}

static void put_ok(dc_nack_history *h, uint16_t seq, int64_t now, uint8_t tag)
{
    uint8_t pkt[12];
    size_t n = make_packet(pkt, seq, tag);
    g_assert_cmpint(dc_nack_history_put(h, seq, now, pkt, n), ==, 0);
}

/* Asserts that get(seq) returns the packet put with that tag. */
static void get_ok(dc_nack_history *h, uint16_t seq, int64_t now, uint8_t tag)
{
    const uint8_t *buf = NULL;
    size_t len = 0;
    g_assert_cmpint(dc_nack_history_get(h, seq, now, &buf, &len), ==, 0);
    uint8_t want[12];
    make_packet(want, seq, tag);
    g_assert_cmpmem(buf, len, want, sizeof(want));
}

static void get_none(dc_nack_history *h, uint16_t seq, int64_t now)
{
    const uint8_t *buf = NULL;
    size_t len = 0;
    g_assert_cmpint(dc_nack_history_get(h, seq, now, &buf, &len), ==, -ENOENT);
}

static void test_new_bad_args(void)
{
    static const struct {
        size_t n;
        int64_t age;
        gboolean ok;
    } cases[] = {
        {0, 1000 * MS, FALSE},     {3, 1000 * MS, FALSE},  {1000, 1000 * MS, FALSE},
        {32768, 1000 * MS, FALSE}, {512, 0, FALSE},        {512, -1, FALSE},
        {1, 1000 * MS, TRUE},      {512, 2000 * MS, TRUE}, {1024, 1000 * MS, TRUE},
        {16384, 1 * MS, TRUE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dc_nack_history *h = dc_nack_history_new(cases[i].n, cases[i].age);
        g_assert_true((h != NULL) == cases[i].ok);
        if (h)
            g_assert_cmpuint(dc_nack_history_capacity(h), ==, cases[i].n);
        dc_nack_history_free(h);
    }
}

static void test_put_get(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_nack_history *h = dc_nack_history_new(512, 1000 * MS);
        uint16_t a = starts[s];
        get_none(h, a, 0); /* empty */
        for (int i = 0; i < 300; i++)
            put_ok(h, (uint16_t)(a + i), i * MS, 1);
        int64_t now = 300 * MS;
        for (int i = 0; i < 300; i++)
            get_ok(h, (uint16_t)(a + i), now, 1);
        get_none(h, (uint16_t)(a + 300), now); /* not sent yet */
        get_none(h, (uint16_t)(a - 1), now);   /* before the first */
        get_none(h, (uint16_t)(a + 32768), now);
        /* A gap: what was skipped is not there, what follows is. */
        put_ok(h, (uint16_t)(a + 310), now, 2);
        get_none(h, (uint16_t)(a + 305), now);
        get_ok(h, (uint16_t)(a + 310), now, 2);
        get_ok(h, (uint16_t)(a + 299), now, 1);
        dc_nack_history_free(h);
    }
}

static void test_sizes(void)
{
    dc_nack_history *h = dc_nack_history_new(16, 1000 * MS);
    static uint8_t big[DC_NACK_HISTORY_MAX_PACKET + 1];
    memset(big, 0xab, sizeof(big));
    g_assert_cmpint(dc_nack_history_put(h, 1, 0, big, sizeof(big)), ==, -EMSGSIZE);
    get_none(h, 1, 0);
    g_assert_cmpint(dc_nack_history_put(h, 1, 0, big, DC_NACK_HISTORY_MAX_PACKET), ==, 0);
    g_assert_cmpint(dc_nack_history_put(h, 2, 0, NULL, 0), ==, 0);
    g_assert_cmpint(dc_nack_history_put(h, 3, 0, NULL, 5), ==, -EINVAL);
    const uint8_t *buf;
    size_t len;
    g_assert_cmpint(dc_nack_history_get(h, 1, 0, &buf, &len), ==, 0);
    g_assert_cmpmem(buf, len, big, DC_NACK_HISTORY_MAX_PACKET);
    g_assert_cmpint(dc_nack_history_get(h, 2, 0, &buf, &len), ==, 0);
    g_assert_cmpuint(len, ==, 0);
    dc_nack_history_free(h);
}

static void test_age_expiry(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_nack_history *h = dc_nack_history_new(1024, 1000 * MS);
        uint16_t a = starts[s];
        /* One packet every 20 ms for 2 s. */
        int64_t now = 5000 * MS;
        for (int i = 0; i < 100; i++)
            put_ok(h, (uint16_t)(a + i), now + i * 20 * MS, 1);
        now += 99 * 20 * MS; /* the time of the last put */
        for (int i = 0; i < 100; i++) {
            int64_t age = (99 - i) * 20 * MS;
            if (age <= 1000 * MS)
                get_ok(h, (uint16_t)(a + i), now, 1);
            else
                get_none(h, (uint16_t)(a + i), now);
        }
        /* The clock moves on: exactly max_age is kept, 1 us more is not. */
        get_ok(h, (uint16_t)(a + 99), now + 1000 * MS, 1);
        get_none(h, (uint16_t)(a + 99), now + 1000 * MS + 1);
        dc_nack_history_free(h);
    }
}

static void test_count_eviction(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_nack_history *h = dc_nack_history_new(16, 10000 * MS);
        uint16_t a = starts[s];
        for (int i = 0; i < 40; i++)
            put_ok(h, (uint16_t)(a + i), 0, (uint8_t)i);
        for (int i = 0; i < 40; i++) {
            if (i >= 40 - 16)
                get_ok(h, (uint16_t)(a + i), 0, (uint8_t)i);
            else
                get_none(h, (uint16_t)(a + i), 0);
        }
        /* A forward jump longer than the ring leaves nothing old. */
        put_ok(h, (uint16_t)(a + 40 + 16), 0, 7);
        for (int i = 24; i < 40; i++)
            get_none(h, (uint16_t)(a + i), 0);
        get_ok(h, (uint16_t)(a + 56), 0, 7);
        dc_nack_history_free(h);
    }
}

/* Full 16-bit cycles: the same low 16 bits from an earlier cycle never come
 * back, even when its slot was not overwritten since. */
static void test_wrap_around(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_nack_history *h = dc_nack_history_new(1024, 100000 * MS);
        uint16_t a = starts[s];
        for (int i = 0; i < 10; i++)
            put_ok(h, (uint16_t)(a + i), 0, 1);
        /* Forward by less than half the space each time: 65536 + 3 in all. */
        put_ok(h, (uint16_t)(a + 30000), 0, 2);
        put_ok(h, (uint16_t)(a + 60000), 0, 2);
        put_ok(h, (uint16_t)(a + 3), 0, 3); /* next cycle */
        get_ok(h, (uint16_t)(a + 3), 0, 3);
        /* Same slot index, same 16 bits, earlier cycle: not returned. */
        get_none(h, (uint16_t)(a + 2), 0);
        get_none(h, (uint16_t)(a + 5), 0);
        get_none(h, (uint16_t)(a + 30000), 0); /* out of the 1024 window */

        /* Steady traffic across the wrap. */
        dc_nack_history_clear(h);
        for (int i = 0; i < 70000; i++)
            put_ok(h, (uint16_t)(a + i), 0, (uint8_t)(i >> 16));
        for (int i = 70000 - 1024; i < 70000; i++)
            get_ok(h, (uint16_t)(a + i), 0, 1);
        get_none(h, (uint16_t)(a + 70000 - 1025), 0);
        dc_nack_history_free(h);
    }
}

static void test_sender_restart(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_nack_history *h = dc_nack_history_new(512, 1000 * MS);
        uint16_t a = starts[s];
        for (int i = 0; i < 100; i++)
            put_ok(h, (uint16_t)(a + i), 0, 1);
        /* Step back: the sender restarted at a + 50. */
        put_ok(h, (uint16_t)(a + 50), MS, 2);
        get_ok(h, (uint16_t)(a + 50), MS, 2);
        for (int i = 0; i < 100; i++)
            if (i != 50)
                get_none(h, (uint16_t)(a + i), MS);
        put_ok(h, (uint16_t)(a + 51), MS, 2);
        get_ok(h, (uint16_t)(a + 51), MS, 2);
        /* A duplicate of the newest is a restart too. */
        put_ok(h, (uint16_t)(a + 51), MS, 3);
        get_ok(h, (uint16_t)(a + 51), MS, 3);
        get_none(h, (uint16_t)(a + 50), MS);
        /* A jump of half the space or more (looks like a step back). */
        put_ok(h, (uint16_t)(a + 51 + 40000), MS, 4);
        get_none(h, (uint16_t)(a + 51), MS);
        get_ok(h, (uint16_t)(a + 51 + 40000), MS, 4);
        dc_nack_history_free(h);
    }
}

static void test_resend_budget(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_nack_history *h = dc_nack_history_new(64, 2000 * MS);
        uint16_t a = starts[s];
        put_ok(h, a, 0, 1);
        put_ok(h, (uint16_t)(a + 1), 0, 1);
        const int64_t rtt = 100 * MS;
        static const struct {
            int64_t t;
            int want;
        } steps[] = {
            {10 * MS, 0},         /* first NACK: resend */
            {60 * MS, -EAGAIN},   /* within one RTT of it */
            {109 * MS, -EAGAIN},  /* still */
            {110 * MS, 0},        /* one RTT later */
            {210 * MS, 0},        /* third */
            {900 * MS, -EDQUOT},  /* budget of 3 used up */
            {2001 * MS, -ENOENT}, /* too old anyway */
        };
        for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
            const uint8_t *buf = NULL;
            size_t len = 0;
            int r = dc_nack_history_resend(h, a, steps[i].t, 3, rtt, &buf, &len);
            g_assert_cmpint(r, ==, steps[i].want);
            if (r == 0)
                g_assert_cmpuint(len, ==, 12);
        }
        /* Plain get() neither counts nor is refused; the neighbour has its
         * own budget. */
        get_ok(h, a, 900 * MS, 1);
        const uint8_t *buf;
        size_t len;
        g_assert_cmpint(dc_nack_history_resend(h, (uint16_t)(a + 1), 900 * MS, 3, rtt, &buf, &len),
                        ==, 0);
        g_assert_cmpint(dc_nack_history_resend(h, (uint16_t)(a + 1), 900 * MS, 0, rtt, &buf, &len),
                        ==, -EDQUOT);
        /* After a restart the same seq is a new packet with a fresh budget. */
        put_ok(h, a, 1000 * MS, 2);
        g_assert_cmpint(dc_nack_history_resend(h, a, 1000 * MS, 1, rtt, &buf, &len), ==, 0);
        g_assert_cmpint(dc_nack_history_resend(h, a, 1200 * MS, 1, rtt, &buf, &len), ==, -EDQUOT);
        dc_nack_history_free(h);
    }
}

/* Slots sized below the default: packets up to the size are kept, larger
 * ones refused without touching the history. */
static void test_sized_slots(void)
{
    g_assert_null(dc_nack_history_new_sized(16, 1000000, 0));
    g_assert_null(dc_nack_history_new_sized(16, 1000000, DC_NACK_HISTORY_MAX_PACKET + 1));
    dc_nack_history *h = dc_nack_history_new_sized(16, 1000000, 64);
    g_assert_nonnull(h);
    uint8_t pkt[65];
    for (size_t i = 0; i < sizeof pkt; i++)
        pkt[i] = (uint8_t)i;
    for (uint16_t seq = 0; seq < 20; seq++)
        g_assert_cmpint(dc_nack_history_put(h, seq, seq, pkt, 64), ==, 0);
    g_assert_cmpint(dc_nack_history_put(h, 20, 20, pkt, 65), ==, -EMSGSIZE);
    const uint8_t *buf;
    size_t len;
    for (uint16_t seq = 4; seq < 20; seq++) {
        g_assert_cmpint(dc_nack_history_get(h, seq, 30, &buf, &len), ==, 0);
        g_assert_cmpuint(len, ==, 64);
        g_assert_cmpmem(buf, len, pkt, 64);
    }
    g_assert_cmpint(dc_nack_history_get(h, 3, 30, &buf, &len), ==, -ENOENT);
    g_assert_cmpint(dc_nack_history_get(h, 20, 30, &buf, &len), ==, -ENOENT);
    dc_nack_history_free(h);
}

/* A late packet fills its gap without emptying the history; duplicates,
 * numbers not older than the newest, and numbers beyond the ring are
 * refused. Rerun from every start value. */
static void test_put_late(void)
{
    for (size_t k = 0; k < G_N_ELEMENTS(starts); k++) {
        uint16_t s0 = starts[k];
        dc_nack_history *h = dc_nack_history_new(16, 1000000);
        uint8_t pkt[4] = {1, 2, 3, 4};
        const uint8_t *buf;
        size_t len;
        g_assert_cmpint(dc_nack_history_put_late(h, s0, 0, pkt, 4), ==, -ENOENT);
        for (int i = 0; i < 10; i++)
            if (i != 5)
                g_assert_cmpint(dc_nack_history_put(h, (uint16_t)(s0 + i), i, pkt, 4), ==, 0);
        g_assert_cmpint(dc_nack_history_get(h, (uint16_t)(s0 + 5), 20, &buf, &len), ==, -ENOENT);
        pkt[0] = 9;
        g_assert_cmpint(dc_nack_history_put_late(h, (uint16_t)(s0 + 5), 20, pkt, 4), ==, 0);
        g_assert_cmpint(dc_nack_history_get(h, (uint16_t)(s0 + 5), 21, &buf, &len), ==, 0);
        g_assert_cmpuint(buf[0], ==, 9);
        g_assert_cmpint(dc_nack_history_put_late(h, (uint16_t)(s0 + 5), 22, pkt, 4), ==, -EEXIST);
        g_assert_cmpint(dc_nack_history_put_late(h, (uint16_t)(s0 + 9), 22, pkt, 4), ==, -ENOENT);
        g_assert_cmpint(dc_nack_history_put_late(h, (uint16_t)(s0 + 10), 22, pkt, 4), ==, -ENOENT);
        g_assert_cmpint(dc_nack_history_put_late(h, (uint16_t)(s0 - 7), 22, pkt, 4), ==, -ENOENT);
        /* The rest is still there. */
        g_assert_cmpint(dc_nack_history_get(h, (uint16_t)(s0 + 9), 22, &buf, &len), ==, 0);
        g_assert_cmpint(dc_nack_history_get(h, s0, 22, &buf, &len), ==, 0);
        dc_nack_history_free(h);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nack-history/new-bad-args", test_new_bad_args);
    g_test_add_func("/nack-history/put-get", test_put_get);
    g_test_add_func("/nack-history/sizes", test_sizes);
    g_test_add_func("/nack-history/age-expiry", test_age_expiry);
    g_test_add_func("/nack-history/count-eviction", test_count_eviction);
    g_test_add_func("/nack-history/wrap-around", test_wrap_around);
    g_test_add_func("/nack-history/sender-restart", test_sender_restart);
    g_test_add_func("/nack-history/resend-budget", test_resend_budget);
    g_test_add_func("/nack-history/sized-slots", test_sized_slots);
    g_test_add_func("/nack-history/put-late", test_put_late);
    return g_test_run();
}
