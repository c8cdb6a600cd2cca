/* signaling/session: one site connection. See session.h. */
#define G_LOG_DOMAIN "dc-session"

#include "signaling/session.h"

#include "common/log.h"
#include "common/rate.h"

/* WebSocket pings keep NAT and firewall state alive on provincial WAN links. */
#define KEEPALIVE_S 15
/* Messages kept while the session is held (its join being checked), and
 * their bytes. A site has no reason to send more than a few small ones
 * before its welcome. */
#define MAX_HELD 32
#define MAX_HELD_BYTES (64 * 1024)
/* Close code for a site that sends more than that (policy violation). */
#define CLOSE_POLICY 1008

typedef struct {
    gint type;
    GBytes *bytes;
} held_msg;

struct dc_session {
    SoupWebsocketConnection *conn;
    dc_session_callbacks cb;
    void *user;
    char *site;
    char *id;
    char *peer;
    char *resume;
    char *address;
    bool held;
    GQueue later;       /* held_msg *, in arrival order */
    size_t later_bytes; /* their payload */
    dc_rate messages;   /* every message */
    dc_rate commands;   /* chair commands */
    bool over_rate;     /* closing for its rate */
};

static void held_msg_free(gpointer p)
{
    held_msg *m = p;
    g_bytes_unref(m->bytes);
    g_free(m);
}

/* Parses one frame and hands it to the owner (or answers a bad one). */
static void deliver(dc_session *s, gint type, GBytes *bytes)
{
    if (s->over_rate) {
        return;
    }
    if (!dc_rate_take(&s->messages, g_get_monotonic_time())) {
        s->over_rate = true;
        g_autofree char *site = dc_log_escape(s->site ? s->site : "-", 64);
        g_message("%s (%s): more than %d messages a second; closing", s->peer, site,
                  DC_SESSION_RATE);
        dc_session_send_error(s, "rate-limit", NULL,
                              "more messages than a site may send (" G_STRINGIFY(
                                  DC_SESSION_RATE) " a second); closing");
        dc_session_close(s, CLOSE_POLICY, "message rate limit");
        return;
    }
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
        dc_session_send_error(s, "bad-message", NULL,
                              "binary frames are not accepted; send JSON text");
        return;
    }
    gsize len = 0;
    const char *text = g_bytes_get_data(bytes, &len);
    dc_client_msg msg;
    dc_protocol_error err = {0};
    if (!dc_protocol_parse_client(text, len, &msg, &err)) {
        g_autofree char *site = dc_log_escape(s->site ? s->site : "-", 64);
        g_autofree char *why = dc_log_escape(err.message, 200);
        g_debug("%s (%s): bad message: %s", s->peer, site, why);
        dc_session_send_error(s, err.code, err.field, err.message);
        dc_protocol_error_clear(&err);
        return;
    }
    if (msg.type == DC_CLIENT_CHAIR && !dc_rate_take(&s->commands, g_get_monotonic_time())) {
        dc_session_send_error(s, "rate-limit", "type",
                              "more chair commands than " G_STRINGIFY(
                                  DC_SESSION_COMMAND_RATE) " a second; this one was not applied");
        dc_client_msg_clear(&msg);
        return;
    }
    if (s->cb.message) {
        s->cb.message(s->user, s, &msg);
    }
    dc_client_msg_clear(&msg);
}

/* True when a held connection's message is a ping: answered at once, so
 * that a join waiting for its credential check (up to the throttle's 30 s)
 * does not look like a dead connection to the site. */
static bool held_ping(dc_session *s, gint type, GBytes *bytes)
{
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    if (type != SOUP_WEBSOCKET_DATA_TEXT || len > 256) {
        return false;
    }
    dc_client_msg msg;
    dc_protocol_error err = {0};
    bool ping = dc_protocol_parse_client(text, len, &msg, &err) && msg.type == DC_CLIENT_PING;
    dc_client_msg_clear(&msg);
    dc_protocol_error_clear(&err);
    if (ping) {
        g_autofree char *pong = dc_protocol_simple_json("pong");
        dc_session_send(s, pong);
    }
    return ping;
}

static void on_message(SoupWebsocketConnection *conn, gint type, GBytes *bytes, gpointer data)
{
    dc_session *s = data;
    if (!s->held) {
        deliver(s, type, bytes);
        return;
    }
    if (held_ping(s, type, bytes)) {
        return;
    }
    if (g_queue_get_length(&s->later) >= MAX_HELD ||
        s->later_bytes + g_bytes_get_size(bytes) > MAX_HELD_BYTES) {
        g_message("%s: more than %d messages or %d bytes before its join was answered; closing",
                  s->peer, MAX_HELD, MAX_HELD_BYTES);
        dc_session_close(s, CLOSE_POLICY, "too many messages before the join was answered");
        return;
    }
    held_msg *m = g_new0(held_msg, 1);
    m->type = type;
    m->bytes = g_bytes_ref(bytes);
    s->later_bytes += g_bytes_get_size(bytes);
    g_queue_push_tail(&s->later, m);
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data)
{
    dc_session *s = data;
    if (s->cb.closed) {
        s->cb.closed(s->user, s); /* may free s */
    }
}

dc_session *dc_session_new(SoupWebsocketConnection *conn, const char *peer, const char *address,
                           const dc_session_callbacks *callbacks, void *user)
{
    dc_session *s = g_new0(dc_session, 1);
    s->conn = g_object_ref(conn);
    s->cb = *callbacks;
    s->user = user;
    s->peer = g_strdup(peer ? peer : "?");
    s->address = g_strdup(address);
    g_queue_init(&s->later);
    int64_t now = g_get_monotonic_time();
    dc_rate_init(&s->messages, DC_SESSION_RATE, DC_SESSION_BURST, now);
    dc_rate_init(&s->commands, DC_SESSION_COMMAND_RATE, DC_SESSION_COMMAND_BURST, now);
    soup_websocket_connection_set_max_incoming_payload_size(conn, DC_SESSION_MAX_MESSAGE);
    soup_websocket_connection_set_keepalive_interval(conn, KEEPALIVE_S);
    g_signal_connect(conn, "message", G_CALLBACK(on_message), s);
    g_signal_connect(conn, "closed", G_CALLBACK(on_closed), s);
    return s;
}

void dc_session_free(dc_session *session)
{
    if (!session) {
        return;
    }
    g_signal_handlers_disconnect_by_data(session->conn, session);
    g_object_unref(session->conn);
    g_free(session->site);
    g_free(session->id);
    g_free(session->peer);
    g_free(session->resume);
    g_free(session->address);
    g_queue_clear_full(&session->later, held_msg_free);
    g_free(session);
}

bool dc_session_is_open(const dc_session *session)
{
    return soup_websocket_connection_get_state(session->conn) == SOUP_WEBSOCKET_STATE_OPEN;
}

void dc_session_send(dc_session *session, const char *json)
{
    if (dc_session_is_open(session)) {
        soup_websocket_connection_send_text(session->conn, json);
    }
}

void dc_session_send_error(dc_session *session, const char *code, const char *field,
                           const char *message)
{
    g_autofree char *json = dc_protocol_error_json(code, field, message);
    dc_session_send(session, json);
}

void dc_session_close(dc_session *session, unsigned short code, const char *reason)
{
    if (dc_session_is_open(session)) {
        soup_websocket_connection_close(session->conn, code, reason);
    }
}

const char *dc_session_site(const dc_session *session)
{
    return session->site;
}

const char *dc_session_id(const dc_session *session)
{
    return session->id;
}

void dc_session_set_joined(dc_session *session, const char *site, const char *session_id)
{
    g_free(session->site);
    g_free(session->id);
    session->site = site ? g_strdup(site) : NULL;
    session->id = site ? g_strdup(session_id) : NULL;
}

const char *dc_session_peer(const dc_session *session)
{
    return session->peer;
}

void dc_session_set_resume(dc_session *session, const char *session_id)
{
    g_free(session->resume);
    session->resume = g_strdup(session_id);
}

const char *dc_session_resume(const dc_session *session)
{
    return session->resume;
}

const char *dc_session_address(const dc_session *session)
{
    return session->address;
}

void dc_session_hold(dc_session *session)
{
    session->held = true;
}

bool dc_session_held(const dc_session *session)
{
    return session->held;
}

void dc_session_release(dc_session *session)
{
    session->held = false;
    held_msg *m;
    /* A message delivered here may hold the session again (another join). */
    while (!session->held && (m = g_queue_pop_head(&session->later))) {
        session->later_bytes -= g_bytes_get_size(m->bytes);
        deliver(session, m->type, m->bytes);
        held_msg_free(m);
    }
}
