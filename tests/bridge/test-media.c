/* End-to-end media test of diemcau-bridge over real sockets on loopback:
 * two in-process fake sites (libnice + core/dtls + core/srtp, answering like
 * Chromium with core/sdp) join a meeting through the control link; one sends
 * Opus-like RTP, the other must receive it decrypted, under the SSRC the
 * bridge offered, with the payload intact; nothing comes back to the sender.
 * Bounded to 15 s. */
#include <agent.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "common/control-auth.h"
#include "core/demux.h"
#include "core/dtls.h"
#include "core/rtp-ext.h"
#include "core/rtp.h"
#include "core/sdp.h"
#include "core/srtp.h"

#define N_PEERS 2
#define N_SEND 100

typedef struct test_ctx test_ctx;

typedef struct {
    test_ctx *t;
    const char *site;
    NiceAgent *agent;
    guint stream;
    char *ufrag, *pwd;
    dc_dtls *dtls;
    dc_srtp *srtp;
    bool ice_ready, dtls_started, bridge_connected;
    dc_sdp *offer; /* latest */
    unsigned rtp_rx, rtp_rx_ok, rtcp_rx;
    uint32_t want_ssrc; /* the SSRC offered for the other site's audio */
} peer;

struct test_ctx {
    GSubprocess *proc;
    SoupSession *session;
    SoupWebsocketConnection *ws;
    char *dir;
    guint16 port;
    dc_dtls_cert *cert;
    peer peers[N_PEERS];
    unsigned sent;
    JsonNode *stats; /* the last stats reply */
};

static const uint8_t payload[40] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static guint16 free_port(void)
{
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) a = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(s, a, TRUE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void send_json(test_ctx *t, const char *op, const char *site, const char *key,
                      const char *value)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "op");
    json_builder_add_string_value(b, op);
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, "m1");
    if (site) {
        json_builder_set_member_name(b, "endpoint");
        json_builder_add_string_value(b, site);
    }
    if (key) {
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value);
    }
    if (site && g_strcmp0(key, "session") != 0) { /* the sessions of endpoint.add */
        json_builder_set_member_name(b, "session");
        json_builder_add_string_value(b, strcmp(site, "tinh") == 0 ? "a" : "b");
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    soup_websocket_connection_send_text(t->ws, text);
}

static void dtls_pump(peer *p)
{
    uint8_t buf[DC_DTLS_MTU];
    int n;
    while ((n = dc_dtls_poll_datagram(p->dtls, buf, sizeof buf)) > 0)
        nice_agent_send(p->agent, p->stream, 1, (guint)n, (const gchar *)buf);
    if (dc_dtls_get_state(p->dtls) == DC_DTLS_STATE_CONNECTED && !p->srtp) {
        dc_srtp_keys keys;
        g_assert_cmpint(dc_dtls_export_srtp_keys(p->dtls, &keys), ==, 0);
        p->srtp = dc_srtp_new(&keys, NULL);
        g_assert_nonnull(p->srtp);
    }
}

static void peer_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                      gpointer data)
{
    peer *p = data;
    uint8_t tmp[2048];
    if (len > sizeof tmp)
        return;
    memcpy(tmp, buf, len);
    dc_demux_class c = dc_demux_classify(tmp, len);
    if (c == DC_DEMUX_DTLS) {
        dc_dtls_feed(p->dtls, tmp, len, g_get_monotonic_time());
        dtls_pump(p);
    } else if (c == DC_DEMUX_RTP && p->srtp) {
        p->rtp_rx++;
        int n = dc_srtp_unprotect_rtp(p->srtp, tmp, len);
        dc_rtp_view v;
        if (n > 0 && dc_rtp_parse(tmp, (size_t)n, &v) == 0 && v.ssrc == p->want_ssrc &&
            v.payload_len == sizeof payload && memcmp(v.payload, payload, sizeof payload) == 0)
            p->rtp_rx_ok++;
    } else if (c == DC_DEMUX_RTCP && p->srtp) {
        if (dc_srtp_unprotect_rtcp(p->srtp, tmp, len) > 0)
            p->rtcp_rx++;
    }
}

static void peer_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
    peer *p = data;
    g_autofree char *sdp = nice_agent_generate_local_candidate_sdp(agent, cand);
    send_json(p->t, "candidate", p->site, "candidate", sdp + 2);
}

static void peer_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
    peer *p = data;
    if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
        !p->dtls_started) {
        p->ice_ready = p->dtls_started = true;
        g_assert_cmpint(dc_dtls_start(p->dtls, DC_DTLS_ROLE_CLIENT, g_get_monotonic_time()), ==, 0);
        dtls_pump(p);
    }
}

static void peer_init(test_ctx *t, peer *p, const char *site)
{
    p->t = t;
    p->site = site;
    p->agent = nice_agent_new_full(NULL, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    g_object_set(p->agent, "controlling-mode", FALSE, "upnp", FALSE, "ice-tcp", FALSE, NULL);
    NiceAddress a;
    nice_address_init(&a);
    nice_address_set_from_string(&a, "127.0.0.1");
    nice_agent_add_local_address(p->agent, &a);
    p->stream = nice_agent_add_stream(p->agent, 1);
    g_signal_connect(p->agent, "new-candidate-full", G_CALLBACK(peer_candidate), p);
    g_signal_connect(p->agent, "component-state-changed", G_CALLBACK(peer_state), p);
    nice_agent_attach_recv(p->agent, p->stream, 1, NULL, peer_recv, p);
    nice_agent_get_local_credentials(p->agent, p->stream, &p->ufrag, &p->pwd);
    p->dtls = dc_dtls_new(t->cert);
}

static void peer_free(peer *p)
{
    if (!p->agent)
        return;
    g_signal_handlers_disconnect_by_data(p->agent, p);
    nice_agent_attach_recv(p->agent, p->stream, 1, NULL, NULL, NULL);
    g_object_unref(p->agent);
    g_free(p->ufrag);
    g_free(p->pwd);
    dc_dtls_free(p->dtls);
    dc_srtp_free(p->srtp);
    dc_sdp_free(p->offer);
}

static peer *peer_by_site(test_ctx *t, const char *site)
{
    for (int i = 0; i < N_PEERS; i++)
        if (g_strcmp0(t->peers[i].site, site) == 0)
            return &t->peers[i];
    return NULL;
}

static void handle_offer(peer *p, const char *text)
{
    bool first = p->offer == NULL;
    dc_sdp_free(p->offer);
    g_assert_true(dc_sdp_parse(text, strlen(text), &p->offer, NULL));
    const dc_sdp_media *m0 = p->offer->media->pdata[0];
    dc_sdp_transport tr;
    dc_sdp_media_transport(p->offer, m0, &tr);
    /* The other site's audio: its SSRC is what we must receive. */
    peer *other = p == &p->t->peers[0] ? &p->t->peers[1] : &p->t->peers[0];
    for (guint i = 2; i < p->offer->media->len; i++) {
        const dc_sdp_media *m = p->offer->media->pdata[i];
        if (m->kind == DC_SDP_KIND_AUDIO && g_strcmp0(m->msid_stream, other->site) == 0 &&
            m->ssrcs->len)
            p->want_ssrc = ((dc_sdp_ssrc *)m->ssrcs->pdata[0])->ssrc;
    }
    if (first) {
        g_autofree char *fp = g_strdup_printf("%s %s", tr.fp_algorithm, tr.fp_hex);
        g_assert_cmpint(dc_dtls_set_remote_fingerprint(p->dtls, fp), ==, 0);
        nice_agent_set_remote_credentials(p->agent, p->stream, tr.ice_ufrag, tr.ice_pwd);
    }
    static const dc_sdp_codec_cap codecs[] = {{"opus", 48000, 2, NULL}, {"VP8", 90000, 0, NULL}};
    static const char *const fb[] = {"nack", "nack pli", "ccm fir", NULL};
    static const char *const ext[] = {DC_SDP_EXT_MID, NULL};
    const dc_sdp_track tracks[] = {{"0", p->site, "a", 1111, 0, p->site},
                                   {"1", p->site, "v", 2222, 0, p->site}};
    g_auto(GStrv) fp = g_strsplit(dc_dtls_cert_fingerprint(p->t->cert), " ", 2);
    dc_sdp_local local = {
        .origin_id = 9,
        .origin_version = 1,
        .ice_ufrag = p->ufrag,
        .ice_pwd = p->pwd,
        .fp_algorithm = fp[0],
        .fp_hex = fp[1],
        .setup = DC_SDP_SETUP_ACTIVE,
        .codecs = codecs,
        .n_codecs = G_N_ELEMENTS(codecs),
        .rtcp_fb = fb,
        .extensions = ext,
        .tracks = tracks,
        .n_tracks = G_N_ELEMENTS(tracks),
    };
    g_autoptr(dc_sdp) answer = dc_sdp_answer(p->offer, &local, NULL);
    g_assert_nonnull(answer);
    g_autofree char *atext = dc_sdp_write(answer);
    send_json(p->t, "answer", p->site, "sdp", atext);
    if (first)
        nice_agent_gather_candidates(p->agent, p->stream);
}

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *data, gpointer user)
{
    test_ctx *t = user;
    gsize len;
    const char *text = g_bytes_get_data(data, &len);
    g_autoptr(JsonParser) jp = json_parser_new();
    g_assert_true(json_parser_load_from_data(jp, text, (gssize)len, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(jp));
    const char *op = json_object_get_string_member_with_default(o, "op", "");
    if (strcmp(op, "stats") == 0) {
        if (t->stats)
            json_node_unref(t->stats);
        t->stats = json_parser_steal_root(jp);
        return;
    }
    peer *p = peer_by_site(t, json_object_get_string_member_with_default(o, "endpoint", ""));
    if (!p)
        return;
    if (strcmp(op, "offer") == 0) {
        handle_offer(p, json_object_get_string_member(o, "sdp"));
    } else if (strcmp(op, "candidate") == 0) {
        const char *c = json_object_get_string_member(o, "candidate");
        if (!*c) {
            nice_agent_peer_candidate_gathering_done(p->agent, p->stream);
            return;
        }
        g_autofree char *line = g_strconcat("a=", c, NULL);
        NiceCandidate *nc = nice_agent_parse_remote_candidate_sdp(p->agent, p->stream, line);
        g_assert_nonnull(nc);
        GSList *l = g_slist_append(NULL, nc);
        nice_agent_set_remote_candidates(p->agent, p->stream, 1, l);
        g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
    } else if (strcmp(op, "endpoint.state") == 0) {
        if (g_strcmp0(json_object_get_string_member(o, "state"), "connected") == 0)
            p->bridge_connected = true;
    } else if (strcmp(op, "error") == 0) {
        g_error("bridge error: %s", json_object_get_string_member(o, "message"));
    }
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer user)
{
    SoupWebsocketConnection **out = user;
    *out = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, NULL);
    if (!*out)
        *out = GINT_TO_POINTER(1);
}

static gboolean tick_dtls(gpointer data)
{
    test_ctx *t = data;
    for (int i = 0; i < N_PEERS; i++) {
        peer *p = &t->peers[i];
        if (p->dtls_started) {
            dc_dtls_handle_timeout(p->dtls, g_get_monotonic_time());
            dtls_pump(p);
        }
    }
    return G_SOURCE_CONTINUE;
}

/* The first site sends one audio packet every 10 ms once both are up. */
static gboolean tick_send(gpointer data)
{
    test_ctx *t = data;
    peer *p = &t->peers[0];
    if (!p->srtp || !t->peers[1].srtp || !p->bridge_connected || !t->peers[1].bridge_connected ||
        t->sent >= N_SEND)
        return G_SOURCE_CONTINUE;
    uint8_t buf[256];
    dc_rtp_ext_elem e = {1, 1, (const uint8_t *)"0"};
    uint8_t ext[16];
    uint16_t profile;
    const dc_sdp_media *m0 = p->offer->media->pdata[0];
    e.id = (uint8_t)dc_sdp_media_ext_id(m0, DC_SDP_EXT_MID);
    int el = dc_rtp_ext_write(&e, 1, ext, sizeof ext, &profile);
    dc_rtp_header h = {.payload_type = 111,
                       .seq = (uint16_t)(65500 + t->sent),
                       .timestamp = 960 * t->sent,
                       .ssrc = 1111,
                       .extension = true,
                       .ext_profile = profile,
                       .ext = ext,
                       .ext_len = (size_t)el};
    int hl = dc_rtp_write_header(&h, buf, sizeof buf);
    memcpy(buf + hl, payload, sizeof payload);
    uint8_t out[512];
    memcpy(out, buf, (size_t)hl + sizeof payload);
    int n = dc_srtp_protect_rtp(p->srtp, out, (size_t)hl + sizeof payload, sizeof out);
    g_assert_cmpint(n, >, 0);
    nice_agent_send(p->agent, p->stream, 1, (guint)n, (const gchar *)out);
    t->sent++;
    return G_SOURCE_CONTINUE;
}

static void on_exited(GObject *src, GAsyncResult *res, gpointer user)
{
    g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
    *(bool *)user = true;
}

static void test_media(void)
{
    test_ctx t = {0};
    t.dir = g_dir_make_tmp("dc-bridge-XXXXXX", NULL);
    t.port = free_port();
    t.cert = dc_dtls_cert_new(g_get_real_time() / G_USEC_PER_SEC);
    const char *src = g_getenv("DC_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(src, "config", "hatinh.ini", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_autoptr(GString) s = g_string_new(text);
    g_autofree char *port = g_strdup_printf("control_port = %u", t.port);
    g_autofree char *web = g_strdup_printf("web_root = %s/web", src);
    g_string_replace(s, "control_port = 7400", port, 1);
    g_string_replace(s, "web_root = ../web", web, 1);
    g_autofree char *cfg = g_build_filename(t.dir, "bridge.ini", NULL);
    g_assert_true(g_file_set_contents(cfg, s->str, -1, NULL));
    /* The control link's secret, made here and read by the bridge. */
    g_autofree char *secret_path = g_build_filename(t.dir, "diemcau-control.secret", NULL);
    uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN];
    g_assert_true(dc_control_auth_load_secret(secret_path, secret, NULL, NULL));
    g_autofree char *bin =
        g_build_filename(g_getenv("DC_BUILD_ROOT"), "bridge", "diemcau-bridge", NULL);
    t.proc = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, NULL, bin, "--config", cfg, NULL);
    g_assert_nonnull(t.proc);
    t.session = soup_session_new();

    int64_t deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
    g_autofree char *url = g_strdup_printf("ws://127.0.0.1:%u/control", t.port);
    while (!t.ws && g_get_monotonic_time() < deadline) {
        SoupWebsocketConnection *ws = NULL;
        g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
        g_autofree char *auth = dc_control_auth_sign(secret, g_get_real_time() / G_USEC_PER_SEC);
        soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", auth);
        soup_session_websocket_connect_async(t.session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                             on_connected, &ws);
        while (!ws)
            g_main_context_iteration(NULL, TRUE);
        if (ws != GINT_TO_POINTER(1))
            t.ws = ws;
        else
            g_usleep(50000);
    }
    g_assert_nonnull(t.ws);
    g_signal_connect(t.ws, "message", G_CALLBACK(on_message), &t);
    peer_init(&t, &t.peers[0], "tinh");
    peer_init(&t, &t.peers[1], "can-loc");
    send_json(&t, "hello", NULL, NULL, NULL);
    send_json(&t, "endpoint.add", "tinh", "session", "a");
    send_json(&t, "endpoint.add", "can-loc", "session", "b");
    guint t1 = g_timeout_add(20, tick_dtls, &t);
    guint t2 = g_timeout_add(10, tick_send, &t);
    while (g_get_monotonic_time() < deadline &&
           (t.sent < N_SEND || t.peers[1].rtp_rx_ok < N_SEND * 9 / 10 || t.peers[1].rtcp_rx == 0))
        g_main_context_iteration(NULL, TRUE);
    /* A little longer for anything wrongly sent back. */
    int64_t end = g_get_monotonic_time() + 200000;
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE);
    g_source_remove(t1);
    g_source_remove(t2);
    g_test_message("sent %u, can-loc received %u (%u as expected), rtcp %u; tinh got %u rtp",
                   t.sent, t.peers[1].rtp_rx, t.peers[1].rtp_rx_ok, t.peers[1].rtcp_rx,
                   t.peers[0].rtp_rx);
    g_assert_true(t.peers[0].bridge_connected && t.peers[1].bridge_connected);
    g_assert_cmpuint(t.sent, ==, N_SEND);
    g_assert_cmpuint(t.peers[1].rtp_rx_ok, >=, N_SEND * 9 / 10);
    g_assert_cmpuint(t.peers[1].rtcp_rx, >, 0);
    g_assert_cmpuint(t.peers[0].rtp_rx, ==, 0); /* never back to the sender */

    /* stats: collected on the meeting's worker, answered with the id. */
    soup_websocket_connection_send_text(t.ws, "{\"op\":\"stats\",\"id\":7,\"meeting\":\"m1\"}");
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!t.stats && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_assert_nonnull(t.stats);
    g_autofree char *stats_text = json_to_string(t.stats, TRUE);
    g_test_message("%s", stats_text);
    JsonObject *so = json_node_get_object(t.stats);
    g_assert_cmpint(json_object_get_int_member(so, "id"), ==, 7);
    g_assert_cmpstr(json_object_get_string_member(so, "meeting"), ==, "m1");
    JsonObject *sites = json_object_get_object_member(so, "sites");
    JsonObject *tinh = json_object_get_object_member(sites, "tinh");
    g_assert_cmpstr(json_object_get_string_member(tinh, "state"), ==, "connected");
    g_assert_cmpstr(json_object_get_string_member(tinh, "dtls"), ==, "connected");
    JsonObject *ice = json_object_get_object_member(tinh, "ice");
    g_assert_nonnull(ice);
    g_assert_true(g_str_has_prefix(json_object_get_string_member(ice, "local"), "127.0.0.1:"));
    g_assert_true(g_str_has_prefix(json_object_get_string_member(ice, "type"), "host/"));
    JsonObject *up =
        json_object_get_object_member(json_object_get_object_member(tinh, "up"), "audio");
    g_assert_cmpint(json_object_get_int_member(up, "packets"), ==, N_SEND);
    g_assert_cmpint(json_object_get_int_member(up, "lost"), ==, 0);
    JsonObject *cl = json_object_get_object_member(sites, "can-loc");
    JsonObject *down =
        json_object_get_object_member(json_object_get_object_member(cl, "down"), "audio");
    g_assert_cmpint(json_object_get_int_member(down, "packets"), >=, N_SEND * 9 / 10);
    g_assert_true(json_object_has_member(cl, "score"));
    JsonObject *absent = json_object_get_object_member(sites, "ky-anh");
    g_assert_nonnull(absent);
    g_assert_cmpstr(json_object_get_string_member(absent, "state"), ==, "absent");
    json_node_unref(t.stats);
    t.stats = NULL;

    bool done = false;
    g_subprocess_send_signal(t.proc, SIGTERM);
    g_subprocess_wait_async(t.proc, NULL, on_exited, &done);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    guint wake = g_timeout_add(50, tick_dtls, &t);
    while (!done && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(wake);
    g_assert_true(done);
    g_assert_cmpint(g_subprocess_get_exit_status(t.proc), ==, 0);

    for (int i = 0; i < N_PEERS; i++)
        peer_free(&t.peers[i]);
    g_object_unref(t.ws);
    g_object_unref(t.session);
    g_object_unref(t.proc);
    dc_dtls_cert_free(t.cert);
    g_unlink(cfg);
    g_unlink(secret_path);
    g_rmdir(t.dir);
    g_free(t.dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/media/forward-over-loopback", test_media);
    return g_test_run();
}
