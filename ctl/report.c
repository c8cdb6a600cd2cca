/* ctl/report: a meeting's record as text, JSON and HTML. See report.h. */
#include "ctl/report.h"
#include "common/json.h"

#include <math.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */

static char *iso_time(int64_t us)
{
    if (us <= 0) {
        return NULL;
    }
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(us / G_USEC_PER_SEC);
    return t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : NULL;
}

static void add_time(JsonBuilder *b, const char *key, int64_t us)
{
    g_autofree char *s = iso_time(us);
    json_builder_set_member_name(b, key);
    if (s) {
        json_builder_add_string_value(b, s);
    } else {
        json_builder_add_null_value(b);
    }
}

static void add_str(JsonBuilder *b, const char *key, const char *v)
{
    json_builder_set_member_name(b, key);
    if (v) {
        json_builder_add_string_value(b, v);
    } else {
        json_builder_add_null_value(b);
    }
}

static void add_num(JsonBuilder *b, const char *key, double v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_double_value(b, round(v * 10) / 10);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

typedef struct {
    char *id, *name, *role;
    int joins;
    int64_t first_join, last_leave, open_since, present_us;
    bool in_floor;
    int64_t floor_since;
} site_acc;

static void site_acc_free(gpointer p)
{
    site_acc *a = p;
    g_free(a->id);
    g_free(a->name);
    g_free(a->role);
    g_free(a);
}

static site_acc *acc_find(GPtrArray *sites, const char *id)
{
    for (guint i = 0; id && i < sites->len; i++) {
        site_acc *a = g_ptr_array_index(sites, i);
        if (strcmp(a->id, id) == 0) {
            return a;
        }
    }
    return NULL;
}

static const char *name_of(GPtrArray *sites, const char *id)
{
    site_acc *a = acc_find(sites, id);
    return a ? a->name : id;
}

static JsonNode *parse_detail(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!text || !dc_json_load(p, text, strlen(text), 0, NULL) || !json_parser_get_root(p)) {
        return json_node_new(JSON_NODE_NULL);
    }
    return json_node_copy(json_parser_get_root(p));
}

/* Timeline, attendance, floor and incidents from the events. */
static void load_events(sqlite3 *db, int64_t mid, int64_t start, int64_t end, GPtrArray *sites,
                        JsonBuilder *b)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT t_us, kind, site, actor, detail FROM events WHERE meeting_id = ?1 "
                       "ORDER BY id",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, mid);
    g_autoptr(JsonBuilder) floor = json_builder_new();
    g_autoptr(JsonBuilder) incidents = json_builder_new();
    json_builder_begin_array(floor);
    json_builder_begin_array(incidents);
    GHashTable *inc_open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    json_builder_set_member_name(b, "timeline");
    json_builder_begin_array(b);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 0);
        const char *kind = col_text(st, 1), *site = col_text(st, 2), *actor = col_text(st, 3);
        json_builder_begin_object(b);
        add_time(b, "time", t);
        add_num(b, "offset_s", (double)(t - start) / 1e6);
        add_str(b, "kind", kind);
        add_str(b, "site", site);
        add_str(b, "actor", actor);
        json_builder_set_member_name(b, "detail");
        json_builder_add_value(b, parse_detail(col_text(st, 4)));
        json_builder_end_object(b);
        site_acc *a = acc_find(sites, site);
        if (!a) {
            continue;
        }
        if (strcmp(kind, "join") == 0) {
            a->joins++;
            if (!a->first_join) {
                a->first_join = t;
            }
            a->open_since = t;
        } else if (strcmp(kind, "leave") == 0 && a->open_since) {
            a->present_us += t - a->open_since;
            a->open_since = 0;
            a->last_leave = t;
        } else if (strcmp(kind, "floor-start") == 0) {
            a->in_floor = true;
            a->floor_since = t;
        } else if (strcmp(kind, "floor-end") == 0 && a->in_floor) {
            a->in_floor = false;
            json_builder_begin_object(floor);
            add_str(floor, "site", a->id);
            add_str(floor, "name", a->name);
            add_time(floor, "start", a->floor_since);
            add_num(floor, "offset_s", (double)(a->floor_since - start) / 1e6);
            add_num(floor, "seconds", (double)(t - a->floor_since) / 1e6);
            json_builder_end_object(floor);
        } else if (strcmp(kind, "incident-start") == 0) {
            int64_t *v = g_new(int64_t, 1);
            *v = t;
            g_hash_table_replace(inc_open, g_strdup(a->id), v);
        } else if (strcmp(kind, "incident-end") == 0) {
            int64_t *since = g_hash_table_lookup(inc_open, a->id);
            if (since) {
                json_builder_begin_object(incidents);
                add_str(incidents, "site", a->id);
                add_str(incidents, "name", a->name);
                add_time(incidents, "start", *since);
                add_num(incidents, "offset_s", (double)(*since - start) / 1e6);
                add_num(incidents, "seconds", (double)(t - *since) / 1e6);
                json_builder_end_object(incidents);
                g_hash_table_remove(inc_open, a->id);
            }
        }
    }
    json_builder_end_array(b);
    sqlite3_finalize(st);
    /* Still open at the end of the record (a meeting not ended yet). */
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, inc_open);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        json_builder_begin_object(incidents);
        add_str(incidents, "site", k);
        add_str(incidents, "name", name_of(sites, k));
        add_time(incidents, "start", *(int64_t *)v);
        add_num(incidents, "offset_s", (double)(*(int64_t *)v - start) / 1e6);
        add_num(incidents, "seconds", (double)(end - *(int64_t *)v) / 1e6);
        json_builder_end_object(incidents);
    }
    g_hash_table_destroy(inc_open);
    for (guint i = 0; i < sites->len; i++) {
        site_acc *a = g_ptr_array_index(sites, i);
        if (a->open_since) {
            a->present_us += end - a->open_since;
        }
        if (a->in_floor) {
            json_builder_begin_object(floor);
            add_str(floor, "site", a->id);
            add_str(floor, "name", a->name);
            add_time(floor, "start", a->floor_since);
            add_num(floor, "offset_s", (double)(a->floor_since - start) / 1e6);
            add_num(floor, "seconds", (double)(end - a->floor_since) / 1e6);
            json_builder_end_object(floor);
        }
    }
    json_builder_end_array(floor);
    json_builder_end_array(incidents);
    json_builder_set_member_name(b, "floor");
    json_builder_add_value(b, json_builder_get_root(floor));
    json_builder_set_member_name(b, "incidents");
    json_builder_add_value(b, json_builder_get_root(incidents));
}

static void load_quality(sqlite3 *db, int64_t mid, int64_t start, GPtrArray *sites, JsonBuilder *b)
{
    json_builder_set_member_name(b, "quality");
    json_builder_begin_object(b);
    for (guint i = 0; i < sites->len; i++) {
        site_acc *a = g_ptr_array_index(sites, i);
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(db,
                           "SELECT t_us, score FROM quality WHERE meeting_id = ?1 AND site = ?2 "
                           "ORDER BY t_us",
                           -1, &st, NULL);
        sqlite3_bind_int64(st, 1, mid);
        sqlite3_bind_text(st, 2, a->id, -1, SQLITE_TRANSIENT);
        double sum = 0, min = INFINITY;
        int n = 0;
        g_autoptr(JsonBuilder) samples = json_builder_new();
        json_builder_begin_array(samples);
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            double s = sqlite3_column_double(st, 1);
            json_builder_begin_array(samples);
            json_builder_add_double_value(
                samples, round((double)(sqlite3_column_int64(st, 0) - start) / 1e5) / 10);
            json_builder_add_double_value(samples, round(s * 10) / 10);
            json_builder_end_array(samples);
            sum += s;
            min = fmin(min, s);
            n++;
        }
        sqlite3_finalize(st);
        json_builder_end_array(samples);
        if (!n) {
            continue;
        }
        json_builder_set_member_name(b, a->id);
        json_builder_begin_object(b);
        add_num(b, "min", min);
        add_num(b, "avg", sum / n);
        json_builder_set_member_name(b, "samples");
        json_builder_add_value(b, json_builder_get_root(samples));
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
}

/* The time of the last thing recorded for meeting mid (an event or a
 * quality sample), or start when there is none. */
static int64_t last_record(sqlite3 *db, int64_t mid, int64_t start)
{
    sqlite3_stmt *st = NULL;
    int64_t last = start;
    if (sqlite3_prepare_v2(db,
                           "SELECT MAX(t) FROM (SELECT MAX(t_us) AS t FROM events WHERE "
                           "meeting_id = ?1 UNION ALL SELECT MAX(t_us) FROM quality WHERE "
                           "meeting_id = ?1)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, mid);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            last = MAX(last, sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    return last;
}

JsonNode *dc_ctl_report_load(const char *db_path, const char *meeting, GError **error)
{
    sqlite3 *db = NULL;
    if (!g_file_test(db_path, G_FILE_TEST_IS_REGULAR) ||
        sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "cannot open the record %s", db_path);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db,
                       meeting
                           ? "SELECT id, meeting, title, started_us, opened_us, ended_us, state "
                             "FROM meetings WHERE id = ?1"
                           : "SELECT id, meeting, title, started_us, opened_us, ended_us, state "
                             "FROM meetings ORDER BY id DESC LIMIT 1",
                       -1, &st, NULL);
    if (st && meeting) {
        sqlite3_bind_int64(st, 1, g_ascii_strtoll(meeting, NULL, 10));
    }
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no meeting %s", db_path,
                    meeting ? meeting : "recorded yet");
        sqlite3_finalize(st);
        sqlite3_close(db);
        return NULL;
    }
    int64_t mid = sqlite3_column_int64(st, 0);
    int64_t start = sqlite3_column_int64(st, 3);
    int64_t ended = sqlite3_column_int64(st, 5);
    /* A meeting not ended (still going, or its service stopped without the
     * chair ending it) runs to its last record, not to the reader's clock:
     * the record is written as it happens (events, and quality samples
     * while sites are present), so during a meeting that is about now. */
    int64_t end = ended ? ended : last_record(db, mid, start);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "meeting");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, mid);
    add_str(b, "meeting", col_text(st, 1));
    add_str(b, "title", col_text(st, 2));
    add_str(b, "state", col_text(st, 6));
    add_time(b, "started", start);
    add_time(b, "opened", sqlite3_column_int64(st, 4));
    add_time(b, "ended", ended);
    add_num(b, "duration_s", (double)(end - start) / 1e6);
    if (!ended)
        add_time(b, "last_record", end);
    json_builder_end_object(b);
    sqlite3_finalize(st);

    GPtrArray *sites = g_ptr_array_new_with_free_func(site_acc_free);
    sqlite3_prepare_v2(db,
                       "SELECT site, name, role FROM sites WHERE meeting_id = ?1 ORDER BY position",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, mid);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        site_acc *a = g_new0(site_acc, 1);
        a->id = g_strdup(col_text(st, 0));
        a->name = g_strdup(col_text(st, 1) ? col_text(st, 1) : col_text(st, 0));
        a->role = g_strdup(col_text(st, 2));
        g_ptr_array_add(sites, a);
    }
    sqlite3_finalize(st);
    load_events(db, mid, start, end, sites, b);
    load_quality(db, mid, start, sites, b);
    json_builder_set_member_name(b, "attendance");
    json_builder_begin_array(b);
    for (guint i = 0; i < sites->len; i++) {
        site_acc *a = g_ptr_array_index(sites, i);
        json_builder_begin_object(b);
        add_str(b, "site", a->id);
        add_str(b, "name", a->name);
        add_str(b, "role", a->role);
        json_builder_set_member_name(b, "joins");
        json_builder_add_int_value(b, a->joins);
        add_time(b, "first_join", a->first_join);
        add_time(b, "last_leave", a->last_leave);
        add_num(b, "present_s", (double)a->present_us / 1e6);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_ptr_array_free(sites, TRUE);
    sqlite3_close(db);
    return json_builder_get_root(b);
}

/* ------------------------------------------------------------------------ */
/* Reading the document back                                                */

static JsonObject *obj(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *s_of(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

static double d_of(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : 0;
}

static JsonArray *a_of(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static char *hms(double s)
{
    long t = (long)(s + 0.5);
    return t >= 3600 ? g_strdup_printf("%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60)
                     : g_strdup_printf("%02ld:%02ld", t / 60, t % 60);
}

static const char *site_name(JsonObject *root, const char *id)
{
    JsonArray *att = a_of(root, "attendance");
    for (guint i = 0; id && att && i < json_array_get_length(att); i++) {
        JsonObject *a = json_array_get_object_element(att, i);
        if (g_strcmp0(s_of(a, "site"), id) == 0) {
            return s_of(a, "name");
        }
    }
    return id;
}

/* One timeline event in words, e.g. "Công an tỉnh Hà Tĩnh: mute Huyện Can
 * Lộc (audio off)". */
static char *describe(JsonObject *root, JsonObject *e)
{
    const char *kind = s_of(e, "kind");
    const char *site = site_name(root, s_of(e, "site"));
    const char *actor = site_name(root, s_of(e, "actor"));
    JsonObject *d = obj(json_object_get_member(e, "detail"));
    if (g_strcmp0(kind, "command") == 0 || g_strcmp0(kind, "refused") == 0) {
        const char *op = s_of(d, "op");
        JsonObject *args = obj(d ? json_object_get_member(d, "args") : NULL);
        GString *g = g_string_new(NULL);
        g_string_append_printf(g, "%s%s: %s", g_strcmp0(kind, "refused") == 0 ? "REFUSED " : "",
                               actor ? actor : "?", op ? op : "?");
        if (site && g_strcmp0(s_of(e, "site"), s_of(e, "actor")) != 0) {
            g_string_append_printf(g, " %s", site);
        }
        GList *members = args ? json_object_get_members(args) : NULL;
        for (GList *l = members; l; l = l->next) {
            gboolean v = json_object_get_boolean_member(args, l->data);
            g_string_append_printf(g, " %s=%s", (char *)l->data, v ? "on" : "off");
        }
        g_list_free(members);
        if (g_strcmp0(op, "floor") == 0 && !s_of(e, "site")) {
            g_string_append(g, " taken back");
        }
        if (g_strcmp0(op, "mute") == 0) {
            g_string_replace(g, "=on", " muted", 0);
            g_string_replace(g, "=off", " unmuted", 0);
        }
        return g_string_free(g, FALSE);
    }
    if (g_strcmp0(kind, "leave") == 0) {
        return g_strdup_printf("%s left (%s)", site, s_of(d, "how") ? s_of(d, "how") : "?");
    }
    if (g_strcmp0(kind, "join") == 0) {
        return g_strdup_printf("%s joined%s", site,
                               d && json_object_has_member(d, "lobby") ? " (lobby)" : "");
    }
    if (g_strcmp0(kind, "floor-end") == 0) {
        g_autofree char *t = hms(d_of(d, "seconds"));
        return g_strdup_printf("%s's floor ends after %s", site, t);
    }
    if (g_strcmp0(kind, "floor-start") == 0) {
        return g_strdup_printf("%s has the floor", site);
    }
    if (g_strcmp0(kind, "incident-start") == 0 || g_strcmp0(kind, "incident-end") == 0) {
        return g_strdup_printf("%s: link %s (%s, score %.0f)", site,
                               kind[9] == 's' ? "below good for over 10 s" : "good again",
                               s_of(d, "level") ? s_of(d, "level") : "?", d_of(d, "score"));
    }
    if (g_strcmp0(kind, "hand") == 0) {
        JsonObject *args = obj(d ? json_object_get_member(d, "args") : NULL);
        return g_strdup_printf("%s %s a hand", site,
                               args && json_object_get_boolean_member(args, "raised") ? "raised"
                                                                                      : "lowered");
    }
    if (g_strcmp0(kind, "mute") == 0) {
        return g_strdup_printf("%s muted or unmuted itself", site);
    }
    if (g_strcmp0(kind, "meeting-start") == 0) {
        return g_strdup("the meeting is created (first join)");
    }
    if (g_strcmp0(kind, "meeting-end") == 0) {
        return g_strdup("the meeting ends");
    }
    if (g_strcmp0(kind, "service-restart") == 0) {
        return g_strdup("diemcau-signal restarted; the meeting continues");
    }
    return g_strdup_printf("%s%s%s", kind, site ? " " : "", site ? site : "");
}

/* ------------------------------------------------------------------------ */
/* Text                                                                     */

static void pad(GString *g, const char *s, int width)
{
    g_string_append(g, s);
    for (long n = g_utf8_strlen(s, -1); n < width; n++) {
        g_string_append_c(g, ' ');
    }
}

char *dc_ctl_report_text(JsonNode *report)
{
    JsonObject *root = obj(report), *m = obj(json_object_get_member(root, "meeting"));
    GString *g = g_string_new(NULL);
    g_autofree char *dur = hms(d_of(m, "duration_s"));
    g_string_append_printf(g, "%s\nMeeting %" G_GINT64_FORMAT " (%s), %s\n",
                           s_of(m, "title") ? s_of(m, "title") : "", (gint64)d_of(m, "id"),
                           s_of(m, "meeting"), s_of(m, "state"));
    g_string_append_printf(
        g, "Started %s  opened %s  ended %s  (%s%s)\n\nAttendance\n",
        s_of(m, "started") ? s_of(m, "started") : "-", s_of(m, "opened") ? s_of(m, "opened") : "-",
        s_of(m, "ended") ? s_of(m, "ended") : "-", dur, s_of(m, "ended") ? "" : " recorded so far");
    JsonArray *att = a_of(root, "attendance");
    JsonObject *q = obj(json_object_get_member(root, "quality"));
    for (guint i = 0; att && i < json_array_get_length(att); i++) {
        JsonObject *a = json_array_get_object_element(att, i);
        g_string_append(g, "  ");
        pad(g, s_of(a, "name"), 26);
        if (d_of(a, "joins") == 0) {
            g_string_append(g, "absent\n");
            continue;
        }
        g_autofree char *p = hms(d_of(a, "present_s"));
        JsonObject *qs = obj(q ? json_object_get_member(q, s_of(a, "site")) : NULL);
        g_string_append_printf(g, "present %s  from %s  joins %.0f", p, s_of(a, "first_join") + 11,
                               d_of(a, "joins"));
        if (qs) {
            g_string_append_printf(g, "  quality avg %.0f min %.0f", d_of(qs, "avg"),
                                   d_of(qs, "min"));
        }
        g_string_append_c(g, '\n');
    }
    JsonArray *fl = a_of(root, "floor");
    g_string_append(g, "\nThe floor\n");
    for (guint i = 0; fl && i < json_array_get_length(fl); i++) {
        JsonObject *f = json_array_get_object_element(fl, i);
        g_autofree char *at = hms(d_of(f, "offset_s")), *len = hms(d_of(f, "seconds"));
        g_string_append_printf(g, "  +%s  %s for %s\n", at, s_of(f, "name"), len);
    }
    if (!fl || json_array_get_length(fl) == 0) {
        g_string_append(g, "  (nobody was given the floor)\n");
    }
    JsonArray *inc = a_of(root, "incidents");
    g_string_append(g, "\nLink-quality incidents (score below good for over 10 s)\n");
    for (guint i = 0; inc && i < json_array_get_length(inc); i++) {
        JsonObject *f = json_array_get_object_element(inc, i);
        g_autofree char *at = hms(d_of(f, "offset_s")), *len = hms(d_of(f, "seconds"));
        g_string_append_printf(g, "  +%s  %s for %s\n", at, s_of(f, "name"), len);
    }
    if (!inc || json_array_get_length(inc) == 0) {
        g_string_append(g, "  (none)\n");
    }
    JsonArray *tl = a_of(root, "timeline");
    g_string_append(g, "\nTimeline\n");
    for (guint i = 0; tl && i < json_array_get_length(tl); i++) {
        JsonObject *e = json_array_get_object_element(tl, i);
        g_autofree char *at = hms(d_of(e, "offset_s"));
        g_autofree char *what = describe(root, e);
        g_string_append_printf(g, "  +%s  %s\n", at, what);
    }
    return g_string_free(g, FALSE);
}

/* ------------------------------------------------------------------------ */
/* HTML                                                                     */

static void esc(GString *g, const char *s)
{
    g_autofree char *e = g_markup_escape_text(s ? s : "", -1);
    g_string_append(g, e);
}

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                                      "#393b79", "#637939", "#843c39", "#7b4173"};

/* Each site's score (0..100) over the meeting, one line per site, with the
 * "good" (40) and "excellent" (80) thresholds and the floor periods. */
static void svg_plot(GString *g, JsonObject *root)
{
    const double W = 1100, H = 360, L = 50, R = 20, T = 20, B = 40;
    double dur = fmax(1, d_of(obj(json_object_get_member(root, "meeting")), "duration_s"));
    JsonObject *q = obj(json_object_get_member(root, "quality"));
    g_string_append_printf(g,
                           "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %.0f %.0f' "
                           "width='%.0f' height='%.0f' role='img' aria-label='link quality'>\n",
                           W, H, W, H);
    double pw = W - L - R, ph = H - T - B;
    JsonArray *fl = a_of(root, "floor");
    for (guint i = 0; fl && i < json_array_get_length(fl); i++) {
        JsonObject *f = json_array_get_object_element(fl, i);
        /* Alternate shades so that back-to-back floors stay apart; the
         * holder's name on the band. */
        double x = L + pw * d_of(f, "offset_s") / dur;
        double w = fmax(1, pw * d_of(f, "seconds") / dur);
        g_string_append_printf(g,
                               "<rect x='%.1f' y='%.0f' width='%.1f' height='%.0f' fill='%s'>"
                               "<title>floor: ",
                               x, T, w, ph, i % 2 ? "#dcebff" : "#fff3c4");
        esc(g, s_of(f, "name"));
        g_string_append_printf(g,
                               "</title></rect><text x='%.1f' y='%.0f' font-size='11' "
                               "fill='#665'>",
                               x + 4, T + ph - 6);
        esc(g, s_of(f, "name"));
        g_string_append(g, "</text>\n");
    }
    for (int y = 0; y <= 100; y += 20) {
        double py = T + ph * (1 - y / 100.0);
        const char *stroke = y == 40 || y == 80 ? "#555" : "#e0e0e0";
        g_string_append_printf(
            g,
            "<line x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f' stroke='%s'%s/>"
            "<text x='%.0f' y='%.1f' font-size='11' text-anchor='end'>%d</text>\n",
            L, py, W - R, py, stroke, y == 40 || y == 80 ? " stroke-dasharray='4 3'" : "", L - 6,
            py + 4, y);
    }
    /* Time ticks at a round step, at most about ten. */
    static const double steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200};
    double step = steps[G_N_ELEMENTS(steps) - 1];
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        if (dur / steps[i] <= 10) {
            step = steps[i];
            break;
        }
    }
    for (double t = 0; t <= dur + 1e-6; t += step) {
        g_autofree char *lab = hms(t);
        double x = L + pw * t / dur;
        g_string_append_printf(g,
                               "<line x1='%.1f' y1='%.0f' x2='%.1f' y2='%.0f' stroke='#999'/>"
                               "<text x='%.1f' y='%.0f' font-size='11' "
                               "text-anchor='middle'>+%s</text>\n",
                               x, T + ph, x, T + ph + 4, x, H - B + 16, lab);
    }
    g_string_append_printf(g,
                           "<text x='%.0f' y='%.0f' font-size='11' fill='#555'>good</text>"
                           "<text x='%.0f' y='%.0f' font-size='11' fill='#555'>excellent</text>\n",
                           W - R - 28, T + ph * 0.6 - 4, W - R - 52, T + ph * 0.2 - 4);
    JsonArray *att = a_of(root, "attendance");
    for (guint i = 0; att && q && i < json_array_get_length(att); i++) {
        const char *id = s_of(json_array_get_object_element(att, i), "site");
        JsonArray *s = a_of(obj(json_object_get_member(q, id)), "samples");
        if (!s || json_array_get_length(s) == 0) {
            continue;
        }
        g_string_append_printf(g, "<polyline fill='none' stroke-width='2' stroke='%s' points='",
                               palette[i % G_N_ELEMENTS(palette)]);
        for (guint k = 0; k < json_array_get_length(s); k++) {
            JsonArray *p = json_array_get_array_element(s, k);
            double x = L + pw * json_array_get_double_element(p, 0) / dur;
            double y = T + ph * (1 - json_array_get_double_element(p, 1) / 100.0);
            g_string_append_printf(g, "%.1f,%.1f ", x, y);
        }
        g_string_append(g, "'><title>");
        esc(g, site_name(root, id));
        g_string_append(g, "</title></polyline>\n");
        /* A dot per sample: a site with one sample still shows. */
        for (guint k = 0; k < json_array_get_length(s); k++) {
            JsonArray *p = json_array_get_array_element(s, k);
            g_string_append_printf(g, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>",
                                   L + pw * json_array_get_double_element(p, 0) / dur,
                                   T + ph * (1 - json_array_get_double_element(p, 1) / 100.0),
                                   palette[i % G_N_ELEMENTS(palette)]);
        }
        g_string_append_c(g, '\n');
    }
    g_string_append(g, "</svg>\n");
}

static void html_table_start(GString *g, const char *caption, const char *const *heads)
{
    g_string_append(g, "<h2>");
    esc(g, caption);
    g_string_append(g, "</h2>\n<table><tr>");
    for (; *heads; heads++) {
        g_string_append_printf(g, "<th>%s</th>", *heads);
    }
    g_string_append(g, "</tr>\n");
}

static void td(GString *g, const char *s)
{
    g_string_append(g, "<td>");
    esc(g, s);
    g_string_append(g, "</td>");
}

char *dc_ctl_report_html(JsonNode *report)
{
    JsonObject *root = obj(report), *m = obj(json_object_get_member(root, "meeting"));
    GString *g =
        g_string_new("<!doctype html>\n<html lang='vi'><head><meta charset='utf-8'>\n<title>");
    esc(g, s_of(m, "title"));
    g_string_append(
        g, "</title>\n<style>body{font-family:'Noto Sans','DejaVu Sans',sans-serif;margin:24px;"
           "color:#222}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 6px}"
           ".meta{color:#555}table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;"
           "border-bottom:1px solid #ddd;text-align:left}th{background:#f3f3f3}.legend span{"
           "display:inline-block;margin-right:14px;font-size:13px}.legend i{display:inline-block;"
           "width:14px;height:4px;margin-right:5px;vertical-align:middle}.absent{color:#999}"
           "</style></head><body>\n<h1>");
    esc(g, s_of(m, "title"));
    g_autofree char *dur = hms(d_of(m, "duration_s"));
    g_string_append_printf(g, "</h1>\n<p class='meta'>Meeting %" G_GINT64_FORMAT " · started ",
                           (gint64)d_of(m, "id"));
    esc(g, s_of(m, "started"));
    g_string_append(g, " · opened ");
    esc(g, s_of(m, "opened") ? s_of(m, "opened") : "-");
    g_string_append(g, " · ended ");
    esc(g, s_of(m, "ended") ? s_of(m, "ended") : "(not ended)");
    g_string_append_printf(g,
                           " · duration %s%s</p>\n<h2>Link quality (score 0–100; "
                           "shaded: a district has the floor)</h2>\n",
                           dur, s_of(m, "ended") ? "" : " recorded so far");
    svg_plot(g, root);
    JsonArray *att = a_of(root, "attendance");
    JsonObject *q = obj(json_object_get_member(root, "quality"));
    g_string_append(g, "<p class='legend'>");
    for (guint i = 0; att && i < json_array_get_length(att); i++) {
        JsonObject *a = json_array_get_object_element(att, i);
        if (!q || !json_object_has_member(q, s_of(a, "site"))) {
            continue;
        }
        g_string_append_printf(g, "<span><i style='background:%s'></i>",
                               palette[i % G_N_ELEMENTS(palette)]);
        esc(g, s_of(a, "name"));
        g_string_append(g, "</span>");
    }
    g_string_append(g, "</p>\n");
    static const char *const att_h[] = {"Site",  "Joined",      "Left",        "Present",
                                        "Joins", "Quality avg", "Quality min", NULL};
    html_table_start(g, "Attendance", att_h);
    for (guint i = 0; att && i < json_array_get_length(att); i++) {
        JsonObject *a = json_array_get_object_element(att, i);
        bool absent = d_of(a, "joins") == 0;
        g_string_append(g, absent ? "<tr class='absent'>" : "<tr>");
        td(g, s_of(a, "name"));
        if (absent) {
            g_string_append(g, "<td colspan='6'>absent</td></tr>\n");
            continue;
        }
        td(g, s_of(a, "first_join") ? s_of(a, "first_join") + 11 : "");
        td(g, s_of(a, "last_leave") ? s_of(a, "last_leave") + 11 : "");
        g_autofree char *p = hms(d_of(a, "present_s"));
        td(g, p);
        g_string_append_printf(g, "<td>%.0f</td>", d_of(a, "joins"));
        JsonObject *qs = obj(q ? json_object_get_member(q, s_of(a, "site")) : NULL);
        if (qs) {
            g_string_append_printf(g, "<td>%.0f</td><td>%.0f</td>", d_of(qs, "avg"),
                                   d_of(qs, "min"));
        } else {
            g_string_append(g, "<td>–</td><td>–</td>");
        }
        g_string_append(g, "</tr>\n");
    }
    g_string_append(g, "</table>\n");
    static const char *const fl_h[] = {"At", "Site", "For", NULL};
    static const char *const inc_h[] = {"At", "Site", "For", NULL};
    const struct {
        const char *key, *caption;
        const char *const *heads;
    } lists[] = {{"floor", "The floor", fl_h},
                 {"incidents", "Link-quality incidents (below good for over 10 s)", inc_h}};
    for (size_t l = 0; l < G_N_ELEMENTS(lists); l++) {
        JsonArray *arr = a_of(root, lists[l].key);
        html_table_start(g, lists[l].caption, lists[l].heads);
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
            JsonObject *f = json_array_get_object_element(arr, i);
            g_autofree char *at = hms(d_of(f, "offset_s")), *len = hms(d_of(f, "seconds"));
            g_autofree char *at2 = g_strconcat("+", at, NULL);
            g_string_append(g, "<tr>");
            td(g, at2);
            td(g, s_of(f, "name"));
            td(g, len);
            g_string_append(g, "</tr>\n");
        }
        if (!arr || json_array_get_length(arr) == 0) {
            g_string_append(g, "<tr><td colspan='3'>(none)</td></tr>\n");
        }
        g_string_append(g, "</table>\n");
    }
    static const char *const tl_h[] = {"At", "Time", "Event", NULL};
    html_table_start(g, "Timeline", tl_h);
    JsonArray *tl = a_of(root, "timeline");
    for (guint i = 0; tl && i < json_array_get_length(tl); i++) {
        JsonObject *e = json_array_get_object_element(tl, i);
        g_autofree char *at = hms(d_of(e, "offset_s"));
        g_autofree char *at2 = g_strconcat("+", at, NULL);
        g_autofree char *what = describe(root, e);
        g_string_append(g, "<tr>");
        td(g, at2);
        td(g, s_of(e, "time") ? s_of(e, "time") + 11 : "");
        td(g, what);
        g_string_append(g, "</tr>\n");
    }
    g_string_append(g, "</table>\n<p class='meta'>diemcau-ctl report</p>\n</body></html>\n");
    return g_string_free(g, FALSE);
}
