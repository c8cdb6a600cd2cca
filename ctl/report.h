/* ctl/report: diemcau-ctl report [MEETING]: a meeting's record (the SQLite
 * file diemcau-signal writes, signaling/record.h) as text, JSON, or a
 * self-contained HTML page with an SVG plot of each site's link quality,
 * for the technician to hand to the chair.
 *
 * dc_ctl_report_load() reads the file into one JSON document (the --json
 * output); the formatters are pure functions of that document. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* Loads meeting @meeting (a row id as text; NULL = the newest) from the
 * record at @db_path. NULL with @error set when the file or the meeting is
 * missing. */
JsonNode *dc_ctl_report_load(const char *db_path, const char *meeting, GError **error);

/* The report as text for a terminal (UTF-8, names with diacritics). */
char *dc_ctl_report_text(JsonNode *report);

/* The report as one HTML page: no external files, inline CSS and SVG. */
char *dc_ctl_report_html(JsonNode *report);
