/* signaling/metrics: Prometheus text for /metrics. See metrics.h. */
#define G_LOG_DOMAIN "dc-metrics"

#include "signaling/metrics.h"

#include <math.h>

typedef enum { PER_MEDIUM, PER_DIRECTION, PER_SITE } scope;

typedef struct {
    const char *name, *type, *help;
    scope scope;
    const char *field; /* the bridge's field */
    double scale;      /* multiplies the bridge's value (ms → s, % → ratio) */
} family;

static const family families[] = {
    {"diemcau_site_bitrate_bps", "gauge", "Bitrate over the last second, bits per second.",
     PER_MEDIUM, "bitrate_bps", 1},
    {"diemcau_site_loss_ratio", "gauge",
     "Packet loss, 0..1 (up: gaps before repair; down: "
     "the site's receiver reports).",
     PER_MEDIUM, "loss_pct", 0.01},
    {"diemcau_site_jitter_seconds", "gauge", "RFC 3550 interarrival jitter.", PER_MEDIUM,
     "jitter_ms", 0.001},
    {"diemcau_site_rtt_seconds", "gauge", "Round-trip time from RTCP LSR/DLSR.", PER_MEDIUM,
     "rtt_ms", 0.001},
    {"diemcau_site_packets_total", "counter", "RTP packets.", PER_MEDIUM, "packets", 1},
    {"diemcau_site_bytes_total", "counter", "RTP bytes.", PER_MEDIUM, "bytes", 1},
    {"diemcau_site_nacks_total", "counter", "NACKed packets.", PER_MEDIUM, "nacks", 1},
    {"diemcau_site_retransmissions_total", "counter", "Packets retransmitted.", PER_MEDIUM,
     "retransmissions", 1},
    {"diemcau_site_plis_total", "counter", "Picture loss indications.", PER_MEDIUM, "plis", 1},
    {"diemcau_site_firs_total", "counter", "Full intra requests.", PER_MEDIUM, "firs", 1},
    {"diemcau_site_video_fps", "gauge", "Video frames per second.", PER_DIRECTION, "fps", 1},
    {"diemcau_site_quality_score", "gauge", "Link quality score, 0..100 (docs/link-quality.md).",
     PER_DIRECTION, NULL, 1},
    {"diemcau_site_mos", "gauge", "Estimated audio MOS, 1..4.5.", PER_SITE, "mos", 1},
};

static JsonObject *obj(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static double num(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n)) {
        return NAN;
    }
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64) {
        return (double)json_node_get_int(n);
    }
    return t == G_TYPE_DOUBLE && isfinite(json_node_get_double(n)) ? json_node_get_double(n) : NAN;
}

static void sample(GString *out, const char *name, const char *labels, double v)
{
    if (isnan(v)) {
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(out, "%s{%s} %s\n", name, labels,
                           g_ascii_formatd(buf, sizeof buf, "%.6g", v));
}

static void emit_family(GString *out, const family *f, const dc_stats *st, const dc_roster *roster)
{
    static const char *const dirs[] = {"up", "down"};
    static const char *const media[] = {"audio", "video"};
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
    for (size_t i = 0; i < dc_roster_size(roster); i++) {
        const char *id = dc_roster_entry_at(roster, i).site->id;
        JsonObject *so = dc_stats_site_object(st, id);
        if (!so) {
            continue;
        }
        if (f->scope == PER_SITE) {
            g_autofree char *l = g_strdup_printf("site=\"%s\"", id);
            sample(out, f->name, l, num(obj(so, "score"), f->field) * f->scale);
            continue;
        }
        for (size_t d = 0; d < 2; d++) {
            if (f->scope == PER_DIRECTION) {
                g_autofree char *l = g_strdup_printf("site=\"%s\",direction=\"%s\"", id, dirs[d]);
                double v = f->field ? num(obj(obj(so, dirs[d]), "video"), f->field)
                                    : num(obj(so, "score"), dirs[d]);
                sample(out, f->name, l, v * f->scale);
                continue;
            }
            for (size_t m = 0; m < 2; m++) {
                g_autofree char *l = g_strdup_printf("site=\"%s\",direction=\"%s\",media=\"%s\"",
                                                     id, dirs[d], media[m]);
                sample(out, f->name, l, num(obj(obj(so, dirs[d]), media[m]), f->field) * f->scale);
            }
        }
    }
}

char *dc_metrics_text(const dc_stats *st, const dc_roster *roster, bool link_up, int64_t now_us)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out,
                           "# HELP diemcau_bridge_link_up 1 when the control link to the bridge "
                           "is up.\n# TYPE diemcau_bridge_link_up gauge\n"
                           "diemcau_bridge_link_up %d\n",
                           link_up ? 1 : 0);
    int64_t last = dc_stats_last_update(st);
    if (last) {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append_printf(
            out,
            "# HELP diemcau_stats_age_seconds Age of the bridge's last "
            "statistics.\n# TYPE diemcau_stats_age_seconds gauge\n"
            "diemcau_stats_age_seconds %s\n",
            g_ascii_formatd(buf, sizeof buf, "%.3f", (double)(now_us - last) / G_USEC_PER_SEC));
    }
    static const char *const presence[] = {"diemcau_site_present", "diemcau_site_connected"};
    static const char *const presence_help[] = {"1 when the site has joined the meeting.",
                                                "1 when the site's media transport is up."};
    for (int k = 0; k < 2; k++) {
        g_string_append_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", presence[k],
                               presence_help[k], presence[k]);
        for (size_t i = 0; i < dc_roster_size(roster); i++) {
            dc_roster_entry e = dc_roster_entry_at(roster, i);
            bool v = k == 0 ? e.session != NULL : e.state == DC_SITE_CONNECTED;
            g_string_append_printf(out, "%s{site=\"%s\"} %d\n", presence[k], e.site->id, v);
        }
    }
    for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
        emit_family(out, &families[f], st, roster);
    }
    return g_string_free(out, FALSE);
}
