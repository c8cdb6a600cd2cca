/* System test of diemcau-bridge's control link: starts the real binary on a
 * temporary config and talks to ws://127.0.0.1:PORT/control with libsoup:
 * hello, endpoint.add -> offer (parsed with core/sdp) and trickled
 * candidates, a re-offer queued behind a pending answer, endpoint.remove,
 * and a clean stop on SIGTERM, also while commands keep arriving. Then the
 * attacks of issue 13, each refused while the legitimate link keeps
 * working: upgrades without a valid Authorization header or with an Origin,
 * a second link after a meeting another link holds, stale sessions, deep
 * nesting; and the takeover of a silent link's meeting. Every wait is
 * bounded. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "common/control-auth.h"
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
    uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN];
    char *auth; /* the Authorization header of the last link opened */
} fixture;

/* A second control link (an attacker who has the secret, or a restarted
 * signal service): its own messages. */
typedef struct {
    SoupWebsocketConnection *ws;
    GQueue msgs; /* of JsonNode* */
} extra_link;

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
        g_free(f->auth);
        f->auth = dc_control_auth_sign(f->secret, g_get_real_time() / G_USEC_PER_SEC);
        soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
                                     f->auth);
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

/* Waits for the next message with this op (any op when NULL; and endpoint
 * when not NULL), leaving the others queued. */
static JsonObject *wait_in(GQueue *msgs, const char *op, const char *endpoint)
{
    int64_t deadline = g_get_monotonic_time() + WAIT_US;
    guint tick = g_timeout_add(50, wake, NULL);
    while (g_get_monotonic_time() < deadline) {
        for (GList *l = msgs->head; l; l = l->next) {
            JsonObject *o = json_node_get_object(l->data);
            if (op && g_strcmp0(json_object_get_string_member_with_default(o, "op", ""), op) != 0)
                continue;
            if (endpoint && g_strcmp0(json_object_get_string_member_with_default(o, "endpoint", ""),
                                      endpoint) != 0)
                continue;
            JsonNode *n = l->data;
            g_queue_delete_link(msgs, l);
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

static JsonObject *wait_for(fixture *f, const char *op, const char *endpoint)
{
    return wait_in(&f->msgs, op, endpoint);
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
    /* The secret the bridge reads, made first by the test (as by a signal
     * service started before the bridge). */
    g_autofree char *secret = g_build_filename(f->dir, "diemcau-control.secret", NULL);
    g_assert_true(dc_control_auth_load_secret(secret, f->secret, NULL, NULL));
    g_autofree char *bin =
        g_build_filename(g_getenv("DC_BUILD_ROOT"), "bridge", "diemcau-bridge", NULL);
    GError *error = NULL;
    /* data: one more argument for the bridge, or NULL. */
    f->proc = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, bin, "--config", cfg,
                               (const char *)data, NULL);
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
    g_autofree char *secret = g_build_filename(f->dir, "diemcau-control.secret", NULL);
    g_unlink(secret);
    g_free(f->auth);
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

static void send_answer(fixture *f, const char *site, const char *session, const dc_sdp *offer)
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
    json_builder_set_member_name(b, "session");
    json_builder_add_string_value(b, session);
    json_builder_set_member_name(b, "sdp");
    json_builder_add_string_value(b, answer);
    json_builder_end_object(b);
    send_json_node(f, b);
}

/* ---- more links ---- */

static gboolean set_true(gpointer data)
{
    *(bool *)data = true;
    return G_SOURCE_REMOVE;
}

/* Iterates the main context for ms milliseconds. */
static void run_for(guint ms)
{
    bool done = false;
    g_timeout_add(ms, set_true, &done);
    while (!done)
        g_main_context_iteration(NULL, TRUE);
}

static void on_extra_message(SoupWebsocketConnection *ws, gint type, GBytes *data, gpointer user)
{
    extra_link *l = user;
    gsize len;
    const char *text = g_bytes_get_data(data, &len);
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, text, (gssize)len, NULL));
    g_queue_push_tail(&l->msgs, json_node_copy(json_parser_get_root(p)));
}

/* Opens /control with these headers (NULL: left out); NULL when the
 * upgrade itself fails. */
static SoupWebsocketConnection *open_raw(fixture *f, const char *auth, const char *origin)
{
    g_autofree char *url = g_strdup_printf("ws://127.0.0.1:%u/control", f->port);
    g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
    SoupMessageHeaders *h = soup_message_get_request_headers(msg);
    if (auth)
        soup_message_headers_replace(h, "Authorization", auth);
    SoupWebsocketConnection *ws = NULL;
    /* libsoup sends Origin only when given one. */
    soup_session_websocket_connect_async(f->session, msg, origin, NULL, G_PRIORITY_DEFAULT, NULL,
                                         on_connected, &ws);
    while (!ws)
        g_main_context_iteration(NULL, TRUE);
    return ws == GINT_TO_POINTER(1) ? NULL : ws;
}

static extra_link *link_open(fixture *f)
{
    extra_link *l = g_new0(extra_link, 1);
    g_autofree char *auth = dc_control_auth_sign(f->secret, g_get_real_time() / G_USEC_PER_SEC);
    l->ws = open_raw(f, auth, NULL);
    g_assert_nonnull(l->ws);
    g_queue_init(&l->msgs);
    g_signal_connect(l->ws, "message", G_CALLBACK(on_extra_message), l);
    return l;
}

static void link_send(extra_link *l, const char *text)
{
    soup_websocket_connection_send_text(l->ws, text);
}

static void link_free(extra_link *l)
{
    g_signal_handlers_disconnect_by_data(l->ws, l);
    if (soup_websocket_connection_get_state(l->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(l->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_object_unref(l->ws);
    g_queue_clear_full(&l->msgs, (GDestroyNotify)json_node_unref);
    g_free(l);
}

/* Waits until ws is closed; returns its close code. */
static gushort wait_closed(SoupWebsocketConnection *ws)
{
    int64_t deadline = g_get_monotonic_time() + WAIT_US;
    guint tick = g_timeout_add(50, wake, NULL);
    while (soup_websocket_connection_get_state(ws) != SOUP_WEBSOCKET_STATE_CLOSED &&
           g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(tick);
    g_assert_cmpint(soup_websocket_connection_get_state(ws), ==, SOUP_WEBSOCKET_STATE_CLOSED);
    return soup_websocket_connection_get_close_code(ws);
}

/* The legitimate link still drives its meeting: stats are answered on it. */
static void assert_owner_works(fixture *f, const char *site_state)
{
    send_msg(f, "{\"op\":\"stats\",\"id\":42,\"meeting\":\"m1\"}");
    JsonObject *o = wait_for(f, "stats", NULL);
    g_assert_cmpint(json_object_get_int_member(o, "id"), ==, 42);
    JsonObject *tinh =
        json_object_get_object_member(json_object_get_object_member(o, "sites"), "tinh");
    g_assert_cmpstr(json_object_get_string_member(tinh, "state"), ==, site_state);
    json_object_unref(o);
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
    send_answer(f, "tinh", "s1", offer);
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

    send_msg(f, "{\"op\":\"endpoint.remove\",\"meeting\":\"m1\",\"endpoint\":\"can-loc\","
                "\"session\":\"s2\"}");
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
    send_answer(f, "tinh", "s1", offer);

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
    send_answer(f, "tinh", "s1", restart);
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
    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"can-loc\","
                "\"session\":\"c1\"}");
    json_object_unref(wait_for(f, "error", "can-loc"));
}

/* [limits]: a second meeting on a bridge that holds one is refused; the
 * 33rd remote candidate of one ICE generation is refused. */
static void test_limits(fixture *f, gconstpointer data)
{
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "hello", NULL));
    /* One meeting per link (docs/control.md), max_meetings per bridge. */
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m2\"}");
    JsonObject *o = wait_for(f, "error", NULL);
    g_assert_true(
        g_str_has_prefix(json_object_get_string_member(o, "message"), "one meeting per control"));
    json_object_unref(o);
    extra_link *b = link_open(f);
    link_send(b, "{\"op\":\"hello\",\"meeting\":\"m2\"}");
    o = wait_in(&b->msgs, "error", NULL);
    g_assert_true(g_str_has_prefix(json_object_get_string_member(o, "message"), "meeting-limit"));
    json_object_unref(o);
    link_free(b);

    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    o = wait_for(f, "offer", "tinh");
    g_autoptr(dc_sdp) offer = parse_offer(o);
    json_object_unref(o);
    send_answer(f, "tinh", "s1", offer);
    for (unsigned i = 0; i < 33; i++)
        send_msg(f,
                 "{\"op\":\"candidate\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                 "\"session\":\"s1\",\"candidate\":\"candidate:%u 1 udp 2130706431 127.0.0.1 %u "
                 "typ host\","
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

/* SIGTERM: the bridge exits 0 (under ASan: nothing leaked, also of the
 * links it refused or replaced). */
static void stop_clean(fixture *f)
{
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

/* The owner's meeting: hello, tinh added (session s1), its offer taken. */
static dc_sdp *owner_meeting(fixture *f)
{
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "hello", NULL));
    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    JsonObject *o = wait_for(f, "offer", "tinh");
    dc_sdp *offer = parse_offer(o);
    json_object_unref(o);
    drain_candidates(f, "tinh");
    return offer;
}

/* Upgrades without a valid header, or from a browser: closed at once with
 * 1008 before anything they send is read; the owner's link keeps working
 * after each. */
static void test_auth_refused(fixture *f, gconstpointer data)
{
    g_autoptr(dc_sdp) offer = owner_meeting(f);
    uint8_t other[DC_CONTROL_AUTH_SECRET_LEN] = {7};
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *bad_mac = dc_control_auth_sign(other, now);
    g_autofree char *stale = dc_control_auth_sign(f->secret, now - 120);
    g_autofree char *future = dc_control_auth_sign(f->secret, now + 120);
    g_autofree char *good = dc_control_auth_sign(f->secret, now);
    const struct {
        const char *name, *auth, *origin, *reason;
    } cases[] = {
        {"no header", NULL, NULL, "authentication failed"},
        {"malformed", "DC-HMAC t=1", NULL, "authentication failed"},
        {"bad mac", bad_mac, NULL, "authentication failed"},
        {"stale t", stale, NULL, "authentication failed"},
        {"t in the future", future, NULL, "authentication failed"},
        {"replayed nonce", f->auth, NULL, "authentication failed"},
        {"Origin", good, "http://127.0.0.1:8080", "browsers may not open the control link"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].name);
        SoupWebsocketConnection *ws = open_raw(f, cases[i].auth, cases[i].origin);
        g_assert_nonnull(ws);
        /* What it sends is never read: no meeting is freed or answered. */
        soup_websocket_connection_send_text(ws, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
        soup_websocket_connection_send_text(ws, "{\"op\":\"endpoint.remove\",\"meeting\":"
                                                "\"m1\",\"endpoint\":\"tinh\",\"session\":\"s1\"}");
        g_assert_cmpuint(wait_closed(ws), ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
        g_assert_cmpstr(soup_websocket_connection_get_close_data(ws), ==, cases[i].reason);
        g_object_unref(ws);
        assert_owner_works(f, "connecting");
    }
    stop_clean(f);
}

/* A second authenticated link (a misconfigured or hostile signal service)
 * cannot take a held meeting's hello, ops or stats: errors naming the
 * reason, nothing changes, and the owner still gets its replies. When it
 * closes, the meeting stays. */
static void test_held_meeting(fixture *f, gconstpointer data)
{
    g_autoptr(dc_sdp) offer = owner_meeting(f);
    extra_link *b = link_open(f);
    static const char *const attacks[] = {
        "{\"op\":\"hello\",\"meeting\":\"m1\"}",
        "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"can-loc\",\"session\":\"x\"}",
        "{\"op\":\"endpoint.remove\",\"meeting\":\"m1\",\"endpoint\":\"tinh\",\"session\":\"s1\"}",
        "{\"op\":\"answer\",\"meeting\":\"m1\",\"endpoint\":\"tinh\",\"session\":\"s1\","
        "\"sdp\":\"v=0\\r\\n\"}",
        "{\"op\":\"candidate\",\"meeting\":\"m1\",\"endpoint\":\"tinh\",\"session\":\"s1\","
        "\"candidate\":\"\"}",
        "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"tinh\",\"session\":\"s1\"}",
        "{\"op\":\"mute\",\"meeting\":\"m1\",\"endpoint\":\"tinh\",\"audio\":true}",
        "{\"op\":\"floor\",\"meeting\":\"m1\"}",
        "{\"op\":\"stats\",\"id\":1,\"meeting\":\"m1\"}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(attacks); i++) {
        link_send(b, attacks[i]);
        JsonObject *o = wait_in(&b->msgs, "error", NULL);
        g_assert_cmpstr(json_object_get_string_member(o, "message"), ==,
                        "meeting held by another control link");
        json_object_unref(o);
        assert_owner_works(f, "connecting");
    }
    /* Nothing of the meeting reached the second link. */
    g_assert_cmpuint(b->msgs.length, ==, 0);
    link_free(b);
    /* The owner's meeting outlives the other link, and its answer applies. */
    send_answer(f, "tinh", "s1", offer);
    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    json_object_unref(wait_for(f, "offer", "tinh"));
    stop_clean(f);
}

/* A link silent for longer than the limit (here 300 ms) loses its meeting to
 * a new link's hello (a signal service that crashed without a FIN): the old
 * link is closed, the new one drives a fresh meeting. */
static void test_silent_owner_taken_over(fixture *f, gconstpointer data)
{
    g_autoptr(dc_sdp) offer = owner_meeting(f);
    extra_link *b = link_open(f);
    /* Asked again until the owner has been silent long enough: refused
     * meanwhile. */
    unsigned refused = 0;
    for (;;) {
        link_send(b, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
        JsonObject *o = wait_in(&b->msgs, NULL, NULL);
        const char *op = json_object_get_string_member(o, "op");
        bool hello = g_strcmp0(op, "hello") == 0;
        if (!hello)
            g_assert_cmpstr(json_object_get_string_member(o, "message"), ==,
                            "meeting held by another control link");
        json_object_unref(o);
        if (hello)
            break;
        refused++;
        g_assert_cmpuint(refused, <, 100);
        /* The next try in 50 ms (the owner must be silent 300 ms). */
        run_for(50);
    }
    g_assert_cmpuint(refused, >, 0);
    g_assert_cmpuint(wait_closed(f->ws), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
    link_send(b, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                 "\"session\":\"s2\"}");
    JsonObject *o = wait_in(&b->msgs, "offer", "tinh");
    g_assert_cmpstr(json_object_get_string_member(o, "session"), ==, "s2");
    json_object_unref(o);
    link_free(b);
    stop_clean(f);
}

/* Commands for a session that is not the endpoint's current one change
 * nothing: answer and ice-restart get an error carrying that session,
 * candidate and endpoint.remove are ignored; the current session works
 * after. endpoint.add without a session is refused. */
static void test_stale_session(fixture *f, gconstpointer data)
{
    g_autoptr(dc_sdp) offer = owner_meeting(f);
    send_answer(f, "tinh", "s0", offer);
    JsonObject *o = wait_for(f, "error", "tinh");
    g_assert_cmpstr(json_object_get_string_member(o, "session"), ==, "s0");
    json_object_unref(o);
    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s0\"}");
    o = wait_for(f, "error", "tinh");
    g_assert_cmpstr(json_object_get_string_member(o, "session"), ==, "s0");
    json_object_unref(o);
    send_msg(f, "{\"op\":\"candidate\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s0\",\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\","
                "\"sdpMid\":\"0\"}");
    send_msg(f, "{\"op\":\"endpoint.remove\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s0\"}");
    assert_owner_works(f, "connecting"); /* still there */
    send_msg(f, "{\"op\":\"endpoint.add\",\"meeting\":\"m1\",\"endpoint\":\"can-loc\"}");
    o = wait_for(f, "error", "can-loc");
    g_assert_nonnull(strstr(json_object_get_string_member(o, "message"), "session"));
    json_object_unref(o);

    /* The current session: answer applies, ice-restart offers, remove
     * closes. */
    send_answer(f, "tinh", "s1", offer);
    send_msg(f, "{\"op\":\"ice-restart\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    json_object_unref(wait_for(f, "offer", "tinh"));
    send_msg(f, "{\"op\":\"endpoint.remove\",\"meeting\":\"m1\",\"endpoint\":\"tinh\","
                "\"session\":\"s1\"}");
    for (;;) {
        o = wait_for(f, "endpoint.state", "tinh");
        bool closed = g_strcmp0(json_object_get_string_member(o, "state"), "closed") == 0;
        json_object_unref(o);
        if (closed)
            break;
    }
}

/* 80 kB of '[' (json-glib would recurse until the stack overflows): an
 * error, and the bridge carries on. */
static void test_deep_nesting(fixture *f, gconstpointer data)
{
    g_autoptr(dc_sdp) offer = owner_meeting(f);
    g_autofree char *deep = g_malloc(80 * 1024 + 1);
    memset(deep, '[', 80 * 1024);
    deep[80 * 1024] = '\0';
    soup_websocket_connection_send_text(f->ws, deep);
    JsonObject *o = wait_for(f, "error", NULL);
    g_assert_nonnull(strstr(json_object_get_string_member(o, "message"), "deeper than 32"));
    json_object_unref(o);
    assert_owner_works(f, "connecting");
}

/* At most four links holding no meeting from one address; a link that holds
 * a meeting does not count (many signal services on one host). The test's
 * bridge allows 5 links in all (max_meetings 1 + 4). */
static void test_links_per_address(fixture *f, gconstpointer data)
{
    extra_link *l[4];
    for (int i = 0; i < 3; i++)
        l[i] = link_open(f);
    /* Four idle links (the fixture's and three): the fifth is refused. */
    g_autofree char *auth = dc_control_auth_sign(f->secret, g_get_real_time() / G_USEC_PER_SEC);
    SoupWebsocketConnection *ws = open_raw(f, auth, NULL);
    g_assert_nonnull(ws);
    g_assert_cmpuint(wait_closed(ws), ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
    g_assert_cmpstr(soup_websocket_connection_get_close_data(ws), ==,
                    "too many control links from this address");
    g_object_unref(ws);
    /* Once the fixture's link holds a meeting, one more idle link is let in,
     * and the owner keeps working. */
    send_msg(f, "{\"op\":\"hello\",\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "hello", NULL));
    l[3] = link_open(f);
    link_send(l[3], "{\"op\":\"stats\",\"id\":9,\"meeting\":\"other\"}");
    json_object_unref(wait_in(&l[3]->msgs, "stats", NULL));
    for (int i = 0; i < 4; i++)
        link_free(l[i]);
    send_msg(f, "{\"op\":\"stats\",\"id\":3,\"meeting\":\"m1\"}");
    json_object_unref(wait_for(f, "stats", NULL));
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
    g_test_add("/control/auth-refused", fixture, NULL, setup, test_auth_refused, teardown);
    g_test_add("/control/held-meeting", fixture, NULL, setup, test_held_meeting, teardown);
    g_test_add("/control/silent-owner-taken-over", fixture, "--test-owner-silence-ms=300", setup,
               test_silent_owner_taken_over, teardown);
    g_test_add("/control/stale-session", fixture, NULL, setup, test_stale_session, teardown);
    g_test_add("/control/deep-nesting", fixture, NULL, setup, test_deep_nesting, teardown);
    g_test_add("/control/links-per-address", fixture, NULL, setup, test_links_per_address,
               teardown);
    return g_test_run();
}
