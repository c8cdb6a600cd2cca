/* Unit tests for bridge/control-msg: every op of docs/control.md parsed to
 * its typed form, and a table of bad messages each refused with the field
 * at fault; the depth pre-scan on nesting in and out of strings. */
#include <glib.h>
#include <string.h>

#include "bridge/control-msg.h"

static void test_ops(void)
{
    static const struct {
        const char *text;
        dc_control_op op;
        const char *endpoint, *session, *sdp, *candidate;
    } cases[] = {
        {"{\"op\":\"hello\",\"meeting\":\"m\",\"signal\":\"x\"}", DC_CONTROL_HELLO, NULL, NULL,
         NULL, NULL},
        {"{\"op\":\"endpoint.add\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":\"s\"}",
         DC_CONTROL_ENDPOINT_ADD, "tinh", "s", NULL, NULL},
        {"{\"op\":\"endpoint.remove\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":\"s\"}",
         DC_CONTROL_ENDPOINT_REMOVE, "tinh", "s", NULL, NULL},
        {"{\"op\":\"answer\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":\"s\","
         "\"sdp\":\"v=0\"}",
         DC_CONTROL_ANSWER, "tinh", "s", "v=0", NULL},
        {"{\"op\":\"candidate\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":\"s\","
         "\"candidate\":\"candidate:1\",\"sdpMid\":\"0\"}",
         DC_CONTROL_CANDIDATE, "tinh", "s", NULL, "candidate:1"},
        {"{\"op\":\"candidate\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":\"s\"}",
         DC_CONTROL_CANDIDATE, "tinh", "s", NULL, ""},
        {"{\"op\":\"ice-restart\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":\"s\"}",
         DC_CONTROL_ICE_RESTART, "tinh", "s", NULL, NULL},
        {"{\"op\":\"stats\",\"meeting\":\"m\"}", DC_CONTROL_STATS, NULL, NULL, NULL, NULL},
        {"{\"op\":\"mute\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"audio\":true}",
         DC_CONTROL_MUTE, "tinh", NULL, NULL, NULL},
        {"{\"op\":\"floor\",\"meeting\":\"m\"}", DC_CONTROL_FLOOR, NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dc_control_msg m;
        dc_control_msg_error err = {0};
        if (!dc_control_msg_parse(cases[i].text, strlen(cases[i].text), &m, &err))
            g_error("%s: %s (%s)", cases[i].text, err.message, err.field);
        g_assert_cmpint(m.op, ==, cases[i].op);
        g_assert_cmpstr(m.meeting, ==, "m");
        g_assert_cmpstr(m.endpoint, ==, cases[i].endpoint);
        g_assert_cmpstr(m.session, ==, cases[i].session);
        g_assert_cmpstr(m.sdp, ==, cases[i].sdp);
        g_assert_cmpstr(m.candidate, ==, cases[i].candidate);
        dc_control_msg_clear(&m);
    }
    const char *stats = "{\"op\":\"stats\",\"id\":7,\"meeting\":\"m\"}";
    const char *mute = "{\"op\":\"mute\",\"meeting\":\"m\",\"endpoint\":\"t\",\"video\":false}";
    dc_control_msg m;
    g_assert_true(dc_control_msg_parse(stats, strlen(stats), &m, NULL));
    g_assert_true(m.has_id);
    g_assert_cmpint(m.id, ==, 7);
    dc_control_msg_clear(&m);
    g_assert_true(dc_control_msg_parse(mute, strlen(mute), &m, NULL));
    g_assert_cmpint(m.audio, ==, -1);
    g_assert_cmpint(m.video, ==, 0);
    dc_control_msg_clear(&m);
}

static void test_bad(void)
{
    g_autofree char *long_session = g_strnfill(129, 's');
    g_autofree char *long_msg = g_strdup_printf(
        "{\"op\":\"endpoint.add\",\"meeting\":\"m\",\"endpoint\":\"t\",\"session\":\"%s\"}",
        long_session);
    g_autofree char *deep = g_strnfill(80 * 1024, '[');
    const struct {
        const char *text, *field, *message;
    } cases[] = {
        {"not json", NULL, "message is not JSON"},
        {"[1]", NULL, "message is not a JSON object"},
        {deep, NULL, "message nests deeper than 32 levels"},
        {"{\"meeting\":\"m\"}", "op", NULL},
        {"{\"op\":\"hello\"}", "meeting", NULL},
        {"{\"op\":\"hello\",\"meeting\":\"\"}", "meeting", NULL},
        {"{\"op\":\"hello\",\"meeting\":7}", "meeting", NULL},
        {"{\"op\":\"nonsense\",\"meeting\":\"m\"}", "op", "unknown op"},
        {"{\"op\":\"endpoint.add\",\"meeting\":\"m\",\"endpoint\":\"t\"}", "session", NULL},
        {long_msg, "session", NULL},
        {"{\"op\":\"endpoint.remove\",\"meeting\":\"m\",\"session\":\"s\"}", "endpoint", NULL},
        {"{\"op\":\"answer\",\"meeting\":\"m\",\"endpoint\":\"t\",\"session\":\"s\"}", "sdp", NULL},
        {"{\"op\":\"candidate\",\"meeting\":\"m\",\"endpoint\":\"t\",\"session\":\"s\","
         "\"candidate\":5}",
         "candidate", NULL},
        {"{\"op\":\"mute\",\"meeting\":\"m\",\"endpoint\":\"t\",\"audio\":\"yes\"}", "audio", NULL},
        {"{\"op\":\"hello\",\"meeting\":\"m\",\"endpoint\":[]}", "endpoint", NULL},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dc_control_msg m;
        dc_control_msg_error err = {0};
        if (dc_control_msg_parse(cases[i].text, strlen(cases[i].text), &m, &err))
            g_error("accepted: %.80s", cases[i].text);
        g_assert_nonnull(err.message);
        g_assert_cmpstr(err.field, ==, cases[i].field);
        if (cases[i].message)
            g_assert_cmpstr(err.message, ==, cases[i].message);
        dc_control_msg_clear(&m);
    }
    /* A failed parse keeps what it read, for the error reply. */
    const char *t = "{\"op\":\"answer\",\"meeting\":\"m\",\"endpoint\":\"t\",\"session\":\"s\"}";
    dc_control_msg m;
    g_assert_false(dc_control_msg_parse(t, strlen(t), &m, NULL));
    g_assert_cmpstr(m.meeting, ==, "m");
    g_assert_cmpstr(m.endpoint, ==, "t");
    dc_control_msg_clear(&m);
}

/* The depth rule is common/json's (tests/test-guards.c); here, that the
 * parser goes through it and says so. */
static void test_depth(void)
{
    GString *deep = g_string_new("{\"op\":\"hello\",\"meeting\":\"m1\",\"x\":");
    for (int i = 0; i < 40; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 40; i++)
        g_string_append_c(deep, ']');
    g_string_append_c(deep, '}');
    dc_control_msg m;
    dc_control_msg_error err = {0};
    g_assert_false(dc_control_msg_parse(deep->str, deep->len, &m, &err));
    g_assert_nonnull(strstr(err.message, "deeper than 32"));
    dc_control_msg_clear(&m);
    g_string_free(deep, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/control-msg/ops", test_ops);
    g_test_add_func("/control-msg/bad", test_bad);
    g_test_add_func("/control-msg/depth", test_depth);
    return g_test_run();
}
