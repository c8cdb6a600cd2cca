/* control-msg: typed parsing of the control link's messages. See
 * control-msg.h. */
#include "bridge/control-msg.h"

#include "common/json.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define MAX_SDP (1024 * 1024)
#define MAX_CANDIDATE 1024

static const struct {
    const char *name;
    dc_control_op op;
} ops[] = {
    {"hello", DC_CONTROL_HELLO},
    {"endpoint.add", DC_CONTROL_ENDPOINT_ADD},
    {"endpoint.remove", DC_CONTROL_ENDPOINT_REMOVE},
    {"answer", DC_CONTROL_ANSWER},
    {"candidate", DC_CONTROL_CANDIDATE},
    {"ice-restart", DC_CONTROL_ICE_RESTART},
    {"stats", DC_CONTROL_STATS},
    {"mute", DC_CONTROL_MUTE},
    {"floor", DC_CONTROL_FLOOR},
};

static bool fail(dc_control_msg_error *err, const char *field, const char *message)
{
    if (err) {
        err->field = field;
        err->message = message;
    }
    return false;
}

typedef enum { STR_ABSENT, STR_OK, STR_BAD } str_result;

/* A string member of at most max bytes (absent and JSON null: absent). */
static str_result member_string(JsonObject *o, const char *name, size_t max, char **out)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return STR_ABSENT;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return STR_BAD;
    const char *s = json_node_get_string(n);
    if (strlen(s) > max)
        return STR_BAD;
    *out = g_strdup(s);
    return STR_OK;
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

/* Which members each op needs. */
static bool needs_endpoint(dc_control_op op)
{
    return op != DC_CONTROL_HELLO && op != DC_CONTROL_STATS && op != DC_CONTROL_FLOOR;
}

static bool needs_session(dc_control_op op)
{
    return op == DC_CONTROL_ENDPOINT_ADD || op == DC_CONTROL_ENDPOINT_REMOVE ||
           op == DC_CONTROL_ANSWER || op == DC_CONTROL_CANDIDATE || op == DC_CONTROL_ICE_RESTART;
}

static bool parse_object(JsonObject *o, dc_control_msg *out, dc_control_msg_error *err)
{
    g_autofree char *op = NULL;
    str_result r_op = member_string(o, "op", 64, &op);
    str_result r_meeting = member_string(o, "meeting", DC_CONTROL_MSG_MAX_ID, &out->meeting);
    str_result r_endpoint = member_string(o, "endpoint", DC_CONTROL_MSG_MAX_ID, &out->endpoint);
    if (r_op != STR_OK)
        return fail(err, "op", "message needs \"op\" and \"meeting\"");
    if (r_meeting != STR_OK || !*out->meeting)
        return fail(err, "meeting", "message needs \"op\" and \"meeting\"");
    if (r_endpoint == STR_BAD)
        return fail(err, "endpoint", "\"endpoint\" must be a string of up to 128 bytes");
    size_t i = 0;
    while (i < G_N_ELEMENTS(ops) && strcmp(ops[i].name, op) != 0)
        i++;
    if (i == G_N_ELEMENTS(ops))
        return fail(err, "op", "unknown op");
    out->op = ops[i].op;
    if (needs_endpoint(out->op) && !out->endpoint)
        return fail(err, "endpoint", "unknown or missing \"endpoint\"");
    if (needs_session(out->op) &&
        member_string(o, "session", DC_CONTROL_MSG_MAX_ID, &out->session) != STR_OK)
        return fail(err, "session", "this op needs \"session\", a string of up to 128 bytes");
    switch (out->op) {
    case DC_CONTROL_ANSWER:
        if (member_string(o, "sdp", MAX_SDP, &out->sdp) != STR_OK)
            return fail(err, "sdp", "answer needs \"sdp\"");
        break;
    case DC_CONTROL_CANDIDATE: {
        str_result r = member_string(o, "candidate", MAX_CANDIDATE, &out->candidate);
        if (r == STR_BAD)
            return fail(err, "candidate", "\"candidate\" must be a string of up to 1024 bytes");
        if (r == STR_ABSENT)
            out->candidate = g_strdup("");
        break;
    }
    case DC_CONTROL_STATS: {
        JsonNode *idn = json_object_get_member(o, "id");
        out->has_id =
            idn && JSON_NODE_HOLDS_VALUE(idn) && json_node_get_value_type(idn) == G_TYPE_INT64;
        out->id = out->has_id ? json_node_get_int(idn) : 0;
        break;
    }
    case DC_CONTROL_MUTE:
    case DC_CONTROL_FLOOR:
        out->audio = member_tristate(o, "audio");
        out->video = member_tristate(o, "video");
        if (out->op == DC_CONTROL_MUTE && (out->audio == -2 || out->video == -2))
            return fail(err, out->audio == -2 ? "audio" : "video",
                        "mute needs \"endpoint\" and boolean audio/video");
        break;
    default:
        break;
    }
    return true;
}

bool dc_control_msg_parse(const char *text, size_t len, dc_control_msg *out,
                          dc_control_msg_error *err)
{
    memset(out, 0, sizeof *out);
    out->audio = out->video = -1;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) e = NULL;
    if (!dc_json_load(parser, text, len, 0, &e)) {
        return fail(err, NULL,
                    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) &&
                            strstr(e->message, "deeper")
                        ? "message nests deeper than 32 levels"
                        : "message is not JSON");
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return fail(err, NULL, "message is not a JSON object");
    return parse_object(json_node_get_object(root), out, err);
}

void dc_control_msg_clear(dc_control_msg *m)
{
    g_clear_pointer(&m->meeting, g_free);
    g_clear_pointer(&m->endpoint, g_free);
    g_clear_pointer(&m->session, g_free);
    g_clear_pointer(&m->sdp, g_free);
    g_clear_pointer(&m->candidate, g_free);
}
