/* ctl/table: rows and text of diemcau-ctl's views. See table.h. */
#include "ctl/table.h"

#include <math.h>
#include <string.h>

#include "ctl/sparkline.h"

#define NAME_W 17
#define RED "\033[1;31m"
#define DIM "\033[2m"
#define RESET "\033[0m"

/* ------------------------------------------------------------------------ */
/* JSON reading, tolerant of anything missing                               */

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

static const char *str(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

static double nan_max(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : fmax(a, b);
}

static double nan_min(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : fmin(a, b);
}

void dc_ctl_row_free(dc_ctl_row *row)
{
    if (!row) {
        return;
    }
    g_free(row->id);
    g_free(row->name);
    g_free(row->state);
    g_free(row->level);
    g_free(row);
}

void dc_ctl_meta_clear(dc_ctl_meta *meta)
{
    g_clear_pointer(&meta->meeting, g_free);
    g_clear_pointer(&meta->title, g_free);
    g_clear_pointer(&meta->link, g_free);
    g_clear_pointer(&meta->stats, g_free);
}

static void read_history(JsonObject *h, const char *key, double *out, size_t *n)
{
    JsonNode *node = h ? json_object_get_member(h, key) : NULL;
    if (!node || !JSON_NODE_HOLDS_ARRAY(node)) {
        return;
    }
    JsonArray *a = json_node_get_array(node);
    guint len = json_array_get_length(a);
    guint from = len > DC_CTL_HISTORY ? len - DC_CTL_HISTORY : 0;
    size_t k = 0;
    for (guint i = from; i < len; i++) {
        JsonNode *e = json_array_get_element(a, i);
        double v = NAN;
        if (JSON_NODE_HOLDS_VALUE(e)) {
            GType t = json_node_get_value_type(e);
            v = t == G_TYPE_INT64    ? (double)json_node_get_int(e)
                : t == G_TYPE_DOUBLE ? json_node_get_double(e)
                                     : NAN;
        }
        out[k++] = v;
    }
    *n = MAX(*n, k);
}

static dc_ctl_row *row_from_json(const char *id, JsonObject *s)
{
    dc_ctl_row *r = g_new0(dc_ctl_row, 1);
    r->id = g_strdup(id);
    r->name = g_strdup(str(s, "name") ? str(s, "name") : id);
    r->state = g_strdup(str(s, "state") ? str(s, "state") : "?");
    r->level = g_strdup(str(obj(s, "score"), "level"));
    JsonNode *p = json_object_get_member(s, "present");
    r->present = p && JSON_NODE_HOLDS_VALUE(p) && json_node_get_boolean(p);
    r->up_bps = num(obj(s, "bitrate_bps"), "up");
    r->down_bps = num(obj(s, "bitrate_bps"), "down");
    r->loss_up = num(obj(s, "loss_pct"), "up");
    r->loss_down = num(obj(s, "loss_pct"), "down");
    r->jitter_ms = nan_max(num(obj(s, "jitter_ms"), "up"), num(obj(s, "jitter_ms"), "down"));
    r->rtt_ms = num(s, "rtt_ms");
    JsonObject *video = obj(obj(obj(s, "link"), "up"), "video");
    r->fps = num(video, "fps");
    double w = num(video, "width"), h = num(video, "height");
    r->width = isnan(w) || w < 0 ? 0 : (unsigned)w;
    r->height = isnan(h) || h < 0 ? 0 : (unsigned)h;
    r->score = nan_min(num(obj(s, "score"), "up"), num(obj(s, "score"), "down"));
    for (int k = 0; k < DC_CTL_H_KINDS; k++) {
        for (size_t i = 0; i < DC_CTL_HISTORY; i++) {
            r->hist[k][i] = NAN;
        }
    }
    static const char *const keys[DC_CTL_H_KINDS] = {"loss_up_pct", "loss_down_pct",
                                                     "bitrate_up_bps", "bitrate_down_bps"};
    for (int k = 0; k < DC_CTL_H_KINDS; k++) {
        size_t n = 0;
        read_history(obj(s, "history"), keys[k], r->hist[k], &n);
        r->n_hist = MAX(r->n_hist, n);
    }
    return r;
}

GPtrArray *dc_ctl_rows_from_json(JsonNode *root, dc_ctl_meta *meta, GError **error)
{
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonObject *sites = obj(o, "sites");
    if (!sites) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the service's answer has no \"sites\" object");
        return NULL;
    }
    if (meta) {
        dc_ctl_meta_clear(meta);
        meta->meeting = g_strdup(str(o, "meeting"));
        meta->title = g_strdup(str(o, "title"));
        meta->link = g_strdup(str(obj(o, "bridge"), "link"));
        meta->stats = g_strdup(str(obj(o, "bridge"), "stats"));
        double t = num(o, "time");
        meta->time = isnan(t) ? 0 : (gint64)t;
    }
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)dc_ctl_row_free);
    g_autoptr(GList) ids = json_object_get_members(sites);
    for (GList *l = ids; l; l = l->next) {
        JsonObject *s = obj(sites, l->data);
        if (s) {
            g_ptr_array_add(rows, row_from_json(l->data, s));
        }
    }
    return rows;
}

/* ------------------------------------------------------------------------ */
/* Width-aware text                                                         */

static size_t char_width(gunichar c)
{
    if (g_unichar_iszerowidth(c)) {
        return 0;
    }
    return g_unichar_iswide(c) ? 2 : 1;
}

size_t dc_ctl_display_width(const char *s)
{
    size_t w = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        w += char_width(g_utf8_get_char(p));
    }
    return w;
}

char *dc_ctl_fit(const char *s, size_t width)
{
    GString *out = g_string_new(NULL);
    size_t w = dc_ctl_display_width(s);
    if (w <= width) {
        g_string_append(out, s);
    } else if (width > 0) {
        w = 0;
        for (const char *p = s; *p; p = g_utf8_next_char(p)) {
            size_t cw = char_width(g_utf8_get_char(p));
            if (w + cw > width - 1) {
                break;
            }
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
            w += cw;
        }
        g_string_append(out, "…");
        w++;
    } else {
        w = 0;
    }
    for (; w < width; w++) {
        g_string_append_c(out, ' ');
    }
    return g_string_free(out, FALSE);
}

char *dc_ctl_fit_name(const char *name, size_t width)
{
    static const struct {
        const char *from, *to;
    } abbrev[] = {
        {"Công an tỉnh ", "CA tỉnh "},
        {"Thành phố ", "TP "},
        {"Thị xã ", "TX "},
        {"Huyện ", "H. "},
    };
    g_autofree char *s = g_strdup(name);
    for (size_t i = 0; i < G_N_ELEMENTS(abbrev) && dc_ctl_display_width(s) > width; i++) {
        if (g_str_has_prefix(s, abbrev[i].from)) {
            char *t = g_strconcat(abbrev[i].to, s + strlen(abbrev[i].from), NULL);
            g_free(s);
            s = t;
        }
    }
    return dc_ctl_fit(s, width);
}

/* ------------------------------------------------------------------------ */
/* Units                                                                    */

char *dc_ctl_format_rate(double bps)
{
    if (isnan(bps)) {
        return g_strdup("-");
    }
    if (bps < 1000) {
        return g_strdup_printf("%.0f", fmax(bps, 0));
    }
    if (bps < 999500) {
        return g_strdup_printf("%.0fk", bps / 1e3);
    }
    if (bps < 9.95e6) {
        return g_strdup_printf("%.1fM", bps / 1e6);
    }
    if (bps < 999.5e6) {
        return g_strdup_printf("%.0fM", bps / 1e6);
    }
    return g_strdup_printf("%.1fG", bps / 1e9);
}

char *dc_ctl_format_loss(double pct)
{
    if (isnan(pct)) {
        return g_strdup("-");
    }
    pct = CLAMP(pct, 0, 100);
    return pct < 9.95 ? g_strdup_printf("%.1f%%", pct) : g_strdup_printf("%.0f%%", pct);
}

static char *format_int(double v, double cap)
{
    return isnan(v) ? g_strdup("-") : g_strdup_printf("%.0f", CLAMP(v, 0, cap));
}

/* ------------------------------------------------------------------------ */
/* The table                                                                */

typedef struct {
    const char *title;
    size_t w;
    bool left;
} column;

enum { C_ST, C_UP, C_DOWN, C_LUP, C_LDOWN, C_JIT, C_RTT, C_FPS, C_RES, C_SC, N_COLS };

static const column columns[N_COLS] = {
    {"ST", 4, true},     {"UP", 5, false},  {"DOWN", 5, false}, {"LOSS↑", 5, false},
    {"LOSS↓", 5, false}, {"JIT", 3, false}, {"RTT", 4, false},  {"FPS", 3, false},
    {"RES", 4, false},   {"SC", 3, false},
};

/* " VALUE!" : a separator, the value aligned in its width, the mark. */
static void add_cell(GString *line, const column *c, const char *value, bool bad, bool colour)
{
    g_string_append_c(line, ' ');
    if (bad && colour) {
        g_string_append(line, RED);
    }
    size_t w = dc_ctl_display_width(value);
    if (w > c->w) {
        g_autofree char *cut = dc_ctl_fit(value, c->w);
        g_string_append(line, cut);
    } else {
        if (!c->left) {
            for (size_t i = w; i < c->w; i++) {
                g_string_append_c(line, ' ');
            }
        }
        g_string_append(line, value);
        if (c->left) {
            for (size_t i = w; i < c->w; i++) {
                g_string_append_c(line, ' ');
            }
        }
    }
    g_string_append_c(line, bad ? '!' : ' ');
    if (bad && colour) {
        g_string_append(line, RESET);
    }
}

static void end_line(GString *out, GString *line)
{
    while (line->len && line->str[line->len - 1] == ' ') {
        g_string_truncate(line, line->len - 1);
    }
    g_string_append(out, line->str);
    g_string_append_c(out, '\n');
    g_string_truncate(line, 0);
}

static const char *short_state(const dc_ctl_row *r)
{
    if (!r->present || strcmp(r->state, "absent") == 0) {
        return "off";
    }
    if (strcmp(r->state, "connected") == 0) {
        return "up";
    }
    if (strcmp(r->state, "connecting") == 0) {
        return "conn";
    }
    return r->state;
}

static void add_row(GString *out, GString *line, const dc_ctl_row *r, bool colour)
{
    bool up = r->present && strcmp(r->state, "connected") == 0;
    g_autofree char *name = dc_ctl_fit_name(r->name, NAME_W);
    g_string_append(line, name);
    if (!r->present && isnan(r->up_bps) && isnan(r->down_bps) && isnan(r->loss_up)) {
        /* Absent and unknown to the bridge: nothing to measure or mark. */
        if (colour) {
            g_string_append(line, DIM);
        }
        add_cell(line, &columns[C_ST], "off", false, false);
        for (int c = C_UP; c < N_COLS; c++) {
            add_cell(line, &columns[c], "-", false, false);
        }
        if (colour) {
            g_string_append(line, RESET);
        }
        end_line(out, line);
        return;
    }
    g_autofree char *rate_up = dc_ctl_format_rate(r->up_bps);
    g_autofree char *rate_down = dc_ctl_format_rate(r->down_bps);
    g_autofree char *loss_up = dc_ctl_format_loss(r->loss_up);
    g_autofree char *loss_down = dc_ctl_format_loss(r->loss_down);
    g_autofree char *jit = format_int(r->jitter_ms, 999);
    g_autofree char *rtt = format_int(r->rtt_ms, 9999);
    g_autofree char *fps = format_int(r->fps, 999);
    g_autofree char *res = r->height == 0     ? g_strdup("-")
                           : r->height < 1000 ? g_strdup_printf("%up", r->height)
                                              : g_strdup_printf("%u", r->height);
    g_autofree char *sc = format_int(r->score, 100);

    add_cell(line, &columns[C_ST], short_state(r), !up, colour);
    add_cell(line, &columns[C_UP], rate_up, up && r->up_bps == 0, colour);
    add_cell(line, &columns[C_DOWN], rate_down, up && r->down_bps == 0, colour);
    add_cell(line, &columns[C_LUP], loss_up, r->loss_up > DC_CTL_LOSS_BAD_PCT, colour);
    add_cell(line, &columns[C_LDOWN], loss_down, r->loss_down > DC_CTL_LOSS_BAD_PCT, colour);
    add_cell(line, &columns[C_JIT], jit, r->jitter_ms > DC_CTL_JITTER_BAD_MS, colour);
    add_cell(line, &columns[C_RTT], rtt, r->rtt_ms > DC_CTL_RTT_BAD_MS, colour);
    add_cell(line, &columns[C_FPS], fps, up && r->fps < DC_CTL_FPS_BAD, colour);
    add_cell(line, &columns[C_RES], res, false, colour);
    add_cell(line, &columns[C_SC], sc, r->score <= DC_CTL_SCORE_BAD, colour);
    end_line(out, line);
}

char *dc_ctl_format_table(GPtrArray *rows, bool colour)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GString) line = g_string_new(NULL);
    g_autofree char *site = dc_ctl_fit("SITE", NAME_W);
    g_string_append(line, site);
    for (int c = 0; c < N_COLS; c++) {
        add_cell(line, &columns[c], columns[c].title, false, false);
    }
    end_line(out, line);
    for (guint i = 0; i < rows->len; i++) {
        add_row(out, line, g_ptr_array_index(rows, i), colour);
    }
    return g_string_free(out, FALSE);
}

const char *dc_ctl_table_legend(void)
{
    return "UP/↑ site→bridge, DOWN/↓ bridge→site, bit/s; JIT, RTT ms; SC 0-100; ! problem";
}

char *dc_ctl_format_title(const dc_ctl_meta *meta)
{
    const char *stats = meta->stats ? meta->stats : "?";
    const char *what = strcmp(stats, "ok") == 0          ? "stats live"
                       : strcmp(stats, "none") == 0      ? "bridge has no stats yet"
                       : strcmp(stats, "stale") == 0     ? "bridge stats stale"
                       : strcmp(stats, "link-down") == 0 ? "no stats"
                                                         : stats;
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(meta->time);
    g_autofree char *clock = t ? g_date_time_format(t, "%H:%M:%S") : g_strdup("--:--:--");
    g_autofree char *line =
        g_strdup_printf("%s · bridge %s · %s · %s", meta->meeting ? meta->meeting : "?",
                        meta->link ? meta->link : "?", what, clock);
    if (dc_ctl_display_width(line) < DC_CTL_COLUMNS) {
        return g_steal_pointer(&line);
    }
    return dc_ctl_fit(line, DC_CTL_COLUMNS - 1);
}

/* ------------------------------------------------------------------------ */
/* Watch's history block                                                    */

#define SPARK_W 30

char *dc_ctl_format_history(GPtrArray *rows, bool colour)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GString) line = g_string_new(NULL);
    g_autofree char *site = dc_ctl_fit("LAST 60 s", NAME_W);
    g_autofree char *h1 = dc_ctl_fit("LOSS, worse way (█ ≥ 10 %)", SPARK_W);
    g_autofree char *h2 = dc_ctl_fit("BITRATE UP", SPARK_W);
    g_string_append_printf(line, "%s %s %s", site, h1, h2);
    end_line(out, line);
    for (guint i = 0; i < rows->len; i++) {
        const dc_ctl_row *r = g_ptr_array_index(rows, i);
        double loss[DC_CTL_HISTORY];
        bool bad = false;
        for (size_t k = 0; k < r->n_hist; k++) {
            loss[k] = nan_max(r->hist[DC_CTL_H_LOSS_UP][k], r->hist[DC_CTL_H_LOSS_DOWN][k]);
            bad = bad || loss[k] > DC_CTL_LOSS_BAD_PCT;
        }
        g_autofree char *name = dc_ctl_fit_name(r->name, NAME_W);
        g_autofree char *sl = dc_ctl_sparkline(loss, r->n_hist, SPARK_W, 10);
        g_autofree char *sr = dc_ctl_sparkline(r->hist[DC_CTL_H_RATE_UP], r->n_hist, SPARK_W, 0);
        g_string_append_printf(line, "%s %s%s%s %s", name, bad && colour ? RED : "", sl,
                               bad && colour ? RESET : "", sr);
        end_line(out, line);
    }
    return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------------ */
/* One site                                                                 */

typedef enum { F_INT, F_RATE, F_PCT, F_MS, F_FPS, F_RES } field_kind;

static char *format_field(JsonObject *m, const char *key, field_kind kind)
{
    if (kind == F_RES) {
        double w = num(m, "width"), h = num(m, "height");
        return isnan(w) || isnan(h) || w <= 0 ? g_strdup("-") : g_strdup_printf("%.0fx%.0f", w, h);
    }
    double v = num(m, key);
    if (isnan(v)) {
        return g_strdup("-");
    }
    switch (kind) {
    case F_RATE:
        return g_strdup_printf("%.0f k", v / 1000);
    case F_PCT:
        return g_strdup_printf("%.1f %%", v);
    case F_MS:
        return g_strdup_printf("%.1f ms", v);
    case F_FPS:
        return g_strdup_printf("%.1f", v);
    default:
        return g_strdup_printf("%.0f", v);
    }
}

static bool field_bad(const char *key, double v)
{
    return (strcmp(key, "loss_pct") == 0 && v > DC_CTL_LOSS_BAD_PCT) ||
           (strcmp(key, "jitter_ms") == 0 && v > DC_CTL_JITTER_BAD_MS) ||
           (strcmp(key, "rtt_ms") == 0 && v > DC_CTL_RTT_BAD_MS);
}

char *dc_ctl_format_site(JsonObject *s, bool colour)
{
    GString *out = g_string_new(NULL);
    JsonObject *link = obj(s, "link");
    JsonObject *score = obj(s, "score");
    JsonObject *ice = obj(link, "ice");
    const char *dtls = str(link, "dtls");
    g_string_append_printf(out, "%s (%s) · %s · %s%s\n", str(s, "name") ? str(s, "name") : "?",
                           str(s, "id") ? str(s, "id") : "?", str(s, "role") ? str(s, "role") : "?",
                           str(s, "state") ? str(s, "state") : "?",
                           str(link, "state") ? "" : " · the bridge has no figures for it");
    g_string_append_printf(out, "ICE     %s  %s ↔ %s\n", str(ice, "type") ? str(ice, "type") : "-",
                           str(ice, "local") ? str(ice, "local") : "-",
                           str(ice, "remote") ? str(ice, "remote") : "-");
    g_string_append_printf(out, "DTLS    %s    media %s\n", dtls ? dtls : "-",
                           str(link, "state") ? str(link, "state") : "-");
    g_autofree char *su = format_int(num(score, "up"), 100);
    g_autofree char *sd = format_int(num(score, "down"), 100);
    double mos = num(score, "mos");
    g_autofree char *smos = isnan(mos) ? g_strdup("-") : g_strdup_printf("%.1f", mos);
    g_string_append_printf(out, "Score   up %s · down %s · %s · MOS %s\n\n", su, sd,
                           str(score, "level") ? str(score, "level") : "-", smos);

    static const struct {
        const char *label, *key;
        field_kind kind;
    } fields[] = {
        {"packets", "packets", F_INT},
        {"bytes", "bytes", F_INT},
        {"bitrate 1 s", "bitrate_bps", F_RATE},
        {"bitrate 10 s", "bitrate_10s_bps", F_RATE},
        {"loss", "loss_pct", F_PCT},
        {"jitter", "jitter_ms", F_MS},
        {"RTT", "rtt_ms", F_MS},
        {"NACKs", "nacks", F_INT},
        {"retransmissions", "retransmissions", F_INT},
        {"PLIs", "plis", F_INT},
        {"FIRs", "firs", F_INT},
        {"frame rate", "fps", F_FPS},
        {"resolution", "width", F_RES},
        {"keyframe interval", "keyframe_interval_ms", F_MS},
    };
    static const char *const dirs[] = {"up", "down"}, *const media[] = {"audio", "video"};
    g_autoptr(GString) line = g_string_new(NULL);
    g_autofree char *pad = dc_ctl_fit("", 18);
    g_autofree char *up_title = dc_ctl_fit("UP (site → bridge)", 26);
    g_string_append_printf(line, "%s%s%s", pad, up_title, "DOWN (bridge → site)");
    end_line(out, line);
    g_string_append_printf(line, "%-18s%-13s%-13s%-13s%s", "", "audio", "video", "audio", "video");
    end_line(out, line);
    for (size_t f = 0; f < G_N_ELEMENTS(fields); f++) {
        g_autofree char *label = dc_ctl_fit(fields[f].label, 18);
        g_string_append(line, label);
        for (int d = 0; d < 2; d++) {
            for (int k = 0; k < 2; k++) {
                JsonObject *m = obj(obj(link, dirs[d]), media[k]);
                g_autofree char *v = format_field(m, fields[f].key, fields[f].kind);
                bool bad = field_bad(fields[f].key, num(m, fields[f].key));
                g_autofree char *cell = g_strdup_printf("%s%s", v, bad ? " !" : "");
                g_autofree char *fitted = dc_ctl_fit(cell, 13);
                g_string_append_printf(line, "%s%s%s", bad && colour ? RED : "", fitted,
                                       bad && colour ? RESET : "");
            }
        }
        end_line(out, line);
    }
    return g_string_free(out, FALSE);
}
