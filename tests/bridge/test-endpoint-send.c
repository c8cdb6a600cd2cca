/* Integration test of bridge/endpoint's send paths over real libnice
 * agents, DTLS and SRTP on loopback, in one process: endpoint A (the
 * bridge's side) connects to endpoint B, then sends bursts of RTP on three
 * SSRCs whose sequence numbers start at 0, 32767 and 65535, and one RTCP
 * packet. B must receive every packet, decrypted, with each stream's
 * sequence numbers continuous. Run twice: A with a worker send queue (the
 * packets leave through libnice's selected socket with sendmmsg) and A
 * without one (every packet through nice_agent_send, the fallback the
 * endpoint uses whenever the selected pair is not a plain UDP one). Bounded
 * to about 20 s. */
#include <glib.h>
#include <string.h>

#include "bridge/endpoint.h"
#include "bridge/sendq.h"

#define N_STREAMS 3
#define PER_STREAM 120
#define BURST 10 /* packets per stream between two main-loop iterations */
#define PAYLOAD_LEN 200

static const uint16_t starts[N_STREAMS] = {0, 32767, 65535};

typedef struct {
    dc_endpoint *ep;
    dc_endpoint_state state;
    GPtrArray *cands;
    bool gathered;
    /* what B received, per stream */
    unsigned got[N_STREAMS];
    uint16_t next[N_STREAMS];
    unsigned out_of_order;
    unsigned bad;
    unsigned rtcp;
} side;

static void on_candidate(void *user, const char *c)
{
    side *s = user;
    if (*c)
        g_ptr_array_add(s->cands, g_strdup(c));
    else
        s->gathered = true;
}

static void on_state(void *user, dc_endpoint_state st, const char *why)
{
    ((side *)user)->state = st;
}

static void on_rtp(void *user, const uint8_t *buf, size_t len, int64_t now_us)
{
    side *s = user;
    if (len != 12 + PAYLOAD_LEN) {
        s->bad++;
        return;
    }
    uint32_t ssrc =
        (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
    unsigned k = ssrc - 0x1000;
    if (k >= N_STREAMS || buf[12] != (uint8_t)k || buf[12 + PAYLOAD_LEN - 1] != 0x5a) {
        s->bad++;
        return;
    }
    uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
    if (seq != s->next[k])
        s->out_of_order++;
    s->next[k] = (uint16_t)(seq + 1);
    s->got[k]++;
}

static void on_rtcp(void *user, const uint8_t *buf, size_t len, int64_t now_us)
{
    ((side *)user)->rtcp++;
}

static const dc_endpoint_callbacks callbacks = {
    .candidate = on_candidate,
    .state = on_state,
    .rtp = on_rtp,
    .rtcp = on_rtcp,
};

static gboolean tick(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

typedef bool (*cond_fn)(side *a, side *b);

/* Iterates ctx until cond holds or timeout_s passes. */
static bool run_until(GMainContext *ctx, cond_fn cond, side *a, side *b, int timeout_s)
{
    GSource *t = g_timeout_source_new(20);
    g_source_set_callback(t, tick, NULL, NULL);
    g_source_attach(t, ctx);
    int64_t end = g_get_monotonic_time() + (int64_t)timeout_s * G_USEC_PER_SEC;
    while (!cond(a, b) && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(t);
    g_source_unref(t);
    return cond(a, b);
}

static bool both_gathered(side *a, side *b)
{
    return a->gathered && b->gathered;
}

static bool both_connected(side *a, side *b)
{
    return a->state == DC_ENDPOINT_CONNECTED && b->state == DC_ENDPOINT_CONNECTED;
}

static unsigned sent_so_far;
static bool b_has_all(side *a, side *b)
{
    unsigned n = 0;
    for (int k = 0; k < N_STREAMS; k++)
        n += b->got[k];
    return n >= sent_so_far && b->rtcp >= (sent_so_far == N_STREAMS * PER_STREAM ? 1u : 0u);
}

static void send_rtp(dc_endpoint *e, unsigned k, uint16_t seq)
{
    uint8_t p[12 + PAYLOAD_LEN];
    memset(p, 0x5a, sizeof p);
    uint32_t ssrc = 0x1000 + k, ts = 960u * seq;
    p[0] = 0x80;
    p[1] = 111;
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[4] = (uint8_t)(ts >> 24);
    p[5] = (uint8_t)(ts >> 16);
    p[6] = (uint8_t)(ts >> 8);
    p[7] = (uint8_t)ts;
    p[8] = (uint8_t)(ssrc >> 24);
    p[9] = (uint8_t)(ssrc >> 16);
    p[10] = (uint8_t)(ssrc >> 8);
    p[11] = (uint8_t)ssrc;
    p[12] = (uint8_t)k;
    dc_endpoint_send(e, p, sizeof p, false);
}

static void run(bool with_sendq)
{
    GMainContext *ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    dc_dtls_cert *cert_a = dc_dtls_cert_new(g_get_real_time() / G_USEC_PER_SEC);
    dc_dtls_cert *cert_b = dc_dtls_cert_new(g_get_real_time() / G_USEC_PER_SEC);
    g_assert_nonnull(cert_a);
    g_assert_nonnull(cert_b);
    dc_sendq *q = with_sendq ? dc_sendq_new(ctx) : NULL;
    const char *const lo[] = {"127.0.0.1", NULL};
    side a = {.cands = g_ptr_array_new_with_free_func(g_free)};
    side b = {.cands = g_ptr_array_new_with_free_func(g_free)};
    for (int k = 0; k < N_STREAMS; k++)
        b.next[k] = starts[k];
    GError *err = NULL;
    dc_endpoint_config ca = {.ctx = ctx, .cert = cert_a, .local_addresses = lo, .sendq = q};
    dc_endpoint_config cb = {.ctx = ctx, .cert = cert_b, .local_addresses = lo};
    a.ep = dc_endpoint_new(&ca, &callbacks, &a, &err);
    g_assert_no_error(err);
    b.ep = dc_endpoint_new(&cb, &callbacks, &b, &err);
    g_assert_no_error(err);
    g_assert_true(run_until(ctx, both_gathered, &a, &b, 5));

    /* A is the DTLS server (the bridge's usual role), B the client. */
    g_assert_true(dc_endpoint_set_remote(a.ep, dc_endpoint_ice_ufrag(b.ep),
                                         dc_endpoint_ice_pwd(b.ep),
                                         dc_dtls_cert_fingerprint(cert_b), true, &err));
    g_assert_no_error(err);
    g_assert_true(dc_endpoint_set_remote(b.ep, dc_endpoint_ice_ufrag(a.ep),
                                         dc_endpoint_ice_pwd(a.ep),
                                         dc_dtls_cert_fingerprint(cert_a), false, &err));
    g_assert_no_error(err);
    for (guint i = 0; i < b.cands->len; i++)
        g_assert_true(dc_endpoint_add_remote_candidate(a.ep, b.cands->pdata[i], NULL));
    for (guint i = 0; i < a.cands->len; i++)
        g_assert_true(dc_endpoint_add_remote_candidate(b.ep, a.cands->pdata[i], NULL));
    dc_endpoint_add_remote_candidate(a.ep, "", NULL);
    dc_endpoint_add_remote_candidate(b.ep, "", NULL);
    g_assert_true(run_until(ctx, both_connected, &a, &b, 10));

    /* Bursts: BURST packets of every stream, interleaved, then the main
     * loop runs until B has them all (the queue flushes before it polls). */
    sent_so_far = 0;
    for (unsigned i = 0; i < PER_STREAM; i += BURST) {
        for (unsigned j = i; j < i + BURST; j++)
            for (unsigned k = 0; k < N_STREAMS; k++)
                send_rtp(a.ep, k, (uint16_t)(starts[k] + j));
        sent_so_far += BURST * N_STREAMS;
        if (sent_so_far == N_STREAMS * PER_STREAM) {
            const uint8_t rr[8] = {0x80, 201, 0, 1, 0, 0, 0x20, 0x01};
            dc_endpoint_send(a.ep, rr, sizeof rr, true);
        }
        g_assert_true(run_until(ctx, b_has_all, &a, &b, 5));
    }
    for (int k = 0; k < N_STREAMS; k++) {
        g_assert_cmpuint(b.got[k], ==, PER_STREAM);
        g_assert_cmpuint(b.next[k], ==, (uint16_t)(starts[k] + PER_STREAM));
    }
    g_assert_cmpuint(b.out_of_order, ==, 0);
    g_assert_cmpuint(b.bad, ==, 0);
    g_assert_cmpuint(b.rtcp, ==, 1);

    dc_endpoint_stats st;
    dc_endpoint_get_stats(a.ep, &st);
    unsigned total = N_STREAMS * PER_STREAM + 1;
    g_assert_cmpuint(st.send_failed, ==, 0);
    if (with_sendq) {
        g_assert_cmpuint(st.sent_direct, ==, total);
        g_assert_cmpuint(st.sent_nice, ==, 0);
        dc_sendq_stats qs;
        dc_sendq_get_stats(q, &qs);
        g_assert_cmpuint(qs.datagrams, ==, total);
        g_assert_cmpuint(qs.failed, ==, 0);
        /* A burst (30 packets) leaves in one sendmmsg. */
        g_assert_cmpuint(qs.calls, <=, PER_STREAM / BURST);
    } else {
        g_assert_cmpuint(st.sent_direct, ==, 0);
        g_assert_cmpuint(st.sent_nice, ==, total);
    }

    dc_endpoint_free(a.ep);
    dc_endpoint_free(b.ep);
    dc_sendq_free(q);
    /* Let libnice's sockets settle. */
    for (int i = 0; i < 100 && g_main_context_iteration(ctx, FALSE); i++) {
    }
    g_ptr_array_unref(a.cands);
    g_ptr_array_unref(b.cands);
    dc_dtls_cert_free(cert_a);
    dc_dtls_cert_free(cert_b);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
}

static void test_batched(void)
{
    run(true);
}

static void test_per_packet(void)
{
    run(false);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/endpoint-send/batched-through-selected-socket", test_batched);
    g_test_add_func("/endpoint-send/per-packet-nice-agent-send", test_per_packet);
    return g_test_run();
}
