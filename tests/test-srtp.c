/* Unit tests for core/srtp: protect on one side, unprotect on the other, for
 * both profiles; replay, tampering, wrong keys, buffer room. Sequence cases
 * run from start values 0, 32767 and 65535 (the 65535 case crosses the wrap
 * and relies on libsrtp's rollover counter). */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "core/srtp.h"

static const uint16_t starts[] = {0, 32767, 65535};
static const dc_srtp_profile profiles[] = {DC_SRTP_AES128_CM_SHA1_80, DC_SRTP_AEAD_AES_128_GCM};

#define BUF_CAP (1200 + DC_SRTP_MAX_OVERHEAD)

/* A pair of sessions that talk to each other: a's local key is b's remote. */
typedef struct {
    dc_srtp *a;
    dc_srtp *b;
} pair;

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + 31 * i);
}

static pair pair_new(dc_srtp_profile profile)
{
    dc_srtp_keys ka = {.profile = profile}, kb = {.profile = profile};
    fill(ka.local_key, sizeof ka.local_key, 1);
    fill(ka.local_salt, sizeof ka.local_salt, 2);
    fill(ka.remote_key, sizeof ka.remote_key, 3);
    fill(ka.remote_salt, sizeof ka.remote_salt, 4);
    memcpy(kb.local_key, ka.remote_key, sizeof kb.local_key);
    memcpy(kb.local_salt, ka.remote_salt, sizeof kb.local_salt);
    memcpy(kb.remote_key, ka.local_key, sizeof kb.remote_key);
    memcpy(kb.remote_salt, ka.local_salt, sizeof kb.remote_salt);
    int err = 1;
    pair p = {dc_srtp_new(&ka, &err), NULL};
    g_assert_nonnull(p.a);
    g_assert_cmpint(err, ==, 0);
    p.b = dc_srtp_new(&kb, &err);
    g_assert_nonnull(p.b);
    return p;
}

static void pair_free(pair *p)
{
    dc_srtp_free(p->a);
    dc_srtp_free(p->b);
}

/* RTP: version 2, PT 96, payload of plen bytes derived from seq. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t plen)
{
    uint32_t ts = (uint32_t)seq * 3000u;
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[4] = (uint8_t)(ts >> 24);
    buf[5] = (uint8_t)(ts >> 16);
    buf[6] = (uint8_t)(ts >> 8);
    buf[7] = (uint8_t)ts;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    fill(buf + 12, plen, (uint8_t)seq);
    return 12 + plen;
}

/* RTCP sender report without report blocks (28 bytes). */
static size_t make_rtcp(uint8_t *buf, uint32_t ssrc, uint32_t n)
{
    memset(buf, 0, 28);
    buf[0] = 0x80;
    buf[1] = 200;
    buf[3] = 6;
    buf[4] = (uint8_t)(ssrc >> 24);
    buf[5] = (uint8_t)(ssrc >> 16);
    buf[6] = (uint8_t)(ssrc >> 8);
    buf[7] = (uint8_t)ssrc;
    buf[20] = (uint8_t)(n >> 24);
    buf[21] = (uint8_t)(n >> 16);
    buf[22] = (uint8_t)(n >> 8);
    buf[23] = (uint8_t)n;
    return 28;
}

static size_t tag_len(dc_srtp_profile p)
{
    return p == DC_SRTP_AEAD_AES_128_GCM ? 16 : 10;
}

static void test_lengths(void)
{
    g_assert_cmpuint(dc_srtp_key_len(DC_SRTP_AES128_CM_SHA1_80), ==, 16);
    g_assert_cmpuint(dc_srtp_salt_len(DC_SRTP_AES128_CM_SHA1_80), ==, 14);
    g_assert_cmpuint(dc_srtp_key_len(DC_SRTP_AEAD_AES_128_GCM), ==, 16);
    g_assert_cmpuint(dc_srtp_salt_len(DC_SRTP_AEAD_AES_128_GCM), ==, 12);
    g_assert_cmpuint(dc_srtp_key_len((dc_srtp_profile)2), ==, 0);
    g_assert_cmpstr(dc_srtp_profile_name(DC_SRTP_AEAD_AES_128_GCM), ==, "SRTP_AEAD_AES_128_GCM");

    dc_srtp_keys k = {.profile = (dc_srtp_profile)99};
    int err = 0;
    g_assert_null(dc_srtp_new(&k, &err));
    g_assert_cmpint(err, ==, -EINVAL);
    g_assert_null(dc_srtp_new(NULL, NULL));
}

/* 300 packets from each start value, both directions, both profiles. */
static void test_rtp_roundtrip(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
            pair pr = pair_new(profiles[p]);
            for (int k = 0; k < 300; k++) {
                uint16_t seq = (uint16_t)(starts[s] + k);
                uint8_t buf[BUF_CAP], want[BUF_CAP];
                size_t len = make_rtp(buf, seq, 0x11223344, 100 + k % 50);
                memcpy(want, buf, len);
                dc_srtp *tx = k % 2 ? pr.a : pr.b, *rx = k % 2 ? pr.b : pr.a;
                int n = dc_srtp_protect_rtp(tx, buf, len, sizeof buf);
                g_assert_cmpint(n, ==, (int)(len + tag_len(profiles[p])));
                g_assert_cmpint(n, <=, (int)(len + DC_SRTP_RTP_MAX_GROWTH));
                g_assert_true(memcmp(buf + 12, want + 12, len - 12) != 0);
                g_assert_cmpint(dc_srtp_unprotect_rtp(rx, buf, (size_t)n), ==, (int)len);
                g_assert_true(memcmp(buf, want, len) == 0);
            }
            pair_free(&pr);
        }
    }
}

static void test_rtcp_roundtrip(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        pair pr = pair_new(profiles[p]);
        for (uint32_t k = 0; k < 50; k++) {
            uint8_t buf[BUF_CAP], want[BUF_CAP];
            size_t len = make_rtcp(buf, 0xcafe0000 + k % 3, k);
            memcpy(want, buf, len);
            int n = dc_srtp_protect_rtcp(pr.a, buf, len, sizeof buf);
            g_assert_cmpint(n, ==, (int)(len + 4 + tag_len(profiles[p])));
            g_assert_cmpint(n, <=, (int)(len + DC_SRTP_RTCP_MAX_GROWTH));
            g_assert_cmpint(dc_srtp_unprotect_rtcp(pr.b, buf, (size_t)n), ==, (int)len);
            g_assert_true(memcmp(buf, want, len) == 0);
        }
        pair_free(&pr);
    }
}

static void test_replay(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
            pair pr = pair_new(profiles[p]);
            uint8_t first[BUF_CAP], buf[BUF_CAP];
            size_t first_len = 0;
            for (int k = 0; k < 5; k++) {
                size_t len = make_rtp(buf, (uint16_t)(starts[s] + k), 7, 40);
                int n = dc_srtp_protect_rtp(pr.a, buf, len, sizeof buf);
                g_assert_cmpint(n, >, 0);
                if (k == 0) {
                    memcpy(first, buf, (size_t)n);
                    first_len = (size_t)n;
                }
                g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, buf, (size_t)n), ==, (int)len);
            }
            g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, first, first_len), ==, -EALREADY);

            uint8_t c[BUF_CAP], c2[BUF_CAP];
            size_t len = make_rtcp(c, 7, 1);
            int n = dc_srtp_protect_rtcp(pr.a, c, len, sizeof c);
            g_assert_cmpint(n, >, 0);
            memcpy(c2, c, (size_t)n);
            g_assert_cmpint(dc_srtp_unprotect_rtcp(pr.b, c, (size_t)n), ==, (int)len);
            g_assert_cmpint(dc_srtp_unprotect_rtcp(pr.b, c2, (size_t)n), ==, -EALREADY);
            pair_free(&pr);
        }
    }
}

/* Packets reordered within the window are accepted; older ones are not. */
static void test_replay_window(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        pair pr = pair_new(DC_SRTP_AEAD_AES_128_GCM);
        enum { N = 1200 };
        static uint8_t pkts[N][64];
        int lens[N];
        for (int k = 0; k < N; k++) {
            size_t len = make_rtp(pkts[k], (uint16_t)(starts[s] + k), 9, 8);
            g_assert_cmpuint(sizeof pkts[k], >=, len + DC_SRTP_RTP_MAX_GROWTH);
            uint8_t buf[BUF_CAP];
            memcpy(buf, pkts[k], len);
            lens[k] = dc_srtp_protect_rtp(pr.a, buf, len, sizeof buf);
            g_assert_cmpint(lens[k], >, 0);
            memcpy(pkts[k], buf, (size_t)lens[k]);
        }
        /* Deliver 0 (the receiver learns the rollover counter from its first
         * packet), then 2..N-1 except N-100; N-100 is late but inside the
         * window, 1 is older than the window. */
        g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, pkts[0], (size_t)lens[0]), >, 0);
        for (int k = 2; k < N; k++) {
            if (k == N - 100)
                continue;
            g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, pkts[k], (size_t)lens[k]), >, 0);
        }
        g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, pkts[N - 100], (size_t)lens[N - 100]), >, 0);
        g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, pkts[1], (size_t)lens[1]), ==, -EALREADY);
        pair_free(&pr);
    }
}

static void test_tamper(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        pair pr = pair_new(profiles[p]);
        /* Flip a payload byte, a header byte (authenticated), the tag. */
        static const int where[] = {20, 1, -1};
        for (size_t w = 0; w < G_N_ELEMENTS(where); w++) {
            uint8_t buf[BUF_CAP];
            size_t len = make_rtp(buf, (uint16_t)(100 + w), 5, 60);
            int n = dc_srtp_protect_rtp(pr.a, buf, len, sizeof buf);
            g_assert_cmpint(n, >, 0);
            buf[where[w] >= 0 ? where[w] : n - 1] ^= 0x01;
            g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, buf, (size_t)n), ==, -EBADMSG);
        }
        uint8_t c[BUF_CAP];
        size_t len = make_rtcp(c, 5, 3);
        int n = dc_srtp_protect_rtcp(pr.a, c, len, sizeof c);
        g_assert_cmpint(n, >, 0);
        c[10] ^= 0x80;
        g_assert_cmpint(dc_srtp_unprotect_rtcp(pr.b, c, (size_t)n), ==, -EBADMSG);
        /* The untampered packet still goes through after the failures. */
        uint8_t ok[BUF_CAP];
        len = make_rtp(ok, 200, 5, 60);
        n = dc_srtp_protect_rtp(pr.a, ok, len, sizeof ok);
        g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, ok, (size_t)n), ==, (int)len);
        pair_free(&pr);
    }
}

/* A session decrypting with its own send key (wrong direction) fails auth. */
static void test_wrong_key(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        pair pr = pair_new(profiles[p]);
        uint8_t buf[BUF_CAP];
        size_t len = make_rtp(buf, 1, 5, 60);
        int n = dc_srtp_protect_rtp(pr.a, buf, len, sizeof buf);
        g_assert_cmpint(dc_srtp_unprotect_rtp(pr.a, buf, (size_t)n), ==, -EBADMSG);
        pair_free(&pr);
    }
}

static void test_bad_buffers(void)
{
    pair pr = pair_new(DC_SRTP_AES128_CM_SHA1_80);
    uint8_t buf[BUF_CAP];
    size_t len = make_rtp(buf, 1, 5, 60);
    g_assert_cmpint(dc_srtp_protect_rtp(pr.a, buf, len, len + DC_SRTP_MAX_OVERHEAD - 1), ==,
                    -ENOSPC);
    g_assert_cmpint(dc_srtp_protect_rtp(pr.a, buf, 11, sizeof buf), ==, -EINVAL);
    g_assert_cmpint(dc_srtp_protect_rtcp(pr.a, buf, 7, sizeof buf), ==, -EINVAL);
    g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, buf, 5), ==, -EINVAL);
    g_assert_cmpint(dc_srtp_unprotect_rtcp(pr.b, buf, 0), ==, -EINVAL);
    /* Garbage of plausible size is rejected, not crashed on. */
    fill(buf, 100, 9);
    buf[0] = 0x80;
    g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, buf, 100), <, 0);
    fill(buf, 40, 3);
    buf[0] = 0x80;
    buf[1] = 200;
    g_assert_cmpint(dc_srtp_unprotect_rtcp(pr.b, buf, 40), <, 0);
    pair_free(&pr);
}

/* The SFU resends the very packet it sent for a NACK: protect accepts the
 * repeat, the receiver drops the duplicate as a replay. */
static void test_resend(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        pair pr = pair_new(DC_SRTP_AEAD_AES_128_GCM);
        uint8_t a[BUF_CAP], b[BUF_CAP];
        size_t len = make_rtp(a, starts[s], 5, 60);
        memcpy(b, a, len);
        int na = dc_srtp_protect_rtp(pr.a, a, len, sizeof a);
        int nb = dc_srtp_protect_rtp(pr.a, b, len, sizeof b);
        g_assert_cmpint(na, ==, nb);
        g_assert_true(memcmp(a, b, (size_t)na) == 0);
        g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, a, (size_t)na), ==, (int)len);
        g_assert_cmpint(dc_srtp_unprotect_rtp(pr.b, b, (size_t)nb), ==, -EALREADY);
        pair_free(&pr);
    }
}

/* Many streams from one sender (a bridge sends a receiver two per other
 * site): 40 SSRCs, interleaved RTP crossing the sequence wrap and RTCP,
 * each SSRC's RTP and RTCP round-trip, the receiver's replay checks see
 * one rollover counter and one SRTCP index per SSRC, and a replayed SRTCP
 * packet is refused. */
static void test_many_streams(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        pair s = pair_new(profiles[p]);
        uint8_t buf[BUF_CAP], keep[BUF_CAP];
        int keep_n = 0;
        for (unsigned round = 0; round < 12; round++) {
            for (uint32_t k = 0; k < 40; k++) {
                uint32_t ssrc = 0x9e3779b9u * (k + 1);
                uint16_t seq = (uint16_t)(65530 + round);
                size_t len = make_rtp(buf, seq, ssrc, 40 + k);
                int n = dc_srtp_protect_rtp(s.a, buf, len, sizeof buf);
                g_assert_cmpint(n, ==, (int)(len + tag_len(profiles[p])));
                g_assert_cmpint(dc_srtp_unprotect_rtp(s.b, buf, (size_t)n), ==, (int)len);
                if (round % 3 == 0) {
                    len = make_rtcp(buf, ssrc, round);
                    n = dc_srtp_protect_rtcp(s.a, buf, len, sizeof buf);
                    g_assert_cmpint(n, >, (int)len);
                    if (k == 7 && round == 3) {
                        memcpy(keep, buf, (size_t)n);
                        keep_n = n;
                    }
                    g_assert_cmpint(dc_srtp_unprotect_rtcp(s.b, buf, (size_t)n), ==, (int)len);
                }
            }
        }
        g_assert_cmpint(dc_srtp_unprotect_rtcp(s.b, keep, (size_t)keep_n), ==, -EALREADY);
        pair_free(&s);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/srtp/lengths", test_lengths);
    g_test_add_func("/srtp/rtp-roundtrip", test_rtp_roundtrip);
    g_test_add_func("/srtp/rtcp-roundtrip", test_rtcp_roundtrip);
    g_test_add_func("/srtp/replay", test_replay);
    g_test_add_func("/srtp/replay-window", test_replay_window);
    g_test_add_func("/srtp/tamper", test_tamper);
    g_test_add_func("/srtp/wrong-key", test_wrong_key);
    g_test_add_func("/srtp/bad-buffers", test_bad_buffers);
    g_test_add_func("/srtp/resend", test_resend);
    g_test_add_func("/srtp/many-streams", test_many_streams);
    return g_test_run();
}
