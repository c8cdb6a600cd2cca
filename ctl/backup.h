/* ctl/backup: "diemcau-ctl backup" and "restore" of the meeting record.
 *
 * Both copy with SQLite's online backup API (sqlite3_backup_*), page by
 * page, so a backup is a consistent snapshot even while diemcau-signal
 * writes the record (in WAL mode), and a restore replaces the record's
 * content in place (its owner, mode and WAL files stay right). */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Copies the record @db_path into a new file @out_path (refused if it
 * exists): written beside it under a temporary name, checked with PRAGMA
 * integrity_check, then renamed. False with @error set. */
bool dc_ctl_backup(const char *db_path, const char *out_path, GError **error);

/* Replaces the content of the record @db_path with the backup @in_path,
 * after checking the backup's integrity. The caller makes sure
 * diemcau-signal is stopped. A record that does not exist yet is made,
 * owned like its folder. False with @error set. */
bool dc_ctl_restore(const char *in_path, const char *db_path, GError **error);
