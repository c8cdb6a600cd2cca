/* signaling/bridge-link: control link client. See bridge-link.h.
 *
 * States: idle → connecting → hello sent → ready; any failure or close goes
 * back to idle with a 1 s retry timer. A bridge that does not answer hello
 * within 5 s is dropped and retried. */
#define G_LOG_DOMAIN "dc-bridge-link"

#include "signaling/bridge-link.h"

#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <string.h>

#define RETRY_MS 1000
#define HELLO_TIMEOUT_S 5
#define MAX_PAYLOAD (8 * 1024 * 1024)

struct dc_bridge_link {
    char *url, *meeting, *signal_id;
    uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN];
    dc_bridge_link_callbacks cb;
    void *user;

    SoupSession *http;
    GCancellable *cancel;          /* the pending connect */
    SoupWebsocketConnection *conn; /* NULL while idle or connecting */
    guint retry_source;
    guint hello_source;
    bool ready;
    unsigned failures; /* consecutive failed attempts, for rate-limited logs */
};

static void connect_now(dc_bridge_link *link);

char *dc_bridge_link_url(const char *address, unsigned port)
{
    bool v6 = strchr(address, ':') != NULL;
    return g_strdup_printf("ws://%s%s%s:%u/control", v6 ? "[" : "", address, v6 ? "]" : "", port);
}

dc_bridge_link *dc_bridge_link_new(const char *url, const char *meeting, const char *signal_id,
                                   const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN],
                                   const dc_bridge_link_callbacks *callbacks, void *user)
{
    dc_bridge_link *link = g_new0(dc_bridge_link, 1);
    memcpy(link->secret, secret, sizeof link->secret);
    link->url = g_strdup(url);
    link->meeting = g_strdup(meeting);
    link->signal_id = g_strdup(signal_id);
    link->cb = *callbacks;
    link->user = user;
    link->http = soup_session_new();
    return link;
}

static gboolean retry_cb(gpointer data)
{
    dc_bridge_link *link = data;
    link->retry_source = 0;
    connect_now(link);
    return G_SOURCE_REMOVE;
}

static void schedule_retry(dc_bridge_link *link)
{
    if (!link->retry_source) {
        link->retry_source = g_timeout_add(RETRY_MS, retry_cb, link);
    }
}

static void drop_connection(dc_bridge_link *link)
{
    g_clear_handle_id(&link->hello_source, g_source_remove);
    if (link->conn) {
        g_signal_handlers_disconnect_by_data(link->conn, link);
        if (soup_websocket_connection_get_state(link->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
            soup_websocket_connection_close(link->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
        }
        g_clear_object(&link->conn);
    }
}

/* The link failed or closed: tell the service once, then retry. */
static void lost(dc_bridge_link *link, const char *why)
{
    bool was_ready = link->ready;
    link->ready = false;
    drop_connection(link);
    link->failures++;
    if (was_ready) {
        g_warning("bridge link %s lost: %s; reconnecting every %d ms", link->url, why, RETRY_MS);
    } else if (link->failures == 1 || link->failures % 60 == 0) {
        g_message("bridge link %s: %s (attempt %u); retrying every %d ms", link->url, why,
                  link->failures, RETRY_MS);
    }
    schedule_retry(link);
    if (was_ready && link->cb.down) {
        link->cb.down(link->user);
    }
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data)
{
    dc_bridge_link *link = data;
    gushort code = soup_websocket_connection_get_close_code(conn);
    const char *reason = soup_websocket_connection_get_close_data(conn);
    /* 1008 "authentication failed": the two programs hold different secrets
     * (docs/control.md, "Authentication"). */
    g_autofree char *why = g_strdup_printf(
        "closed (code %u%s%s)%s", code, reason && *reason ? ": " : "", reason ? reason : "",
        code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION
            ? "; check that [bridge] control_secret_file is the bridge's secret and the clocks "
              "agree within 60 s"
            : "");
    lost(link, why);
}

static void on_message(SoupWebsocketConnection *conn, gint type, GBytes *bytes, gpointer data)
{
    dc_bridge_link *link = data;
    gsize len = 0;
    const char *text = g_bytes_get_data(bytes, &len);
    dc_bridge_msg msg;
    dc_protocol_error err = {0};
    if (type != SOUP_WEBSOCKET_DATA_TEXT || !dc_protocol_parse_bridge(text, len, &msg, &err)) {
        g_warning("bridge link: ignoring a bad message (%s%s%s)",
                  err.message ? err.message : "binary frame", err.field ? ", field " : "",
                  err.field ? err.field : "");
        dc_protocol_error_clear(&err);
        return;
    }
    if (msg.type == DC_BRIDGE_HELLO) {
        g_clear_handle_id(&link->hello_source, g_source_remove);
        if (!link->ready) {
            link->ready = true;
            link->failures = 0;
            g_message("bridge link %s up, bridge instance %s", link->url, msg.bridge);
            if (link->cb.ready) {
                link->cb.ready(link->user, msg.bridge);
            }
        }
    } else if (!link->ready) {
        g_warning("bridge link: op before hello, ignored");
    } else if (msg.type == DC_BRIDGE_STATS) {
        if (link->cb.stats) {
            link->cb.stats(link->user, text, len);
        }
    } else if (link->cb.message) {
        link->cb.message(link->user, &msg);
    }
    dc_bridge_msg_clear(&msg);
}

static gboolean hello_timeout_cb(gpointer data)
{
    dc_bridge_link *link = data;
    link->hello_source = 0;
    lost(link, "no hello reply within 5 s");
    return G_SOURCE_REMOVE;
}

static void connected_cb(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) e = NULL;
    SoupWebsocketConnection *conn =
        soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &e);
    if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return; /* link freed */
    }
    dc_bridge_link *link = data;
    g_clear_object(&link->cancel);
    if (!conn) {
        lost(link, e->message);
        return;
    }
    link->conn = conn;
    soup_websocket_connection_set_max_incoming_payload_size(conn, MAX_PAYLOAD);
    soup_websocket_connection_set_keepalive_interval(conn, 10);
    g_signal_connect(conn, "message", G_CALLBACK(on_message), link);
    g_signal_connect(conn, "closed", G_CALLBACK(on_closed), link);
    g_autofree char *hello = dc_protocol_hello_json(link->meeting, link->signal_id);
    soup_websocket_connection_send_text(conn, hello);
    link->hello_source = g_timeout_add_seconds(HELLO_TIMEOUT_S, hello_timeout_cb, link);
}

static void connect_now(dc_bridge_link *link)
{
    g_autoptr(SoupMessage) msg = soup_message_new("GET", link->url);
    if (!msg) {
        g_critical("bridge link: bad URL %s", link->url);
        return;
    }
    /* A fresh timestamp and nonce on every attempt: the bridge refuses a
     * replayed header. */
    g_autofree char *auth = dc_control_auth_sign(link->secret, g_get_real_time() / G_USEC_PER_SEC);
    soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", auth);
    link->cancel = g_cancellable_new();
    soup_session_websocket_connect_async(link->http, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                         link->cancel, connected_cb, link);
}

void dc_bridge_link_start(dc_bridge_link *link)
{
    if (!link->cancel && !link->conn && !link->retry_source) {
        connect_now(link);
    }
}

bool dc_bridge_link_is_ready(const dc_bridge_link *link)
{
    return link->ready;
}

bool dc_bridge_link_send(dc_bridge_link *link, const char *json)
{
    if (!link->ready || !link->conn ||
        soup_websocket_connection_get_state(link->conn) != SOUP_WEBSOCKET_STATE_OPEN) {
        return false;
    }
    soup_websocket_connection_send_text(link->conn, json);
    return true;
}

void dc_bridge_link_free(dc_bridge_link *link)
{
    if (!link) {
        return;
    }
    if (link->cancel) {
        g_cancellable_cancel(link->cancel);
        g_clear_object(&link->cancel);
    }
    g_clear_handle_id(&link->retry_source, g_source_remove);
    drop_connection(link);
    soup_session_abort(link->http);
    g_clear_object(&link->http);
    g_free(link->url);
    g_free(link->meeting);
    g_free(link->signal_id);
    OPENSSL_cleanse(link->secret, sizeof link->secret);
    g_free(link);
}
