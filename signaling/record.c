/* signaling/record: the meeting record in SQLite. See record.h. */
#define G_LOG_DOMAIN "dc-record"

#include "signaling/record.h"

#include <sqlite3.h>
#include <string.h>

struct dc_record {
    sqlite3 *db;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meetings ("
    " id INTEGER PRIMARY KEY, meeting TEXT NOT NULL, title TEXT,"
    " started_us INTEGER NOT NULL, opened_us INTEGER, ended_us INTEGER,"
    " state TEXT NOT NULL, floor TEXT, floor_since_us INTEGER, hand_counter INTEGER DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS site_state ("
    " meeting_id INTEGER NOT NULL, site TEXT NOT NULL, present INTEGER DEFAULT 0,"
    " chair_audio INTEGER DEFAULT 0, chair_video INTEGER DEFAULT 0,"
    " self_audio INTEGER DEFAULT 0, self_video INTEGER DEFAULT 0,"
    " saved_audio INTEGER DEFAULT 0, saved_video INTEGER DEFAULT 0,"
    " hand INTEGER DEFAULT 0, removed INTEGER DEFAULT 0, PRIMARY KEY (meeting_id, site));"
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY, meeting_id INTEGER NOT NULL, t_us INTEGER NOT NULL,"
    " kind TEXT NOT NULL, site TEXT, actor TEXT, detail TEXT);"
    "CREATE INDEX IF NOT EXISTS events_meeting ON events (meeting_id, id);"
    "CREATE TABLE IF NOT EXISTS sites ("
    " meeting_id INTEGER NOT NULL, site TEXT NOT NULL, name TEXT, role TEXT, position INTEGER,"
    " PRIMARY KEY (meeting_id, site));"
    "CREATE TABLE IF NOT EXISTS quality ("
    " meeting_id INTEGER NOT NULL, t_us INTEGER NOT NULL, site TEXT NOT NULL,"
    " score REAL, level TEXT);"
    "CREATE INDEX IF NOT EXISTS quality_meeting ON quality (meeting_id, site, t_us);";

static bool exec(dc_record *rec, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(rec->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        g_warning("record: %s: %s", sql, msg ? msg : sqlite3_errmsg(rec->db));
        sqlite3_free(msg);
        return false;
    }
    return true;
}

dc_record *dc_record_open(const char *path, GError **error)
{
    dc_record *rec = g_new0(dc_record, 1);
    if (sqlite3_open_v2(path, &rec->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", path,
                    rec->db ? sqlite3_errmsg(rec->db) : "out of memory");
        dc_record_close(rec);
        return NULL;
    }
    sqlite3_busy_timeout(rec->db, 5000);
    if (!exec(rec, "PRAGMA journal_mode=WAL") || !exec(rec, "PRAGMA synchronous=FULL") ||
        !exec(rec, schema)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", path,
                    sqlite3_errmsg(rec->db));
        dc_record_close(rec);
        return NULL;
    }
    return rec;
}

void dc_record_close(dc_record *rec)
{
    if (!rec) {
        return;
    }
    sqlite3_close(rec->db);
    g_free(rec);
}

static sqlite3_stmt *prepare(dc_record *rec, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rec->db, sql, -1, &st, NULL) != SQLITE_OK) {
        g_warning("record: %s: %s", sql, sqlite3_errmsg(rec->db));
        return NULL;
    }
    return st;
}

static bool step_done(dc_record *rec, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        g_warning("record: %s", sqlite3_errmsg(rec->db));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s) {
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, i);
    }
}

int64_t dc_record_find_open(dc_record *rec, const char *meeting)
{
    sqlite3_stmt *st = prepare(rec, "SELECT id FROM meetings WHERE meeting = ?1 AND ended_us IS "
                                    "NULL ORDER BY id DESC LIMIT 1");
    if (!st) {
        return 0;
    }
    bind_text(st, 1, meeting);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}

int64_t dc_record_new_meeting(dc_record *rec, const char *meeting, const char *title,
                              int64_t now_us)
{
    sqlite3_stmt *st = prepare(rec, "INSERT INTO meetings (meeting, title, started_us, state) "
                                    "VALUES (?1, ?2, ?3, 'lobby')");
    if (!st) {
        return 0;
    }
    bind_text(st, 1, meeting);
    bind_text(st, 2, title);
    sqlite3_bind_int64(st, 3, now_us);
    return step_done(rec, st) ? sqlite3_last_insert_rowid(rec->db) : 0;
}

bool dc_record_sites(dc_record *rec, int64_t mid, const dc_config *cfg)
{
    for (size_t i = 0; i < cfg->n_sites; i++) {
        sqlite3_stmt *st = prepare(rec, "INSERT OR IGNORE INTO sites (meeting_id, site, name, role,"
                                        " position) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!st) {
            return false;
        }
        sqlite3_bind_int64(st, 1, mid);
        bind_text(st, 2, cfg->sites[i].id);
        bind_text(st, 3, cfg->sites[i].name);
        bind_text(st, 4, dc_config_role_name(cfg->sites[i].role));
        sqlite3_bind_int64(st, 5, (sqlite3_int64)i);
        if (!step_done(rec, st)) {
            return false;
        }
    }
    return true;
}

bool dc_record_begin(dc_record *rec)
{
    return exec(rec, "BEGIN IMMEDIATE");
}

bool dc_record_commit(dc_record *rec)
{
    if (exec(rec, "COMMIT")) {
        return true;
    }
    dc_record_rollback(rec);
    return false;
}

void dc_record_rollback(dc_record *rec)
{
    if (!sqlite3_get_autocommit(rec->db)) {
        exec(rec, "ROLLBACK");
    }
}

bool dc_record_event(dc_record *rec, int64_t mid, int64_t t_us, const char *kind, const char *site,
                     const char *actor, const char *detail)
{
    sqlite3_stmt *st = prepare(rec, "INSERT INTO events (meeting_id, t_us, kind, site, actor, "
                                    "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st) {
        return false;
    }
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_int64(st, 2, t_us);
    bind_text(st, 3, kind);
    bind_text(st, 4, site);
    bind_text(st, 5, actor);
    bind_text(st, 6, detail);
    return step_done(rec, st);
}

bool dc_record_save_meeting(dc_record *rec, int64_t mid, const dc_chair *c, const dc_config *cfg,
                            int64_t opened_us, int64_t ended_us)
{
    sqlite3_stmt *st = prepare(
        rec, "UPDATE meetings SET state = ?2, floor = ?3, floor_since_us = ?4, hand_counter = ?5,"
             " opened_us = COALESCE(opened_us, ?6), ended_us = ?7 WHERE id = ?1");
    if (!st) {
        return false;
    }
    int f = dc_chair_floor(c);
    sqlite3_bind_int64(st, 1, mid);
    bind_text(st, 2, dc_chair_state_name(dc_chair_get_state(c)));
    bind_text(st, 3, f >= 0 ? cfg->sites[f].id : NULL);
    sqlite3_bind_int64(st, 4, dc_chair_floor_since(c));
    sqlite3_bind_int64(st, 5, (sqlite3_int64)dc_chair_hand_counter(c));
    if (opened_us) {
        sqlite3_bind_int64(st, 6, opened_us);
    } else {
        sqlite3_bind_null(st, 6);
    }
    if (ended_us) {
        sqlite3_bind_int64(st, 7, ended_us);
    } else {
        sqlite3_bind_null(st, 7);
    }
    return step_done(rec, st);
}

bool dc_record_save_site(dc_record *rec, int64_t mid, const char *site, bool present,
                         const dc_chair_site *s)
{
    sqlite3_stmt *st = prepare(
        rec, "INSERT OR REPLACE INTO site_state (meeting_id, site, present, chair_audio,"
             " chair_video, self_audio, self_video, saved_audio, saved_video, hand, removed)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!st) {
        return false;
    }
    sqlite3_bind_int64(st, 1, mid);
    bind_text(st, 2, site);
    sqlite3_bind_int(st, 3, present);
    sqlite3_bind_int(st, 4, s->chair_muted[0]);
    sqlite3_bind_int(st, 5, s->chair_muted[1]);
    sqlite3_bind_int(st, 6, s->self_muted[0]);
    sqlite3_bind_int(st, 7, s->self_muted[1]);
    sqlite3_bind_int(st, 8, s->saved_muted[0]);
    sqlite3_bind_int(st, 9, s->saved_muted[1]);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)s->hand);
    sqlite3_bind_int(st, 11, s->removed);
    return step_done(rec, st);
}

bool dc_record_quality(dc_record *rec, int64_t mid, int64_t t_us, const char *site, double score,
                       const char *level)
{
    sqlite3_stmt *st = prepare(rec, "INSERT INTO quality (meeting_id, t_us, site, score, level)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!st) {
        return false;
    }
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_int64(st, 2, t_us);
    bind_text(st, 3, site);
    sqlite3_bind_double(st, 4, score);
    bind_text(st, 5, level);
    return step_done(rec, st);
}

static int site_index(const dc_config *cfg, const char *id)
{
    for (size_t i = 0; id && i < cfg->n_sites; i++) {
        if (strcmp(cfg->sites[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool dc_record_load(dc_record *rec, int64_t mid, const dc_config *cfg, dc_chair *c, bool *present,
                    bool *incident)
{
    sqlite3_stmt *st = prepare(
        rec, "SELECT state, floor, floor_since_us, hand_counter FROM meetings WHERE id = ?1");
    if (!st) {
        return false;
    }
    sqlite3_bind_int64(st, 1, mid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return false;
    }
    dc_chair_state state = DC_CHAIR_OPEN;
    dc_chair_state_parse((const char *)sqlite3_column_text(st, 0), &state);
    dc_chair_set_state(c, state);
    dc_chair_set_floor(c, site_index(cfg, (const char *)sqlite3_column_text(st, 1)),
                       sqlite3_column_int64(st, 2));
    dc_chair_set_hand_counter(c, (uint64_t)sqlite3_column_int64(st, 3));
    sqlite3_finalize(st);

    st = prepare(rec, "SELECT site, present, chair_audio, chair_video, self_audio, self_video,"
                      " saved_audio, saved_video, hand, removed FROM site_state"
                      " WHERE meeting_id = ?1");
    if (!st) {
        return false;
    }
    sqlite3_bind_int64(st, 1, mid);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int i = site_index(cfg, (const char *)sqlite3_column_text(st, 0));
        if (i < 0) {
            continue;
        }
        dc_chair_site *s = dc_chair_site_mut(c, (size_t)i);
        present[i] = sqlite3_column_int(st, 1);
        for (int k = 0; k < 2; k++) {
            s->chair_muted[k] = sqlite3_column_int(st, 2 + k);
            s->self_muted[k] = sqlite3_column_int(st, 4 + k);
            s->saved_muted[k] = sqlite3_column_int(st, 6 + k);
        }
        s->hand = (uint64_t)sqlite3_column_int64(st, 8);
        s->removed = sqlite3_column_int(st, 9);
    }
    sqlite3_finalize(st);

    /* Incidents still open: the last incident event of each site. */
    st = prepare(rec, "SELECT site, kind FROM events WHERE meeting_id = ?1 AND kind IN"
                      " ('incident-start', 'incident-end') ORDER BY id");
    if (!st) {
        return false;
    }
    sqlite3_bind_int64(st, 1, mid);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int i = site_index(cfg, (const char *)sqlite3_column_text(st, 0));
        if (i >= 0) {
            incident[i] = strcmp((const char *)sqlite3_column_text(st, 1), "incident-start") == 0;
        }
    }
    sqlite3_finalize(st);
    return true;
}
