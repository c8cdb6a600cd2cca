/* signaling/stats: the technician's view of the bridge's statistics. See
 * stats.h. */
#define G_LOG_DOMAIN "dc-stats"

#include "signaling/stats.h"
#include "common/json.h"

#include <math.h>
#include <string.h>

enum { H_LOSS_UP, H_LOSS_DOWN, H_RATE_UP, H_RATE_DOWN, H_KINDS };

static const char *const history_names[H_KINDS] = {"loss_up_pct", "loss_down_pct", "bitrate_up_bps",
                                                   "bitrate_down_bps"};

typedef struct {
    double v[H_KINDS][DC_STATS_HISTORY];
} site_history;

struct dc_stats {
    const dc_config *cfg;
    JsonNode *reply;    /* the latest reply, NULL when none or forgotten */
    JsonObject *sites;  /* its "sites" member (borrowed from reply) */
    int64_t last_us;    /* when it arrived, 0 = never */
    site_history *hist; /* one per configured site, in config order */
    size_t head;        /* next slot of every ring */
    size_t count;       /* samples held, up to DC_STATS_HISTORY */
};

dc_stats *dc_stats_new(const dc_config *cfg)
{
    dc_stats *st = g_new0(dc_stats, 1);
    st->cfg = cfg;
    st->hist = g_new0(site_history, cfg->n_sites ? cfg->n_sites : 1);
    return st;
}

void dc_stats_free(dc_stats *st)
{
    if (!st) {
        return;
    }
    g_clear_pointer(&st->reply, json_node_unref);
    g_free(st->hist);
    g_free(st);
}

/* ------------------------------------------------------------------------ */
/* Reading the bridge's objects, tolerating anything missing                */

static JsonObject *obj_member(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static double num_member(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n)) {
        return NAN;
    }
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64) {
        return (double)json_node_get_int(n);
    }
    if (t == G_TYPE_DOUBLE) {
        double v = json_node_get_double(n);
        return isfinite(v) ? v : NAN;
    }
    return NAN;
}

static const char *str_member(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

/* Sum (or max) ignoring NaN; NaN when both are. */
static double nan_sum(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : a + b;
}

static double nan_max(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : fmax(a, b);
}

JsonObject *dc_stats_site_object(const dc_stats *st, const char *site)
{
    return st->sites ? obj_member(st->sites, site) : NULL;
}

dc_stats_direction dc_stats_summary(const dc_stats *st, const char *site, bool up)
{
    dc_stats_direction d = {NAN, NAN, NAN, NAN, NAN};
    JsonObject *so = dc_stats_site_object(st, site);
    JsonObject *dir = obj_member(so, up ? "up" : "down");
    static const char *const media[] = {"audio", "video"};
    for (size_t i = 0; i < G_N_ELEMENTS(media); i++) {
        JsonObject *m = obj_member(dir, media[i]);
        d.bitrate_bps = nan_sum(d.bitrate_bps, num_member(m, "bitrate_bps"));
        d.loss_pct = nan_max(d.loss_pct, num_member(m, "loss_pct"));
        d.jitter_ms = nan_max(d.jitter_ms, num_member(m, "jitter_ms"));
        d.rtt_ms = nan_max(d.rtt_ms, num_member(m, "rtt_ms"));
    }
    d.score = num_member(obj_member(so, "score"), up ? "up" : "down");
    return d;
}

/* The bridge's names as the brief had them and as docs/control.md may still
 * spell them: each alias (with its scale) fills in the canonical member when
 * that one is missing, so the API and ctl read one set of names. */
static const struct {
    const char *canonical, *alias;
    double scale;
} aliases[] = {
    {"bitrate_bps", "bitrate_1s", 1},
    {"bitrate_10s_bps", "bitrate_10s", 1},
    {"loss_pct", "loss", 100},
    {"plis", "pli", 1},
    {"firs", "fir", 1},
    {"keyframe_interval_ms", "keyframe_interval_s", 1000},
};

static void normalize_medium(JsonObject *m)
{
    for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++) {
        if (json_object_has_member(m, aliases[i].canonical)) {
            continue;
        }
        double v = num_member(m, aliases[i].alias);
        if (!isnan(v)) {
            json_object_set_double_member(m, aliases[i].canonical, v * aliases[i].scale);
        }
    }
}

static void normalize(JsonObject *sites)
{
    g_autoptr(GList) ids = json_object_get_members(sites);
    for (GList *l = ids; l; l = l->next) {
        JsonObject *so = obj_member(sites, l->data);
        static const char *const dirs[] = {"up", "down"}, *const media[] = {"audio", "video"};
        for (size_t d = 0; d < 2; d++) {
            for (size_t k = 0; k < 2; k++) {
                JsonObject *m = obj_member(obj_member(so, dirs[d]), media[k]);
                if (m) {
                    normalize_medium(m);
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Updates and history                                                      */

static void push_samples(dc_stats *st)
{
    for (size_t i = 0; i < st->cfg->n_sites; i++) {
        const char *id = st->cfg->sites[i].id;
        dc_stats_direction up = dc_stats_summary(st, id, true);
        dc_stats_direction down = dc_stats_summary(st, id, false);
        site_history *h = &st->hist[i];
        h->v[H_LOSS_UP][st->head] = up.loss_pct;
        h->v[H_LOSS_DOWN][st->head] = down.loss_pct;
        h->v[H_RATE_UP][st->head] = up.bitrate_bps;
        h->v[H_RATE_DOWN][st->head] = down.bitrate_bps;
    }
    st->head = (st->head + 1) % DC_STATS_HISTORY;
    if (st->count < DC_STATS_HISTORY) {
        st->count++;
    }
}

bool dc_stats_update(dc_stats *st, const char *json, size_t len, int64_t now_us, GError **error)
{
    g_autoptr(JsonParser) p = json_parser_new(); /* mutable: normalize() */
    if (!dc_json_load(p, json, len, 0, error)) {
        return false;
    }
    JsonNode *root = json_parser_get_root(p);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonObject *sites = obj_member(o, "sites");
    if (!sites) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "stats reply without a \"sites\" object");
        return false;
    }
    const char *meeting = str_member(o, "meeting");
    if (meeting && strcmp(meeting, st->cfg->meeting_id) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "stats reply for meeting %s, not ours", meeting);
        return false;
    }
    normalize(sites);
    g_clear_pointer(&st->reply, json_node_unref);
    st->reply = json_node_ref(root);
    st->sites = sites;
    st->last_us = now_us;
    push_samples(st);
    return true;
}

void dc_stats_forget(dc_stats *st)
{
    g_clear_pointer(&st->reply, json_node_unref);
    st->sites = NULL;
}

void dc_stats_tick(dc_stats *st)
{
    JsonObject *keep = st->sites;
    st->sites = NULL; /* every sample NaN */
    push_samples(st);
    st->sites = keep;
}

int64_t dc_stats_last_update(const dc_stats *st)
{
    return st->last_us;
}

static ssize_t site_index(const dc_stats *st, const char *site)
{
    for (size_t i = 0; i < st->cfg->n_sites; i++) {
        if (strcmp(st->cfg->sites[i].id, site) == 0) {
            return (ssize_t)i;
        }
    }
    return -1;
}

size_t dc_stats_history(const dc_stats *st, const char *site, int what, double *out, size_t n)
{
    ssize_t i = site_index(st, site);
    if (i < 0 || what < 0 || what >= H_KINDS) {
        return 0;
    }
    size_t k = MIN(n, st->count);
    for (size_t j = 0; j < k; j++) {
        size_t slot = (st->head + DC_STATS_HISTORY - k + j) % DC_STATS_HISTORY;
        out[j] = st->hist[i].v[what][slot];
    }
    return k;
}

const char *dc_stats_status(const dc_stats *st, bool link_up, int64_t now_us)
{
    if (!link_up) {
        return "link-down";
    }
    if (!st->reply) {
        return "none";
    }
    return now_us - st->last_us > DC_STATS_STALE_US ? "stale" : "ok";
}

/* ------------------------------------------------------------------------ */
/* The API's JSON                                                           */

static void add_num(JsonBuilder *b, const char *name, double v)
{
    json_builder_set_member_name(b, name);
    if (isnan(v)) {
        json_builder_add_null_value(b);
    } else if (v == floor(v) && fabs(v) < 1e15) {
        json_builder_add_int_value(b, (gint64)v);
    } else {
        /* Two decimals are plenty for people and keep the text short. */
        json_builder_add_double_value(b, round(v * 100) / 100);
    }
}

static void add_pair(JsonBuilder *b, const char *name, double up, double down)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_num(b, "up", up);
    add_num(b, "down", down);
    json_builder_end_object(b);
}

static void add_site(JsonBuilder *b, const dc_stats *st, dc_roster_entry e)
{
    const char *id = e.site->id;
    JsonObject *so = dc_stats_site_object(st, id);
    dc_stats_direction up = dc_stats_summary(st, id, true);
    dc_stats_direction down = dc_stats_summary(st, id, false);
    JsonObject *score = obj_member(so, "score");

    json_builder_set_member_name(b, id);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, id);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, e.site->name);
    json_builder_set_member_name(b, "role");
    json_builder_add_string_value(b, dc_config_role_name(e.site->role));
    json_builder_set_member_name(b, "present");
    json_builder_add_boolean_value(b, e.session != NULL);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, dc_site_state_name(e.state));

    add_pair(b, "bitrate_bps", up.bitrate_bps, down.bitrate_bps);
    add_pair(b, "loss_pct", up.loss_pct, down.loss_pct);
    add_pair(b, "jitter_ms", up.jitter_ms, down.jitter_ms);
    add_num(b, "rtt_ms", nan_max(up.rtt_ms, down.rtt_ms));
    json_builder_set_member_name(b, "score");
    json_builder_begin_object(b);
    add_num(b, "up", up.score);
    add_num(b, "down", down.score);
    const char *level = str_member(score, "level");
    json_builder_set_member_name(b, "level");
    if (level) {
        json_builder_add_string_value(b, level);
    } else {
        json_builder_add_null_value(b);
    }
    add_num(b, "mos", num_member(score, "mos"));
    json_builder_end_object(b);

    /* Everything the bridge said, as it said it. */
    json_builder_set_member_name(b, "link");
    if (so) {
        JsonNode *n = json_node_alloc();
        json_node_init_object(n, so);
        json_builder_add_value(b, n);
    } else {
        json_builder_add_null_value(b);
    }

    json_builder_set_member_name(b, "history");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "interval_s");
    json_builder_add_int_value(b, 1);
    double v[DC_STATS_HISTORY];
    for (int k = 0; k < H_KINDS; k++) {
        size_t n = dc_stats_history(st, id, k, v, DC_STATS_HISTORY);
        json_builder_set_member_name(b, history_names[k]);
        json_builder_begin_array(b);
        for (size_t j = 0; j < n; j++) {
            if (isnan(v[j])) {
                json_builder_add_null_value(b);
            } else if (k >= H_RATE_UP) {
                json_builder_add_int_value(b, (gint64)v[j]);
            } else {
                json_builder_add_double_value(b, round(v[j] * 100) / 100);
            }
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
}

char *dc_stats_api_json(const dc_stats *st, const dc_roster *roster, const char *site, bool link_up,
                        int64_t now_us)
{
    if (site && site_index(st, site) < 0) {
        return NULL;
    }
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, st->cfg->meeting_id);
    json_builder_set_member_name(b, "title");
    json_builder_add_string_value(b, st->cfg->meeting_title);
    json_builder_set_member_name(b, "time");
    json_builder_add_int_value(b, g_get_real_time() / G_USEC_PER_SEC);
    json_builder_set_member_name(b, "bridge");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "link");
    json_builder_add_string_value(b, link_up ? "up" : "down");
    json_builder_set_member_name(b, "stats");
    json_builder_add_string_value(b, dc_stats_status(st, link_up, now_us));
    add_num(b, "age_s",
            st->last_us ? round((double)(now_us - st->last_us) / G_USEC_PER_SEC * 10) / 10 : NAN);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "sites");
    json_builder_begin_object(b);
    for (size_t i = 0; i < dc_roster_size(roster); i++) {
        dc_roster_entry e = dc_roster_entry_at(roster, i);
        if (!site || strcmp(e.site->id, site) == 0) {
            add_site(b, st, e);
        }
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) g = json_generator_new();
    json_generator_set_root(g, root);
    return json_generator_to_data(g, NULL);
}
