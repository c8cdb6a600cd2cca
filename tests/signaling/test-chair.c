/* Unit tests for signaling/chair: the chair's state machine without sockets
 * or storage, table-driven, with a hand-set clock. */
#include <glib.h>
#include <string.h>

#include "common/config.h"
#include "signaling/chair.h"

static const char ini[] =
    "[meeting]\nid = t\nlobby = true\n"
    "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\ncredential = tinh-secret-0001\n"
    "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\ncredential = canloc-secret-02\n"
    "[site.duc-tho]\nname = Huyện Đức Thọ\nrole = district\ncredential = ductho-secret-03\n";

enum { TINH = 0, CAN_LOC = 1, DUC_THO = 2 };

static dc_config *config(void)
{
    g_autoptr(GError) e = NULL;
    dc_config *cfg = dc_config_load_data(ini, strlen(ini), "test.ini", "/tmp", &e);
    g_assert_no_error(e);
    return cfg;
}

static dc_chair_result run(dc_chair *c, size_t from, dc_chair_cmd_type t, const char *site,
                           int audio, int video, bool flag)
{
    dc_chair_cmd cmd = {.type = t, .site = site, .audio = audio, .video = video, .flag = flag};
    return dc_chair_apply(c, from, &cmd, 1000);
}

/* Two chairs' states are equal (everything a command could change). */
static void assert_same(const dc_chair *a, const dc_chair *b, size_t n)
{
    g_assert_cmpint(dc_chair_get_state(a), ==, dc_chair_get_state(b));
    g_assert_cmpint(dc_chair_floor(a), ==, dc_chair_floor(b));
    for (size_t i = 0; i < n; i++) {
        g_assert_cmpmem(dc_chair_site_at(a, i), sizeof(dc_chair_site), dc_chair_site_at(b, i),
                        sizeof(dc_chair_site));
    }
}

/* Every chair command from a district is refused with not-chair, field
 * type, and changes nothing, in every state of the meeting. */
static void test_district_refused(void)
{
    g_autoptr(dc_config) cfg = config();
    dc_chair *c = dc_chair_new(cfg), *before = dc_chair_new(cfg);
    static const struct {
        dc_chair_cmd_type t;
        const char *site;
        int audio, video;
    } cmds[] = {
        {DC_CHAIR_CMD_OPEN, NULL, -1, -1},       {DC_CHAIR_CMD_LOCK, NULL, -1, -1},
        {DC_CHAIR_CMD_END, NULL, -1, -1},        {DC_CHAIR_CMD_MUTE, "duc-tho", 1, -1},
        {DC_CHAIR_CMD_MUTE, "tinh", -1, 1},      {DC_CHAIR_CMD_FLOOR, "can-loc", -1, -1},
        {DC_CHAIR_CMD_FLOOR, NULL, -1, -1},      {DC_CHAIR_CMD_REMOVE, "duc-tho", -1, -1},
        {DC_CHAIR_CMD_ALLOW, "duc-tho", -1, -1},
    };
    for (int phase = 0; phase < 3; phase++) {
        if (phase == 1) {
            g_assert_null(run(c, TINH, DC_CHAIR_CMD_OPEN, NULL, -1, -1, false).code);
        } else if (phase == 2) {
            g_assert_null(run(c, TINH, DC_CHAIR_CMD_FLOOR, "duc-tho", -1, -1, false).code);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
            dc_chair_copy(before, c);
            dc_chair_result r =
                run(c, CAN_LOC, cmds[i].t, cmds[i].site, cmds[i].audio, cmds[i].video, true);
            g_assert_cmpstr(r.code, ==, "not-chair");
            g_assert_cmpstr(r.field, ==, "type");
            g_assert_cmpuint(r.mute_mask, ==, 0);
            assert_same(c, before, cfg->n_sites);
        }
    }
    dc_chair_free(c);
    dc_chair_free(before);
}

/* The chair's mute holds against the site; the site's own mute does not. */
static void test_mute(void)
{
    g_autoptr(dc_config) cfg = config();
    dc_chair *c = dc_chair_new(cfg);
    dc_chair_result r = run(c, TINH, DC_CHAIR_CMD_MUTE, "can-loc", 1, -1, false);
    g_assert_null(r.code);
    g_assert_true(r.chair_cmd);
    g_assert_cmpuint(r.mute_mask, ==, 1u << CAN_LOC);
    g_assert_true(dc_chair_muted(c, CAN_LOC, DC_CHAIR_AUDIO));
    g_assert_false(dc_chair_muted(c, CAN_LOC, DC_CHAIR_VIDEO));
    r = run(c, CAN_LOC, DC_CHAIR_CMD_MUTE, NULL, 0, -1, false);
    g_assert_cmpstr(r.code, ==, "muted-by-chair");
    g_assert_cmpstr(r.field, ==, "audio");
    g_assert_true(dc_chair_muted(c, CAN_LOC, DC_CHAIR_AUDIO));
    r = run(c, CAN_LOC, DC_CHAIR_CMD_MUTE, "can-loc", -1, 1, false); /* self, by id */
    g_assert_null(r.code);
    g_assert_false(r.chair_cmd);
    g_assert_true(dc_chair_site_at(c, CAN_LOC)->self_muted[DC_CHAIR_VIDEO]);
    r = run(c, CAN_LOC, DC_CHAIR_CMD_MUTE, NULL, -1, 0, false);
    g_assert_null(r.code);
    g_assert_false(dc_chair_muted(c, CAN_LOC, DC_CHAIR_VIDEO));
    r = run(c, TINH, DC_CHAIR_CMD_MUTE, "ha-noi", 1, -1, false);
    g_assert_cmpstr(r.code, ==, "unknown-site");
    r = run(c, TINH, DC_CHAIR_CMD_MUTE, "can-loc", -1, -1, false);
    g_assert_cmpstr(r.code, ==, "bad-message");
    dc_chair_free(c);
}

/* Hands in order; the floor unmutes and lowers the hand; taking it back
 * (or giving it to another site) restores the chair's mutes. */
static void test_floor_and_hands(void)
{
    g_autoptr(dc_config) cfg = config();
    dc_chair *c = dc_chair_new(cfg);
    run(c, TINH, DC_CHAIR_CMD_OPEN, NULL, -1, -1, false);
    run(c, TINH, DC_CHAIR_CMD_MUTE, "can-loc", 1, 1, false);
    run(c, TINH, DC_CHAIR_CMD_MUTE, "duc-tho", 1, -1, false);
    g_assert_null(run(c, DUC_THO, DC_CHAIR_CMD_HAND, NULL, -1, -1, true).code);
    g_assert_null(run(c, CAN_LOC, DC_CHAIR_CMD_HAND, NULL, -1, -1, true).code);
    run(c, DUC_THO, DC_CHAIR_CMD_HAND, NULL, -1, -1, true); /* again: keeps its place */
    size_t q[4];
    g_assert_cmpuint(dc_chair_hands(c, q, 4), ==, 2);
    g_assert_cmpuint(q[0], ==, DUC_THO);
    g_assert_cmpuint(q[1], ==, CAN_LOC);

    dc_chair_result r = run(c, TINH, DC_CHAIR_CMD_FLOOR, "can-loc", -1, -1, false);
    g_assert_true(r.floor_changed);
    g_assert_cmpint(r.prev_floor, ==, -1);
    g_assert_cmpuint(r.mute_mask, ==, 1u << CAN_LOC);
    g_assert_cmpint(dc_chair_floor(c), ==, CAN_LOC);
    g_assert_false(dc_chair_muted(c, CAN_LOC, DC_CHAIR_AUDIO));
    g_assert_cmpuint(dc_chair_hands(c, q, 4), ==, 1);

    r = run(c, TINH, DC_CHAIR_CMD_FLOOR, "duc-tho", -1, -1, false);
    g_assert_cmpint(r.prev_floor, ==, CAN_LOC);
    g_assert_cmpuint(r.mute_mask, ==, (1u << CAN_LOC) | (1u << DUC_THO));
    g_assert_true(dc_chair_muted(c, CAN_LOC, DC_CHAIR_AUDIO));
    g_assert_true(dc_chair_muted(c, CAN_LOC, DC_CHAIR_VIDEO));
    g_assert_false(dc_chair_muted(c, DUC_THO, DC_CHAIR_AUDIO));

    r = run(c, TINH, DC_CHAIR_CMD_FLOOR, NULL, -1, -1, false);
    g_assert_cmpint(r.prev_floor, ==, DUC_THO);
    g_assert_cmpint(dc_chair_floor(c), ==, -1);
    g_assert_true(dc_chair_muted(c, DUC_THO, DC_CHAIR_AUDIO));
    dc_chair_free(c);
}

/* Lobby, lock, remove/allow, end. */
static void test_life_cycle(void)
{
    g_autoptr(dc_config) cfg = config();
    dc_chair *c = dc_chair_new(cfg);
    g_assert_cmpint(dc_chair_get_state(c), ==, DC_CHAIR_LOBBY);
    g_assert_false(dc_chair_has_media(c, CAN_LOC));
    g_assert_true(dc_chair_has_media(c, TINH));
    g_assert_cmpstr(run(c, TINH, DC_CHAIR_CMD_LOCK, NULL, -1, -1, true).code, ==, "not-open");
    g_assert_true(run(c, TINH, DC_CHAIR_CMD_OPEN, NULL, -1, -1, false).opened);
    g_assert_true(dc_chair_has_media(c, CAN_LOC));
    g_assert_null(run(c, TINH, DC_CHAIR_CMD_LOCK, NULL, -1, -1, true).code);
    g_assert_cmpstr(dc_chair_join_check(c, DUC_THO, false), ==, "meeting-locked");
    g_assert_null(dc_chair_join_check(c, DUC_THO, true)); /* a reconnect */
    g_assert_null(dc_chair_join_check(c, TINH, false));
    run(c, TINH, DC_CHAIR_CMD_LOCK, NULL, -1, -1, false);
    g_assert_null(dc_chair_join_check(c, DUC_THO, false));

    run(c, TINH, DC_CHAIR_CMD_FLOOR, "duc-tho", -1, -1, false);
    dc_chair_result r = run(c, TINH, DC_CHAIR_CMD_REMOVE, "duc-tho", -1, -1, false);
    g_assert_cmpint(r.removed, ==, DUC_THO);
    g_assert_true(r.floor_changed);
    g_assert_cmpstr(dc_chair_join_check(c, DUC_THO, false), ==, "removed");
    g_assert_cmpstr(run(c, TINH, DC_CHAIR_CMD_REMOVE, "tinh", -1, -1, false).code, ==,
                    "bad-message");
    run(c, TINH, DC_CHAIR_CMD_ALLOW, "duc-tho", -1, -1, false);
    g_assert_null(dc_chair_join_check(c, DUC_THO, false));

    g_assert_true(run(c, TINH, DC_CHAIR_CMD_END, NULL, -1, -1, false).ended);
    g_assert_cmpint(dc_chair_get_state(c), ==, DC_CHAIR_ENDED);
    g_assert_cmpstr(run(c, TINH, DC_CHAIR_CMD_OPEN, NULL, -1, -1, false).code, ==, "meeting-ended");
    dc_chair_reset(c);
    g_assert_cmpint(dc_chair_get_state(c), ==, DC_CHAIR_LOBBY);
    dc_chair_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/chair/district-refused", test_district_refused);
    g_test_add_func("/chair/mute", test_mute);
    g_test_add_func("/chair/floor-and-hands", test_floor_and_hands);
    g_test_add_func("/chair/life-cycle", test_life_cycle);
    return g_test_run();
}
