/* Unit tests for core/dtls: two endpoints in one process, datagrams shuttled
 * between them by hand and a hand-advanced clock (never sleeping). Covers
 * handshakes in both roles, fingerprint checks at every moment, lost flights
 * recovered through the timeout path, garbage input, close_notify, and SRTP
 * keys that work end to end with core/srtp. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "core/dtls.h"
#include "core/srtp.h"

#define T0 ((int64_t)5000000000) /* arbitrary caller clock origin, us */

static dc_dtls_cert *cert_a, *cert_b;

typedef struct {
    dc_dtls *d;
    int bursts;     /* times it had something to send */
    int datagrams;  /* datagrams it sent (delivered or not) */
    int drop_burst; /* index of a burst to lose, -1 for none */
    bool drop_all;
    int last_feed_rc; /* what the peer's dc_dtls_feed() returned last */
    int64_t sent_at[64];
} side;

typedef struct {
    side a, b;
    int64_t now;
} net;

static void net_init(net *n, const dc_dtls_cert *ca, const dc_dtls_cert *cb)
{
    memset(n, 0, sizeof *n);
    n->now = T0;
    n->a.d = dc_dtls_new(ca);
    n->b.d = dc_dtls_new(cb);
    g_assert_nonnull(n->a.d);
    g_assert_nonnull(n->b.d);
    n->a.drop_burst = n->b.drop_burst = -1;
    g_assert_cmpint(dc_dtls_get_state(n->a.d), ==, DC_DTLS_STATE_NEW);
}

static void net_clear(net *n)
{
    dc_dtls_free(n->a.d);
    dc_dtls_free(n->b.d);
}

/* Each side expects the other's real fingerprint. */
static void set_fingerprints(net *n, const dc_dtls_cert *ca, const dc_dtls_cert *cb)
{
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(n->a.d, dc_dtls_cert_fingerprint(cb)), ==, 0);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(n->b.d, dc_dtls_cert_fingerprint(ca)), ==, 0);
}

/* Moves everything `from` has queued to `to`, unless this burst is lost.
 * Returns true if anything was queued. */
static bool deliver(net *n, side *from, side *to)
{
    uint8_t buf[2048];
    int len;
    bool any = false;
    bool drop = from->drop_all || from->bursts == from->drop_burst;
    while ((len = dc_dtls_poll_datagram(from->d, buf, sizeof buf)) > 0) {
        g_assert_cmpint(len, <=, DC_DTLS_MTU);
        any = true;
        if (from->datagrams < (int)G_N_ELEMENTS(from->sent_at))
            from->sent_at[from->datagrams] = n->now;
        from->datagrams++;
        if (!drop)
            from->last_feed_rc = dc_dtls_feed(to->d, buf, (size_t)len, n->now);
    }
    if (any)
        from->bursts++;
    return any;
}

static bool settled(dc_dtls *d)
{
    dc_dtls_state s = dc_dtls_get_state(d);
    return s == DC_DTLS_STATE_CONNECTED || s == DC_DTLS_STATE_FAILED || s == DC_DTLS_STATE_CLOSED;
}

/* Shuttles datagrams until both sides settle or nothing is left to do, then
 * jumps the clock to the next timeout; at most max_timeouts jumps. */
static void run(net *n, int max_timeouts)
{
    for (int t = 0;; t++) {
        while (deliver(n, &n->a, &n->b) | deliver(n, &n->b, &n->a))
            ;
        if (settled(n->a.d) && settled(n->b.d))
            return;
        int64_t next = MIN(dc_dtls_next_timeout(n->a.d), dc_dtls_next_timeout(n->b.d));
        if (next == DC_DTLS_NO_TIMEOUT || t >= max_timeouts)
            return;
        g_assert_cmpint(next, >=, n->now);
        n->now = next;
        g_assert_cmpint(dc_dtls_handle_timeout(n->a.d, n->now), >=, -EPROTO);
        g_assert_cmpint(dc_dtls_handle_timeout(n->b.d, n->now), >=, -EPROTO);
    }
}

/* Tests that jump the clock to a retransmission need the timer to follow it. */
static bool need_simulated_timer(void)
{
    if (dc_dtls_timer_follows_caller_clock())
        return true;
    g_test_skip("this OpenSSL retransmits on its own wall clock only");
    return false;
}

static void assert_connected(net *n)
{
    g_assert_cmpstr(dc_dtls_state_name(dc_dtls_get_state(n->a.d)), ==, "connected");
    g_assert_cmpstr(dc_dtls_state_name(dc_dtls_get_state(n->b.d)), ==, "connected");
    g_assert_null(dc_dtls_error(n->a.d));
    g_assert_null(dc_dtls_error(n->b.d));
}

/* Keys of the two sides mirror each other; returns the profile. */
static dc_srtp_profile assert_keys_match(net *n)
{
    dc_srtp_keys ka, kb;
    g_assert_cmpint(dc_dtls_export_srtp_keys(n->a.d, &ka), ==, 0);
    g_assert_cmpint(dc_dtls_export_srtp_keys(n->b.d, &kb), ==, 0);
    g_assert_cmpint(ka.profile, ==, kb.profile);
    size_t kl = dc_srtp_key_len(ka.profile), sl = dc_srtp_salt_len(ka.profile);
    g_assert_cmpuint(kl, ==, 16);
    g_assert_true(memcmp(ka.local_key, kb.remote_key, kl) == 0);
    g_assert_true(memcmp(ka.local_salt, kb.remote_salt, sl) == 0);
    g_assert_true(memcmp(ka.remote_key, kb.local_key, kl) == 0);
    g_assert_true(memcmp(ka.remote_salt, kb.local_salt, sl) == 0);
    g_assert_true(memcmp(ka.local_key, ka.remote_key, kl) != 0);
    return ka.profile;
}

static void test_cert(void)
{
    const char *fa = dc_dtls_cert_fingerprint(cert_a);
    const char *fb = dc_dtls_cert_fingerprint(cert_b);
    g_assert_true(g_str_has_prefix(fa, "sha-256 "));
    g_assert_cmpuint(strlen(fa), ==, 8 + 32 * 3 - 1);
    g_assert_cmpuint(strlen(fa), <, DC_DTLS_FINGERPRINT_LEN);
    for (size_t i = 8; fa[i] != '\0'; i++) {
        if ((i - 8) % 3 == 2)
            g_assert_cmpint(fa[i], ==, ':');
        else
            g_assert_true(g_ascii_isxdigit(fa[i]) && !g_ascii_islower(fa[i]));
    }
    g_assert_cmpstr(fa, !=, fb);
}

static void test_fingerprint_parse(void)
{
    dc_dtls *d = dc_dtls_new(cert_a);
    const char *good = dc_dtls_cert_fingerprint(cert_b);
    g_autofree char *lower = g_ascii_strdown(good, -1);
    g_autofree char *upper_alg = g_strdup(good);
    memcpy(upper_alg, "SHA-256", 7);
    g_autofree char *truncated = g_strndup(good, strlen(good) - 3);
    g_autofree char *junk = g_strconcat(good, ":00", NULL);
    g_autofree char *nocolon = g_strdup(good);
    nocolon[10] = '-';
    g_autofree char *badhex = g_strdup(good);
    badhex[9] = 'G';

    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, good), ==, 0);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, lower), ==, 0);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, upper_alg), ==, 0);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, "sha-1 AB:CD"), ==, -ENOTSUP);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, "sha-256"), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, ""), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, NULL), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, truncated), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, junk), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, nocolon), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(d, badhex), ==, -EINVAL);
    dc_dtls_free(d);
}

/* Client a, server b, fingerprints known up front: one round of flights, no
 * timer needed, keys mirror, and no timer is left running. */
static void test_handshake(void)
{
    net n;
    net_init(&n, cert_a, cert_b);
    set_fingerprints(&n, cert_a, cert_b);
    g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_next_timeout(n.b.d), ==, DC_DTLS_NO_TIMEOUT);
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, -EALREADY);
    g_assert_cmpint(dc_dtls_get_state(n.a.d), ==, DC_DTLS_STATE_CONNECTING);
    g_assert_cmpint(dc_dtls_next_timeout(n.a.d), ==, T0 + DC_DTLS_INITIAL_RTO_US);
    dc_srtp_keys k;
    g_assert_cmpint(dc_dtls_export_srtp_keys(n.a.d, &k), ==, -ENOTCONN);
    run(&n, 0);
    assert_connected(&n);
    g_assert_cmpint(n.now, ==, T0);
    g_assert_cmpint(dc_dtls_next_timeout(n.a.d), ==, DC_DTLS_NO_TIMEOUT);
    g_assert_cmpint(dc_dtls_next_timeout(n.b.d), ==, DC_DTLS_NO_TIMEOUT);
    g_assert_cmpint(dc_dtls_dropped(n.a.d) + dc_dtls_dropped(n.b.d), ==, 0);
    g_assert_cmpint(assert_keys_match(&n), ==, DC_SRTP_AEAD_AES_128_GCM);
    /* Two flights each way, a few datagrams each. */
    g_assert_cmpint(n.a.bursts, ==, 2);
    g_assert_cmpint(n.b.bursts, ==, 2);
    g_assert_cmpint(n.a.datagrams + n.b.datagrams, <=, 12);
    net_clear(&n);
}

/* Roles swapped and the client starts first: its ClientHello reaches a
 * server that has no role yet (dropped with -EAGAIN) and is recovered by the
 * client's retransmission timer. */
static void test_client_first(void)
{
    if (!need_simulated_timer())
        return;
    net n;
    net_init(&n, cert_a, cert_b);
    set_fingerprints(&n, cert_a, cert_b);
    g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    deliver(&n, &n.b, &n.a);
    g_assert_cmpint(n.b.last_feed_rc, ==, -EAGAIN);
    n.now += 100000;
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_handle_timeout(n.b.d, n.now), ==, 0); /* early: no-op */
    g_assert_cmpint(n.b.bursts, ==, 1);
    run(&n, 3);
    assert_connected(&n);
    g_assert_cmpint(n.now, ==, T0 + DC_DTLS_INITIAL_RTO_US);
    assert_keys_match(&n);
    net_clear(&n);
}

/* Fingerprints arrive at different moments: the server learns its peer's
 * while the handshake runs, the client only after its last flight; the
 * client waits in CONNECTING until then. */
static void test_fingerprint_late(void)
{
    net n;
    net_init(&n, cert_a, cert_b);
    g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    deliver(&n, &n.a, &n.b); /* ClientHello */
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(n.b.d, dc_dtls_cert_fingerprint(cert_a)), ==, 0);
    run(&n, 0);
    g_assert_cmpint(dc_dtls_get_state(n.a.d), ==, DC_DTLS_STATE_CONNECTING);
    g_assert_cmpint(dc_dtls_get_state(n.b.d), ==, DC_DTLS_STATE_CONNECTED);
    dc_srtp_keys k;
    g_assert_cmpint(dc_dtls_export_srtp_keys(n.a.d, &k), ==, -ENOTCONN);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(n.a.d, dc_dtls_cert_fingerprint(cert_b)), ==, 0);
    assert_connected(&n);
    assert_keys_match(&n);
    net_clear(&n);
}

/* The fingerprint of no certificate here. */
static const char wrong_fp[] = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

/* A wrong fingerprint known before the handshake, on the client or on the
 * server: that side rejects the certificate and says why; the other side
 * hears the alert and does not connect either. */
static void test_wrong_fingerprint(void)
{
    for (int client_checks = 0; client_checks < 2; client_checks++) {
        net n;
        net_init(&n, cert_a, cert_b);
        set_fingerprints(&n, cert_a, cert_b);
        side *checker = client_checks ? &n.a : &n.b;
        g_assert_cmpint(dc_dtls_set_remote_fingerprint(checker->d, wrong_fp), ==, 0);
        g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
        g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
        run(&n, 0);
        g_assert_cmpint(dc_dtls_get_state(checker->d), ==, DC_DTLS_STATE_FAILED);
        const char *err = dc_dtls_error(checker->d);
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err, "does not match the SDP fingerprint"));
        g_assert_nonnull(strstr(err, "expected sha-256 00:11:22"));
        g_assert_nonnull(strstr(err, dc_dtls_cert_fingerprint(client_checks ? cert_b : cert_a)));
        side *other = client_checks ? &n.b : &n.a;
        g_assert_cmpint(dc_dtls_get_state(other->d), !=, DC_DTLS_STATE_CONNECTED);
        g_assert_cmpint(dc_dtls_next_timeout(checker->d), ==, DC_DTLS_NO_TIMEOUT);
        dc_srtp_keys k;
        g_assert_cmpint(dc_dtls_export_srtp_keys(checker->d, &k), ==, -ENOTCONN);
        uint8_t junk[20] = {22};
        g_assert_cmpint(dc_dtls_feed(checker->d, junk, sizeof junk, n.now), ==, -ENOTCONN);
        net_clear(&n);
    }
}

/* A wrong fingerprint learnt after the handshake finished. */
static void test_wrong_fingerprint_late(void)
{
    net n;
    net_init(&n, cert_a, cert_b);
    g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    run(&n, 0);
    g_assert_cmpint(dc_dtls_get_state(n.a.d), ==, DC_DTLS_STATE_CONNECTING);
    g_assert_cmpint(dc_dtls_set_remote_fingerprint(n.a.d, dc_dtls_cert_fingerprint(cert_a)), ==,
                    -EPROTO);
    g_assert_cmpint(dc_dtls_get_state(n.a.d), ==, DC_DTLS_STATE_FAILED);
    g_assert_nonnull(strstr(dc_dtls_error(n.a.d), "does not match"));
    net_clear(&n);
}

/* One lost flight per case, from either side, in both role assignments.
 * Bursts: client 0 = ClientHello, server 0 = ServerHello..Done, client 1 =
 * Certificate..Finished, server 1 = ChangeCipherSpec+Finished (the last
 * flight, which the server only resends when the client retransmits). */
static void test_lost_flight(void)
{
    if (!need_simulated_timer())
        return;
    static const struct {
        bool server_loses;
        int burst;
        int64_t recovered_at; /* clock when both were connected */
    } cases[] = {
        {false, 0, T0 + DC_DTLS_INITIAL_RTO_US},
        {true, 0, T0 + DC_DTLS_INITIAL_RTO_US},
        {false, 1, T0 + DC_DTLS_INITIAL_RTO_US},
        {true, 1, T0 + DC_DTLS_INITIAL_RTO_US},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (int swap = 0; swap < 2; swap++) {
            net n;
            net_init(&n, cert_a, cert_b);
            set_fingerprints(&n, cert_a, cert_b);
            side *client = swap ? &n.b : &n.a, *server = swap ? &n.a : &n.b;
            (cases[i].server_loses ? server : client)->drop_burst = cases[i].burst;
            g_assert_cmpint(dc_dtls_start(server->d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
            g_assert_cmpint(dc_dtls_start(client->d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
            run(&n, 4);
            assert_connected(&n);
            g_assert_cmpint(n.now, ==, cases[i].recovered_at);
            assert_keys_match(&n);
            net_clear(&n);
        }
    }
}

/* Nothing ever arrives: timeouts double from the initial value up to the
 * cap, each resends the flight, and OpenSSL eventually gives up. */
static void test_backoff(void)
{
    if (!need_simulated_timer())
        return;
    net n;
    net_init(&n, cert_a, cert_b);
    n.a.drop_all = true;
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    int64_t rto = DC_DTLS_INITIAL_RTO_US;
    int timeouts = 0;
    deliver(&n, &n.a, &n.b);
    while (dc_dtls_get_state(n.a.d) == DC_DTLS_STATE_CONNECTING) {
        int64_t next = dc_dtls_next_timeout(n.a.d);
        g_assert_cmpint(next, ==, n.now + rto);
        /* Just before the deadline nothing happens. */
        g_assert_cmpint(dc_dtls_handle_timeout(n.a.d, next - 1), ==, 0);
        g_assert_cmpint(dc_dtls_poll_datagram(n.a.d, (uint8_t[2048]){0}, 2048), ==, 0);
        n.now = next;
        int rc = dc_dtls_handle_timeout(n.a.d, n.now);
        timeouts++;
        if (rc < 0)
            break;
        int before = n.a.datagrams;
        deliver(&n, &n.a, &n.b);
        g_assert_cmpint(n.a.datagrams, ==, before + 1); /* ClientHello again */
        rto = MIN(rto * 2, DC_DTLS_MAX_RTO_US);
        g_assert_cmpint(timeouts, <, 20);
    }
    g_assert_cmpint(dc_dtls_get_state(n.a.d), ==, DC_DTLS_STATE_FAILED);
    g_assert_nonnull(dc_dtls_error(n.a.d));
    g_assert_cmpint(timeouts, >=, 10);
    g_assert_cmpint(dc_dtls_next_timeout(n.a.d), ==, DC_DTLS_NO_TIMEOUT);
    net_clear(&n);
}

/* Garbage in any state is dropped without harm; arguments are checked. */
static void test_garbage(void)
{
    GRand *r = g_rand_new_with_seed(7);
    uint8_t g[1500];
    net n;
    net_init(&n, cert_a, cert_b);
    set_fingerprints(&n, cert_a, cert_b);
    g_assert_cmpint(dc_dtls_feed(n.a.d, g, 0, n.now), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_feed(n.a.d, NULL, 10, n.now), ==, -EINVAL);
    g_assert_cmpint(dc_dtls_feed(n.a.d, (const uint8_t *)"\x16", 1, n.now), ==, -EAGAIN);
    g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 50; k++) {
            size_t len = (size_t)g_rand_int_range(r, 1, sizeof g);
            for (size_t i = 0; i < len; i++)
                g[i] = (uint8_t)g_rand_int(r);
            g[0] = (uint8_t)g_rand_int_range(r, 20, 64); /* DTLS per RFC 7983 */
            if (k % 5 == 0 && len > 13) {
                /* plausible header: handshake, DTLS 1.2, epoch 0 */
                g[0] = 22;
                g[1] = 0xfe;
                g[2] = 0xfd;
                g[3] = g[4] = 0;
            }
            g_assert_cmpint(dc_dtls_feed(k % 2 ? n.a.d : n.b.d, g, len, n.now), ==, 0);
        }
        /* then one more step of the real handshake */
        deliver(&n, round % 2 ? &n.b : &n.a, round % 2 ? &n.a : &n.b);
    }
    g_assert_cmpuint(dc_dtls_dropped(n.a.d) + dc_dtls_dropped(n.b.d), >, 100);
    /* Well framed, but the handshake fragment claims more than its message:
     * refused before OpenSSL, which would abort the handshake on it. */
    uint8_t frag[13 + 12 + 4] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 16,
                                 /* ServerHello, len 2, seq 1, off 0, frag 4 */
                                 2, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 4};
    uint64_t before = dc_dtls_dropped(n.a.d);
    g_assert_cmpint(dc_dtls_feed(n.a.d, frag, sizeof frag, n.now), ==, 0);
    g_assert_cmpuint(dc_dtls_dropped(n.a.d), ==, before + 1);
    run(&n, 2);
    assert_connected(&n);
    /* After the handshake: random bytes and a corrupted copy of a real
     * encrypted record are dropped too. */
    uint8_t rec[64] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 40};
    g_assert_cmpint(dc_dtls_feed(n.a.d, rec, 13 + 40, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_feed(n.b.d, g, 200, n.now), ==, 0);
    assert_connected(&n);
    g_rand_free(r);
    net_clear(&n);
}

/* close_notify reaches the peer, which moves to CLOSED. */
static void test_close(void)
{
    net n;
    net_init(&n, cert_a, cert_b);
    set_fingerprints(&n, cert_a, cert_b);
    g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    run(&n, 0);
    assert_connected(&n);
    g_assert_cmpint(dc_dtls_close(n.a.d), ==, 0);
    g_assert_cmpint(dc_dtls_close(n.a.d), ==, -ENOTCONN);
    g_assert_true(deliver(&n, &n.a, &n.b));
    g_assert_cmpint(n.a.last_feed_rc, ==, 0);
    g_assert_cmpint(dc_dtls_get_state(n.a.d), ==, DC_DTLS_STATE_CLOSED);
    g_assert_cmpint(dc_dtls_get_state(n.b.d), ==, DC_DTLS_STATE_CLOSED);
    g_assert_cmpstr(dc_dtls_state_name(DC_DTLS_STATE_CLOSED), ==, "closed");
    g_assert_nonnull(dc_dtls_error(n.b.d));
    net_clear(&n);

    /* Closing before any handshake sends nothing. */
    dc_dtls *d = dc_dtls_new(cert_a);
    g_assert_cmpint(dc_dtls_close(d), ==, 0);
    uint8_t buf[2048];
    g_assert_cmpint(dc_dtls_poll_datagram(d, buf, sizeof buf), ==, 0);
    dc_dtls_free(d);
}

/* The exported keys drive core/srtp both ways, RTP and RTCP, across the
 * sequence wrap from each start value; small output buffers are refused. */
static void test_srtp_end_to_end(void)
{
    static const uint16_t starts[] = {0, 32767, 65535};
    net n;
    net_init(&n, cert_a, cert_b);
    set_fingerprints(&n, cert_a, cert_b);
    g_assert_cmpint(dc_dtls_start(n.a.d, DC_DTLS_ROLE_SERVER, n.now), ==, 0);
    g_assert_cmpint(dc_dtls_start(n.b.d, DC_DTLS_ROLE_CLIENT, n.now), ==, 0);
    run(&n, 0);
    assert_connected(&n);
    uint8_t small[4];
    g_assert_cmpint(dc_dtls_poll_datagram(n.a.d, small, sizeof small), ==, 0);

    dc_srtp_keys ka, kb;
    g_assert_cmpint(dc_dtls_export_srtp_keys(n.a.d, &ka), ==, 0);
    g_assert_cmpint(dc_dtls_export_srtp_keys(n.b.d, &kb), ==, 0);
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        dc_srtp *sa = dc_srtp_new(&ka, NULL), *sb = dc_srtp_new(&kb, NULL);
        g_assert_nonnull(sa);
        g_assert_nonnull(sb);
        for (int k = 0; k < 10; k++) {
            uint8_t p[64 + DC_SRTP_MAX_OVERHEAD] = {0x80, 111};
            uint16_t seq = (uint16_t)(starts[s] + k);
            p[2] = (uint8_t)(seq >> 8);
            p[3] = (uint8_t)seq;
            p[11] = 42;
            memset(p + 12, 0xab, 52);
            int len = dc_srtp_protect_rtp(k % 2 ? sa : sb, p, 64, sizeof p);
            g_assert_cmpint(len, ==, 64 + 16);
            g_assert_cmpint(dc_srtp_unprotect_rtp(k % 2 ? sb : sa, p, (size_t)len), ==, 64);
            g_assert_cmpint(p[20], ==, 0xab);

            uint8_t c[28 + DC_SRTP_MAX_OVERHEAD] = {0x80, 201, 0, 6, 0, 0, 0, 42};
            len = dc_srtp_protect_rtcp(k % 2 ? sb : sa, c, 28, sizeof c);
            g_assert_cmpint(len, >, 28);
            g_assert_cmpint(dc_srtp_unprotect_rtcp(k % 2 ? sa : sb, c, (size_t)len), ==, 28);
        }
        dc_srtp_free(sa);
        dc_srtp_free(sb);
    }
    net_clear(&n);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    cert_a = dc_dtls_cert_new(1767225600); /* 2026-01-01 */
    cert_b = dc_dtls_cert_new(1767225600);
    g_assert_nonnull(cert_a);
    g_assert_nonnull(cert_b);
    g_test_add_func("/dtls/cert", test_cert);
    g_test_add_func("/dtls/fingerprint-parse", test_fingerprint_parse);
    g_test_add_func("/dtls/handshake", test_handshake);
    g_test_add_func("/dtls/client-first", test_client_first);
    g_test_add_func("/dtls/fingerprint-late", test_fingerprint_late);
    g_test_add_func("/dtls/wrong-fingerprint", test_wrong_fingerprint);
    g_test_add_func("/dtls/wrong-fingerprint-late", test_wrong_fingerprint_late);
    g_test_add_func("/dtls/lost-flight", test_lost_flight);
    g_test_add_func("/dtls/backoff", test_backoff);
    g_test_add_func("/dtls/garbage", test_garbage);
    g_test_add_func("/dtls/close", test_close);
    g_test_add_func("/dtls/srtp-end-to-end", test_srtp_end_to_end);
    int rc = g_test_run();
    dc_dtls_cert_free(cert_a);
    dc_dtls_cert_free(cert_b);
    return rc;
}
