/* signaling/stats: the bridge's per-site link statistics as diemcau-signal
 * keeps them for the technician role (docs/protocol.md, "Technician API").
 *
 * Sans-IO: fed the text of each bridge "stats" reply (docs/control.md) and
 * the time; keeps the latest snapshot and, per configured site, the last
 * DC_STATS_HISTORY one-second samples of loss and bitrate in each direction
 * (for sparklines). Builds the JSON of GET /api/stats and /api/stats/SITE
 * merged with the roster, and the Prometheus text of /metrics
 * (signaling/metrics.h). Missing bridge fields are tolerated: they read as
 * absent (JSON null) or NaN. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "signaling/roster.h"

#define DC_STATS_HISTORY 60

/* A reply older than this is "stale" (the bridge stopped answering). */
#define DC_STATS_STALE_US (5 * G_USEC_PER_SEC)

typedef struct dc_stats dc_stats;

/* The figures of one direction of one site that the summaries use; NaN when
 * the bridge did not give them. */
typedef struct {
    double bitrate_bps; /* audio + video, last second */
    double loss_pct;    /* the worse medium */
    double jitter_ms;   /* the worse medium */
    double rtt_ms;      /* the worse medium */
    double score;       /* 0..100 */
} dc_stats_direction;

/* Borrows @cfg, which must outlive the store. */
dc_stats *dc_stats_new(const dc_config *cfg);
void dc_stats_free(dc_stats *st);

/* Takes one bridge reply ({"op":"stats","id":N,"meeting":ID,"sites":{...}}).
 * Sites not in the config are ignored. Every configured site gets one
 * history sample (NaN when the reply does not name it). Returns false with
 * @error set when the text is not such an object (the store is unchanged). */
bool dc_stats_update(dc_stats *st, const char *json, size_t len, int64_t now_us, GError **error);

/* Forgets the snapshot (the control link went down); history is kept and
 * gets NaN samples from dc_stats_tick(). */
void dc_stats_forget(dc_stats *st);

/* One history step without a reply (NaN samples) for when the bridge did not
 * answer within a second. */
void dc_stats_tick(dc_stats *st);

/* When the last reply arrived (0 = never). */
int64_t dc_stats_last_update(const dc_stats *st);

/* The bridge's object for @site in the latest reply (borrowed, valid until the
 * next update), or NULL. */
JsonObject *dc_stats_site_object(const dc_stats *st, const char *site);

/* Summary of one direction ("up" = site → bridge, "down" = bridge → site)
 * of @site; every field NaN when unknown. */
dc_stats_direction dc_stats_summary(const dc_stats *st, const char *site, bool up);

/* The last @n history samples of @site, oldest first, NaN when missing;
 * @what: 0 loss up, 1 loss down, 2 bitrate up, 3 bitrate down. Returns the
 * number of samples copied (at most DC_STATS_HISTORY). */
size_t dc_stats_history(const dc_stats *st, const char *site, int what, double *out, size_t n);

/* "ok", "none" (the bridge never answered), "stale" or "link-down". */
const char *dc_stats_status(const dc_stats *st, bool link_up, int64_t now_us);

/* The body of GET /api/stats (@site NULL) or GET /api/stats/SITE. NULL when
 * @site is not a configured site. Free with g_free(). */
char *dc_stats_api_json(const dc_stats *st, const dc_roster *roster, const char *site, bool link_up,
                        int64_t now_us);
