/* ctl/backup: backup and restore of the meeting record. See backup.h. */
#include "ctl/backup.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGES_PER_STEP 256
#define BUSY_WAIT_MS 50
#define BUSY_TRIES 200 /* 10 s of a writer holding the record */

static bool sqlite_fail(sqlite3 *db, const char *what, const char *path, GError **error)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s: %s", what, path,
                db ? sqlite3_errmsg(db) : "out of memory");
    return false;
}

/* "ok", or PRAGMA integrity_check's first complaints. */
static bool integrity_ok(sqlite3 *db, const char *path, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        return sqlite_fail(db, "cannot check", path, error);
    }
    bool ok = sqlite3_step(st) == SQLITE_ROW &&
              g_strcmp0((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    if (!ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s is not a whole SQLite database (integrity check: %s)", path,
                    sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0)
                                               : sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return ok;
}

/* Copies every page of @from into @to, waiting while a writer holds the
 * source. */
static bool copy_pages(sqlite3 *from, sqlite3 *to, const char *to_path, GError **error)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b) {
        return sqlite_fail(to, "cannot start the copy into", to_path, error);
    }
    int rc, busy = 0;
    while ((rc = sqlite3_backup_step(b, PAGES_PER_STEP)) == SQLITE_OK || rc == SQLITE_BUSY ||
           rc == SQLITE_LOCKED) {
        if (rc != SQLITE_OK) {
            if (++busy > BUSY_TRIES) {
                break;
            }
            sqlite3_sleep(BUSY_WAIT_MS);
        }
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "copy into %s: %s", to_path,
                    sqlite3_errstr(rc));
        return false;
    }
    return true;
}

static sqlite3 *open_db(const char *path, int flags, GError **error)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        sqlite_fail(db, "cannot open", path, error);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

bool dc_ctl_backup(const char *db_path, const char *out_path, GError **error)
{
    if (g_file_test(out_path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "%s exists: give a new file name (a backup never overwrites)", out_path);
        return false;
    }
    if (!g_file_test(db_path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no meeting record at %s", db_path);
        return false;
    }
    g_autofree char *tmp = g_strconcat(out_path, ".partial", NULL);
    g_unlink(tmp);
    sqlite3 *from = open_db(db_path, SQLITE_OPEN_READONLY, error);
    sqlite3 *to = from ? open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error) : NULL;
    bool ok = to && copy_pages(from, to, out_path, error) && integrity_ok(to, out_path, error);
    sqlite3_close(to);
    sqlite3_close(from);
    if (ok && g_rename(tmp, out_path) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot rename %s to %s: %s",
                    tmp, out_path, g_strerror(errno));
        ok = false;
    }
    if (!ok) {
        g_unlink(tmp);
    }
    return ok;
}

bool dc_ctl_restore(const char *in_path, const char *db_path, GError **error)
{
    if (!g_file_test(in_path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no backup at %s", in_path);
        return false;
    }
    bool existed = g_file_test(db_path, G_FILE_TEST_EXISTS);
    sqlite3 *from = open_db(in_path, SQLITE_OPEN_READONLY, error);
    bool ok = from && integrity_ok(from, in_path, error);
    sqlite3 *to = ok ? open_db(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error) : NULL;
    ok = to && copy_pages(from, to, db_path, error) && integrity_ok(to, db_path, error);
    sqlite3_close(to);
    sqlite3_close(from);
    if (ok && !existed) {
        /* Made by root for the service: give it the folder's owner. */
        g_autofree char *dir = g_path_get_dirname(db_path);
        GStatBuf st;
        if (g_stat(dir, &st) == 0 && chown(db_path, st.st_uid, st.st_gid) != 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "chown %s: %s", db_path,
                        g_strerror(errno));
            ok = false;
        }
    }
    return ok;
}
