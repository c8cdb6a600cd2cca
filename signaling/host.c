/* signaling/host: the chair, the record and the service. See host.h. */
#define G_LOG_DOMAIN "dc-host"

#include "signaling/host.h"

#include <math.h>
#include <string.h>

#include "signaling/chair.h"
#include "signaling/record.h"

/* A site's score below "good" for longer than this is an incident. */
#define INCIDENT_AFTER_US (10 * G_USEC_PER_SEC)
/* One quality sample per site this often. */
#define SAMPLE_EVERY_US (5 * G_USEC_PER_SEC)

struct dc_host {
    const dc_config *cfg;
    dc_roster *roster;
    dc_host_callbacks cb;
    void *user;
    dc_chair *chair;
    dc_chair *undo; /* the state before a command, to roll back */
    dc_record *rec;
    int64_t mid;    /* the meeting's row, 0 until the first join */
    bool *present;  /* the record has the site present */
    bool *incident; /* an incident is open */
    int64_t *below; /* since when the score is below good, 0 not */
    int64_t last_sample_us;
};

static int64_t now_us(void)
{
    return g_get_real_time();
}

static int index_of(const dc_host *h, const char *site)
{
    for (size_t i = 0; site && i < h->cfg->n_sites; i++) {
        if (strcmp(h->cfg->sites[i].id, site) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */

static void add_bool(JsonBuilder *b, const char *key, bool v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_boolean_value(b, v);
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

static char *finish(JsonBuilder *b)
{
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

static JsonBuilder *start(const char *type)
{
    JsonBuilder *b = json_builder_new_immutable();
    json_builder_begin_object(b);
    add_str(b, "type", type);
    return b;
}

static void add_hands(const dc_host *h, JsonBuilder *b)
{
    size_t idx[64];
    size_t n = dc_chair_hands(h->chair, idx, G_N_ELEMENTS(idx));
    json_builder_set_member_name(b, "hands");
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++) {
        json_builder_add_string_value(b, h->cfg->sites[idx[i]].id);
    }
    json_builder_end_array(b);
}

/* The roster's extra members (roster.h, dc_roster_decorate_fn). */
static void decorate(void *user, void *builder, ptrdiff_t i)
{
    dc_host *h = user;
    JsonBuilder *b = builder;
    if (i < 0) {
        add_str(b, "meeting_state", dc_chair_state_name(dc_chair_get_state(h->chair)));
        int f = dc_chair_floor(h->chair);
        add_str(b, "floor", f >= 0 ? h->cfg->sites[f].id : NULL);
        add_hands(h, b);
        return;
    }
    const dc_chair_site *s = dc_chair_site_at(h->chair, (size_t)i);
    dc_roster_entry e = dc_roster_entry_at(h->roster, (size_t)i);
    add_bool(b, "audio_muted", dc_chair_muted(h->chair, (size_t)i, DC_CHAIR_AUDIO));
    add_bool(b, "video_muted", dc_chair_muted(h->chair, (size_t)i, DC_CHAIR_VIDEO));
    json_builder_set_member_name(b, "muted_by_chair");
    json_builder_begin_object(b);
    add_bool(b, "audio", s->chair_muted[DC_CHAIR_AUDIO]);
    add_bool(b, "video", s->chair_muted[DC_CHAIR_VIDEO]);
    json_builder_end_object(b);
    add_bool(b, "hand", s->hand != 0);
    add_bool(b, "floor", dc_chair_floor(h->chair) == i);
    add_bool(b, "waiting", e.session && !dc_chair_has_media(h->chair, (size_t)i));
    add_bool(b, "removed", s->removed);
}

static char *muted_json(const dc_host *h, size_t i)
{
    const dc_chair_site *s = dc_chair_site_at(h->chair, i);
    g_autoptr(JsonBuilder) b = start("muted");
    add_bool(b, "audio", dc_chair_muted(h->chair, i, DC_CHAIR_AUDIO));
    add_bool(b, "video", dc_chair_muted(h->chair, i, DC_CHAIR_VIDEO));
    json_builder_set_member_name(b, "by_chair");
    json_builder_begin_object(b);
    add_bool(b, "audio", s->chair_muted[DC_CHAIR_AUDIO]);
    add_bool(b, "video", s->chair_muted[DC_CHAIR_VIDEO]);
    json_builder_end_object(b);
    return finish(b);
}

static char *meeting_json(const dc_host *h)
{
    g_autoptr(JsonBuilder) b = start("meeting");
    add_str(b, "state", dc_chair_state_name(dc_chair_get_state(h->chair)));
    return finish(b);
}

static char *floor_json(const dc_host *h)
{
    int f = dc_chair_floor(h->chair);
    g_autoptr(JsonBuilder) b = start("floor");
    add_str(b, "site", f >= 0 ? h->cfg->sites[f].id : NULL);
    add_str(b, "name", f >= 0 ? h->cfg->sites[f].name : NULL);
    return finish(b);
}

static char *bridge_mute_json(const dc_host *h, size_t i)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    add_str(b, "op", "mute");
    add_str(b, "meeting", h->cfg->meeting_id);
    add_str(b, "endpoint", h->cfg->sites[i].id);
    add_bool(b, "audio", dc_chair_muted(h->chair, i, DC_CHAIR_AUDIO));
    add_bool(b, "video", dc_chair_muted(h->chair, i, DC_CHAIR_VIDEO));
    return finish(b);
}

static char *bridge_floor_json(const dc_host *h)
{
    int f = dc_chair_floor(h->chair);
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    add_str(b, "op", "floor");
    add_str(b, "meeting", h->cfg->meeting_id);
    if (f >= 0) {
        add_str(b, "endpoint", h->cfg->sites[f].id);
    }
    return finish(b);
}

static char *error_json(const char *code, const char *field, const char *message)
{
    return dc_protocol_error_json(code, field, message);
}

/* ------------------------------------------------------------------------ */
/* The record                                                               */

/* Writes the meeting row and every site's row. Inside a transaction. */
static bool save_all(dc_host *h, int64_t opened_us, int64_t ended_us)
{
    if (!dc_record_save_meeting(h->rec, h->mid, h->chair, h->cfg, opened_us, ended_us)) {
        return false;
    }
    for (size_t i = 0; i < h->cfg->n_sites; i++) {
        if (!dc_record_save_site(h->rec, h->mid, h->cfg->sites[i].id, h->present[i],
                                 dc_chair_site_at(h->chair, i))) {
            return false;
        }
    }
    return true;
}

/* A meeting row exists (a new one after an end). */
static bool ensure_meeting(dc_host *h)
{
    if (h->mid) {
        return true;
    }
    int64_t t = now_us();
    if (!dc_record_begin(h->rec)) {
        return false;
    }
    h->mid = dc_record_new_meeting(h->rec, h->cfg->meeting_id, h->cfg->meeting_title, t);
    bool ok = h->mid && dc_record_sites(h->rec, h->mid, h->cfg) &&
              dc_record_event(h->rec, h->mid, t, "meeting-start", NULL, NULL, NULL) &&
              save_all(h, dc_chair_get_state(h->chair) == DC_CHAIR_LOBBY ? 0 : t, 0) &&
              dc_record_commit(h->rec);
    if (!ok) {
        dc_record_rollback(h->rec);
        h->mid = 0;
        g_warning("record: could not start a meeting");
    } else {
        g_message("record: meeting %" G_GINT64_FORMAT " started", h->mid);
    }
    return ok;
}

static char *detail_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *detail_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                 */

dc_host *dc_host_new(const dc_config *cfg, const char *record_path, dc_roster *roster,
                     const dc_host_callbacks *cb, void *user, GError **error)
{
    dc_record *rec = dc_record_open(record_path, error);
    if (!rec) {
        return NULL;
    }
    dc_host *h = g_new0(dc_host, 1);
    h->cfg = cfg;
    h->roster = roster;
    h->cb = *cb;
    h->user = user;
    h->rec = rec;
    h->chair = dc_chair_new(cfg);
    h->undo = dc_chair_new(cfg);
    h->present = g_new0(bool, cfg->n_sites);
    h->incident = g_new0(bool, cfg->n_sites);
    h->below = g_new0(int64_t, cfg->n_sites);
    h->mid = dc_record_find_open(rec, cfg->meeting_id);
    if (h->mid && dc_record_load(rec, h->mid, cfg, h->chair, h->present, h->incident)) {
        g_message("record: continuing meeting %" G_GINT64_FORMAT " (%s) from %s", h->mid,
                  dc_chair_state_name(dc_chair_get_state(h->chair)), record_path);
        if (dc_record_begin(rec)) {
            dc_record_event(rec, h->mid, now_us(), "service-restart", NULL, NULL, NULL);
            dc_record_commit(rec);
        }
    } else {
        h->mid = 0;
    }
    dc_roster_set_decorator(roster, decorate, h);
    return h;
}

void dc_host_free(dc_host *h)
{
    if (!h) {
        return;
    }
    dc_roster_set_decorator(h->roster, NULL, NULL);
    dc_record_close(h->rec);
    dc_chair_free(h->chair);
    dc_chair_free(h->undo);
    g_free(h->present);
    g_free(h->incident);
    g_free(h->below);
    g_free(h);
}

/* ------------------------------------------------------------------------ */
/* Joins and leaves                                                         */

const char *dc_host_join_check(dc_host *h, const char *site, bool present, const char **message)
{
    int i = index_of(h, site);
    if (i < 0) {
        return NULL; /* the roster refuses it */
    }
    if (dc_chair_get_state(h->chair) == DC_CHAIR_ENDED) {
        /* The next meeting begins with this join. */
        dc_chair_reset(h->chair);
        memset(h->present, 0, h->cfg->n_sites * sizeof *h->present);
        memset(h->incident, 0, h->cfg->n_sites * sizeof *h->incident);
    }
    const char *code = dc_chair_join_check(h->chair, (size_t)i, present);
    if (code) {
        *message = strcmp(code, "removed") == 0
                       ? "the chair removed this site; it may rejoin when the chair allows it"
                       : "the meeting is locked: no new site may join";
    }
    return code;
}

void dc_host_joined(dc_host *h, const char *site)
{
    int i = index_of(h, site);
    if (i < 0 || !ensure_meeting(h)) {
        return;
    }
    if (!h->present[i]) {
        h->present[i] = true;
        bool lobby = !dc_chair_has_media(h->chair, (size_t)i);
        if (!dc_record_begin(h->rec) ||
            !dc_record_event(h->rec, h->mid, now_us(), "join", site, site,
                             lobby ? "{\"lobby\":true}" : NULL) ||
            !dc_record_save_site(h->rec, h->mid, site, true,
                                 dc_chair_site_at(h->chair, (size_t)i)) ||
            !dc_record_commit(h->rec)) {
            dc_record_rollback(h->rec);
            g_warning("record: join of %s not recorded", site);
        }
    }
    g_autofree char *m = meeting_json(h);
    h->cb.send_site(h->user, site, m);
    if (dc_chair_muted(h->chair, (size_t)i, 0) || dc_chair_muted(h->chair, (size_t)i, 1)) {
        g_autofree char *mu = muted_json(h, (size_t)i);
        h->cb.send_site(h->user, site, mu);
    }
    if (dc_chair_floor(h->chair) >= 0) {
        g_autofree char *f = floor_json(h);
        h->cb.send_site(h->user, site, f);
    }
}

void dc_host_left(dc_host *h, const char *site, const char *how)
{
    int i = index_of(h, site);
    if (i < 0 || !h->mid || !h->present[i]) {
        return;
    }
    h->present[i] = false;
    dc_chair_site *s = dc_chair_site_mut(h->chair, (size_t)i);
    bool had_hand = s->hand != 0;
    s->hand = 0; /* a hand does not outlive the site's presence */
    g_autofree char *detail = detail_printf("{\"how\":\"%s\"}", how);
    if (!dc_record_begin(h->rec) ||
        !dc_record_event(h->rec, h->mid, now_us(), "leave", site, site, detail) ||
        !dc_record_save_site(h->rec, h->mid, site, false, s) || !dc_record_commit(h->rec)) {
        dc_record_rollback(h->rec);
        g_warning("record: leave of %s not recorded", site);
    }
    (void)had_hand; /* the caller broadcasts the roster anyway */
}

bool dc_host_has_media(const dc_host *h, const char *site)
{
    int i = index_of(h, site);
    return i >= 0 && dc_chair_has_media(h->chair, (size_t)i);
}

void dc_host_bridge_added(dc_host *h, const char *site)
{
    int i = index_of(h, site);
    if (i < 0) {
        return;
    }
    if (dc_chair_muted(h->chair, (size_t)i, 0) || dc_chair_muted(h->chair, (size_t)i, 1)) {
        g_autofree char *j = bridge_mute_json(h, (size_t)i);
        h->cb.bridge_send(h->user, j);
    }
    if (dc_chair_floor(h->chair) == i) {
        g_autofree char *j = bridge_floor_json(h);
        h->cb.bridge_send(h->user, j);
    }
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                 */

static char *command_detail(const dc_client_msg *m)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    if (m->cmd.type == DC_CHAIR_CMD_MUTE) {
        if (m->cmd.audio >= 0) {
            add_bool(b, "audio", m->cmd.audio == 1);
        }
        if (m->cmd.video >= 0) {
            add_bool(b, "video", m->cmd.video == 1);
        }
    } else if (m->cmd.type == DC_CHAIR_CMD_LOCK) {
        add_bool(b, "locked", m->cmd.flag);
    } else if (m->cmd.type == DC_CHAIR_CMD_HAND) {
        add_bool(b, "raised", m->cmd.flag);
    }
    return finish(b);
}

/* Writes the event(s) of an accepted command and the new state. */
static bool record_command(dc_host *h, const char *from, const dc_client_msg *m,
                           const dc_chair_result *r, int64_t t)
{
    const char *kind = r->chair_cmd ? "command" : dc_chair_cmd_name(m->cmd.type);
    const char *target = m->cmd.site ? m->cmd.site
                         : (m->cmd.type == DC_CHAIR_CMD_MUTE || m->cmd.type == DC_CHAIR_CMD_HAND)
                             ? from
                             : NULL;
    g_autofree char *args = command_detail(m);
    g_autofree char *detail =
        detail_printf("{\"op\":\"%s\",\"args\":%s}", dc_chair_cmd_name(m->cmd.type), args);
    if (!dc_record_event(h->rec, h->mid, t, kind, target, from, detail)) {
        return false;
    }
    if (r->floor_changed && r->prev_floor >= 0) {
        int64_t since = dc_chair_floor_since(h->undo);
        g_autofree char *d = detail_printf("{\"seconds\":%.1f}", (double)(t - since) / 1e6);
        if (!dc_record_event(h->rec, h->mid, t, "floor-end", h->cfg->sites[r->prev_floor].id, from,
                             d)) {
            return false;
        }
    }
    int f = dc_chair_floor(h->chair);
    if (r->floor_changed && f >= 0 &&
        !dc_record_event(h->rec, h->mid, t, "floor-start", h->cfg->sites[f].id, from, NULL)) {
        return false;
    }
    if (r->ended) {
        for (size_t i = 0; i < h->cfg->n_sites; i++) {
            if (h->present[i]) {
                h->present[i] = false;
                if (!dc_record_event(h->rec, h->mid, t, "leave", h->cfg->sites[i].id,
                                     h->cfg->sites[i].id, "{\"how\":\"ended\"}")) {
                    return false;
                }
            }
            if (h->incident[i]) {
                h->incident[i] = false;
                if (!dc_record_event(h->rec, h->mid, t, "incident-end", h->cfg->sites[i].id, NULL,
                                     "{\"how\":\"ended\"}")) {
                    return false;
                }
            }
        }
        if (!dc_record_event(h->rec, h->mid, t, "meeting-end", NULL, from, NULL)) {
            return false;
        }
    }
    return save_all(h, r->opened ? t : 0, r->ended ? t : 0);
}

/* Tells everyone what an accepted command changed. */
static void announce(dc_host *h, const dc_chair_result *r)
{
    for (size_t i = 0; i < h->cfg->n_sites && i < 64; i++) {
        if (r->mute_mask & (UINT64_C(1) << i)) {
            g_autofree char *b = bridge_mute_json(h, i);
            h->cb.bridge_send(h->user, b);
            g_autofree char *m = muted_json(h, i);
            h->cb.send_site(h->user, h->cfg->sites[i].id, m);
        }
    }
    if (r->floor_changed) {
        g_autofree char *b = bridge_floor_json(h);
        h->cb.bridge_send(h->user, b);
        g_autofree char *f = floor_json(h);
        h->cb.broadcast(h->user, f);
    }
    if (dc_chair_get_state(h->undo) != dc_chair_get_state(h->chair)) {
        g_autofree char *m = meeting_json(h);
        h->cb.broadcast(h->user, m);
    }
    if (r->opened) {
        for (size_t i = 0; i < dc_roster_size(h->roster); i++) {
            dc_roster_entry e = dc_roster_entry_at(h->roster, i);
            if (e.session && e.site->role != DC_ROLE_CHAIR) {
                h->cb.bridge_add(h->user, e.site->id);
            }
        }
    }
    if (r->removed >= 0) {
        const char *id = h->cfg->sites[r->removed].id;
        g_autoptr(JsonBuilder) b = start("removed");
        add_str(b, "reason", "the chair removed this site from the meeting");
        g_autofree char *j = finish(b);
        h->cb.disconnect(h->user, id, j, DC_HOST_CLOSE_REMOVED, "removed by the chair");
    }
    h->cb.roster_changed(h->user);
    if (r->ended) {
        g_autoptr(JsonBuilder) b = start("ended");
        add_str(b, "reason", "the chair ended the meeting");
        g_autofree char *j = finish(b);
        for (size_t i = 0; i < dc_roster_size(h->roster); i++) {
            dc_roster_entry e = dc_roster_entry_at(h->roster, i);
            if (e.session) {
                h->cb.disconnect(h->user, e.site->id, j, DC_HOST_CLOSE_ENDED, "meeting ended");
            }
        }
        g_message("record: meeting %" G_GINT64_FORMAT " ended", h->mid);
        h->mid = 0;
    }
}

void dc_host_command(dc_host *h, const char *site, const dc_client_msg *m)
{
    int from = index_of(h, site);
    if (from < 0 || !ensure_meeting(h)) {
        g_autofree char *e = error_json("record-failed", NULL, "the meeting record is unavailable");
        h->cb.send_site(h->user, site, e);
        return;
    }
    int64_t t = now_us();
    dc_chair_copy(h->undo, h->chair);
    dc_chair_result r = dc_chair_apply(h->chair, (size_t)from, &m->cmd, t);
    if (r.code) {
        g_message("site=%s: %s refused: %s", site, dc_chair_cmd_name(m->cmd.type), r.code);
        if (strcmp(r.code, "not-chair") == 0 && dc_record_begin(h->rec)) {
            g_autofree char *args = command_detail(m);
            g_autofree char *d = detail_printf("{\"op\":\"%s\",\"code\":\"%s\",\"args\":%s}",
                                               dc_chair_cmd_name(m->cmd.type), r.code, args);
            if (!dc_record_event(h->rec, h->mid, t, "refused", m->cmd.site, site, d) ||
                !dc_record_commit(h->rec)) {
                dc_record_rollback(h->rec);
            }
        }
        g_autofree char *e = error_json(r.code, r.field, r.message);
        h->cb.send_site(h->user, site, e);
        return;
    }
    if (!dc_record_begin(h->rec) || !record_command(h, site, m, &r, t) ||
        !dc_record_commit(h->rec)) {
        dc_record_rollback(h->rec);
        dc_chair_copy(h->chair, h->undo);
        g_warning("site=%s: %s not recorded; undone", site, dc_chair_cmd_name(m->cmd.type));
        g_autofree char *e =
            error_json("record-failed", NULL, "the meeting record could not be written");
        h->cb.send_site(h->user, site, e);
        return;
    }
    g_message("site=%s: %s%s%s", site, dc_chair_cmd_name(m->cmd.type), m->cmd.site ? " " : "",
              m->cmd.site ? m->cmd.site : "");
    announce(h, &r);
}

/* ------------------------------------------------------------------------ */
/* Link quality                                                             */

static double member_double(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n)) {
        return NAN;
    }
    GType t = json_node_get_value_type(n);
    return t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double(n) : NAN;
}

void dc_host_stats(dc_host *h, const dc_stats *st)
{
    dc_host_stats_at(h, st, now_us());
}

void dc_host_stats_at(dc_host *h, const dc_stats *st, int64_t t)
{
    if (!h->mid) {
        return;
    }
    bool sample = t - h->last_sample_us >= SAMPLE_EVERY_US;
    if (sample) {
        h->last_sample_us = t;
    }
    bool begun = false;
    for (size_t i = 0; i < h->cfg->n_sites; i++) {
        const char *id = h->cfg->sites[i].id;
        JsonObject *o = dc_stats_site_object(st, id);
        JsonNode *sn = o ? json_object_get_member(o, "score") : NULL;
        JsonObject *score = sn && JSON_NODE_HOLDS_OBJECT(sn) ? json_node_get_object(sn) : NULL;
        const char *level = score && json_object_has_member(score, "level")
                                ? json_object_get_string_member_with_default(score, "level", NULL)
                                : NULL;
        double up = member_double(score, "up"), down = member_double(score, "down");
        double s = isnan(up) ? down : isnan(down) ? up : fmin(up, down);
        bool bad = level && (strcmp(level, "poor") == 0 || strcmp(level, "lost") == 0);
        bool good = level && !bad;
        const char *kind = NULL;
        int64_t when = t;
        g_autofree char *detail = NULL;
        if (bad) {
            if (!h->below[i]) {
                h->below[i] = t;
            }
            if (!h->incident[i] && t - h->below[i] > INCIDENT_AFTER_US) {
                kind = "incident-start";
                when = h->below[i];
                detail = detail_printf("{\"level\":\"%s\",\"score\":%.1f}", level, s);
                h->incident[i] = true;
            }
        } else if (good || !o) {
            h->below[i] = 0;
            if (h->incident[i] && good) {
                kind = "incident-end";
                detail = detail_printf("{\"level\":\"%s\",\"score\":%.1f}", level, s);
                h->incident[i] = false;
            }
        }
        bool write_sample = sample && level && !isnan(s);
        if (!kind && !write_sample) {
            continue;
        }
        if (!begun && !(begun = dc_record_begin(h->rec))) {
            return;
        }
        if (kind) {
            g_message("site=%s: link quality %s (%s)", id, kind, level);
            dc_record_event(h->rec, h->mid, when, kind, id, NULL, detail);
        }
        if (write_sample) {
            dc_record_quality(h->rec, h->mid, t, id, s, level);
        }
    }
    if (begun && !dc_record_commit(h->rec)) {
        g_warning("record: quality not recorded");
    }
}
