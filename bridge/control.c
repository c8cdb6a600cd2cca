/* control: the WebSocket control link. See control.h. */
#include "bridge/control.h"

#include <openssl/rand.h>

#include "common/ws-server.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <string.h>

#include "bridge/control-msg.h"
#include "bridge/meeting.h"
#include "common/control-auth.h"

/* The link of one diemcau-signal process (or a tool): authenticated at the
 * upgrade, it holds at most MEETINGS_PER_LINK meetings. */
typedef struct {
    SoupWebsocketConnection *conn; /* ref held */
    char *peer;                    /* the remote address, for logs and the cap */
    int64_t last_heard_us;         /* a message or a pong: monotonic */
    unsigned n_meetings;
    bool replaced; /* its meeting was taken over: what it still sends is dropped */
} ctrl_link;

typedef struct {
    dc_meeting *meeting;
    unsigned worker;
    ctrl_link *owner; /* the link that made it: only it drives or frees it */
} ctrl_meeting;

struct dc_control {
    const dc_config *config;
    dc_workers *workers;
    const dc_dtls_cert *cert;
    GMainContext *main_ctx;
    SoupServer *server;
    char instance_id[33];
    uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN];
    dc_control_auth_replay *replay;
    GHashTable *meetings; /* id -> ctrl_meeting* */
    GPtrArray *links;     /* of ctrl_link* (owned) */
    unsigned next_worker;
    int64_t silence_us; /* an owner this silent may be replaced by a new hello */
    int64_t refusal_logged_us;
    unsigned refusals_suppressed;
    bool stopping; /* after dc_control_close_meetings(): commands are dropped */
};

/* One link per meeting, plus a few for tools; 1 MiB per message (offers and
 * answers of a 14-site meeting are ~20 KiB). */
#define CONTROL_SPARE_LINKS 4
#define CONTROL_MAX_MESSAGE (1024 * 1024)
/* Links from one address that hold no meeting (yet): a signal service
 * between connect and hello, its restart, a tool. Links holding a meeting
 * are bounded by max_meetings instead: every diemcau-signal of a host
 * running many meetings (bench/run-bridge.py: 20) comes from one address. */
#define CONTROL_IDLE_LINKS_PER_PEER 4
/* docs/control.md: one meeting per diemcau-signal process. */
#define MEETINGS_PER_LINK 1
/* The signal service sends stats every second and the link is pinged
 * every 10 s: an owner silent this long is gone (a crash without a FIN). */
#define OWNER_SILENCE_US (30 * G_USEC_PER_SEC)
#define REFUSAL_LOG_US (5 * G_USEC_PER_SEC)

#define HELD "meeting held by another control link"

typedef enum {
    CMD_ADD,
    CMD_ANSWER,
    CMD_CANDIDATE,
    CMD_REMOVE,
    CMD_FREE,
    CMD_STATS,
    CMD_ICE_RESTART,
    CMD_MUTE,
    CMD_FLOOR,
} cmd_op;

typedef struct {
    cmd_op op;
    dc_meeting *meeting;
    char *site;
    char *session;
    char *arg;   /* sdp or candidate */
    bool has_id; /* stats: the request's "id" */
    int64_t id;
    int audio, video; /* mute: -1 unchanged, 0 on, 1 muted */
} cmd;

static void cmd_free(gpointer data)
{
    cmd *c = data;
    g_free(c->site);
    g_free(c->session);
    g_free(c->arg);
    g_free(c);
}

/* Runs on the meeting's worker. */
static gboolean cmd_run(gpointer data)
{
    cmd *c = data;
    switch (c->op) {
    case CMD_ADD:
        dc_meeting_endpoint_add(c->meeting, c->site, c->session);
        break;
    case CMD_ANSWER:
        dc_meeting_answer(c->meeting, c->site, c->session, c->arg);
        break;
    case CMD_CANDIDATE:
        dc_meeting_candidate(c->meeting, c->site, c->session, c->arg);
        break;
    case CMD_REMOVE:
        dc_meeting_endpoint_remove(c->meeting, c->site, c->session);
        break;
    case CMD_FREE:
        dc_meeting_free(c->meeting);
        break;
    case CMD_STATS:
        dc_meeting_stats(c->meeting, c->has_id, c->id);
        break;
    case CMD_ICE_RESTART:
        dc_meeting_ice_restart(c->meeting, c->site, c->session);
        break;
    case CMD_MUTE:
        dc_meeting_mute(c->meeting, c->site, c->audio, c->video);
        break;
    case CMD_FLOOR:
        dc_meeting_floor(c->meeting, c->site);
        break;
    }
    return G_SOURCE_REMOVE;
}

/* Hands a command to the meeting's worker; takes x. */
static void hand_over_cmd(dc_control *c, ctrl_meeting *cm, cmd *x)
{
    x->meeting = cm->meeting;
    dc_workers_invoke(c->workers, cm->worker, cmd_run, x, cmd_free);
}

static void hand_over(dc_control *c, ctrl_meeting *cm, cmd_op op, const dc_control_msg *m)
{
    cmd *x = g_new0(cmd, 1);
    x->op = op;
    if (m) {
        x->site = g_strdup(m->endpoint);
        x->session = g_strdup(m->session);
        x->arg = g_strdup(op == CMD_ANSWER ? m->sdp : m->candidate);
        x->has_id = m->has_id;
        x->id = m->id;
        x->audio = m->audio;
        x->video = m->video;
    }
    hand_over_cmd(c, cm, x);
}

/* ---- messages from the meetings (worker thread -> main thread) ---- */

typedef struct {
    dc_control *c;
    char *meeting_id;
    char *json;
} emit_msg;

static void emit_msg_free(gpointer data)
{
    emit_msg *e = data;
    g_free(e->meeting_id);
    g_free(e->json);
    g_free(e);
}

static gboolean emit_on_main(gpointer data)
{
    emit_msg *e = data;
    ctrl_meeting *cm = g_hash_table_lookup(e->c->meetings, e->meeting_id);
    if (cm && soup_websocket_connection_get_state(cm->owner->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text(cm->owner->conn, e->json);
    return G_SOURCE_REMOVE;
}

static void meeting_emit(void *user, const char *meeting_id, char *json)
{
    dc_control *c = user;
    emit_msg *e = g_new0(emit_msg, 1);
    e->c = c;
    e->meeting_id = g_strdup(meeting_id);
    e->json = json;
    g_main_context_invoke_full(c->main_ctx, G_PRIORITY_DEFAULT, emit_on_main, e, emit_msg_free);
}

/* ---- meetings ---- */

static void ctrl_meeting_free(gpointer data)
{
    g_free(data);
}

/* The meeting id for link: NULL with *refusal set when another link holds
 * it, or when it does not exist and create is false (refusal NULL then) or
 * it may not be made (a link holds one meeting, the bridge max_meetings). */
static ctrl_meeting *meeting_acquire(dc_control *c, ctrl_link *link, const char *id, bool create,
                                     const char **refusal)
{
    *refusal = NULL;
    ctrl_meeting *cm = g_hash_table_lookup(c->meetings, id);
    if (cm) {
        if (cm->owner == link)
            return cm;
        *refusal = HELD;
        return NULL;
    }
    if (!create)
        return NULL;
    if (link->n_meetings >= MEETINGS_PER_LINK) {
        *refusal = "one meeting per control link: this link holds another";
        return NULL;
    }
    if (g_hash_table_size(c->meetings) >= c->config->max_meetings) {
        g_warning("meeting %s refused: the bridge holds [limits] max_meetings = %u", id,
                  c->config->max_meetings);
        *refusal = "meeting-limit: the bridge holds as many meetings as it allows";
        return NULL;
    }
    cm = g_new0(ctrl_meeting, 1);
    cm->worker = c->next_worker++ % dc_workers_count(c->workers);
    cm->owner = link;
    dc_meeting_env env = {
        .ctx = dc_workers_context(c->workers, cm->worker),
        .config = c->config,
        .cert = c->cert,
        .sendq = dc_workers_sendq(c->workers, cm->worker),
    };
    dc_meeting_callbacks cb = {.emit = meeting_emit};
    cm->meeting = dc_meeting_new(id, &env, &cb, c);
    g_hash_table_insert(c->meetings, g_strdup(id), cm);
    link->n_meetings++;
    g_message("meeting %s: created on worker %u for the control link from %s", id, cm->worker,
              link->peer);
    return cm;
}

static void meeting_close(dc_control *c, const char *id)
{
    ctrl_meeting *cm = g_hash_table_lookup(c->meetings, id);
    if (!cm)
        return;
    hand_over(c, cm, CMD_FREE, NULL);
    cm->owner->n_meetings--;
    g_message("meeting %s: closed", id);
    g_hash_table_remove(c->meetings, id);
}

/* Closes every meeting link holds. */
static void link_close_meetings(dc_control *c, ctrl_link *link)
{
    GHashTableIter it;
    gpointer key, value;
    GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_iter_init(&it, c->meetings);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (((ctrl_meeting *)value)->owner == link)
            g_ptr_array_add(gone, g_strdup(key));
    for (guint i = 0; i < gone->len; i++)
        meeting_close(c, gone->pdata[i]);
    g_ptr_array_unref(gone);
}

/* ---- the WebSocket ---- */

static void send_json(SoupWebsocketConnection *conn, JsonBuilder *b)
{
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    soup_websocket_connection_send_text(conn, text);
}

static JsonBuilder *reply_begin(const char *op)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "op");
    json_builder_add_string_value(b, op);
    return b;
}

static void send_error(SoupWebsocketConnection *conn, const char *meeting, const char *endpoint,
                       const char *message)
{
    g_autoptr(JsonBuilder) b = reply_begin("error");
    if (meeting) {
        json_builder_set_member_name(b, "meeting");
        json_builder_add_string_value(b, meeting);
    }
    if (endpoint) {
        json_builder_set_member_name(b, "endpoint");
        json_builder_add_string_value(b, endpoint);
    }
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message);
    send_json(conn, b);
}

/* stats: collected on the meeting's worker, which emits the reply like its
 * other messages (to the link that holds the meeting); for a meeting the
 * bridge does not have, an empty reply at once; for one another link holds,
 * an error (its sites' addresses are not for others). */
static void handle_stats(dc_control *c, ctrl_link *link, const dc_control_msg *m)
{
    const char *refusal;
    ctrl_meeting *cm = meeting_acquire(c, link, m->meeting, false, &refusal);
    if (refusal) {
        send_error(link->conn, m->meeting, NULL, refusal);
        return;
    }
    if (cm) {
        hand_over(c, cm, CMD_STATS, m);
        return;
    }
    g_autoptr(JsonBuilder) b = reply_begin("stats");
    if (m->has_id) {
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, m->id);
    }
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, m->meeting);
    json_builder_set_member_name(b, "sites");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    send_json(link->conn, b);
}

static ctrl_link *find_link(dc_control *c, SoupWebsocketConnection *conn)
{
    for (guint i = 0; i < c->links->len; i++) {
        ctrl_link *l = c->links->pdata[i];
        if (l->conn == conn)
            return l;
    }
    return NULL;
}

/* hello for a meeting another link holds: refused, unless that link has been
 * silent for silence_us (a signal service that died without closing its
 * TCP connection): then its meeting is freed, it is closed, and the caller
 * makes the meeting again for the new link. */
static bool take_over(dc_control *c, ctrl_link *link, const char *id)
{
    ctrl_meeting *cm = g_hash_table_lookup(c->meetings, id);
    if (!cm || cm->owner == link)
        return true;
    ctrl_link *old = cm->owner;
    int64_t silent = g_get_monotonic_time() - old->last_heard_us;
    if (silent < c->silence_us)
        return false;
    g_warning("meeting %s: its control link from %s silent for %" G_GINT64_FORMAT
              " ms; taken over by the link from %s",
              id, old->peer, silent / 1000, link->peer);
    link_close_meetings(c, old);
    old->replaced = true;
    if (soup_websocket_connection_get_state(old->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(old->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                        "meeting taken over by a new control link");
    return true;
}

static void handle_hello(dc_control *c, ctrl_link *link, const dc_control_msg *m)
{
    const char *refusal = HELD;
    if (!take_over(c, link, m->meeting) || !meeting_acquire(c, link, m->meeting, true, &refusal)) {
        if (strcmp(refusal, HELD) == 0)
            g_warning("meeting %s: hello from the control link from %s refused: %s", m->meeting,
                      link->peer, HELD);
        send_error(link->conn, m->meeting, NULL, refusal);
        return;
    }
    g_autoptr(JsonBuilder) b = reply_begin("hello");
    json_builder_set_member_name(b, "bridge");
    json_builder_add_string_value(b, c->instance_id);
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, m->meeting);
    send_json(link->conn, b);
}

static void handle_message(dc_control *c, ctrl_link *link, const char *text, gsize len)
{
    dc_control_msg m;
    dc_control_msg_error err = {0};
    if (!dc_control_msg_parse(text, len, &m, &err)) {
        send_error(link->conn, m.meeting, m.endpoint, err.message);
        dc_control_msg_clear(&m);
        return;
    }
    if (m.op == DC_CONTROL_HELLO) {
        handle_hello(c, link, &m);
    } else if (m.op == DC_CONTROL_STATS) {
        handle_stats(c, link, &m);
    } else if (m.endpoint && !dc_config_find_site(c->config, m.endpoint)) {
        send_error(link->conn, m.meeting, m.endpoint, "unknown or missing \"endpoint\"");
    } else {
        /* remove and ice-restart do not make a meeting. */
        bool create = m.op != DC_CONTROL_ENDPOINT_REMOVE && m.op != DC_CONTROL_ICE_RESTART;
        const char *refusal;
        ctrl_meeting *cm = meeting_acquire(c, link, m.meeting, create, &refusal);
        static const cmd_op cmd_of[] = {
            [DC_CONTROL_ENDPOINT_ADD] = CMD_ADD,
            [DC_CONTROL_ENDPOINT_REMOVE] = CMD_REMOVE,
            [DC_CONTROL_ANSWER] = CMD_ANSWER,
            [DC_CONTROL_CANDIDATE] = CMD_CANDIDATE,
            [DC_CONTROL_ICE_RESTART] = CMD_ICE_RESTART,
            [DC_CONTROL_MUTE] = CMD_MUTE,
            [DC_CONTROL_FLOOR] = CMD_FLOOR,
        };
        if (refusal)
            send_error(link->conn, m.meeting, m.endpoint, refusal);
        else if (cm)
            hand_over(c, cm, cmd_of[m.op], &m);
        else if (m.op == DC_CONTROL_ICE_RESTART)
            send_error(link->conn, m.meeting, m.endpoint,
                       "ice-restart for a site without an endpoint");
    }
    dc_control_msg_clear(&m);
}

static void on_ws_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
    dc_control *c = data;
    ctrl_link *link = find_link(c, conn);
    if (!link || link->replaced)
        return;
    link->last_heard_us = g_get_monotonic_time();
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
        send_error(conn, NULL, NULL, "binary messages are not part of the control link");
        return;
    }
    /* Stopping: the workers may be gone already; a command now would make
     * or reach a meeting on a freed worker. */
    if (c->stopping)
        return;
    gsize len;
    const char *text = g_bytes_get_data(message, &len);
    handle_message(c, link, text, len);
}

/* libsoup 3.6 has a "pong" signal; older ones (Debian 12: 3.2) do not, and
 * the signal service's stats every second keep its link heard. */
static void on_ws_pong(SoupWebsocketConnection *conn, GBytes *message, gpointer data)
{
    ctrl_link *link = find_link(data, conn);
    if (link)
        link->last_heard_us = g_get_monotonic_time();
}

static void link_free(gpointer data)
{
    ctrl_link *l = data;
    g_object_unref(l->conn);
    g_free(l->peer);
    g_free(l);
}

static void on_ws_closed(SoupWebsocketConnection *conn, gpointer data)
{
    dc_control *c = data;
    ctrl_link *link = find_link(c, conn);
    g_signal_handlers_disconnect_by_data(conn, c);
    if (!link)
        return;
    /* Only the owner's close frees its meetings. */
    link_close_meetings(c, link);
    g_message("control link from %s closed", link->peer);
    g_ptr_array_remove(c->links, link);
}

/* One warning per REFUSAL_LOG_US at most: a flood of probes must not fill
 * the log. */
static void log_refusal(dc_control *c, const char *peer, const char *why)
{
    int64_t now = g_get_monotonic_time();
    if (c->refusal_logged_us && now - c->refusal_logged_us < REFUSAL_LOG_US) {
        c->refusals_suppressed++;
        return;
    }
    if (c->refusals_suppressed)
        g_warning("control link from %s refused: %s (%u suppressed)", peer, why,
                  c->refusals_suppressed);
    else
        g_warning("control link from %s refused: %s", peer, why);
    c->refusal_logged_us = now;
    c->refusals_suppressed = 0;
}

static void on_refused_closed(SoupWebsocketConnection *conn, gpointer data)
{
    g_signal_handlers_disconnect_by_func(conn, on_refused_closed, data);
    g_object_unref(conn);
}

/* Closes a connection that no handler will ever serve (1008). */
static void refuse(dc_control *c, SoupWebsocketConnection *conn, const char *peer,
                   const char *reason, const char *why)
{
    log_refusal(c, peer, why);
    g_object_ref(conn); /* until the close handshake is over */
    g_signal_connect(conn, "closed", G_CALLBACK(on_refused_closed), NULL);
    soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, reason);
}

static unsigned idle_links_from(dc_control *c, const char *peer)
{
    unsigned n = 0;
    for (guint i = 0; i < c->links->len; i++) {
        const ctrl_link *l = c->links->pdata[i];
        n += l->n_meetings == 0 && g_strcmp0(l->peer, peer) == 0;
    }
    return n;
}

static void on_websocket(SoupServerMessage *msg, SoupWebsocketConnection *conn, gpointer data)
{
    dc_control *c = data;
    const char *peer = soup_server_message_get_remote_host(msg);
    peer = peer ? peer : "?";
    SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
    /* Browsers always send Origin and the signal service never does: a page
     * must not reach the link, even one that somehow holds a header. */
    if (soup_message_headers_get_one(h, "Origin")) {
        refuse(c, conn, peer, "browsers may not open the control link", "an Origin header");
        return;
    }
    dc_control_auth_result r = dc_control_auth_verify(
        c->secret, c->replay, soup_message_headers_get_one(h, "Authorization"),
        g_get_real_time() / G_USEC_PER_SEC);
    if (r != DC_CONTROL_AUTH_OK) {
        refuse(c, conn, peer, "authentication failed", dc_control_auth_result_name(r));
        return;
    }
    if (c->links->len >= c->config->max_meetings + CONTROL_SPARE_LINKS) {
        g_autofree char *why = g_strdup_printf("%u links open ([limits] max_meetings + %u)",
                                               c->links->len, CONTROL_SPARE_LINKS);
        refuse(c, conn, peer, "too many control links", why);
        return;
    }
    if (idle_links_from(c, peer) >= CONTROL_IDLE_LINKS_PER_PEER) {
        refuse(c, conn, peer, "too many control links from this address",
               "already " G_STRINGIFY(CONTROL_IDLE_LINKS_PER_PEER) " links without a meeting "
                                                                   "from this address");
        return;
    }
    g_message("control link from %s opened", peer);
    ctrl_link *link = g_new0(ctrl_link, 1);
    link->conn = g_object_ref(conn);
    link->peer = g_strdup(peer);
    link->last_heard_us = g_get_monotonic_time();
    g_ptr_array_add(c->links, link);
    soup_websocket_connection_set_keepalive_interval(conn, 10);
    soup_websocket_connection_set_max_incoming_payload_size(conn, CONTROL_MAX_MESSAGE);
    g_signal_connect(conn, "message", G_CALLBACK(on_ws_message), c);
    g_signal_connect(conn, "closed", G_CALLBACK(on_ws_closed), c);
    if (g_signal_lookup("pong", SOUP_TYPE_WEBSOCKET_CONNECTION))
        g_signal_connect(conn, "pong", G_CALLBACK(on_ws_pong), c);
}

dc_control *dc_control_new(const dc_config *config, dc_workers *workers, const dc_dtls_cert *cert,
                           const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], GError **error)
{
    dc_control *c = g_new0(dc_control, 1);
    c->config = config;
    c->workers = workers;
    c->cert = cert;
    memcpy(c->secret, secret, sizeof c->secret);
    c->replay = dc_control_auth_replay_new(DC_CONTROL_AUTH_REPLAY_ENTRIES);
    c->silence_us = OWNER_SILENCE_US;
    c->main_ctx = g_main_context_ref_thread_default();
    unsigned char id[16];
    if (RAND_bytes(id, sizeof id) != 1)
        g_error("the system's random generator failed");
    for (size_t i = 0; i < sizeof id; i++)
        g_snprintf(c->instance_id + 2 * i, 3, "%02x", id[i]);
    c->meetings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ctrl_meeting_free);
    c->links = g_ptr_array_new_with_free_func(link_free);
    c->server = soup_server_new("server-header", "diemcau-bridge", NULL);
    /* Upgraded by common/ws-server: no message of any link grows past
     * CONTROL_MAX_MESSAGE however fragmented, no compression; the link is
     * then judged (Origin, authentication, caps) before any message of it
     * is read. */
    dc_ws_server_add(c->server, "/control", CONTROL_MAX_MESSAGE, NULL, on_websocket, c);
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(config->bridge_address);
    if (!ia) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad control address %s",
                    config->bridge_address);
        dc_control_free(c);
        return NULL;
    }
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(ia, config->bridge_port);
    if (!soup_server_listen(c->server, sa, 0, error)) {
        dc_control_free(c);
        return NULL;
    }
    return c;
}

void dc_control_set_owner_silence(dc_control *c, int64_t silence_us)
{
    c->silence_us = silence_us;
}

const char *dc_control_instance_id(const dc_control *c)
{
    return c->instance_id;
}

void dc_control_close_meetings(dc_control *c)
{
    c->stopping = true;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, c->meetings);
    while (g_hash_table_iter_next(&it, &key, &value))
        hand_over(c, value, CMD_FREE, NULL);
    g_hash_table_remove_all(c->meetings);
}

void dc_control_free(dc_control *c)
{
    if (!c)
        return;
    dc_control_close_meetings(c);
    for (guint i = 0; i < c->links->len; i++) {
        SoupWebsocketConnection *conn = ((ctrl_link *)c->links->pdata[i])->conn;
        g_signal_handlers_disconnect_by_data(conn, c);
        if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
    g_ptr_array_unref(c->links);
    dc_control_auth_replay_free(c->replay);
    OPENSSL_cleanse(c->secret, sizeof c->secret);
    if (c->server) {
        soup_server_disconnect(c->server);
        g_object_unref(c->server);
    }
    g_hash_table_unref(c->meetings);
    g_main_context_unref(c->main_ctx);
    g_free(c);
}
