/* System test of diemcau-bridge's control link: starts the real binary on a
 * temporary config and talks to ws://127.0.0.1:PORT/control with libsoup:
 * hello, endpoint.add -> offer (parsed with core/sdp) and trickled
 * candidates, a re-offer queued behind a pending answer, endpoint.remove,
 * and a clean stop on SIGTERM, also while commands keep arriving. Every
 * wait is bounded. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "core/dtls.h"
#include "core/sdp.h"

#define WAIT_US (5 * G_USEC_PER_SEC)

typedef struct {
    GSubprocess *proc;
    SoupSession *session;
    SoupWebsocketConnection *ws;
    GQueue msgs;   /* of JsonNode* */
    GString *seen; /* "op endpoint\n" of every message, in arrival order */
    char *dir;
    guint16 port;
} fixture;

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

/* The default deployment file with our port and an absolute web root. */
static char *write_config(fixture *f)
{
    const char *src = g_getenv("DC_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(src, "config", "hatinh.ini", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_autoptr(GString) s = g_string_new(text);
    g_autofree char *port = g_strdup_printf("control_port = %u", f->port);
    g_autofree char *web = g_strdup_printf("web_root = %s/web", src);
    g_assert_cmpint(g_string_replace(s, "control_port = 7400", port, 1), ==, 1);
    g_assert_cmpint(g_string_replace(s, "web_root = ../web", web, 1), ==, 1);
    g_string_replace(s, "port = 8080", "port = 0", 1);
    /* One meeting per bridge: a second one is refused (test_limits). */
    g_assert_cmpint(g_string_replace(s, "max_meetings = 64", "max_meetings = 1", 1), ==, 1);
    char *out = g_build_filename(f->dir, "bridge.ini", NULL);
    g_assert_true(g_file_set_contents(out, s->str, -1, NULL));
    return out;
}

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *data, gpointer user)
{
    fixture *f = user;
    gsize len;
    const char *text = g_bytes_get_data(data, &len);
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, text, (gssize)len, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    if (!f->seen)
        f->seen = g_string_new(NULL);
    g_string_append_printf(f->seen, "%s %s\n",
                           json_object_get_string_member_with_default(o, "op", ""),
                           json_object_get_string_member_with_default(o, "endpoint", ""));
    g_queue_push_tail(&f->msgs, json_node_copy(json_parser_get_root(p)));
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer user)
{
    SoupWebsocketConnection **out = user;
    *out = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, NULL);
    if (!*out)
        *out = GINT_TO_POINTER(1); /* failed: try again */
}

static void connect_ws(fixture *f)
{
    g_autofree char *url = g_strdup_printf("ws://127.0.0.1:%u/control", f->port);
    int64_t deadline = g_get_monotonic_time() + WAIT_US;
    while (g_get_monotonic_time() < deadline) {
        SoupWebsocketConnection *ws = NULL;
        g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
        soup_session_websocket_connect_async(f->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                             on_connected, &ws);
        while (!ws)
            g_main_context_iteration(NULL, TRUE);
        if (ws != GINT_TO_POINTER(1)) {
            f->ws = ws;
            g_signal_connect(ws, "message", G_CALLBACK(on_message), f);
            return;
        }
        g_usleep(50000);
    }
    g_error("cannot connect to %s", url);
}

static gboolean wake(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

/* Waits for the next message with this op (and endpoint when not NULL),
 * dropping others that do not match only when skip is true. */
static JsonObject *wait_for(fixture *f, const char *op, const char *endpoint)
{
    int64_t deadline = g_get_monotonic_time() + WAIT_US;
    guint tick = g_timeout_add(50, wake, NULL);
    while (g_get_monotonic_time() < deadline) {
        for (GList *l = f->msgs.head; l; l = l->next) {
            JsonObject *o = json_node_get_object(l->data);
            if (g_strcmp0(json_object_get_string_member_with_default(o, "op", ""), op) != 0)
                continue;
            if (endpoint && g_strcmp0(json_object_get_string_member_with_default(o, "endpoint", ""),
                                      endpoint) != 0)
                continue;
            JsonNode *n = l->data;
            g_queue_delete_link(&f->msgs, l);
            g_source_remove(tick);
            JsonObject *res = json_object_ref(json_node_get_object(n));
            json_node_unref(n);
            return res;
        }
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(tick);
    g_error("no \"%s\" message for %s within 5 s", op, endpoint ? endpoint : "-");
    return NULL;
}

static void send_msg(fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    soup_websocket_connection_send_text(f->ws, text);
}

static void send_json_node(fixture *f, JsonBuilder *b)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    soup_websocket_connection_send_text(f->ws, text);
}

static void setup(fixture *f, gconstpointer data)
{
    f->dir = g_dir_make_tmp("dc-bridge-XXXXXX", NULL);
    f->port = free_port();
    g_autofree char *cfg = write_config(f);
    g_autofree char *bin =
        g_build_filename(g_getenv("DC_BUILD_ROOT"), "bridge", "diemcau-bridge", NULL);
    GError *error = NULL;
    f->proc = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, bin, "--config", cfg, NULL);
    g_assert_no_error(error);
    f->session = soup_session_new();
    g_queue_init(&f->msgs);
    connect_ws(f);
}

static void teardown(fixture *f, gconstpointer data)
{
    if (f->ws) {
        if (soup_websocket_connection_get_state(f->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(f->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        g_object_unref(f->ws);
    }
    if (f->proc) {
        g_subprocess_force_exit(f->proc);
        g_subprocess_wait(f->proc, NULL, NULL);
        g_object_unref(f->proc);
    }
    g_queue_clear_full(&f->msgs, (GDestroyNotify)json_node_unref);
    if (f->seen)
        g_string_free(f->seen, TRUE);
    g_object_unref(f->session);
    g_autofree char *cfg = g_build_filename(f->dir, "bridge.ini", NULL);
    g_unlink(cfg);
    g_rmdir(f->dir);
    g_free(f->dir);
}

static dc_sdp *parse_offer(JsonObject *o)
{
    const char *text = json_object_get_string_member(o, "sdp");
    dc_sdp *sdp = NULL;
    GError *error = NULL;
    g_assert_true(dc_sdp_parse(text, strlen(text), &sdp, &error));
    g_assert_no_error(error);
    return sdp;
}

/* The answer a Chromium-like endpoint would give. */
static char *make_answer(const dc_sdp *offer, const char *fingerprint)
{
    static const dc_sdp_codec_cap codecs[] = {{"opus", 48000, 2, NULL}, {"VP8", 90000, 0, NULL}};
    static const char *const fb[] = {"nack", "nack pli", "ccm fir", NULL};
    static const char *const ext[] = {DC_SDP_EXT_MID, DC_SDP_EXT_AUDIO_LEVEL, NULL};
    const dc_sdp_track tracks[] = {{"0", "me", "me-a", 1111, 0, "me"},
                                   {"1", "me", "me-v", 2222, 0, "me"}};
    g_auto(GStrv) fp = g_strsplit(fingerprint, " ", 2);
    dc_sdp_local local = {
        .origin_id = 7,
        .origin_version = 1,
        .ice_ufrag = "abcd",
        .ice_pwd = "abcdefghijklmnopqrstuvwx",
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
    GError *error = NULL;
    g_autoptr(dc_sdp) answer = dc_sdp_answer(offer, &local, &error);
    g_assert_no_error(error);
    return dc_sdp_write(answer);
}

static void send_answer(fixture *f, const char *site, const dc_sdp *offer)
{
    dc_dtls_cert *cert = dc_dtls_cert_new(g_get_real_time() / G_USEC_PER_SEC);
    g_autofree char *answer = make_answer(offer, dc_dtls_cert_fingerprint(cert));
    dc_dtls_cert_free(cert);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "op");
    json_builder_add_string_value(b, "answer");
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, "m1");
    json_builder_set_member_name(b, "endpoint");
    json_builder_add_string_value(b, site);
    json_builder_set_member_name(b, "sdp");
    json_builder_add_string_value(b, answer);
    json_builder_end_object(b);
    send_json_node(f, b);
}

static void on_exited(GObject *src, GAsyncResult *res, gpointer user)
{
    g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
    *(bool *)user = true;
}

static void test_hello(fixture *f, gconstpointer data)
{
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    JsonObject *o = wait_for(f, "hello", NULL);
    const char *id = json_object_get_string_member_with_default(o, "bridge", "");
    g_assert_cmpuint(strlen(id), >=, 8);
    json_object_unref(o);
    send_msg(f, "{\"op\":\"nonsense\",\"meeting\":\"m1\",\"endpoint\":\"tinh\"}");
    o = wait_for(f, "error", NULL);
    json_object_unref(o);
    send_msg(f, "not json");
    o = wait_for(f, "error", NULL);
    json_object_unref(o);
}

static void test_offer_candidates_remove(fixture *f, gconstpointer data)
{
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "hello", NULL));
    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    JsonObject *o = wait_for(f, "endpoint.state", "tinh");
    g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "connecting");
    json_object_unref(o);
    o = wait_for(f, "offer", "tinh");
    /* The offer came before any candidate (issue 15: a site cannot apply a
     * candidate before it has a remote description). */
    const char *first_cand = strstr(f->seen->str, "candidate tinh\n");
    g_assert_true(!first_cand || first_cand > strstr(f->seen->str, "offer tinh\n"));
    g_autoptr(dc_sdp) offer = parse_offer(o);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "streams")), ==, 0);
    json_object_unref(o);
    /* 14 sites: own audio/video then 13 x 2, all bundled. */
    g_assert_cmpuint(offer->media->len, ==, 28);
    g_assert_cmpuint(offer->bundle->len, ==, 28);
    const dc_sdp_media *m0 = offer->media->pdata[0];
    g_assert_cmpstr(m0->mid, ==, "0");
    g_assert_cmpint(m0->direction, ==, DC_SDP_DIR_RECVONLY);
    g_assert_true(m0->rtcp_mux);
    dc_sdp_transport t;
    dc_sdp_media_transport(offer, m0, &t);
    g_assert_nonnull(t.ice_ufrag);
    g_assert_cmpstr(t.fp_algorithm, ==, "sha-256");
    g_assert_cmpint(t.setup, ==, DC_SDP_SETUP_ACTPASS);
    const dc_sdp_media *m2 = offer->media->pdata[2];
    /* Nobody else yet, but every other site's m-line is sendonly with its
     * SSRC from the start, so that a join changes no direction. */
    g_assert_cmpint(m2->direction, ==, DC_SDP_DIR_SENDONLY);
    g_assert_cmpuint(m2->ssrcs->len, ==, 1);
    g_assert_cmpstr(m2->msid_stream, ==, "tp-ha-tinh");

    /* Candidates: a host candidate on 127.0.0.1, then the end. */
    bool loopback = false;
    for (;;) {
        o = wait_for(f, "candidate", "tinh");
        const char *c = json_object_get_string_member(o, "candidate");
        g_assert_cmpstr(json_object_get_string_member(o, "sdpMid"), ==, "0");
        bool end = *c == '\0';
        if (!end) {
            g_assert_true(g_str_has_prefix(c, "candidate:"));
            g_autoptr(dc_sdp_candidate) cand = dc_sdp_candidate_parse(c, NULL);
            g_assert_nonnull(cand);
            loopback |= g_strcmp0(cand->address, "127.0.0.1") == 0;
        }
        json_object_unref(o);
        if (end)
            break;
    }
    g_assert_true(loopback);

    /* A second site joins: its offer has tinh's m-lines sendonly. tinh's
     * re-offer waits for tinh's answer, then comes at once. */
    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"can-loc\","
                "\"session\":\"s2\"}");
    o = wait_for(f, "offer", "can-loc");
    g_autoptr(dc_sdp) offer2 = parse_offer(o);
    JsonArray *streams = json_object_get_array_member(o, "streams");
    g_assert_cmpuint(json_array_get_length(streams), ==, 2);
    JsonObject *s0 = json_array_get_object_element(streams, 0);
    g_assert_cmpstr(json_object_get_string_member(s0, "site"), ==, "tinh");
    g_assert_cmpstr(json_object_get_string_member(s0, "kind"), ==, "audio");
    const dc_sdp_media *sm = dc_sdp_find_media(offer2, json_object_get_string_member(s0, "mid"));
    g_assert_nonnull(sm);
    g_assert_cmpint(sm->direction, ==, DC_SDP_DIR_SENDONLY);
    g_assert_cmpuint(sm->ssrcs->len, ==, 1);
    json_object_unref(o);
    g_usleep(400000);
    send_answer(f, "tinh", offer);
    o = wait_for(f, "offer", "tinh");
    g_autoptr(dc_sdp) reoffer = parse_offer(o);
    streams = json_object_get_array_member(o, "streams");
    g_assert_cmpuint(json_array_get_length(streams), ==, 2);
    g_assert_cmpstr(
        json_object_get_string_member(json_array_get_object_element(streams, 1), "site"), ==,
        "can-loc");
    json_object_unref(o);
    g_assert_cmpuint(reoffer->origin_version, >, offer->origin_version);
    /* can-loc's mids at tinh did not move. */
    for (guint i = 0; i < offer->media->len; i++) {
        const dc_sdp_media *a = offer->media->pdata[i], *b = reoffer->media->pdata[i];
        g_assert_cmpstr(a->mid, ==, b->mid);
        g_assert_cmpstr(a->msid_stream, ==, b->msid_stream);
        g_assert_cmpint(a->direction, ==, b->direction);
    }

    send_msg(f, "{\"op\":\"endpoint.remove\",\"meeting\":\"m1\",\"endpoint\":\"can-loc\"}");
    o = wait_for(f, "endpoint.state", "can-loc");
    while (g_strcmp0(json_object_get_string_member(o, "state"), "closed") != 0) {
        json_object_unref(o);
        o = wait_for(f, "endpoint.state", "can-loc");
    }
    json_object_unref(o);

    /* Clean stop on SIGTERM. */
    bool done = false;
    g_subprocess_send_signal(f->proc, SIGTERM);
    g_subprocess_wait_async(f->proc, NULL, on_exited, &done);
    int64_t deadline = g_get_monotonic_time() + WAIT_US;
    guint tick = g_timeout_add(50, wake, NULL);
    while (!done && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(tick);
    g_assert_true(done);
    g_assert_true(g_subprocess_get_if_exited(f->proc));
    g_assert_cmpint(g_subprocess_get_exit_status(f->proc), ==, 0);
}

/* Skips candidates of site up to and including the end (""); returns how
 * many there were. */
static unsigned drain_candidates(fixture *f, const char *site)
{
    for (unsigned n = 0; n < 64; n++) {
        JsonObject *o = wait_for(f, "candidate", site);
        bool end = *json_object_get_string_member(o, "candidate") == '\0';
        json_object_unref(o);
        if (end)
            return n;
    }
    g_error("no end of candidates");
    return 0;
}

/* ice-restart: a new offer with new ICE credentials and nothing else new,
 * the candidates again; a second request while the restart's answer is
 * pending is served by it. */
static void test_ice_restart(fixture *f, gconstpointer data)
{
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "hello", NULL));
    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    JsonObject *o = wait_for(f, "offer", "tinh");
    g_autoptr(dc_sdp) offer = parse_offer(o);
    json_object_unref(o);
    g_assert_cmpuint(drain_candidates(f, "tinh"), >, 0);
    send_answer(f, "tinh", offer);

    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    o = wait_for(f, "offer", "tinh");
    g_autoptr(dc_sdp) restart = parse_offer(o);
    json_object_unref(o);
    dc_sdp_transport t0, t1;
    dc_sdp_media_transport(offer, offer->media->pdata[0], &t0);
    dc_sdp_media_transport(restart, restart->media->pdata[0], &t1);
    g_assert_cmpstr(t0.ice_ufrag, !=, t1.ice_ufrag);
    g_assert_cmpstr(t0.ice_pwd, !=, t1.ice_pwd);
    g_assert_cmpstr(t0.fp_hex, ==, t1.fp_hex);
    g_assert_cmpuint(restart->media->len, ==, offer->media->len);
    for (guint i = 0; i < offer->media->len; i++) {
        const dc_sdp_media *a = offer->media->pdata[i], *b = restart->media->pdata[i];
        g_assert_cmpstr(a->mid, ==, b->mid);
        g_assert_cmpint(a->direction, ==, b->direction);
        g_assert_cmpuint(a->ssrcs->len, ==, b->ssrcs->len);
        for (guint k = 0; k < a->ssrcs->len; k++)
            g_assert_cmpuint(((const dc_sdp_ssrc *)a->ssrcs->pdata[k])->ssrc, ==,
                             ((const dc_sdp_ssrc *)b->ssrcs->pdata[k])->ssrc);
    }
    g_assert_cmpuint(drain_candidates(f, "tinh"), >, 0); /* sent again */

    /* Asked again before answering (requests held up together): the
     * restart offer out already serves it. One later than 1 s makes the
     * next restart, and the version shows no offer came in between. */
    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    send_answer(f, "tinh", restart);
    g_usleep(1100000);
    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    o = wait_for(f, "offer", "tinh");
    g_autoptr(dc_sdp) again = parse_offer(o);
    json_object_unref(o);
    dc_sdp_transport t2;
    dc_sdp_media_transport(again, again->media->pdata[0], &t2);
    g_assert_cmpstr(t2.ice_ufrag, !=, t1.ice_ufrag);
    g_assert_cmpuint(again->origin_id, ==, offer->origin_id);
    g_assert_cmpuint(again->origin_version, ==, restart->origin_version + 1);
    drain_candidates(f, "tinh");

    /* For a site without an endpoint: an error. */
    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"can-loc\"}");
    json_object_unref(wait_for(f, "error", "can-loc"));
}

/* [limits]: a second meeting on a bridge that holds one is refused; the
 * 33rd remote candidate of one ICE generation is refused. */
static void test_limits(fixture *f, gconstpointer data)
{
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "hello", NULL));
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m2\"}");
    JsonObject *o = wait_for(f, "error", NULL);
    g_assert_true(g_str_has_prefix(json_object_get_string_member(o, "message"), "meeting-limit"));
    json_object_unref(o);

    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    o = wait_for(f, "offer", "tinh");
    g_autoptr(dc_sdp) offer = parse_offer(o);
    json_object_unref(o);
    send_answer(f, "tinh", offer);
    for (unsigned i = 0; i < 33; i++)
        send_msg(f,
                 "{\"op\":\"candidate\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                 "\"candidate\":\"candidate:%u 1 udp 2130706431 127.0.0.1 %u typ host\","
                 "\"sdpMid\":\"0\"}",
                 i + 1, 50000 + i);
    o = wait_for(f, "error", "tinh");
    g_assert_nonnull(strstr(json_object_get_string_member(o, "message"), "more than 32"));
    json_object_unref(o);
}

/* A bridge that is stopping drops the commands that still arrive instead of
 * making meetings on its freed workers (it once did, in the main context
 * drained after the workers stopped: a use after free under ASan, a crash
 * at times without). Commands keep coming until the process has exited. */
static void test_stop_under_commands(fixture *f, gconstpointer data)
{
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "hello", NULL));
    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    json_object_unref(wait_for(f, "endpoint.state", "tinh"));

    bool done = false;
    unsigned sent = 0;
    g_subprocess_send_signal(f->proc, SIGTERM);
    g_subprocess_wait_async(f->proc, NULL, on_exited, &done);
    int64_t deadline = g_get_monotonic_time() + WAIT_US;
    while (!done && g_get_monotonic_time() < deadline) {
        if (soup_websocket_connection_get_state(f->ws) == SOUP_WEBSOCKET_STATE_OPEN) {
            send_msg(f,
                     "{\"op\":\"endpoint.add\",\"meeting\":\"late%u\",\"endpoint\":\"can-loc\","
                     "\"session\":\"s%u\"}",
                     sent % 8, sent);
            sent++;
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(200);
    }
    g_test_message("%u commands sent while the bridge stopped", sent);
    g_assert_true(done);
    g_assert_cmpuint(sent, >, 0);
    g_assert_true(g_subprocess_get_if_exited(f->proc));
    g_assert_cmpint(g_subprocess_get_exit_status(f->proc), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/control/hello", fixture, NULL, setup, test_hello, teardown);
    g_test_add("/control/offer-candidates-remove", fixture, NULL, setup,
               test_offer_candidates_remove, teardown);
    g_test_add("/control/ice-restart", fixture, NULL, setup, test_ice_restart, teardown);
    g_test_add("/control/limits", fixture, NULL, setup, test_limits, teardown);
    g_test_add("/control/stop-under-commands", fixture, NULL, setup, test_stop_under_commands,
               teardown);
    return g_test_run();
}
