/* report: see report.h. */
#include "client/report.h"

#include <sys/resource.h>

#include <json-glib/json-glib.h>

static void add_int(JsonBuilder *b, const char *name, gint64 v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, v);
}

static void add_double(JsonBuilder *b, const char *name, double v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, (double)(gint64)(v * 100.0 + (v < 0 ? -0.5 : 0.5)) / 100.0);
}

static void add_bool(JsonBuilder *b, const char *name, bool v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, v);
}

static void add_str(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    if (v)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}

static void add_remote_site(JsonBuilder *b, const dc_receiver_site_stats *s)
{
    json_builder_set_member_name(b, s->site);
    json_builder_begin_object(b);
    add_int(b, "index", s->index);
    add_bool(b, "active", s->active);
    add_int(b, "video_frames_decoded", (gint64)s->video_frames_decoded);
    add_int(b, "video_identity_ok", (gint64)s->video_identity_ok);
    add_int(b, "video_identity_bad", (gint64)s->video_identity_bad);
    add_int(b, "video_unreadable", (gint64)s->video_unreadable);
    add_int(b, "video_keyframes", (gint64)s->video_keyframes);
    add_int(b, "video_decode_errors", (gint64)s->video_decode_errors);
    add_int(b, "video_packets", (gint64)s->video_packets);
    add_int(b, "audio_packets", (gint64)s->audio_packets);
    add_int(b, "audio_packets_decoded", (gint64)s->audio_packets_decoded);
    add_int(b, "audio_concealed", (gint64)s->audio_concealed);
    add_bool(b, "audio_identity_ok", s->audio_identity_ok);
    add_int(b, "audio_tone_ok", (gint64)s->audio_tone_ok);
    add_int(b, "audio_tone_bad", (gint64)s->audio_tone_bad);
    json_builder_set_member_name(b, "video_latency_ms");
    json_builder_begin_object(b);
    if (s->latency_samples) {
        add_double(b, "p50", s->latency_p50_ms);
        add_double(b, "p95", s->latency_p95_ms);
        add_double(b, "max", s->latency_max_ms);
    }
    add_int(b, "samples", (gint64)s->latency_samples);
    json_builder_end_object(b);
    add_int(b, "freezes", (gint64)s->freezes);
    add_double(b, "freeze_total_ms", s->freeze_total_ms);
    add_double(b, "fps", s->fps);
    add_int(b, "width", s->width);
    add_int(b, "height", s->height);
    add_int(b, "packets_lost", s->packets_lost);
    add_int(b, "nacks_sent", (gint64)s->nacks_sent);
    add_int(b, "plis_sent", (gint64)s->plis_sent);
    add_int(b, "frames_skipped", (gint64)s->frames_skipped);
    add_int(b, "first_frame_ms", s->first_frame_ms);
    add_int(b, "rejoin_first_frame_ms", s->rejoin_first_frame_ms);
    add_int(b, "first_frame_after_gap_ms", s->first_frame_after_gap_wall_ms);
    json_builder_set_member_name(b, "frame_counters");
    json_builder_begin_object(b);
    if (s->counter_expected) {
        /* The current span: decoded / (max - min + 1) is the fraction of the
         * frames the sender sent (while we took them) that we decoded. */
        add_int(b, "min", s->counter_first);
        add_int(b, "max", s->counter_last);
        add_int(b, "decoded", (gint64)s->counter_span_decoded);
        add_int(b, "expected_all_spans", (gint64)s->counter_expected);
        add_int(b, "decoded_all_spans", (gint64)s->video_identity_ok);
        add_int(b, "restarts", s->counter_restarts);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
}

static char *finish(JsonBuilder *b, bool pretty)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, pretty);
    return json_generator_to_data(gen, NULL);
}

static void add_pair(JsonBuilder *b, const char *name, const bool v[2])
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_bool(b, "audio", v[0]);
    add_bool(b, "video", v[1]);
    json_builder_end_object(b);
}

/* The chair's state (both documents) and, in the report, its events. */
static void add_chair(JsonBuilder *b, const dc_report_chair *c, bool events)
{
    if (!c)
        return;
    add_str(b, "meeting_state", c->meeting_state);
    add_str(b, "floor", c->floor);
    add_pair(b, "muted", c->muted);
    add_pair(b, "muted_by_chair", c->muted_by_chair);
    if (!events || !c->events)
        return;
    json_builder_set_member_name(b, "chair_events");
    json_builder_begin_array(b);
    for (guint i = 0; i < c->events->len; i++) {
        JsonNode *n = json_from_string(g_ptr_array_index(c->events, i), NULL);
        if (n)
            json_builder_add_value(b, n);
    }
    json_builder_end_array(b);
}

static void add_link_medium(JsonBuilder *b, const char *name, const dc_link_medium *m, bool up)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_int(b, "packets", (gint64)m->packets);
    add_int(b, "bytes", (gint64)m->bytes);
    add_int(b, "bitrate_bps", (gint64)m->bitrate_1s);
    add_int(b, "bitrate_10s_bps", (gint64)m->bitrate_10s);
    if (up && !m->reported) {
        /* the bridge has not reported on this stream: unknown, not 0 */
        add_str(b, "loss_pct", NULL);
        add_str(b, "lost", NULL);
        add_str(b, "jitter_ms", NULL);
    } else {
        add_double(b, "loss_pct", m->loss * 100);
        add_int(b, "lost", m->lost);
        add_double(b, "jitter_ms", m->jitter_ms);
    }
    add_int(b, "nacks", (gint64)m->nacks);
    add_int(b, "retransmissions", (gint64)m->retransmissions);
    add_int(b, "plis", (gint64)m->plis);
    json_builder_end_object(b);
}

static double worst(const dc_link_medium *m, bool up, bool jitter)
{
    double w = -1;
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        if (up && !m[k].reported)
            continue;
        double v = jitter ? m[k].jitter_ms : m[k].loss * 100;
        if (v > w)
            w = v;
    }
    return w;
}

static void add_updown(JsonBuilder *b, const char *name, double up, double down)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    if (up < 0)
        add_str(b, "up", NULL);
    else
        add_double(b, "up", up);
    if (down < 0)
        add_str(b, "down", NULL);
    else
        add_double(b, "down", down);
    json_builder_end_object(b);
}

/* "link": the same summary and per-medium figures as the bridge's view of
 * this site in /api/stats (docs/link-quality.md), seen from the site. */
static void add_link(JsonBuilder *b, const dc_link_stats *l)
{
    json_builder_set_member_name(b, "link");
    json_builder_begin_object(b);
    add_updown(b, "bitrate_bps", (double)(l->up[0].bitrate_1s + l->up[1].bitrate_1s),
               (double)(l->down[0].bitrate_1s + l->down[1].bitrate_1s));
    add_updown(b, "loss_pct", worst(l->up, true, false), worst(l->down, false, false));
    add_updown(b, "jitter_ms", worst(l->up, true, true), worst(l->down, false, true));
    if (l->rtt_ms < 0)
        add_str(b, "rtt_ms", NULL);
    else
        add_double(b, "rtt_ms", l->rtt_ms);
    json_builder_set_member_name(b, "score");
    json_builder_begin_object(b);
    if (l->have_score) {
        add_double(b, "up", l->score_up);
        add_double(b, "down", l->score_down);
        add_str(b, "level", dc_quality_level_name(l->level));
    } else {
        add_str(b, "up", NULL);
        add_str(b, "down", NULL);
        add_str(b, "level", NULL);
    }
    if (l->mos > 0)
        add_double(b, "mos", l->mos);
    else
        add_str(b, "mos", NULL);
    json_builder_end_object(b);
    static const char *const kinds[DC_MEDIA_KINDS] = {"audio", "video"};
    for (int d = 0; d < 2; d++) {
        json_builder_set_member_name(b, d == 0 ? "up" : "down");
        json_builder_begin_object(b);
        for (int k = 0; k < DC_MEDIA_KINDS; k++)
            add_link_medium(b, kinds[k], d == 0 ? &l->up[k] : &l->down[k], d == 0);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
}

char *dc_report_json(const dc_report_input *in)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_str(b, "site", in->site);
    add_bool(b, "joined", in->joined);
    add_str(b, "state", in->state);
    if (in->error)
        add_str(b, "error", in->error);
    add_double(b, "duration_s", in->duration_s);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        add_double(b, "cpu_s",
                   (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    json_builder_set_member_name(b, "sent");
    json_builder_begin_object(b);
    dc_sender_stats zero = {0};
    const dc_sender_stats *s = in->sent ? in->sent : &zero;
    add_int(b, "video_frames", (gint64)s->video_frames);
    add_int(b, "video_keyframes", (gint64)s->video_keyframes);
    add_int(b, "video_packets", (gint64)s->video_packets);
    add_int(b, "video_bytes", (gint64)s->video_bytes);
    add_int(b, "audio_packets", (gint64)s->audio_packets);
    add_int(b, "audio_bytes", (gint64)s->audio_bytes);
    add_int(b, "nack_seqs_received", (gint64)s->nack_seqs_in);
    add_int(b, "retransmits", (gint64)s->retransmits);
    add_int(b, "keyframe_requests", (gint64)s->keyframe_requests);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "remote");
    json_builder_begin_object(b);
    size_t n = in->receiver ? dc_receiver_n_sites(in->receiver) : 0;
    for (size_t i = 0; i < n; i++) {
        dc_receiver_site_stats st;
        dc_receiver_site_stats_at(in->receiver, i, &st);
        if (!st.announced && st.video_packets + st.audio_packets == 0)
            continue; /* in the roster only: never in the meeting with us */
        add_remote_site(b, &st);
    }
    json_builder_end_object(b);
    add_int(b, "own_media_received",
            in->receiver ? (gint64)dc_receiver_own_media(in->receiver) : 0);
    add_int(b, "unknown_packets", in->receiver ? (gint64)dc_receiver_unknown(in->receiver) : 0);
    if (in->link)
        add_link(b, in->link);
    add_chair(b, in->chair, true);
    json_builder_end_object(b);
    return finish(b, true);
}

char *dc_report_status_line(const dc_report_input *in)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_str(b, "site", in->site);
    add_str(b, "state", in->state);
    add_chair(b, in->chair, false);
    json_builder_set_member_name(b, "remote");
    json_builder_begin_object(b);
    size_t n = in->receiver ? dc_receiver_n_sites(in->receiver) : 0;
    for (size_t i = 0; i < n; i++) {
        dc_receiver_site_stats st;
        dc_receiver_site_stats_at(in->receiver, i, &st);
        if (g_strcmp0(st.site, in->site) == 0 || !st.active)
            continue;
        json_builder_set_member_name(b, st.site);
        json_builder_begin_object(b);
        add_double(b, "fps", st.status_fps);
        add_bool(b, "audio", st.status_audio);
        add_double(b, "loss_pct", st.status_loss_pct);
        if (st.status_latency_ms >= 0)
            add_double(b, "latency_ms", st.status_latency_ms);
        else
            add_str(b, "latency_ms", NULL);
        if (st.first_frame_after_gap_wall_ms >= 0)
            add_int(b, "first_frame_after_gap_ms", st.first_frame_after_gap_wall_ms);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autofree char *json = finish(b, false);
    return g_strconcat("STATUS ", json, NULL);
}
