/* ctl/roster: the roster as text. See roster.h. */
#include "ctl/roster.h"

#include <stdbool.h>
#include <string.h>

static const char *s_of(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

static bool b_of(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
           json_node_get_boolean(n);
}

static void pad(GString *g, const char *s, int width)
{
    g_string_append(g, s);
    for (long n = g_utf8_strlen(s, -1); n < width; n++) {
        g_string_append_c(g, ' ');
    }
}

/* "on", "muted" (by itself) or "CHAIR" (muted by the chair). */
static const char *medium(JsonObject *e, const char *kind)
{
    JsonNode *bc = json_object_get_member(e, "muted_by_chair");
    JsonObject *by = bc && JSON_NODE_HOLDS_OBJECT(bc) ? json_node_get_object(bc) : NULL;
    g_autofree char *key = g_strconcat(kind, "_muted", NULL);
    return b_of(by, kind) ? "CHAIR" : b_of(e, key) ? "muted" : "on";
}

char *dc_ctl_roster_text(JsonNode *roster)
{
    JsonObject *root =
        roster && JSON_NODE_HOLDS_OBJECT(roster) ? json_node_get_object(roster) : NULL;
    JsonObject *m = root && json_object_has_member(root, "meeting")
                        ? json_object_get_object_member(root, "meeting")
                        : NULL;
    GString *g = g_string_new(NULL);
    const char *floor = s_of(root, "floor");
    g_string_append_printf(
        g, "%s: %s, bridge %s, floor: %s\n", s_of(m, "title") ? s_of(m, "title") : "?",
        s_of(root, "meeting_state") ? s_of(root, "meeting_state") : "?",
        s_of(root, "bridge") ? s_of(root, "bridge") : "?", floor ? floor : "(the chair)");
    JsonNode *hn = root ? json_object_get_member(root, "hands") : NULL;
    JsonArray *hands = hn && JSON_NODE_HOLDS_ARRAY(hn) ? json_node_get_array(hn) : NULL;
    g_string_append(g, "Hands: ");
    for (guint i = 0; hands && i < json_array_get_length(hands); i++) {
        g_string_append_printf(g, "%s%u. %s", i ? ", " : "", i + 1,
                               json_array_get_string_element(hands, i));
    }
    g_string_append(g, hands && json_array_get_length(hands) ? "\n\n" : "(none)\n\n");
    pad(g, "SITE", 14);
    pad(g, "NAME", 24);
    g_string_append(g, "STATE       AUDIO  VIDEO  HAND FLOOR\n");
    JsonNode *sn = root ? json_object_get_member(root, "sites") : NULL;
    JsonArray *sites = sn && JSON_NODE_HOLDS_ARRAY(sn) ? json_node_get_array(sn) : NULL;
    for (guint i = 0; sites && i < json_array_get_length(sites); i++) {
        JsonObject *e = json_array_get_object_element(sites, i);
        const char *id = s_of(e, "id");
        pad(g, id ? id : "?", 14);
        pad(g, s_of(e, "name") ? s_of(e, "name") : "", 24);
        const char *state = b_of(e, "removed")   ? "removed"
                            : b_of(e, "waiting") ? "lobby"
                            : s_of(e, "state")   ? s_of(e, "state")
                                                 : "?";
        if (!b_of(e, "present")) {
            g_string_append_printf(g, "%s\n", state);
            continue;
        }
        pad(g, state, 12);
        pad(g, medium(e, "audio"), 7);
        pad(g, medium(e, "video"), 7);
        guint place = 0;
        for (guint k = 0; hands && k < json_array_get_length(hands); k++) {
            if (g_strcmp0(json_array_get_string_element(hands, k), id) == 0) {
                place = k + 1;
            }
        }
        g_autofree char *h = place ? g_strdup_printf("%u", place) : g_strdup("-");
        pad(g, h, 5);
        g_string_append(g, b_of(e, "floor") ? "FLOOR\n" : "\n");
    }
    g_string_append(g, "\nAUDIO/VIDEO: on, muted (by the site), CHAIR (muted by the chair); "
                       "HAND: place in the queue\n");
    return g_string_free(g, FALSE);
}
