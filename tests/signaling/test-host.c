/* Unit tests for signaling/host with a real SQLite record in a temporary
 * folder and stub callbacks: a "crash" (the host freed without any goodbye)
 * and a new host on the same file continue the meeting without duplicate
 * events; link-quality incidents from stats fed with a hand-set clock. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "common/config.h"
#include "signaling/host.h"
#include "signaling/protocol.h"
#include "signaling/roster.h"
#include "signaling/stats.h"

static const char ini[] =
    "[meeting]\nid = t\n"
    "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\ncredential = tinh-secret-0001\n"
    "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\ncredential = canloc-secret-02\n";

typedef struct {
    GPtrArray *sent; /* "site json" texts */
    GPtrArray *bridge;
} stub;

static void send_site(void *u, const char *site, const char *json)
{
    g_ptr_array_add(((stub *)u)->sent, g_strdup_printf("%s %s", site, json));
}
static void broadcast(void *u, const char *json)
{
    g_ptr_array_add(((stub *)u)->sent, g_strdup_printf("* %s", json));
}
static void roster_changed(void *u)
{
}
static bool bridge_send(void *u, const char *json)
{
    g_ptr_array_add(((stub *)u)->bridge, g_strdup(json));
    return true;
}
static void bridge_add(void *u, const char *site)
{
}
static void disconnect(void *u, const char *site, const char *json, unsigned short code,
                       const char *reason)
{
}

static const dc_host_callbacks cb = {send_site,   broadcast,  roster_changed,
                                     bridge_send, bridge_add, disconnect};

/* Kinds of the events of the record, in order, joined by spaces. */
static char *kinds(const char *db)
{
    sqlite3 *d = NULL;
    g_assert_cmpint(sqlite3_open(db, &d), ==, SQLITE_OK);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(d, "SELECT kind, COALESCE(site, '') FROM events ORDER BY id", -1, &st, NULL);
    GString *g = g_string_new(NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        g_string_append_printf(g, "%s%s%s%s", g->len ? " " : "", sqlite3_column_text(st, 0),
                               *sqlite3_column_text(st, 1) ? ":" : "", sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    sqlite3_close(d);
    return g_string_free(g, FALSE);
}

static void command(dc_host *h, const char *from, const char *json)
{
    dc_client_msg m;
    dc_protocol_error e = {0};
    g_assert_true(dc_protocol_parse_client(json, strlen(json), &m, &e));
    dc_host_command(h, from, &m);
    dc_client_msg_clear(&m);
}

static void test_restart_continues(void)
{
    g_autofree char *dir = g_dir_make_tmp("dc-host-XXXXXX", NULL);
    g_autofree char *db = g_build_filename(dir, "r.db", NULL);
    g_autoptr(dc_config) cfg = dc_config_load_data(ini, strlen(ini), "t.ini", dir, NULL);
    stub s = {g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free)};
    dc_roster *roster = dc_roster_new(cfg);

    dc_host *h = dc_host_new(cfg, db, roster, &cb, &s, NULL);
    g_assert_nonnull(h);
    dc_roster_join(roster, "tinh", true, NULL, "s1", NULL);
    dc_host_joined(h, "tinh");
    dc_roster_join(roster, "can-loc", true, NULL, "s2", NULL);
    dc_host_joined(h, "can-loc");
    command(h, "tinh", "{\"type\":\"mute\",\"site\":\"can-loc\",\"audio\":true}");
    command(h, "tinh", "{\"type\":\"floor\",\"site\":\"can-loc\"}");
    command(h, "can-loc", "{\"type\":\"end\"}"); /* refused */
    g_autofree char *before = kinds(db);
    g_assert_cmpstr(before, ==,
                    "meeting-start join:tinh join:can-loc command:can-loc command:can-loc "
                    "floor-start:can-loc refused");
    dc_host_free(h); /* the crash: nothing more is written */

    g_ptr_array_set_size(s.bridge, 0);
    h = dc_host_new(cfg, db, roster, &cb, &s, NULL);
    /* Both reconnect: no second join; the mute and the floor are back. */
    dc_host_joined(h, "tinh");
    dc_host_joined(h, "can-loc");
    dc_host_bridge_added(h, "can-loc");
    g_assert_cmpuint(s.bridge->len, ==, 1); /* the floor holder is unmuted: only "floor" */
    g_assert_nonnull(strstr(g_ptr_array_index(s.bridge, 0), "\"op\":\"floor\""));
    command(h, "tinh", "{\"type\":\"floor\",\"site\":null}");
    dc_host_bridge_added(h, "can-loc");
    g_assert_nonnull(strstr(g_ptr_array_index(s.bridge, s.bridge->len - 1), "\"audio\":true"));
    command(h, "tinh", "{\"type\":\"end\"}");
    g_autofree char *after = kinds(db);
    g_assert_true(g_str_has_prefix(after, before));
    g_assert_cmpstr(after + strlen(before), ==,
                    " service-restart command floor-end:can-loc command leave:tinh "
                    "leave:can-loc meeting-end");
    dc_host_free(h);
    dc_roster_free(roster);
    g_ptr_array_unref(s.sent);
    g_ptr_array_unref(s.bridge);
    g_unlink(db);
    g_autofree char *wal = g_strconcat(db, "-wal", NULL), *shm = g_strconcat(db, "-shm", NULL);
    g_unlink(wal);
    g_unlink(shm);
    g_rmdir(dir);
}

static void feed(dc_stats *st, const char *level, double score, int64_t t)
{
    g_autofree char *json = g_strdup_printf(
        "{\"op\":\"stats\",\"id\":1,\"meeting\":\"t\",\"sites\":{\"can-loc\":{\"state\":"
        "\"connected\",\"score\":{\"up\":%.1f,\"down\":%.1f,\"level\":\"%s\",\"mos\":3}}}}",
        score, score + 5, level);
    g_assert_true(dc_stats_update(st, json, strlen(json), t, NULL));
}

/* Below "good" for more than 10 s is an incident, dated from when it went
 * below; 9 s is not. Samples every 5 s. */
static void test_incidents(void)
{
    g_autofree char *dir = g_dir_make_tmp("dc-host-XXXXXX", NULL);
    g_autofree char *db = g_build_filename(dir, "r.db", NULL);
    g_autoptr(dc_config) cfg = dc_config_load_data(ini, strlen(ini), "t.ini", dir, NULL);
    stub s = {g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free)};
    dc_roster *roster = dc_roster_new(cfg);
    dc_stats *st = dc_stats_new(cfg);
    dc_host *h = dc_host_new(cfg, db, roster, &cb, &s, NULL);
    dc_roster_join(roster, "can-loc", true, NULL, "s2", NULL);
    dc_host_joined(h, "can-loc");
    int64_t t0 = g_get_real_time();
    const struct {
        int64_t at_s;
        const char *level;
        double score;
    } steps[] = {
        {0, "excellent", 90}, {1, "poor", 30},  {9, "poor", 30},  {10, "good", 60}, /* 9 s */
        {20, "lost", 10},     {31, "poor", 25}, {40, "good", 70},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        int64_t t = t0 + steps[i].at_s * G_USEC_PER_SEC;
        feed(st, steps[i].level, steps[i].score, t);
        dc_host_stats_at(h, st, t);
    }
    g_autofree char *k = kinds(db);
    g_assert_cmpstr(k, ==,
                    "meeting-start join:can-loc incident-start:can-loc incident-end:can-loc");
    sqlite3 *d = NULL;
    sqlite3_open(db, &d);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(d, "SELECT t_us FROM events WHERE kind = 'incident-start'", -1, &q, NULL);
    g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int64(q, 0), ==, t0 + 20 * G_USEC_PER_SEC);
    sqlite3_finalize(q);
    sqlite3_prepare_v2(d, "SELECT COUNT(*), MIN(score) FROM quality", -1, &q, NULL);
    g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int(q, 0), ==, 5); /* at 0, 9, 20, 31 and 40 s */
    sqlite3_finalize(q);
    sqlite3_close(d);
    dc_host_free(h);
    dc_stats_free(st);
    dc_roster_free(roster);
    g_ptr_array_unref(s.sent);
    g_ptr_array_unref(s.bridge);
    g_autofree char *wal = g_strconcat(db, "-wal", NULL), *shm = g_strconcat(db, "-shm", NULL);
    g_unlink(db);
    g_unlink(wal);
    g_unlink(shm);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/host/restart-continues", test_restart_continues);
    g_test_add_func("/host/incidents", test_incidents);
    return g_test_run();
}
