/* Unit tests for signaling/protocol: every bad site message names its field;
 * bridge messages are validated; builders produce what docs/protocol.md says. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "signaling/protocol.h"

static void test_client_good(void)
{
    static const struct {
        const char *text;
        dc_client_type type;
    } cases[] = {
        {"{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"x\"}", DC_CLIENT_JOIN},
        {"{\"type\":\"join\",\"site\":\"tinh\",\"credential\":\"x\",\"role\":\"chair\"}",
         DC_CLIENT_JOIN},
        {"{\"type\":\"join\",\"site\":\"tinh\",\"credential\":\"x\",\"role\":null,\"extra\":1}",
         DC_CLIENT_JOIN},
        {"{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}", DC_CLIENT_ANSWER},
        {"{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\","
         "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}",
         DC_CLIENT_CANDIDATE},
        {"{\"type\":\"candidate\",\"candidate\":\"\"}", DC_CLIENT_CANDIDATE},
        {"{\"type\":\"candidate\",\"candidate\":\"\",\"sdpMid\":null,\"sdpMLineIndex\":null}",
         DC_CLIENT_CANDIDATE},
        {"{\"type\":\"leave\"}", DC_CLIENT_LEAVE},
        {"{\"type\":\"ice-restart\"}", DC_CLIENT_ICE_RESTART},
        {"{\"type\":\"ping\"}", DC_CLIENT_PING},
        {"{\"type\":\"ping\",\"t\":12}", DC_CLIENT_PING},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dc_client_msg m;
        dc_protocol_error err = {0};
        g_assert_true(dc_protocol_parse_client(cases[i].text, strlen(cases[i].text), &m, &err));
        g_assert_null(err.message);
        g_assert_cmpint(m.type, ==, cases[i].type);
        dc_client_msg_clear(&m);
    }
}

static void test_client_bad(void)
{
    static const struct {
        const char *text;
        const char *field;
    } cases[] = {
        {"", NULL},
        {"not json", NULL},
        {"[1,2]", NULL},
        {"{\"type\":\"join\"", NULL},
        {"{}", "type"},
        {"{\"type\":7}", "type"},
        {"{\"type\":\"dance\"}", "type"},
        {"{\"type\":\"join\",\"credential\":\"x\"}", "site"},
        {"{\"type\":\"join\",\"site\":5,\"credential\":\"x\"}", "site"},
        {"{\"type\":\"join\",\"site\":\"\",\"credential\":\"x\"}", "site"},
        {"{\"type\":\"join\",\"site\":\"can-loc\"}", "credential"},
        {"{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":[]}", "credential"},
        {"{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"x\",\"role\":\"mayor\"}",
         "role"},
        {"{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"x\",\"role\":1}", "role"},
        {"{\"type\":\"answer\"}", "sdp"},
        {"{\"type\":\"answer\",\"sdp\":\"\"}", "sdp"},
        {"{\"type\":\"answer\",\"sdp\":{}}", "sdp"},
        {"{\"type\":\"candidate\"}", "candidate"},
        {"{\"type\":\"candidate\",\"candidate\":1}", "candidate"},
        {"{\"type\":\"candidate\",\"candidate\":\"a=candidate:1\",\"sdpMid\":\"0\"}", "candidate"},
        {"{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp 1 1.2.3.4 9 typ host\"}",
         "sdpMid"},
        {"{\"type\":\"candidate\",\"candidate\":\"candidate:1\",\"sdpMid\":0}", "sdpMid"},
        {"{\"type\":\"candidate\",\"candidate\":\"candidate:1\",\"sdpMLineIndex\":\"0\"}",
         "sdpMLineIndex"},
        {"{\"type\":\"candidate\",\"candidate\":\"candidate:1\",\"sdpMLineIndex\":-1}",
         "sdpMLineIndex"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dc_client_msg m;
        dc_protocol_error err = {0};
        g_assert_false(dc_protocol_parse_client(cases[i].text, strlen(cases[i].text), &m, &err));
        g_assert_cmpstr(err.code, ==, "bad-message");
        if (g_strcmp0(err.field, cases[i].field) != 0) {
            g_error("%s: field %s, want %s (%s)", cases[i].text, err.field, cases[i].field,
                    err.message);
        }
        g_assert_nonnull(err.message);
        g_assert_null(m.site);
        dc_protocol_error_clear(&err);
        dc_client_msg_clear(&m);
    }
}

static void test_bridge_messages(void)
{
    const char *offer = "{\"op\":\"offer\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":"
                        "\"s1\",\"sdp\":\"v=0\",\"streams\":[{\"mid\":\"2\",\"site\":\"can-loc\","
                        "\"kind\":\"audio\"}]}";
    dc_bridge_msg m;
    dc_protocol_error err = {0};
    g_assert_true(dc_protocol_parse_bridge(offer, strlen(offer), &m, &err));
    g_assert_cmpint(m.type, ==, DC_BRIDGE_OFFER);
    g_autofree char *relay = dc_protocol_offer_json(&m);
    g_assert_cmpstr(relay, ==,
                    "{\"type\":\"offer\",\"sdp\":\"v=0\",\"streams\":[{\"mid\":\"2\",\"site\":"
                    "\"can-loc\",\"kind\":\"audio\"}]}");
    dc_bridge_msg_clear(&m);

    const char *state = "{\"op\":\"endpoint.state\",\"meeting\":\"m\",\"endpoint\":\"tinh\","
                        "\"session\":\"s1\",\"state\":\"failed\"}";
    g_assert_true(dc_protocol_parse_bridge(state, strlen(state), &m, &err));
    g_assert_cmpint(m.state, ==, DC_SITE_CONNECTING);
    dc_bridge_msg_clear(&m);

    const char *lost = "{\"op\":\"endpoint.state\",\"meeting\":\"m\",\"endpoint\":\"tinh\","
                       "\"session\":\"s1\",\"state\":\"lost\"}";
    g_assert_true(dc_protocol_parse_bridge(lost, strlen(lost), &m, &err));
    g_assert_cmpstr(m.state_name, ==, "lost");
    dc_bridge_msg_clear(&m);

    static const struct {
        const char *text, *field;
    } bad[] = {
        {"{\"op\":\"hello\"}", "bridge"},
        {"{\"op\":\"offer\",\"meeting\":\"m\",\"endpoint\":\"e\",\"session\":\"s\",\"sdp\":\"v\"}",
         "streams"},
        {"{\"op\":\"offer\",\"meeting\":\"m\",\"endpoint\":\"e\",\"session\":\"s\",\"sdp\":\"v\","
         "\"streams\":[{\"mid\":\"1\",\"site\":\"x\",\"kind\":\"smell\"}]}",
         "streams"},
        {"{\"op\":\"offer\",\"meeting\":\"m\",\"endpoint\":\"e\",\"session\":\"s\",\"sdp\":\"v\","
         "\"streams\":[{\"site\":\"x\",\"kind\":\"audio\"}]}",
         "streams"},
        {"{\"op\":\"endpoint.state\",\"meeting\":\"m\",\"endpoint\":\"e\",\"session\":\"s\","
         "\"state\":\"dancing\"}",
         "state"},
        {"{\"op\":\"candidate\",\"meeting\":\"m\",\"endpoint\":\"e\"}", "candidate"},
        {"{\"op\":\"candidate\",\"meeting\":\"m\",\"endpoint\":\"e\",\"session\":7,"
         "\"candidate\":\"\"}",
         "session"},
        {"{\"op\":\"teleport\",\"meeting\":\"m\",\"endpoint\":\"e\",\"session\":\"s\"}", "op"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(dc_protocol_parse_bridge(bad[i].text, strlen(bad[i].text), &m, &err));
        g_assert_cmpstr(err.field, ==, bad[i].field);
        dc_protocol_error_clear(&err);
        dc_bridge_msg_clear(&m);
    }
}

static void test_builders(void)
{
    g_autofree char *e1 = dc_protocol_error_json("bad-message", "sdp", "“sdp” is missing");
    g_assert_cmpstr(e1, ==,
                    "{\"type\":\"error\",\"code\":\"bad-message\",\"field\":\"sdp\","
                    "\"message\":\"“sdp” is missing\"}");
    g_autofree char *e2 = dc_protocol_error_json("not-joined", NULL, "send join first");
    g_assert_null(strstr(e2, "field"));
    dc_candidate c = {.candidate = (char *)"", .sdp_mid = (char *)"0", .sdp_mline_index = 0};
    g_autofree char *c1 = dc_protocol_bridge_candidate_json("m", "tinh", "s1", &c);
    g_assert_cmpstr(c1, ==,
                    "{\"op\":\"candidate\",\"meeting\":\"m\",\"endpoint\":\"tinh\",\"session\":"
                    "\"s1\",\"candidate\":\"\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}");
    g_autofree char *r = dc_protocol_ice_restart_json("m", "tinh", "s1");
    g_assert_cmpstr(r, ==,
                    "{\"op\":\"ice-restart\",\"meeting\":\"m\",\"endpoint\":\"tinh\","
                    "\"session\":\"s1\"}");
    g_autofree char *h = dc_protocol_hello_json("m", "abc");
    g_assert_cmpstr(h, ==, "{\"op\":\"hello\",\"meeting\":\"m\",\"signal\":\"abc\"}");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/protocol/client-good", test_client_good);
    g_test_add_func("/protocol/client-bad-names-field", test_client_bad);
    g_test_add_func("/protocol/bridge-messages", test_bridge_messages);
    g_test_add_func("/protocol/builders", test_builders);
    return g_test_run();
}
