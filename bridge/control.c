/* control: the WebSocket control link. See control.h. */
#include "bridge/control.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdbool.h>
#include <string.h>

#include "bridge/meeting.h"

typedef struct {
    dc_meeting *meeting;
    unsigned worker;
    SoupWebsocketConnection *conn; /* borrowed; NULL when gone */
} ctrl_meeting;

struct dc_control {
    const dc_config *config;
    dc_workers *workers;
    const dc_dtls_cert *cert;
    GMainContext *main_ctx;
    SoupServer *server;
    char instance_id[33];
    GHashTable *meetings; /* id -> ctrl_meeting* */
    GPtrArray *conns;     /* of SoupWebsocketConnection* (ref held) */
    unsigned next_worker;
    bool stopping; /* after dc_control_close_meetings(): commands are dropped */
};

/* One link per meeting, plus a few for tools; 1 MiB per message (offers and
 * answers of a 14-site meeting are ~20 KiB). */
#define CONTROL_SPARE_LINKS 4
#define CONTROL_MAX_MESSAGE (1024 * 1024)

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
    char *arg;   /* session, sdp or candidate */
    bool has_id; /* stats: the request's "id" */
    int64_t id;
    int audio, video; /* mute: -1 unchanged, 0 on, 1 muted */
} cmd;

static void cmd_free(gpointer data)
{
    cmd *c = data;
    g_free(c->site);
    g_free(c->arg);
    g_free(c);
}

/* Runs on the meeting's worker. */
static gboolean cmd_run(gpointer data)
{
    cmd *c = data;
    switch (c->op) {
    case CMD_ADD:
        dc_meeting_endpoint_add(c->meeting, c->site, c->arg);
        break;
    case CMD_ANSWER:
        dc_meeting_answer(c->meeting, c->site, c->arg);
        break;
    case CMD_CANDIDATE:
        dc_meeting_candidate(c->meeting, c->site, c->arg);
        break;
    case CMD_REMOVE:
        dc_meeting_endpoint_remove(c->meeting, c->site);
        break;
    case CMD_FREE:
        dc_meeting_free(c->meeting);
        break;
    case CMD_STATS:
        dc_meeting_stats(c->meeting, c->has_id, c->id);
        break;
    case CMD_ICE_RESTART:
        dc_meeting_ice_restart(c->meeting, c->site);
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

static void hand_over(dc_control *c, ctrl_meeting *cm, cmd_op op, const char *site, const char *arg)
{
    cmd *x = g_new0(cmd, 1);
    x->op = op;
    x->meeting = cm->meeting;
    x->site = g_strdup(site);
    x->arg = g_strdup(arg);
    dc_workers_invoke(c->workers, cm->worker, cmd_run, x, cmd_free);
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
    if (cm && cm->conn &&
        soup_websocket_connection_get_state(cm->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text(cm->conn, e->json);
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

static ctrl_meeting *meeting_get(dc_control *c, const char *id, SoupWebsocketConnection *conn)
{
    ctrl_meeting *cm = g_hash_table_lookup(c->meetings, id);
    if (!cm) {
        cm = g_new0(ctrl_meeting, 1);
        cm->worker = c->next_worker++ % dc_workers_count(c->workers);
        dc_meeting_env env = {
            .ctx = dc_workers_context(c->workers, cm->worker),
            .config = c->config,
            .cert = c->cert,
            .sendq = dc_workers_sendq(c->workers, cm->worker),
        };
        dc_meeting_callbacks cb = {.emit = meeting_emit};
        cm->meeting = dc_meeting_new(id, &env, &cb, c);
        g_hash_table_insert(c->meetings, g_strdup(id), cm);
        g_message("meeting %s: created on worker %u", id, cm->worker);
    }
    cm->conn = conn;
    return cm;
}

static void meeting_close(dc_control *c, const char *id)
{
    ctrl_meeting *cm = g_hash_table_lookup(c->meetings, id);
    if (!cm)
        return;
    hand_over(c, cm, CMD_FREE, NULL, NULL);
    g_message("meeting %s: closed", id);
    g_hash_table_remove(c->meetings, id);
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

static const char *member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

/* stats: collected on the meeting's worker, which emits the reply like its
 * other messages (to the connection driving the meeting: a stats request
 * does not take the meeting over); for a meeting the bridge does not have,
 * an empty reply at once. */
static void handle_stats(dc_control *c, SoupWebsocketConnection *conn, JsonObject *o,
                         const char *meeting)
{
    JsonNode *idn = json_object_get_member(o, "id");
    bool has_id =
        idn && JSON_NODE_HOLDS_VALUE(idn) && json_node_get_value_type(idn) == G_TYPE_INT64;
    int64_t id = has_id ? json_node_get_int(idn) : 0;
    ctrl_meeting *cm = g_hash_table_lookup(c->meetings, meeting);
    if (cm) {
        cmd *x = g_new0(cmd, 1);
        x->op = CMD_STATS;
        x->meeting = cm->meeting;
        x->has_id = has_id;
        x->id = id;
        dc_workers_invoke(c->workers, cm->worker, cmd_run, x, cmd_free);
        return;
    }
    g_autoptr(JsonBuilder) b = reply_begin("stats");
    if (has_id) {
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, id);
    }
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, meeting);
    json_builder_set_member_name(b, "sites");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    send_json(conn, b);
}

/* -1 absent, 0 false, 1 true; -2 not a boolean. */
static int member_tristate(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return -1;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
        return -2;
    return json_node_get_boolean(n) ? 1 : 0;
}

/* mute and floor (docs/control.md, "The chair"). endpoint may be NULL for
 * floor (nobody has it). */
static void handle_chair(dc_control *c, SoupWebsocketConnection *conn, JsonObject *o,
                         const char *op, const char *meeting, const char *endpoint)
{
    int audio = member_tristate(o, "audio"), video = member_tristate(o, "video");
    bool mute = strcmp(op, "mute") == 0;
    if (mute && (!endpoint || audio == -2 || video == -2)) {
        send_error(conn, meeting, endpoint, "mute needs \"endpoint\" and boolean audio/video");
        return;
    }
    cmd *x = g_new0(cmd, 1);
    x->op = mute ? CMD_MUTE : CMD_FLOOR;
    x->site = g_strdup(endpoint);
    x->audio = audio;
    x->video = video;
    ctrl_meeting *cm = meeting_get(c, meeting, conn);
    x->meeting = cm->meeting;
    dc_workers_invoke(c->workers, cm->worker, cmd_run, x, cmd_free);
}

static void handle_message(dc_control *c, SoupWebsocketConnection *conn, const char *text,
                           gsize len)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)len, &error)) {
        send_error(conn, NULL, NULL, "message is not JSON");
        return;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        send_error(conn, NULL, NULL, "message is not a JSON object");
        return;
    }
    JsonObject *o = json_node_get_object(root);
    const char *op = member_string(o, "op");
    const char *meeting = member_string(o, "meeting");
    const char *endpoint = member_string(o, "endpoint");
    if (!op || !meeting || !*meeting) {
        send_error(conn, meeting, endpoint, "message needs \"op\" and \"meeting\"");
        return;
    }
    if (strcmp(op, "stats") != 0 && !g_hash_table_contains(c->meetings, meeting) &&
        g_hash_table_size(c->meetings) >= c->config->max_meetings) {
        g_warning("meeting %s refused: the bridge holds [limits] max_meetings = %u", meeting,
                  c->config->max_meetings);
        send_error(conn, meeting, endpoint,
                   "meeting-limit: the bridge holds as many meetings as it allows");
        return;
    }
    if (strcmp(op, "hello") == 0) {
        meeting_get(c, meeting, conn);
        g_autoptr(JsonBuilder) b = reply_begin("hello");
        json_builder_set_member_name(b, "bridge");
        json_builder_add_string_value(b, c->instance_id);
        json_builder_set_member_name(b, "meeting");
        json_builder_add_string_value(b, meeting);
        send_json(conn, b);
        return;
    }
    if (strcmp(op, "stats") == 0) {
        handle_stats(c, conn, o, meeting);
        return;
    }
    if ((strcmp(op, "mute") == 0 || strcmp(op, "floor") == 0) &&
        (!endpoint || dc_config_find_site(c->config, endpoint))) {
        handle_chair(c, conn, o, op, meeting, endpoint);
        return;
    }
    if (!endpoint || !dc_config_find_site(c->config, endpoint)) {
        send_error(conn, meeting, endpoint, "unknown or missing \"endpoint\"");
        return;
    }
    if (strcmp(op, "endpoint.add") == 0) {
        hand_over(c, meeting_get(c, meeting, conn), CMD_ADD, endpoint, member_string(o, "session"));
    } else if (strcmp(op, "answer") == 0) {
        const char *sdp = member_string(o, "sdp");
        if (!sdp) {
            send_error(conn, meeting, endpoint, "answer needs \"sdp\"");
            return;
        }
        hand_over(c, meeting_get(c, meeting, conn), CMD_ANSWER, endpoint, sdp);
    } else if (strcmp(op, "candidate") == 0) {
        const char *cand = member_string(o, "candidate");
        hand_over(c, meeting_get(c, meeting, conn), CMD_CANDIDATE, endpoint, cand ? cand : "");
    } else if (strcmp(op, "endpoint.remove") == 0) {
        if (g_hash_table_contains(c->meetings, meeting))
            hand_over(c, meeting_get(c, meeting, conn), CMD_REMOVE, endpoint, NULL);
    } else if (strcmp(op, "ice-restart") == 0) {
        if (g_hash_table_contains(c->meetings, meeting))
            hand_over(c, meeting_get(c, meeting, conn), CMD_ICE_RESTART, endpoint, NULL);
    } else {
        send_error(conn, meeting, endpoint, "unknown op");
    }
}

static void on_ws_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
    dc_control *c = data;
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
    handle_message(c, conn, text, len);
}

static void on_ws_closed(SoupWebsocketConnection *conn, gpointer data)
{
    dc_control *c = data;
    GHashTableIter it;
    gpointer key, value;
    GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_iter_init(&it, c->meetings);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (((ctrl_meeting *)value)->conn == conn)
            g_ptr_array_add(gone, g_strdup(key));
    for (guint i = 0; i < gone->len; i++)
        meeting_close(c, gone->pdata[i]);
    g_ptr_array_unref(gone);
    g_message("control link closed");
    g_signal_handlers_disconnect_by_data(conn, c);
    g_ptr_array_remove(c->conns, conn);
}

static void on_websocket(SoupServer *server, SoupServerMessage *msg, const char *path,
                         SoupWebsocketConnection *conn, gpointer data)
{
    dc_control *c = data;
    if (c->conns->len >= c->config->max_meetings + CONTROL_SPARE_LINKS) {
        g_warning("control link refused: %u links open ([limits] max_meetings + %u)", c->conns->len,
                  CONTROL_SPARE_LINKS);
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                        "too many control links");
        return;
    }
    g_message("control link opened");
    g_ptr_array_add(c->conns, g_object_ref(conn));
    soup_websocket_connection_set_keepalive_interval(conn, 10);
    soup_websocket_connection_set_max_incoming_payload_size(conn, CONTROL_MAX_MESSAGE);
    g_signal_connect(conn, "message", G_CALLBACK(on_ws_message), c);
    g_signal_connect(conn, "closed", G_CALLBACK(on_ws_closed), c);
}

dc_control *dc_control_new(const dc_config *config, dc_workers *workers, const dc_dtls_cert *cert,
                           GError **error)
{
    dc_control *c = g_new0(dc_control, 1);
    c->config = config;
    c->workers = workers;
    c->cert = cert;
    c->main_ctx = g_main_context_ref_thread_default();
    for (int i = 0; i < 4; i++)
        g_snprintf(c->instance_id + 8 * i, 9, "%08x", g_random_int());
    c->meetings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ctrl_meeting_free);
    c->conns = g_ptr_array_new_with_free_func(g_object_unref);
    c->server = soup_server_new("server-header", "diemcau-bridge", NULL);
    soup_server_add_websocket_handler(c->server, "/control", NULL, NULL, on_websocket, c, NULL);
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
        hand_over(c, value, CMD_FREE, NULL, NULL);
    g_hash_table_remove_all(c->meetings);
}

void dc_control_free(dc_control *c)
{
    if (!c)
        return;
    dc_control_close_meetings(c);
    for (guint i = 0; i < c->conns->len; i++) {
        SoupWebsocketConnection *conn = c->conns->pdata[i];
        g_signal_handlers_disconnect_by_data(conn, c);
        if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
    g_ptr_array_unref(c->conns);
    if (c->server) {
        soup_server_disconnect(c->server);
        g_object_unref(c->server);
    }
    g_hash_table_unref(c->meetings);
    g_main_context_unref(c->main_ctx);
    g_free(c);
}
