/* End-to-end tests of diemcau-signal: the chair's commands (docs/protocol.md,
 * "The chair"), each accepted from the chair and refused to a district with
 * nothing changed. The harness, with the real binary and a stand-in bridge,
 * is signal-fixture.h.
 *
 * The binary comes from argv[1] (meson test args), else $DC_SIGNAL_BIN. */
#include <stdbool.h>
#include <string.h>

#include "signal-fixture.h"

/* The newest message of @type after the traffic settles (older ones of the
 * same type are dropped). */
static JsonObject *site_latest(site *s, const char *type)
{
    JsonObject *o = site_take(s, type);
    ts_run_for(QUIET_MS);
    JsonObject *next;
    while ((next = inbox_take(&s->in, type, 0))) {
        json_object_unref(o);
        o = next;
    }
    return o;
}

static gboolean bool_of(JsonObject *o, const char *key)
{
    return json_object_get_boolean_member(o, key);
}

/* Joins tinh, can-loc and duc-tho and drains what they were sent. */
static void join_three(fixture *f, site **chair, site **cl, site **dt)
{
    *chair = site_join(f, "tinh", CRED_TINH, NULL);
    *cl = site_join(f, "can-loc", CRED_CAN_LOC, NULL);
    *dt = site_join(f, "duc-tho", CRED_DUC_THO, NULL);
    ts_run_for(QUIET_MS);
    inbox_clear(&(*chair)->in);
    inbox_clear(&(*cl)->in);
    inbox_clear(&(*dt)->in);
    inbox_clear(&f->bridge_in);
}

/* Every chair command from a district is refused with not-chair, field
 * type, and changes nothing: no roster, nothing to the bridge. */
static void test_chair_commands_refused_to_districts(fixture *f, gconstpointer data)
{
    site *chair, *cl, *dt;
    join_three(f, &chair, &cl, &dt);
    static const char *const cmds[] = {
        "{\"type\":\"open\"}",
        "{\"type\":\"lock\",\"locked\":true}",
        "{\"type\":\"end\"}",
        "{\"type\":\"mute\",\"site\":\"duc-tho\",\"audio\":true}",
        "{\"type\":\"mute\",\"site\":\"tinh\",\"video\":true}",
        "{\"type\":\"floor\",\"site\":\"can-loc\"}",
        "{\"type\":\"floor\",\"site\":null}",
        "{\"type\":\"remove\",\"site\":\"duc-tho\"}",
        "{\"type\":\"allow\",\"site\":\"duc-tho\"}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        site_send(cl, cmds[i]);
        g_autoptr(JsonObject) e = site_take(cl, "error");
        g_assert_cmpstr(str_of(e, "code"), ==, "not-chair");
        g_assert_cmpstr(str_of(e, "field"), ==, "type");
    }
    ts_run_for(QUIET_MS);
    g_assert_cmpuint(g_queue_get_length(&chair->in.q), ==, 0);
    g_assert_cmpuint(g_queue_get_length(&dt->in.q), ==, 0);
    g_assert_cmpuint(g_queue_get_length(&cl->in.q), ==, 0);
    /* Nothing to the bridge but its once-a-second stats poll. */
    g_assert_cmpuint(g_queue_get_length(&f->bridge_in.q), ==, inbox_count(&f->bridge_in, "stats"));
    g_assert_false(dt->closed);
    /* A bad command is a bad message, named. */
    site_send(chair, "{\"type\":\"mute\",\"site\":\"can-loc\"}");
    g_autoptr(JsonObject) e = site_take(chair, "error");
    g_assert_cmpstr(str_of(e, "code"), ==, "bad-message");
    site_send(chair, "{\"type\":\"remove\",\"site\":\"ha-noi\"}");
    g_autoptr(JsonObject) e2 = site_take(chair, "error");
    g_assert_cmpstr(str_of(e2, "code"), ==, "unknown-site");
    site_free(chair);
    site_free(cl);
    site_free(dt);
}

/* The chair mutes a district's audio: the bridge is told, the site is told
 * and cannot undo it; it may mute and unmute its own video. */
static void test_chair_mute(fixture *f, gconstpointer data)
{
    site *chair, *cl, *dt;
    join_three(f, &chair, &cl, &dt);
    site_send(chair, "{\"type\":\"mute\",\"site\":\"can-loc\",\"audio\":true}");
    g_autoptr(JsonObject) op = bridge_take(f, "mute");
    g_assert_cmpstr(str_of(op, "endpoint"), ==, "can-loc");
    g_assert_true(bool_of(op, "audio"));
    g_assert_false(bool_of(op, "video"));
    g_autoptr(JsonObject) m = site_take(cl, "muted");
    g_assert_true(bool_of(m, "audio"));
    g_assert_true(
        json_object_get_boolean_member(json_object_get_object_member(m, "by_chair"), "audio"));
    g_autoptr(JsonObject) r = site_latest(dt, "roster");
    g_assert_true(bool_of(roster_entry(r, "can-loc"), "audio_muted"));
    g_assert_false(bool_of(roster_entry(r, "can-loc"), "video_muted"));
    g_assert_false(bool_of(roster_entry(r, "duc-tho"), "audio_muted"));

    site_send(cl, "{\"type\":\"mute\",\"audio\":false}");
    g_autoptr(JsonObject) e = site_take(cl, "error");
    g_assert_cmpstr(str_of(e, "code"), ==, "muted-by-chair");
    g_assert_cmpstr(str_of(e, "field"), ==, "audio");
    ts_run_for(QUIET_MS);
    g_assert_cmpuint(inbox_count(&f->bridge_in, "mute"), ==, 0);

    site_send(cl, "{\"type\":\"mute\",\"site\":\"can-loc\",\"video\":true}");
    g_autoptr(JsonObject) op2 = bridge_take(f, "mute");
    g_assert_true(bool_of(op2, "audio"));
    g_assert_true(bool_of(op2, "video"));
    site_send(cl, "{\"type\":\"mute\",\"video\":false}");
    g_autoptr(JsonObject) op3 = bridge_take(f, "mute");
    g_assert_false(bool_of(op3, "video"));

    site_send(chair, "{\"type\":\"mute\",\"site\":\"can-loc\",\"audio\":false}");
    g_autoptr(JsonObject) op4 = bridge_take(f, "mute");
    g_assert_false(bool_of(op4, "audio"));
    g_autoptr(JsonObject) r2 = site_latest(chair, "roster");
    g_assert_false(bool_of(roster_entry(r2, "can-loc"), "audio_muted"));
    site_free(chair);
    site_free(cl);
    site_free(dt);
}

/* Hands in order, the floor unmutes and is announced to all; taking it
 * back restores the chair's mute. */
static void test_chair_floor(fixture *f, gconstpointer data)
{
    site *chair, *cl, *dt;
    join_three(f, &chair, &cl, &dt);
    site_send(chair, "{\"type\":\"mute\",\"site\":\"can-loc\",\"audio\":true}");
    g_autoptr(JsonObject) op0 = bridge_take(f, "mute");
    site_send(dt, "{\"type\":\"hand\",\"raised\":true}");
    ts_run_for(QUIET_MS);
    site_send(cl, "{\"type\":\"hand\",\"raised\":true}");
    g_autoptr(JsonObject) r = site_latest(chair, "roster");
    JsonArray *hands = json_object_get_array_member(r, "hands");
    g_assert_cmpuint(json_array_get_length(hands), ==, 2);
    g_assert_cmpstr(json_array_get_string_element(hands, 0), ==, "duc-tho");
    g_assert_cmpstr(json_array_get_string_element(hands, 1), ==, "can-loc");
    g_assert_true(bool_of(roster_entry(r, "can-loc"), "hand"));

    site_send(chair, "{\"type\":\"floor\",\"site\":\"can-loc\"}");
    g_autoptr(JsonObject) fl = site_take(dt, "floor");
    g_assert_cmpstr(str_of(fl, "site"), ==, "can-loc");
    g_assert_cmpstr(str_of(fl, "name"), ==, "Huyện Can Lộc");
    g_autoptr(JsonObject) fl2 = site_take(cl, "floor");
    g_autoptr(JsonObject) unm = bridge_take(f, "mute");
    g_assert_false(bool_of(unm, "audio"));
    g_autoptr(JsonObject) bf = bridge_take(f, "floor");
    g_assert_cmpstr(str_of(bf, "endpoint"), ==, "can-loc");
    g_autoptr(JsonObject) r2 = site_latest(chair, "roster");
    g_assert_cmpstr(str_of(r2, "floor"), ==, "can-loc");
    g_assert_true(bool_of(roster_entry(r2, "can-loc"), "floor"));
    g_assert_false(bool_of(roster_entry(r2, "can-loc"), "hand"));
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(r2, "hands")), ==, 1);

    site_send(chair, "{\"type\":\"floor\",\"site\":null}");
    g_autoptr(JsonObject) fl3 = site_take(dt, "floor");
    g_assert_true(json_node_is_null(json_object_get_member(fl3, "site")));
    g_autoptr(JsonObject) rem = bridge_take(f, "mute");
    g_assert_true(bool_of(rem, "audio"));
    g_autoptr(JsonObject) bf2 = bridge_take(f, "floor");
    g_assert_false(json_object_has_member(bf2, "endpoint"));
    site_free(chair);
    site_free(cl);
    site_free(dt);
}

/* Remove: disconnected with a reason, refused until allowed. End: everyone
 * is told and disconnected. */
static void test_chair_remove_allow_end(fixture *f, gconstpointer data)
{
    site *chair, *cl, *dt;
    join_three(f, &chair, &cl, &dt);
    site_send(chair, "{\"type\":\"remove\",\"site\":\"can-loc\"}");
    g_autoptr(JsonObject) rm = site_take(cl, "removed");
    g_assert_nonnull(str_of(rm, "reason"));
    g_assert_true(ts_wait_for(site_closed, cl, WAIT_MS));
    g_assert_cmpuint(cl->close_code, ==, 4003);
    expect_endpoint_op(f, "endpoint.remove", "can-loc", NULL);
    g_autoptr(JsonObject) r = site_latest(chair, "roster");
    g_assert_false(bool_of(roster_entry(r, "can-loc"), "present"));
    g_assert_true(bool_of(roster_entry(r, "can-loc"), "removed"));

    g_autoptr(site) again = site_open(f);
    site_send(again,
              "{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"" CRED_CAN_LOC "\"}");
    g_autoptr(JsonObject) e = site_take(again, "error");
    g_assert_cmpstr(str_of(e, "code"), ==, "removed");
    site_send(chair, "{\"type\":\"allow\",\"site\":\"can-loc\"}");
    ts_run_for(QUIET_MS);
    site_send(again,
              "{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"" CRED_CAN_LOC "\"}");
    g_autoptr(JsonObject) w = site_take(again, "welcome");

    site_send(chair, "{\"type\":\"end\"}");
    g_autoptr(JsonObject) en = site_take(dt, "ended");
    g_autoptr(JsonObject) en2 = site_take(again, "ended");
    g_assert_true(ts_wait_for(site_closed, dt, WAIT_MS));
    g_assert_true(ts_wait_for(site_closed, chair, WAIT_MS));
    g_assert_cmpuint(dt->close_code, ==, 4004);
    site_free(chair);
    site_free(cl);
    site_free(dt);
}

/* [meeting] lobby = true: districts wait (no endpoint at the bridge) until
 * the chair opens; a locked meeting refuses new sites. */
static void test_chair_lobby_lock(fixture *f, gconstpointer data)
{
    g_autoptr(site) cl = site_open(f);
    site_send(cl, "{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"" CRED_CAN_LOC "\"}");
    g_autoptr(JsonObject) w = site_take(cl, "welcome");
    g_assert_cmpstr(str_of(w, "meeting_state"), ==, "lobby");
    g_assert_true(bool_of(roster_entry(w, "can-loc"), "waiting"));
    g_autoptr(JsonObject) ms = site_take(cl, "meeting");
    g_assert_cmpstr(str_of(ms, "state"), ==, "lobby");
    g_autofree char *sid = NULL;
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, &sid);
    expect_endpoint_op(f, "endpoint.add", "tinh", sid);
    ts_run_for(QUIET_MS);
    g_assert_cmpuint(inbox_count(&f->bridge_in, "endpoint.add"), ==, 0);

    site_send(chair, "{\"type\":\"lock\",\"locked\":true}");
    g_autoptr(JsonObject) e = site_take(chair, "error");
    g_assert_cmpstr(str_of(e, "code"), ==, "not-open");
    site_send(chair, "{\"type\":\"open\"}");
    expect_endpoint_op(f, "endpoint.add", "can-loc", NULL);
    g_autoptr(JsonObject) ms2 = site_take(cl, "meeting");
    g_assert_cmpstr(str_of(ms2, "state"), ==, "open");
    site_send(chair, "{\"type\":\"lock\",\"locked\":true}");
    g_autoptr(JsonObject) ms3 = site_take(cl, "meeting");
    g_assert_cmpstr(str_of(ms3, "state"), ==, "locked");
    g_autoptr(site) dt = site_open(f);
    site_send(dt, "{\"type\":\"join\",\"site\":\"duc-tho\",\"credential\":\"" CRED_DUC_THO "\"}");
    g_autoptr(JsonObject) e2 = site_take(dt, "error");
    g_assert_cmpstr(str_of(e2, "code"), ==, "meeting-locked");
    /* A wrong credential learns nothing about the lock. */
    site_send(dt, "{\"type\":\"join\",\"site\":\"duc-tho\",\"credential\":\"wrong-wrong-1\"}");
    g_autoptr(JsonObject) e3 = site_take(dt, "error");
    g_assert_cmpstr(str_of(e3, "code"), ==, "bad-credential");
    site_send(chair, "{\"type\":\"lock\",\"locked\":false}");
    ts_run_for(QUIET_MS);
    site_send(dt, "{\"type\":\"join\",\"site\":\"duc-tho\",\"credential\":\"" CRED_DUC_THO "\"}");
    g_autoptr(JsonObject) w2 = site_take(dt, "welcome");
    g_assert_cmpstr(str_of(w2, "meeting_state"), ==, "open");
}

/* Issue 8: a site's ice-restart goes to the bridge with its session; a site
 * the bridge reports lost is told, leaves the roster and is closed (4010);
 * [limits] max_pending_joins (2 here) closes one more unjoined connection. */
int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal_bin = argc > 1 ? argv[1] : g_getenv("DC_SIGNAL_BIN");
    if (!signal_bin) {
        g_printerr("usage: test-signal-chair PATH/TO/diemcau-signal (or set DC_SIGNAL_BIN)\n");
        return 1;
    }
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
    ADD("/signal/chair/refused-to-districts", test_chair_commands_refused_to_districts);
    ADD("/signal/chair/mute", test_chair_mute);
    ADD("/signal/chair/floor", test_chair_floor);
    ADD("/signal/chair/remove-allow-end", test_chair_remove_allow_end);
    g_test_add("/signal/chair/lobby-lock", fixture, "lobby = true\n", setup, test_chair_lobby_lock,
               teardown);
    return g_test_run();
}
