/* signal-link: see signal-link.h. */
#include "client/signal-link.h"
#include "common/json.h"

#include <string.h>

#include <libsoup/soup.h>

struct dc_signal_link {
    SoupSession *session;
    SoupMessage *msg; /* the upgrade request, for the certificate check's verdict */
    dc_tls_verify *tls;
    SoupWebsocketConnection *ws;
    GCancellable *cancel;
    dc_signal_callbacks cb;
    void *user;
    bool closed_reported;
    int64_t silence_ms; /* the limit */
    int64_t last_rx_us; /* monotonic time of the last message (or of the open) */
    int64_t ping_at_us; /* the first ping sent since then, 0: none */
    GSource *keepalive; /* the ping timer while open, on the thread-default context */
};

static void report_closed(dc_signal_link *l, const char *why)
{
    if (l->closed_reported)
        return;
    l->closed_reported = true;
    if (l->cb.on_closed)
        l->cb.on_closed(l->user, why);
}

static void on_ws_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
    dc_signal_link *l = data;
    l->last_rx_us = g_get_monotonic_time();
    if (type != SOUP_WEBSOCKET_DATA_TEXT)
        return;
    gsize len = 0;
    const char *text = g_bytes_get_data(message, &len);
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) error = NULL;
    if (!dc_json_load(parser, text, len, 0, &error)) {
        g_warning("signaling sent a message that is not JSON: %s", error->message);
        return;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_warning("signaling sent a message that is not a JSON object");
        return;
    }
    JsonObject *o = json_node_get_object(root);
    const char *t = json_object_get_string_member_with_default(o, "type", NULL);
    if (!t) {
        g_warning("signaling sent a message without a \"type\"");
        return;
    }
    if (strcmp(t, "pong") == 0 || !l->cb.on_message)
        return; /* a pong's arrival was the point; a muted link hands nothing over */
    l->cb.on_message(l->user, t, o);
}

static void stop_keepalive(dc_signal_link *l)
{
    if (l->keepalive) {
        g_source_destroy(l->keepalive);
        g_clear_pointer(&l->keepalive, g_source_unref);
    }
}

static void on_ws_closed(SoupWebsocketConnection *ws, gpointer data)
{
    dc_signal_link *l = data;
    stop_keepalive(l);
    const char *why = soup_websocket_connection_get_close_data(ws);
    report_closed(l, why && *why ? why : "the signaling service closed the connection");
}

static void on_ws_error(SoupWebsocketConnection *ws, GError *error, gpointer data)
{
    g_warning("signaling WebSocket error: %s", error->message);
}

static bool send_builder(dc_signal_link *l, JsonBuilder *b);
static JsonBuilder *start(const char *type);

/* Every 0.4 x the limit: a ping, and the check that something came back.
 * Silent takes both: nothing for the limit, and a ping unanswered for 0.6
 * of it (a loop that could not run its timers is not a dead connection). */
static gboolean keepalive_cb(gpointer data)
{
    dc_signal_link *l = data;
    int64_t now = g_get_monotonic_time();
    int64_t silent_ms = (now - l->last_rx_us) / 1000;
    bool unanswered = l->ping_at_us && l->last_rx_us < l->ping_at_us;
    if (silent_ms >= l->silence_ms && unanswered &&
        (now - l->ping_at_us) / 1000 >= l->silence_ms * 3 / 5) {
        g_clear_pointer(&l->keepalive, g_source_unref); /* removed by the return below */
        if (l->cb.on_silent) {
            l->cb.on_silent(l->user, silent_ms); /* may free l */
        } else {
            g_autofree char *why = g_strdup_printf(
                "nothing from the signaling service for %" G_GINT64_FORMAT " s", silent_ms / 1000);
            report_closed(l, why);
        }
        return G_SOURCE_REMOVE;
    }
    if (!unanswered)
        l->ping_at_us = now;
    send_builder(l, start("ping"));
    return G_SOURCE_CONTINUE;
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) error = NULL;
    SoupWebsocketConnection *ws =
        soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &error);
    if (!ws) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return; /* freed while connecting: l is gone */
        dc_signal_link *l = data;
        g_autofree char *cert = dc_tls_verify_explain(l->tls, l->msg, error);
        g_autofree char *why =
            g_strdup_printf("cannot connect to signaling: %s", cert ? cert : error->message);
        report_closed(l, why);
        return;
    }
    dc_signal_link *l = data;
    l->ws = ws;
    soup_websocket_connection_set_keepalive_interval(ws, 5);
    g_signal_connect(ws, "message", G_CALLBACK(on_ws_message), l);
    g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), l);
    g_signal_connect(ws, "error", G_CALLBACK(on_ws_error), l);
    l->last_rx_us = g_get_monotonic_time();
    l->ping_at_us = 0;
    l->keepalive = g_timeout_source_new((guint)(l->silence_ms * 2 / 5));
    g_source_set_callback(l->keepalive, keepalive_cb, l, NULL);
    g_source_attach(l->keepalive, g_main_context_get_thread_default());
    if (l->cb.on_open)
        l->cb.on_open(l->user);
}

dc_signal_link *dc_signal_link_new(const char *url, dc_tls_verify *tls,
                                   const dc_signal_callbacks *cb, void *user)
{
    SoupMessage *msg = soup_message_new(SOUP_METHOD_GET, url);
    if (!msg) {
        return NULL;
    }
    dc_signal_link *l = g_new0(dc_signal_link, 1);
    l->cb = *cb;
    l->user = user;
    l->silence_ms = DC_SIGNAL_SILENCE_MS_DEFAULT;
    l->tls = tls;
    l->msg = msg;
    l->session = soup_session_new();
    dc_tls_verify_session(tls, l->session);
    dc_tls_verify_message(tls, msg);
    l->cancel = g_cancellable_new();
    soup_session_websocket_connect_async(l->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, l->cancel,
                                         on_connected, l);
    return l;
}

void dc_signal_link_free(dc_signal_link *l)
{
    if (!l)
        return;
    stop_keepalive(l);
    g_cancellable_cancel(l->cancel);
    if (l->ws) {
        g_signal_handlers_disconnect_by_data(l->ws, l);
        if (soup_websocket_connection_get_state(l->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(l->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        g_object_unref(l->ws);
    }
    g_object_unref(l->cancel);
    if (l->tls) {
        g_signal_handlers_disconnect_matched(l->msg, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, l->tls);
    }
    g_object_unref(l->msg);
    g_object_unref(l->session);
    g_free(l);
}

void dc_signal_link_mute(dc_signal_link *l)
{
    stop_keepalive(l);
    memset(&l->cb, 0, sizeof l->cb);
    l->closed_reported = true;
}

void dc_signal_link_set_silence_limit(dc_signal_link *l, int64_t ms)
{
    l->silence_ms = ms < 1000 ? 1000 : ms;
}

bool dc_signal_link_is_open(const dc_signal_link *l)
{
    return l->ws && soup_websocket_connection_get_state(l->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static bool send_builder(dc_signal_link *l, JsonBuilder *b)
{
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    g_object_unref(b);
    if (!dc_signal_link_is_open(l))
        return false;
    soup_websocket_connection_send_text(l->ws, text);
    return true;
}

static JsonBuilder *start(const char *type)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, type);
    return b;
}

static void add_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

bool dc_signal_link_send_join(dc_signal_link *l, const char *site, const char *credential)
{
    JsonBuilder *b = start("join");
    add_str(b, "site", site);
    add_str(b, "credential", credential);
    return send_builder(l, b);
}

bool dc_signal_link_send_answer(dc_signal_link *l, const char *sdp)
{
    JsonBuilder *b = start("answer");
    add_str(b, "sdp", sdp);
    return send_builder(l, b);
}

bool dc_signal_link_send_candidate(dc_signal_link *l, const char *candidate, const char *mid,
                                   int mline_index)
{
    JsonBuilder *b = start("candidate");
    add_str(b, "candidate", candidate);
    if (mid)
        add_str(b, "sdpMid", mid);
    if (mline_index >= 0) {
        json_builder_set_member_name(b, "sdpMLineIndex");
        json_builder_add_int_value(b, mline_index);
    }
    return send_builder(l, b);
}

bool dc_signal_link_send_leave(dc_signal_link *l)
{
    return send_builder(l, start("leave"));
}

bool dc_signal_link_send_ice_restart(dc_signal_link *l)
{
    return send_builder(l, start("ice-restart"));
}

bool dc_signal_link_close(dc_signal_link *l)
{
    if (!l->ws)
        return false;
    SoupWebsocketState st = soup_websocket_connection_get_state(l->ws);
    if (st == SOUP_WEBSOCKET_STATE_OPEN) {
        soup_websocket_connection_close(l->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, "leaving");
        return true;
    }
    return st == SOUP_WEBSOCKET_STATE_CLOSING;
}
