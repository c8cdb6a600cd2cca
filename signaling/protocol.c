/* signaling/protocol: parsing and building the JSON messages. See protocol.h,
 * docs/protocol.md and docs/control.md. */
#include "signaling/protocol.h"

#include "common/json.h"

#include <string.h>

void dc_protocol_error_clear(dc_protocol_error *err)
{
    g_clear_pointer(&err->message, g_free);
    err->code = NULL;
    err->field = NULL;
}

G_GNUC_PRINTF(3, 4)
static bool bad(dc_protocol_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_free(err->message);
    err->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    err->code = "bad-message";
    err->field = field;
    return false;
}

static void candidate_clear(dc_candidate *c)
{
    g_clear_pointer(&c->candidate, g_free);
    g_clear_pointer(&c->sdp_mid, g_free);
    c->sdp_mline_index = -1;
}

/* ------------------------------------------------------------------------ */
/* Field readers: each sets err naming @field on a missing or mistyped value */

/* A string member. Absent (or null when !required) leaves *out NULL. */
static bool get_str(JsonObject *o, const char *field, bool required, size_t min, size_t max,
                    char **out, dc_protocol_error *err)
{
    JsonNode *n = json_object_get_member(o, field);
    if (!n || (!required && JSON_NODE_HOLDS_NULL(n))) {
        return required ? bad(err, field, "“%s” is missing", field) : true;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
        return bad(err, field, "“%s” must be a string", field);
    }
    const char *s = json_node_get_string(n);
    size_t len = strlen(s);
    if (len < min) {
        return bad(err, field, "“%s” must not be empty", field);
    }
    if (len > max) {
        return bad(err, field, "“%s” is longer than %zu bytes", field, max);
    }
    *out = g_strdup(s);
    return true;
}

/* A site id as the config allows them ([a-z0-9-], 1 to 64 bytes): anything
 * else cannot name a site, and would carry newlines or escapes into logs. */
static bool get_site(JsonObject *o, const char *field, bool required, char **out,
                     dc_protocol_error *err)
{
    if (!get_str(o, field, required, 1, 64, out, err)) {
        return false;
    }
    for (const char *p = *out; p && *p; p++) {
        if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-')) {
            g_clear_pointer(out, g_free);
            return bad(err, field, "“%s” must be a site id: lower-case letters, digits and “-”",
                       field);
        }
    }
    return true;
}

static bool get_candidate(JsonObject *o, dc_candidate *c, dc_protocol_error *err)
{
    c->sdp_mline_index = -1;
    if (!get_str(o, "candidate", true, 0, DC_PROTOCOL_MAX_CANDIDATE, &c->candidate, err) ||
        !get_str(o, "sdpMid", false, 1, 64, &c->sdp_mid, err)) {
        return false;
    }
    if (c->candidate[0] != '\0' && !g_str_has_prefix(c->candidate, "candidate:")) {
        return bad(err, "candidate", "“candidate” must start with “candidate:” (or be empty)");
    }
    if (strpbrk(c->candidate, "\r\n")) {
        return bad(err, "candidate", "“candidate” must be one line");
    }
    JsonNode *n = json_object_get_member(o, "sdpMLineIndex");
    if (n && !JSON_NODE_HOLDS_NULL(n)) {
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
            json_node_get_int(n) < 0 || json_node_get_int(n) > 65535) {
            return bad(err, "sdpMLineIndex", "“sdpMLineIndex” must be an integer from 0 to 65535");
        }
        c->sdp_mline_index = json_node_get_int(n);
    }
    if (c->candidate[0] != '\0' && !c->sdp_mid && c->sdp_mline_index < 0) {
        return bad(err, "sdpMid", "a candidate needs “sdpMid” or “sdpMLineIndex”");
    }
    return true;
}

static JsonObject *parse_object(JsonParser *p, const char *data, size_t len, dc_protocol_error *err)
{
    g_autoptr(GError) e = NULL;
    if (!dc_json_load(p, data, len, 0, &e)) {
        bad(err, NULL, "not JSON: %s", e->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        bad(err, NULL, "a message must be a JSON object");
        return NULL;
    }
    return json_node_get_object(root);
}

/* ------------------------------------------------------------------------ */
/* Site → signal                                                            */

void dc_client_msg_clear(dc_client_msg *msg)
{
    g_clear_pointer(&msg->site, g_free);
    g_clear_pointer(&msg->credential, g_free);
    g_clear_pointer(&msg->role, g_free);
    g_clear_pointer(&msg->sdp, g_free);
    candidate_clear(&msg->cand);
}

/* An optional boolean member: -1 absent (or null), 0 false, 1 true. */
static bool get_tristate(JsonObject *o, const char *field, int *out, dc_protocol_error *err)
{
    *out = -1;
    JsonNode *n = json_object_get_member(o, field);
    if (!n || JSON_NODE_HOLDS_NULL(n)) {
        return true;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        return bad(err, field, "“%s” must be true or false", field);
    }
    *out = json_node_get_boolean(n) ? 1 : 0;
    return true;
}

/* The chair's commands and the sites' own (docs/protocol.md, "The chair"). */
static bool parse_chair(JsonObject *o, const char *type, dc_client_msg *msg, dc_protocol_error *err)
{
    static const struct {
        const char *name;
        dc_chair_cmd_type cmd;
        int site; /* 0 none, 1 required, 2 optional (null allowed) */
    } cmds[] = {
        {"open", DC_CHAIR_CMD_OPEN, 0},   {"lock", DC_CHAIR_CMD_LOCK, 0},
        {"end", DC_CHAIR_CMD_END, 0},     {"mute", DC_CHAIR_CMD_MUTE, 2},
        {"floor", DC_CHAIR_CMD_FLOOR, 2}, {"remove", DC_CHAIR_CMD_REMOVE, 1},
        {"allow", DC_CHAIR_CMD_ALLOW, 1}, {"hand", DC_CHAIR_CMD_HAND, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        if (strcmp(type, cmds[i].name) != 0) {
            continue;
        }
        msg->type = DC_CLIENT_CHAIR;
        msg->cmd.type = cmds[i].cmd;
        msg->cmd.audio = msg->cmd.video = -1;
        if (cmds[i].site && !get_site(o, "site", cmds[i].site == 1, &msg->site, err)) {
            return false;
        }
        msg->cmd.site = msg->site;
        int flag = -1;
        switch (cmds[i].cmd) {
        case DC_CHAIR_CMD_MUTE:
            if (!get_tristate(o, "audio", &msg->cmd.audio, err) ||
                !get_tristate(o, "video", &msg->cmd.video, err)) {
                return false;
            }
            if (msg->cmd.audio < 0 && msg->cmd.video < 0) {
                return bad(err, "audio", "“audio” or “video” is needed");
            }
            return true;
        case DC_CHAIR_CMD_LOCK:
            if (!get_tristate(o, "locked", &flag, err)) {
                return false;
            }
            msg->cmd.flag = flag != 0;
            return true;
        case DC_CHAIR_CMD_HAND:
            if (!get_tristate(o, "raised", &flag, err)) {
                return false;
            }
            if (flag < 0) {
                return bad(err, "raised", "“raised” is missing");
            }
            msg->cmd.flag = flag == 1;
            return true;
        case DC_CHAIR_CMD_FLOOR:
            if (!json_object_has_member(o, "site")) {
                return bad(err, "site", "“site” is missing (null takes the floor back)");
            }
            return true;
        default:
            return true;
        }
    }
    return bad(err, "type",
               "unknown message type “%s” (join, answer, candidate, leave, ice-restart, ping, "
               "open, lock, end, mute, hand, floor, remove, allow)",
               type);
}

static bool parse_client(JsonObject *o, dc_client_msg *msg, dc_protocol_error *err)
{
    g_autofree char *type = NULL;
    if (!get_str(o, "type", true, 1, 64, &type, err)) {
        return false;
    }
    if (strcmp(type, "join") == 0) {
        msg->type = DC_CLIENT_JOIN;
        if (!get_site(o, "site", true, &msg->site, err) ||
            !get_str(o, "credential", true, 1, 256, &msg->credential, err) ||
            !get_str(o, "role", false, 1, 32, &msg->role, err)) {
            return false;
        }
        dc_role r;
        if (msg->role && !dc_config_role_parse(msg->role, &r)) {
            return bad(err, "role", "“role” must be “chair”, “district” or “observer”");
        }
        return true;
    }
    if (strcmp(type, "answer") == 0) {
        msg->type = DC_CLIENT_ANSWER;
        return get_str(o, "sdp", true, 1, DC_PROTOCOL_MAX_SDP, &msg->sdp, err);
    }
    if (strcmp(type, "candidate") == 0) {
        msg->type = DC_CLIENT_CANDIDATE;
        return get_candidate(o, &msg->cand, err);
    }
    if (strcmp(type, "leave") == 0) {
        msg->type = DC_CLIENT_LEAVE;
        return true;
    }
    if (strcmp(type, "ice-restart") == 0) {
        msg->type = DC_CLIENT_ICE_RESTART;
        return true;
    }
    if (strcmp(type, "ping") == 0) {
        msg->type = DC_CLIENT_PING;
        return true;
    }
    return parse_chair(o, type, msg, err);
}

bool dc_protocol_parse_client(const char *data, size_t len, dc_client_msg *msg,
                              dc_protocol_error *err)
{
    memset(msg, 0, sizeof *msg);
    msg->cand.sdp_mline_index = -1;
    g_autoptr(JsonParser) p = json_parser_new_immutable();
    JsonObject *o = parse_object(p, data, len, err);
    if (!o || !parse_client(o, msg, err)) {
        dc_client_msg_clear(msg);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Bridge → signal                                                          */

void dc_bridge_msg_clear(dc_bridge_msg *msg)
{
    g_clear_pointer(&msg->bridge, g_free);
    g_clear_pointer(&msg->meeting, g_free);
    g_clear_pointer(&msg->endpoint, g_free);
    g_clear_pointer(&msg->session, g_free);
    g_clear_pointer(&msg->sdp, g_free);
    g_clear_pointer(&msg->streams, json_node_unref);
    g_clear_pointer(&msg->state_name, g_free);
    g_clear_pointer(&msg->message, g_free);
    candidate_clear(&msg->cand);
}

static bool parse_streams(JsonObject *o, dc_bridge_msg *msg, dc_protocol_error *err)
{
    JsonNode *n = json_object_get_member(o, "streams");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n)) {
        return bad(err, "streams", "“streams” must be an array");
    }
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_OBJECT(e)) {
            return bad(err, "streams", "“streams”[%u] must be an object", i);
        }
        JsonObject *s = json_node_get_object(e);
        g_autofree char *mid = NULL, *site = NULL, *kind = NULL;
        if (!get_str(s, "mid", true, 1, 64, &mid, err) ||
            !get_str(s, "site", true, 1, 64, &site, err) ||
            !get_str(s, "kind", true, 1, 16, &kind, err)) {
            g_autofree char *why = g_steal_pointer(&err->message);
            return bad(err, "streams", "“streams”[%u]: %s", i, why);
        }
        if (strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0) {
            return bad(err, "streams", "“streams”[%u].kind must be “audio” or “video”", i);
        }
    }
    msg->streams = json_node_copy(n);
    return true;
}

static bool parse_state(JsonObject *o, dc_bridge_msg *msg, dc_protocol_error *err)
{
    if (!get_str(o, "state", true, 1, 32, &msg->state_name, err)) {
        return false;
    }
    static const struct {
        const char *name;
        dc_site_state state;
    } states[] = {{"connecting", DC_SITE_CONNECTING},
                  {"connected", DC_SITE_CONNECTED},
                  {"failed", DC_SITE_CONNECTING},
                  {"closed", DC_SITE_CONNECTING},
                  {"lost", DC_SITE_CONNECTING}}; /* the service then removes the site */
    for (size_t i = 0; i < G_N_ELEMENTS(states); i++) {
        if (strcmp(msg->state_name, states[i].name) == 0) {
            msg->state = states[i].state;
            return true;
        }
    }
    return bad(err, "state", "unknown state “%s”", msg->state_name);
}

static bool parse_bridge(JsonObject *o, dc_bridge_msg *msg, dc_protocol_error *err)
{
    g_autofree char *op = NULL;
    if (!get_str(o, "op", true, 1, 64, &op, err)) {
        return false;
    }
    if (strcmp(op, "hello") == 0) {
        msg->type = DC_BRIDGE_HELLO;
        return get_str(o, "bridge", true, 1, 128, &msg->bridge, err);
    }
    if (strcmp(op, "stats") == 0) {
        msg->type = DC_BRIDGE_STATS;
        return true;
    }
    /* "session" should be on every endpoint op (docs/control.md) but is
     * optional here: without it a message goes to the site's current
     * session, which loses the protection against stale messages. */
    bool is_error = strcmp(op, "error") == 0;
    if (!get_str(o, "meeting", !is_error, 1, 64, &msg->meeting, err) ||
        !get_str(o, "endpoint", !is_error, 1, 64, &msg->endpoint, err) ||
        !get_str(o, "session", false, 1, 128, &msg->session, err)) {
        return false;
    }
    if (is_error) {
        msg->type = DC_BRIDGE_ERROR;
        return get_str(o, "message", true, 0, 4096, &msg->message, err);
    }
    if (strcmp(op, "offer") == 0) {
        msg->type = DC_BRIDGE_OFFER;
        return get_str(o, "sdp", true, 1, 4 * DC_PROTOCOL_MAX_SDP, &msg->sdp, err) &&
               parse_streams(o, msg, err);
    }
    if (strcmp(op, "candidate") == 0) {
        msg->type = DC_BRIDGE_CANDIDATE;
        return get_candidate(o, &msg->cand, err);
    }
    if (strcmp(op, "endpoint.state") == 0) {
        msg->type = DC_BRIDGE_STATE;
        return parse_state(o, msg, err);
    }
    return bad(err, "op", "unknown op “%s”", op);
}

bool dc_protocol_parse_bridge(const char *data, size_t len, dc_bridge_msg *msg,
                              dc_protocol_error *err)
{
    memset(msg, 0, sizeof *msg);
    msg->cand.sdp_mline_index = -1;
    g_autoptr(JsonParser) p = json_parser_new_immutable();
    JsonObject *o = parse_object(p, data, len, err);
    if (!o || !parse_bridge(o, msg, err)) {
        dc_bridge_msg_clear(msg);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Builders                                                                 */

static char *finish(JsonBuilder *b)
{
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

static void add_str(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
}

static JsonBuilder *start(const char *tag, const char *type)
{
    JsonBuilder *b = json_builder_new_immutable();
    json_builder_begin_object(b);
    add_str(b, tag, type);
    return b;
}

char *dc_protocol_error_json(const char *code, const char *field, const char *message)
{
    g_autoptr(JsonBuilder) b = start("type", "error");
    add_str(b, "code", code);
    if (field) {
        add_str(b, "field", field);
    }
    add_str(b, "message", message ? message : code);
    return finish(b);
}

char *dc_protocol_simple_json(const char *type)
{
    g_autoptr(JsonBuilder) b = start("type", type);
    return finish(b);
}

static void add_roster_sites(JsonBuilder *b, const dc_roster *roster)
{
    json_builder_begin_array(b);
    for (size_t i = 0; i < dc_roster_size(roster); i++) {
        dc_roster_entry e = dc_roster_entry_at(roster, i);
        json_builder_begin_object(b);
        add_str(b, "id", e.site->id);
        add_str(b, "name", e.site->name);
        add_str(b, "role", dc_config_role_name(e.site->role));
        json_builder_set_member_name(b, "present");
        json_builder_add_boolean_value(b, e.session != NULL);
        add_str(b, "state", dc_site_state_name(e.state));
        dc_roster_decorate(roster, b, (ptrdiff_t)i);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void add_meeting(JsonBuilder *b, const dc_config *cfg)
{
    json_builder_set_member_name(b, "meeting");
    json_builder_begin_object(b);
    add_str(b, "id", cfg->meeting_id);
    add_str(b, "title", cfg->meeting_title);
    json_builder_end_object(b);
}

char *dc_protocol_welcome_json(const dc_config *cfg, const dc_config_site *site,
                               const char *session, const dc_roster *roster)
{
    g_autoptr(JsonBuilder) b = start("type", "welcome");
    add_str(b, "site", site->id);
    add_str(b, "name", site->name);
    add_str(b, "role", dc_config_role_name(site->role));
    add_str(b, "session", session);
    add_meeting(b, cfg);
    json_builder_set_member_name(b, "roster");
    add_roster_sites(b, roster);
    dc_roster_decorate(roster, b, -1);
    return finish(b);
}

char *dc_protocol_roster_json(const dc_roster *roster)
{
    g_autoptr(JsonBuilder) b = start("type", "roster");
    json_builder_set_member_name(b, "sites");
    add_roster_sites(b, roster);
    dc_roster_decorate(roster, b, -1);
    return finish(b);
}

char *dc_protocol_api_roster_json(const dc_config *cfg, const dc_roster *roster, bool bridge_up)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    add_meeting(b, cfg);
    add_str(b, "bridge", bridge_up ? "up" : "down");
    json_builder_set_member_name(b, "sites");
    add_roster_sites(b, roster);
    dc_roster_decorate(roster, b, -1);
    return finish(b);
}

char *dc_protocol_offer_json(const dc_bridge_msg *offer)
{
    g_autoptr(JsonBuilder) b = start("type", "offer");
    add_str(b, "sdp", offer->sdp);
    json_builder_set_member_name(b, "streams");
    json_builder_add_value(b, json_node_copy(offer->streams));
    return finish(b);
}

static void add_candidate(JsonBuilder *b, const dc_candidate *c)
{
    add_str(b, "candidate", c->candidate);
    if (c->sdp_mid) {
        add_str(b, "sdpMid", c->sdp_mid);
    }
    if (c->sdp_mline_index >= 0) {
        json_builder_set_member_name(b, "sdpMLineIndex");
        json_builder_add_int_value(b, c->sdp_mline_index);
    }
}

char *dc_protocol_candidate_json(const dc_candidate *cand)
{
    g_autoptr(JsonBuilder) b = start("type", "candidate");
    add_candidate(b, cand);
    return finish(b);
}

char *dc_protocol_hello_json(const char *meeting, const char *signal_id)
{
    g_autoptr(JsonBuilder) b = start("op", "hello");
    add_str(b, "meeting", meeting);
    add_str(b, "signal", signal_id);
    return finish(b);
}

static JsonBuilder *start_endpoint(const char *op, const char *meeting, const char *endpoint,
                                   const char *session)
{
    JsonBuilder *b = start("op", op);
    add_str(b, "meeting", meeting);
    add_str(b, "endpoint", endpoint);
    add_str(b, "session", session);
    return b;
}

char *dc_protocol_endpoint_json(const char *op, const char *meeting, const char *endpoint,
                                const char *session)
{
    g_autoptr(JsonBuilder) b = start_endpoint(op, meeting, endpoint, session);
    return finish(b);
}

char *dc_protocol_answer_json(const char *meeting, const char *endpoint, const char *session,
                              const char *sdp)
{
    g_autoptr(JsonBuilder) b = start_endpoint("answer", meeting, endpoint, session);
    add_str(b, "sdp", sdp);
    return finish(b);
}

char *dc_protocol_ice_restart_json(const char *meeting, const char *endpoint, const char *session)
{
    g_autoptr(JsonBuilder) b = start_endpoint("ice-restart", meeting, endpoint, session);
    return finish(b);
}

char *dc_protocol_bridge_candidate_json(const char *meeting, const char *endpoint,
                                        const char *session, const dc_candidate *cand)
{
    g_autoptr(JsonBuilder) b = start_endpoint("candidate", meeting, endpoint, session);
    add_candidate(b, cand);
    return finish(b);
}
