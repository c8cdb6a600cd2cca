/* ctl/table: what diemcau-ctl prints, as pure functions of the service's JSON
 * (GET /api/stats, docs/protocol.md "Technician API"): the per-site rows, the
 * status table (80 columns, Vietnamese names aligned by display width), the
 * one-site report, and the watch screen's history block. No I/O.
 *
 * Problem values are marked with '!' after the value, and (with @colour) in
 * red. The thresholds: */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

#define DC_CTL_LOSS_BAD_PCT 2.0   /* loss above this, either way */
#define DC_CTL_JITTER_BAD_MS 30.0 /* jitter above this, either way */
#define DC_CTL_RTT_BAD_MS 150.0   /* round-trip time above this */
#define DC_CTL_FPS_BAD 10.0       /* camera frame rate below this */
#define DC_CTL_SCORE_BAD 40.0     /* score at or below this (poor, lost) */
#define DC_CTL_HISTORY 60         /* samples of history per series */

/* The width of the status table and the watch screen. */
#define DC_CTL_COLUMNS 80

enum { DC_CTL_H_LOSS_UP, DC_CTL_H_LOSS_DOWN, DC_CTL_H_RATE_UP, DC_CTL_H_RATE_DOWN, DC_CTL_H_KINDS };

/* One site as the table shows it; NaN (or 0 for width/height) = unknown. */
typedef struct {
    char *id, *name, *state, *level;
    bool present;
    double up_bps, down_bps;
    double loss_up, loss_down; /* % */
    double jitter_ms;          /* the worse direction */
    double rtt_ms;
    double fps; /* the camera it sends (up video) */
    unsigned width, height;
    double score; /* the worse direction, 0..100 */
    double hist[DC_CTL_H_KINDS][DC_CTL_HISTORY];
    size_t n_hist;
} dc_ctl_row;

/* The header above the table: meeting, title, and the bridge's state. */
typedef struct {
    char *meeting, *title;
    char *link;  /* "up", "down" */
    char *stats; /* "ok", "none", "stale", "link-down" */
    gint64 time; /* unix seconds */
} dc_ctl_meta;

void dc_ctl_row_free(dc_ctl_row *row);
void dc_ctl_meta_clear(dc_ctl_meta *meta);

/* Rows (dc_ctl_row, owned by the array) from the JSON of /api/stats, in its
 * order; fills @meta when not NULL. NULL with @error set when @root is not
 * such a document. Missing figures are tolerated. */
GPtrArray *dc_ctl_rows_from_json(JsonNode *root, dc_ctl_meta *meta, GError **error);

/* Display width of UTF-8 text in a terminal: wide (CJK) characters count 2,
 * combining marks 0. */
size_t dc_ctl_display_width(const char *s);

/* @s fitted to exactly @width display cells: padded with spaces, or cut with
 * "…" at the end. Free with g_free(). */
char *dc_ctl_fit(const char *s, size_t width);

/* A site name fitted to @width: the Vietnamese administrative words are
 * abbreviated first ("Huyện" → "H.", "Thị xã" → "TX", "Thành phố" → "TP",
 * "Công an tỉnh" → "CA tỉnh"), then cut. Free with g_free(). */
char *dc_ctl_fit_name(const char *name, size_t width);

/* Compact units: bits/s as "0", "850k", "1.2M", "14M"; loss as "0.0%",
 * "4.8%", "12%"; "-" for NaN. Free with g_free(). */
char *dc_ctl_format_rate(double bps);
char *dc_ctl_format_loss(double pct);

/* The "meeting · bridge" line over the table (no newline). */
char *dc_ctl_format_title(const dc_ctl_meta *meta);

/* The status table: a header and one line per row, each line at most
 * DC_CTL_COLUMNS cells wide, ending in '\n'. */
char *dc_ctl_format_table(GPtrArray *rows, bool colour);

/* The legend line under the table (no newline). */
const char *dc_ctl_table_legend(void);

/* History block for watch: one line per row: name, loss sparkline (both
 * directions, worst), bitrate sparkline (up), within DC_CTL_COLUMNS. */
char *dc_ctl_format_history(GPtrArray *rows, bool colour);

/* Everything about one site: the "sites" member's single entry of
 * /api/stats/SITE (its object). */
char *dc_ctl_format_site(JsonObject *site, bool colour);
