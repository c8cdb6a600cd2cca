/* diemcau-load: many sites from one process, for the bridge benchmark
 * (BENCHMARKS.md, issue 7).
 *
 *   diemcau-load --signal ws://127.0.0.1:8080/ws --config config/hatinh.ini \
 *                --credential-file config/hatinh-demo-credentials.ini \
 *                --meetings 1 --sites 14 --duration 30 --json report.json
 *
 * Every site joins through diemcau-signal (docs/protocol.md) with the
 * client's own pieces (client/signal-link, client/answer, client/transport)
 * and then replays pre-encoded VP8 and Opus (bench/load-media) at real-time
 * rate: no encoding or decoding per site. Several meetings: one signaling
 * service each; --signal once per meeting, or once with --meetings N for
 * ports PORT, PORT+1, ... With --janus the same load goes to Janus
 * VideoRoom (bench/load-janus.c).
 *
 * Latency: all sites live in this process, so the sender keeps, per site and
 * medium, the time it last sent each packet of its loop; the receiver hashes
 * the media bytes of what it gets (the VP8 data after the descriptor, the
 * Opus packet; bench/load-media), which says which site and which loop
 * packet it is whatever the server rewrote in the headers, and subtracts.
 * The loops last 3 s, far longer than any latency measured, so the most
 * recent send is the one received. Retransmitted packets are not timed.
 *
 * Output: "MEASURE start" and "MEASURE end" lines on stdout around the
 * measured window (for bench/run-bridge.py to sample the server's CPU), then
 * a one-line summary; --json FILE writes the whole report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "bench/load.h"
#include "client/answer.h"
#include "client/signal-link.h"
#include "common/config.h"
#include "core/rtcp-fb.h"
#include "core/rtcp.h"
#include "core/rtp-ext.h"
#include "core/rtp.h"
#include "core/srtp.h"
#include "core/vp8.h"

#define TICK_MS 2
#define AUDIO_PERIOD_US 20000
#define LOOP_SECONDS 3.0

/* ---- sending ---- */

static size_t write_header(dc_load_site *s, dc_media_kind kind, uint16_t seq, uint32_t ts,
                           bool marker, uint8_t *buf, size_t cap)
{
    const dc_sender_track *t = &s->tracks[kind];
    dc_rtp_ext_elem el[2];
    size_t n = 0;
    uint8_t level = 0x80 | 30;
    if (t->ext_mid)
        el[n++] = (dc_rtp_ext_elem){t->ext_mid, (uint8_t)strlen(t->mid), (const uint8_t *)t->mid};
    if (kind == DC_MEDIA_AUDIO && t->ext_audio_level)
        el[n++] = (dc_rtp_ext_elem){t->ext_audio_level, 1, &level};
    uint8_t ext[64];
    uint16_t profile = 0;
    int ext_len = n ? dc_rtp_ext_write(el, n, ext, sizeof ext, &profile) : 0;
    if (ext_len < 0)
        ext_len = 0;
    dc_rtp_header h = {
        .marker = marker,
        .payload_type = t->pt,
        .seq = seq,
        .timestamp = ts,
        .ssrc = s->ssrc[kind],
        .extension = ext_len > 0,
        .ext_profile = profile,
        .ext = ext,
        .ext_len = (size_t)ext_len,
    };
    int hl = dc_rtp_write_header(&h, buf, cap);
    return hl < 0 ? 0 : (size_t)hl;
}

/* Builds and sends loop packet index of kind with seq/ts/picture id. */
static bool send_packet(dc_load_site *s, dc_media_kind kind, uint32_t index, uint16_t seq,
                        uint32_t ts, uint16_t pic)
{
    dc_load *L = s->m->load;
    const dc_load_loop *loop =
        kind == DC_MEDIA_VIDEO ? &L->media->video[s->index] : &L->media->audio[s->index];
    const dc_load_packet *p = &loop->pkts[index];
    size_t hl = write_header(s, kind, seq, ts, kind == DC_MEDIA_VIDEO ? p->marker : false, L->pkt,
                             sizeof L->pkt);
    if (hl == 0 || hl + p->len + DC_SRTP_MAX_OVERHEAD > sizeof L->pkt)
        return false;
    memcpy(L->pkt + hl, p->data, p->len);
    if (kind == DC_MEDIA_VIDEO)
        dc_vp8_set_picture_id(L->pkt + hl, p->len, pic);
    return dc_transport_send_rtp(s->transport, L->pkt, hl + p->len, sizeof L->pkt) == 0;
}

static void remember(dc_load_site *s, dc_media_kind kind, uint32_t index, uint32_t ts, uint16_t pic,
                     int64_t now_us)
{
    dc_load_sent *h = &s->hist[kind][s->seq[kind] % DC_LOAD_HIST];
    *h = (dc_load_sent){
        .seq = s->seq[kind], .valid = true, .index = index, .ts = ts, .picture_id = pic};
    s->sent_us[kind][index] = now_us;
}

static void send_video_frame(dc_load_site *s, int64_t now_us)
{
    const dc_load_loop *loop = &s->m->load->media->video[s->index];
    uint32_t ts = s->ts_base[DC_MEDIA_VIDEO] +
                  (uint32_t)(s->n[DC_MEDIA_VIDEO] * 90000 / (uint64_t)s->m->load->media->fps);
    uint32_t frame = loop->pkts[s->vpkt].frame;
    while (s->vpkt < loop->n && loop->pkts[s->vpkt].frame == frame) {
        remember(s, DC_MEDIA_VIDEO, (uint32_t)s->vpkt, ts, s->picture_id, now_us);
        if (send_packet(s, DC_MEDIA_VIDEO, (uint32_t)s->vpkt, s->seq[DC_MEDIA_VIDEO], ts,
                        s->picture_id) &&
            s->m->load->counting)
            s->c.sent++;
        s->seq[DC_MEDIA_VIDEO]++;
        s->vpkt++;
    }
    if (s->vpkt >= loop->n)
        s->vpkt = 0;
    s->picture_id = (s->picture_id + 1) & 0x7fff;
    s->n[DC_MEDIA_VIDEO]++;
}

static void send_audio_packet(dc_load_site *s, int64_t now_us)
{
    const dc_load_loop *loop = &s->m->load->media->audio[s->index];
    uint32_t ts = s->ts_base[DC_MEDIA_AUDIO] + (uint32_t)(s->n[DC_MEDIA_AUDIO] * 960);
    uint32_t i = s->pos[DC_MEDIA_AUDIO];
    remember(s, DC_MEDIA_AUDIO, i, ts, 0, now_us);
    if (send_packet(s, DC_MEDIA_AUDIO, i, s->seq[DC_MEDIA_AUDIO], ts, 0) && s->m->load->counting)
        s->c.sent++;
    s->seq[DC_MEDIA_AUDIO]++;
    s->pos[DC_MEDIA_AUDIO] = (i + 1) % (uint32_t)loop->n;
    s->n[DC_MEDIA_AUDIO]++;
}

static void site_tick(dc_load_site *s, int64_t now_us)
{
    if (!s->connected || !s->transport)
        return;
    int64_t period[DC_MEDIA_KINDS] = {AUDIO_PERIOD_US, 1000000 / s->m->load->media->fps};
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        if (!s->tracks[k].active)
            continue;
        for (int i = 0; i < 3 && now_us >= s->next_us[k]; i++) {
            if (k == DC_MEDIA_VIDEO)
                send_video_frame(s, now_us);
            else
                send_audio_packet(s, now_us);
            s->next_us[k] += period[k];
        }
        if (s->next_us[k] <= now_us) /* far behind: skip, don't burst */
            s->next_us[k] = now_us + period[k];
    }
}

static void on_nack(dc_load_site *s, uint32_t media_ssrc, const uint16_t *seqs, size_t n)
{
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        if (media_ssrc != s->ssrc[k])
            continue;
        for (size_t i = 0; i < n; i++) {
            s->c.nacks_in++;
            const dc_load_sent *h = &s->hist[k][seqs[i] % DC_LOAD_HIST];
            if (!h->valid || h->seq != seqs[i])
                continue;
            if (send_packet(s, (dc_media_kind)k, h->index, h->seq, h->ts, h->picture_id))
                s->c.retransmits++;
        }
    }
}

/* ---- receiving ---- */

void dc_load_on_rtp(void *user, uint8_t *buf, size_t len)
{
    dc_load_site *s = user;
    dc_load *L = s->m->load;
    dc_rtp_view v;
    if (dc_rtp_parse(buf, len, &v) < 0 || v.payload_len == 0)
        return;
    int64_t now_us = g_get_monotonic_time();
    dc_load_stream *st = g_hash_table_lookup(s->streams, GUINT_TO_POINTER(v.ssrc));
    if (!st) {
        st = g_new0(dc_load_stream, 1);
        st->ssrc = v.ssrc;
        st->kind = st->sender = -1;
        g_hash_table_insert(s->streams, GUINT_TO_POINTER(v.ssrc), st);
    }
    int r = dc_load_seq_push(&st->seq, v.seq);
    dc_load_origin o;
    bool found = false;
    for (int k = 0; k < DC_MEDIA_KINDS && !found; k++) {
        if (st->kind >= 0 && st->kind != k)
            continue;
        uint32_t h = dc_load_payload_hash((dc_media_kind)k, v.payload, v.payload_len);
        found = dc_load_media_find(L->media, h, &o) && o.kind == (dc_media_kind)k;
    }
    if (found) {
        st->kind = (int)o.kind;
        st->sender = o.site;
    }
    if (!L->counting)
        return;
    if (found && o.site == s->index)
        s->c.own++;
    if (!found && st->sender < 0)
        s->c.unknown++;
    if (r == 1 && found && o.site < s->m->n_sites && o.site != s->index) {
        const dc_load_site *from = &s->m->sites[o.site];
        int64_t sent = from->sent_us[o.kind] ? from->sent_us[o.kind][o.index] : 0;
        int64_t lat = now_us - sent;
        if (sent > 0 && lat >= 0 && lat < (int64_t)(LOOP_SECONDS * 1e6 / 2))
            dc_load_hist_add(&s->lat, lat);
    }
}

void dc_load_on_rtcp(void *user, uint8_t *buf, size_t len)
{
    dc_load_site *s = user;
    dc_rtcp_iter it;
    dc_rtcp_packet p;
    uint16_t seqs[17 * 64];
    dc_rtcp_iter_init(&it, buf, len);
    while (dc_rtcp_iter_next(&it, &p) == 1) {
        if (p.pt == DC_RTCP_PT_RTPFB && p.count == DC_RTCP_FB_FMT_NACK) {
            dc_rtcp_fb_nack nack;
            if (dc_rtcp_fb_nack_parse(p.data, p.len, &nack) == 0) {
                int n = dc_rtcp_fb_nack_expand(&nack, seqs, G_N_ELEMENTS(seqs));
                if (n < 0)
                    n = (int)G_N_ELEMENTS(seqs);
                on_nack(s, nack.fb.media_ssrc, seqs, (size_t)n);
            }
        } else if (p.pt == DC_RTCP_PT_PSFB &&
                   (p.count == DC_RTCP_FB_FMT_PLI || p.count == DC_RTCP_FB_FMT_FIR)) {
            /* The next frame sent is the loop's keyframe. */
            s->c.plis_in++;
            s->vpkt = 0;
        }
    }
}

void dc_load_on_state(void *user, int state)
{
    dc_load_site *s = user;
    if (state == DC_TRANSPORT_CONNECTED && !s->connected) {
        s->connected = true;
        /* Spread the sites' frame times over a period. */
        int64_t now = g_get_monotonic_time();
        s->next_us[DC_MEDIA_VIDEO] = now + g_random_int_range(0, 66000);
        s->next_us[DC_MEDIA_AUDIO] = now + g_random_int_range(0, 20000);
    } else if (state == DC_TRANSPORT_FAILED) {
        s->connected = false;
        dc_load_site_fail(s, "the media transport failed");
    }
}

static void on_candidate_diemcau(void *user, const char *candidate);

const dc_transport_callbacks dc_load_transport_cb = {
    .on_candidate = on_candidate_diemcau,
    .on_state = dc_load_on_state,
    .on_rtp = dc_load_on_rtp,
    .on_rtcp = dc_load_on_rtcp,
};

bool dc_load_site_transport(dc_load_site *s, GError **error)
{
    if (s->transport)
        return true;
    s->transport = dc_transport_new(NULL, s->m->load->cert, s->m->load->loopback,
                                    &dc_load_transport_cb, s, error);
    return s->transport != NULL;
}

void dc_load_site_set_track(dc_load_site *s, dc_media_kind kind, const dc_sender_track *t)
{
    s->tracks[kind] = *t;
}

void dc_load_site_fail(dc_load_site *s, const char *why)
{
    if (!s->error)
        s->error = g_strdup(why);
    s->failed = true;
    g_printerr("diemcau-load: meeting %d site %s: %s\n", s->m->index, s->id, why);
}

/* ---- diemcau-signal ---- */

typedef struct {
    dc_signal_link *link;
    char *bundle_mid;
    GPtrArray *pending;
    uint64_t origin_id, version;
    bool joined;
} dc_proto;

static void on_candidate_diemcau(void *user, const char *candidate)
{
    dc_load_site *s = user;
    dc_proto *p = s->proto;
    if (p && p->link) /* Janus sites trickle in load-janus.c */
        dc_signal_link_send_candidate(p->link, candidate, p->bundle_mid ? p->bundle_mid : "0", 0);
}

static void handle_offer(dc_load_site *s, JsonObject *msg)
{
    dc_proto *p = s->proto;
    const char *sdp = json_object_get_string_member_with_default(msg, "sdp", NULL);
    if (!sdp)
        return;
    g_autoptr(GError) error = NULL;
    dc_offer_view offer;
    if (!dc_offer_view_parse(sdp, &offer, &error)) {
        dc_load_site_fail(s, error->message);
        dc_offer_view_clear(&offer);
        return;
    }
    if (!dc_load_site_transport(s, &error)) {
        dc_load_site_fail(s, error->message);
        dc_offer_view_clear(&offer);
        return;
    }
    /* An offer with new ICE credentials on a connected transport is an ICE
     * restart (the bridge makes one when its pair failed): fresh local
     * credentials now, candidates gathered once the answer is out. */
    const char *had = dc_transport_remote_ufrag(s->transport);
    bool restart = had && offer.ice_ufrag && strcmp(had, offer.ice_ufrag) != 0;
    if (restart &&
        !dc_transport_restart_ice(s->transport, offer.ice_ufrag, offer.ice_pwd, &error)) {
        dc_load_site_fail(s, error->message);
        dc_offer_view_clear(&offer);
        return;
    }
    g_free(p->bundle_mid);
    p->bundle_mid = dc_offer_view_bundle_mid(&offer);
    size_t ns = 0;
    g_autofree dc_answer_stream *streams = dc_answer_streams_from_json(msg, &ns);
    dc_answer_local local = {
        .origin_id = p->origin_id,
        .origin_version = ++p->version,
        .ice_ufrag = dc_transport_ufrag(s->transport),
        .ice_pwd = dc_transport_pwd(s->transport),
        .fingerprint = dc_dtls_cert_fingerprint(s->m->load->cert),
        .site = s->id,
        .ssrc = {s->ssrc[DC_MEDIA_AUDIO], s->ssrc[DC_MEDIA_VIDEO]},
    };
    dc_answer_result res;
    if (!dc_answer_build(&offer, &local, streams, ns, &res, &error) ||
        !dc_transport_set_remote(s->transport, offer.ice_ufrag, offer.ice_pwd, offer.fingerprint,
                                 &error)) {
        dc_load_site_fail(s, error->message);
    } else {
        dc_signal_link_send_answer(p->link, res.sdp);
        for (int k = 0; k < DC_MEDIA_KINDS; k++)
            dc_load_site_set_track(s, (dc_media_kind)k, &res.tracks[k]);
        for (guint i = 0; i < p->pending->len; i++)
            dc_transport_add_remote_candidate(s->transport, p->pending->pdata[i]);
        g_ptr_array_set_size(p->pending, 0);
        if (restart && !dc_transport_gather_candidates(s->transport, &error))
            dc_load_site_fail(s, error->message);
    }
    dc_answer_result_clear(&res);
    dc_offer_view_clear(&offer);
}

static void link_open(void *user)
{
    dc_load_site *s = user;
    dc_proto *p = s->proto;
    dc_signal_link_send_join(p->link, s->id, s->credential);
}

static void link_message(void *user, const char *type, JsonObject *msg)
{
    dc_load_site *s = user;
    dc_proto *p = s->proto;
    if (strcmp(type, "welcome") == 0) {
        p->joined = true;
    } else if (strcmp(type, "offer") == 0) {
        handle_offer(s, msg);
    } else if (strcmp(type, "candidate") == 0) {
        const char *c = json_object_get_string_member_with_default(msg, "candidate", NULL);
        if (!c)
            return;
        if (s->transport && dc_transport_remote_ufrag(s->transport))
            dc_transport_add_remote_candidate(s->transport, c);
        else
            g_ptr_array_add(p->pending, g_strdup(c));
    } else if (strcmp(type, "error") == 0 || strcmp(type, "replaced") == 0) {
        const char *m = json_object_get_string_member_with_default(msg, "message", type);
        dc_load_site_fail(s, m);
    }
}

static void link_closed(void *user, const char *why)
{
    dc_load_site *s = user;
    dc_load_site_fail(s, why);
}

static void diemcau_start(dc_load_site *s)
{
    static const dc_signal_callbacks cb = {
        .on_open = link_open, .on_message = link_message, .on_closed = link_closed};
    dc_proto *p = g_new0(dc_proto, 1);
    p->pending = g_ptr_array_new_with_free_func(g_free);
    p->origin_id = ((uint64_t)g_random_int() << 31) ^ g_random_int();
    s->proto = p;
    p->link = dc_signal_link_new(s->m->url, NULL, &cb, s);
}

static void diemcau_stop(dc_load_site *s)
{
    dc_proto *p = s->proto;
    if (!p)
        return;
    if (p->link && dc_signal_link_is_open(p->link))
        dc_signal_link_send_leave(p->link);
    dc_signal_link_free(p->link);
    g_ptr_array_unref(p->pending);
    g_free(p->bundle_mid);
    g_free(p);
    s->proto = NULL;
}

/* ---- main ---- */

typedef struct {
    dc_load *L;
    GMainLoop *loop;
    bool janus;
} run_state;

static gboolean tick_cb(gpointer data)
{
    run_state *r = data;
    int64_t now = g_get_monotonic_time();
    for (int i = 0; i < r->L->n_meetings; i++) {
        dc_load_meeting *m = &r->L->meetings[i];
        for (int j = 0; j < m->n_sites; j++)
            site_tick(&m->sites[j], now);
    }
    return G_SOURCE_CONTINUE;
}

typedef struct {
    GMainLoop *loop;
    bool fired;
} run_timer;

static gboolean quit_cb(gpointer data)
{
    run_timer *t = data;
    t->fired = true;
    g_main_loop_quit(t->loop);
    return G_SOURCE_REMOVE;
}

static gboolean sig_cb(gpointer data)
{
    *(bool *)data = true;
    return G_SOURCE_CONTINUE;
}

/* Runs the main loop for ms milliseconds. */
static void run_for(GMainLoop *loop, unsigned ms)
{
    run_timer t = {.loop = loop};
    guint id = g_timeout_add(ms, quit_cb, &t);
    g_main_loop_run(loop);
    if (!t.fired)
        g_source_remove(id);
}

static int count_connected(const dc_load *L)
{
    int n = 0;
    for (int i = 0; i < L->n_meetings; i++)
        for (int j = 0; j < L->meetings[i].n_sites; j++)
            n += L->meetings[i].sites[j].connected &&
                 (!L->janus || L->meetings[i].sites[j].rx_connected);
    return n;
}

/* CPU seconds this process used so far. */
static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void reset_counts(dc_load *L)
{
    for (int i = 0; i < L->n_meetings; i++)
        for (int j = 0; j < L->meetings[i].n_sites; j++) {
            dc_load_site *s = &L->meetings[i].sites[j];
            memset(&s->c, 0, sizeof s->c);
            memset(&s->lat, 0, sizeof s->lat);
            GHashTableIter it;
            gpointer v;
            g_hash_table_iter_init(&it, s->streams);
            while (g_hash_table_iter_next(&it, NULL, &v)) {
                dc_load_stream *st = v;
                st->seq.received = st->seq.missing = st->seq.repaired = 0;
                st->seq.duplicates = st->seq.too_old = 0;
                st->seq.first = st->seq.highest + 1;
            }
        }
}

/* Adds the streams' sequence counters into the sites' counts. */
static void collect(dc_load *L)
{
    for (int i = 0; i < L->n_meetings; i++)
        for (int j = 0; j < L->meetings[i].n_sites; j++) {
            dc_load_site *s = &L->meetings[i].sites[j];
            GHashTableIter it;
            gpointer v;
            g_hash_table_iter_init(&it, s->streams);
            while (g_hash_table_iter_next(&it, NULL, &v)) {
                dc_load_stream *st = v;
                s->c.received += st->seq.received;
                s->c.lost += st->seq.missing;
                s->c.repaired += st->seq.repaired;
                s->c.duplicates += st->seq.duplicates;
            }
        }
}

static void add_counts(dc_load_counts *a, const dc_load_counts *b)
{
    a->sent += b->sent;
    a->retransmits += b->retransmits;
    a->nacks_in += b->nacks_in;
    a->plis_in += b->plis_in;
    a->received += b->received;
    a->lost += b->lost;
    a->repaired += b->repaired;
    a->duplicates += b->duplicates;
    a->unknown += b->unknown;
    a->own += b->own;
}

static void counts_json(JsonBuilder *b, const dc_load_counts *c, const dc_load_hist *h,
                        double window_s)
{
#define MEMBER_INT(name, v)                                                                        \
    do {                                                                                           \
        json_builder_set_member_name(b, name);                                                     \
        json_builder_add_int_value(b, (gint64)(v));                                                \
    } while (0)
#define MEMBER_DBL(name, v)                                                                        \
    do {                                                                                           \
        json_builder_set_member_name(b, name);                                                     \
        json_builder_add_double_value(b, (v));                                                     \
    } while (0)
    MEMBER_INT("sent", c->sent);
    MEMBER_INT("received", c->received);
    MEMBER_DBL("sent_per_s", (double)c->sent / window_s);
    MEMBER_DBL("received_per_s", (double)c->received / window_s);
    MEMBER_INT("lost", c->lost);
    MEMBER_DBL("loss_ratio",
               c->received + c->lost ? (double)c->lost / (double)(c->received + c->lost) : 0.0);
    MEMBER_INT("repaired", c->repaired);
    MEMBER_INT("duplicates", c->duplicates);
    MEMBER_INT("retransmitted", c->retransmits);
    MEMBER_INT("nacked_seqs_in", c->nacks_in);
    MEMBER_INT("keyframe_requests_in", c->plis_in);
    MEMBER_INT("unidentified", c->unknown);
    MEMBER_INT("own_media_received", c->own);
    json_builder_set_member_name(b, "latency_us");
    json_builder_begin_object(b);
    MEMBER_INT("samples", h->n);
    MEMBER_DBL("p50", dc_load_hist_quantile(h, 0.5));
    MEMBER_DBL("p99", dc_load_hist_quantile(h, 0.99));
    MEMBER_DBL("mean", h->n ? h->sum_us / (double)h->n : 0.0);
    MEMBER_INT("max", h->max_us);
    json_builder_end_object(b);
}

/* Fills site j of meeting m: identity, random SSRCs, sequence numbers and
 * timestamps, and the send-time table of its loops. */
static void site_init(dc_load_site *s, dc_load_meeting *m, int j, const dc_config_site *cs,
                      const char *secret)
{
    const dc_load_media *media = m->load->media;
    s->m = m;
    s->index = j;
    s->id = g_strdup(cs->id);
    s->credential = g_strdup(secret);
    s->streams = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        s->ssrc[k] = g_random_int() | 1;
        s->seq[k] = (uint16_t)g_random_int();
        s->ts_base[k] = g_random_int();
        const dc_load_loop *lp = k == DC_MEDIA_VIDEO ? &media->video[j] : &media->audio[j];
        s->sent_us[k] = g_new0(int64_t, lp->n);
    }
    s->picture_id = (uint16_t)(g_random_int() & 0x7fff);
}

/* Joins every meeting, one after the other, a site every 20 ms, and lets each
 * meeting's sites connect before the next starts: one thread answering the
 * ICE checks of a hundred new transports while it already carries media
 * would miss their deadlines on a busy machine. */
static void join_all(dc_load *L, GMainLoop *loop, double join_timeout, bool *stop, GError **error)
{
    int64_t join_end = g_get_monotonic_time() + (int64_t)(join_timeout * 1e6);
    int sites = L->meetings[0].n_sites;
    for (int i = 0; i < L->n_meetings && !*stop; i++) {
        if (L->janus) {
            if (!dc_load_janus_start(&L->meetings[i], error)) {
                fprintf(stderr, "diemcau-load: Janus: %s\n", (*error)->message);
                *stop = true;
                break;
            }
        } else {
            for (int j = 0; j < sites; j++) {
                diemcau_start(&L->meetings[i].sites[j]);
                run_for(loop, 20);
            }
        }
        while (!*stop && count_connected(L) < (i + 1) * sites && g_get_monotonic_time() < join_end)
            run_for(loop, 100);
    }
}

/* Writes the JSON report (json_path may be NULL) and the summary line;
 * returns the exit status: 1 when a site did not connect, nothing arrived or
 * a site got its own media, and in a smoke run on any loss. */
static int report(dc_load *L, const char *json_path, int connected, double window_s,
                  double load_cpu, bool smoke)
{
    int meetings = L->n_meetings, sites = L->meetings[0].n_sites, total = meetings * sites;
    g_autoptr(GError) error = NULL;
    dc_load_counts all = {0};
    dc_load_hist *hall = g_new0(dc_load_hist, 1);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "server");
    json_builder_add_string_value(b, L->janus ? "janus" : "diemcau");
    MEMBER_INT("meetings", meetings);
    MEMBER_INT("sites_per_meeting", sites);
    MEMBER_INT("sites_connected", connected);
    MEMBER_DBL("window_s", window_s);
    /* The generator's own CPU share: near 1.0 means it, not the server, is
     * the limit (it is one thread). */
    MEMBER_DBL("load_generator_cpu_share", load_cpu / window_s);
    json_builder_set_member_name(b, "per_meeting");
    json_builder_begin_array(b);
    int failures = 0;
    for (int i = 0; i < meetings; i++) {
        dc_load_meeting *m = &L->meetings[i];
        dc_load_counts mc = {0};
        dc_load_hist *mh = g_new0(dc_load_hist, 1);
        int mconn = 0;
        for (int j = 0; j < sites; j++) {
            add_counts(&mc, &m->sites[j].c);
            dc_load_hist_merge(mh, &m->sites[j].lat);
            mconn += m->sites[j].connected && (!L->janus || m->sites[j].rx_connected);
            failures += m->sites[j].failed;
        }
        json_builder_begin_object(b);
        MEMBER_INT("meeting", i);
        MEMBER_INT("sites_connected", mconn);
        counts_json(b, &mc, mh, window_s);
        json_builder_end_object(b);
        add_counts(&all, &mc);
        dc_load_hist_merge(hall, mh);
        g_free(mh);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "total");
    json_builder_begin_object(b);
    counts_json(b, &all, hall, window_s);
    json_builder_end_object(b);
    MEMBER_INT("site_failures", failures);
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    if (json_path && !json_generator_to_file(gen, json_path, &error))
        fprintf(stderr, "diemcau-load: %s\n", error->message);

    uint64_t expect = (uint64_t)(sites - 1) * all.sent;
    printf("diemcau-load: %s, %d x %d sites, %d connected, %.1f s: sent %.0f/s, received %.0f/s "
           "(expected about %.0f/s), lost %" G_GUINT64_FORMAT ", repaired %" G_GUINT64_FORMAT
           ", latency p50 %.0f us p99 %.0f us (%" G_GUINT64_FORMAT " samples), load CPU %.0f%%\n",
           L->janus ? "janus" : "diemcau", meetings, sites, connected, window_s,
           (double)all.sent / window_s, (double)all.received / window_s, (double)expect / window_s,
           all.lost, all.repaired, dc_load_hist_quantile(hall, 0.5),
           dc_load_hist_quantile(hall, 0.99), hall->n, 100 * load_cpu / window_s);
    fflush(stdout);
    int rc = 0;
    if (connected < total || all.received == 0 || all.own > 0)
        rc = 1;
    if (smoke && (all.lost > 0 || all.unknown > 0))
        rc = 1;
    g_free(hall);
    return rc;
}

/* Stops every site (leave, transports closed) and frees everything but the
 * media and the certificate. */
static void load_teardown(dc_load *L, GMainLoop *loop)
{
    for (int i = 0; i < L->n_meetings; i++) {
        dc_load_meeting *m = &L->meetings[i];
        if (L->janus)
            dc_load_janus_stop(m);
        for (int j = 0; j < m->n_sites; j++) {
            dc_load_site *s = &m->sites[j];
            if (!L->janus)
                diemcau_stop(s);
            dc_transport_free(s->transport);
            dc_transport_free(s->rx_transport);
        }
    }
    run_for(loop, 200);
    for (int i = 0; i < L->n_meetings; i++) {
        dc_load_meeting *m = &L->meetings[i];
        for (int j = 0; j < m->n_sites; j++) {
            dc_load_site *s = &m->sites[j];
            g_hash_table_unref(s->streams);
            for (int k = 0; k < DC_MEDIA_KINDS; k++)
                g_free(s->sent_us[k]);
            g_free(s->id);
            g_free(s->credential);
            g_free(s->error);
        }
        g_free(m->sites);
        g_free(m->url);
    }
    g_free(L->meetings);
}

/* The secrets of the first @n sites: from [site.ID] credential of the
 * credential file at @path, else the config's plain-text ones. Only when
 * @needed (diemcau-signal checks them; Janus does not): else empty strings. */
static char **site_secrets(const dc_config *config, int n, const char *path, bool needed,
                           GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (path && !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
        return NULL;
    }
    g_auto(GStrv) out = g_new0(char *, n + 1);
    for (int j = 0; j < n; j++) {
        const dc_config_site *cs = &config->sites[j];
        g_autofree char *group = g_strdup_printf("site.%s", cs->id);
        char *v = path ? g_key_file_get_string(kf, group, "credential", NULL) : NULL;
        if (!v && dc_credential_plain(cs->credential)) {
            v = g_strdup(dc_credential_plain(cs->credential));
        }
        if (!v && needed) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "no secret for site %s: give --credential-file FILE with [%s] "
                        "credential = SECRET (the config keeps only its hash)",
                        cs->id, group);
            return NULL;
        }
        out[j] = v ? g_strstrip(v) : g_strdup("");
    }
    return g_steal_pointer(&out);
}

int main(int argc, char **argv)
{
    g_auto(GStrv) signals = NULL;
    g_autofree char *config_path = NULL, *json_path = NULL, *janus_url = NULL, *cred_path = NULL;
    int meetings = 1, sites = 14, fps = 15, kbps = 150;
    double duration = 20, warmup = 4, join_timeout = 0;
    gboolean smoke = FALSE;
    GOptionEntry entries[] = {
        {"signal", 's', 0, G_OPTION_ARG_STRING_ARRAY, &signals,
         "diemcau-signal WebSocket URL (once per meeting, or once: ports PORT+i)", "URL"},
        {"janus", 0, 0, G_OPTION_ARG_STRING, &janus_url,
         "Janus HTTP API URL instead (http://HOST:PORT/janus), one VideoRoom per meeting", "URL"},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
         "deployment file for the site ids (and credentials kept in plain text)", "FILE"},
        {"credential-file", 0, 0, G_OPTION_ARG_FILENAME, &cred_path,
         "the sites' secrets: [site.ID] credential = SECRET", "FILE"},
        {"meetings", 'm', 0, G_OPTION_ARG_INT, &meetings, "meetings (default 1)", "N"},
        {"sites", 0, 0, G_OPTION_ARG_INT, &sites, "sites per meeting (default 14)", "N"},
        {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "measured seconds (default 20)", "S"},
        {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup,
         "seconds of media after every site connected, before measuring (default 4)", "S"},
        {"join-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &join_timeout,
         "seconds for every site of every meeting to connect (default 30 + 10 per meeting)", "S"},
        {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "video frame rate (default 15)", "N"},
        {"kbps", 0, 0, G_OPTION_ARG_INT, &kbps, "video bitrate (default 150)", "N"},
        {"json", 'j', 0, G_OPTION_ARG_FILENAME, &json_path, "write the report here", "FILE"},
        {"smoke", 0, 0, G_OPTION_ARG_NONE, &smoke,
         "CI run: 1 meeting of 4 sites, 4 s; exit 1 on any loss", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) opts = g_option_context_new("- diemcau load generator");
    g_option_context_add_main_entries(opts, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(opts, &argc, &argv, &error)) {
        fprintf(stderr, "diemcau-load: %s\n", error->message);
        return 2;
    }
    if (join_timeout <= 0)
        join_timeout = 30 + 10 * meetings;
    if (smoke) {
        meetings = 1;
        sites = MIN(sites, 4);
        duration = 4;
        warmup = 3.5;
    }
    if (!config_path || (!signals && !janus_url) || meetings < 1 || meetings > 100 || sites < 2 ||
        sites > 16 || duration <= 0) {
        fprintf(stderr, "diemcau-load: need --config, --signal (or --janus), 1..100 meetings "
                        "of 2..16 sites, --duration > 0\n");
        return 2;
    }
    g_autoptr(dc_config) config = dc_config_load(config_path, &error);
    if (!config) {
        fprintf(stderr, "diemcau-load: %s\n", error->message);
        return 2;
    }
    if ((size_t)sites > config->n_sites) {
        fprintf(stderr, "diemcau-load: %s has only %zu sites\n", config_path, config->n_sites);
        return 2;
    }
    g_auto(GStrv) secrets = site_secrets(config, sites, cred_path, janus_url == NULL, &error);
    if (!secrets) {
        fprintf(stderr, "diemcau-load: %s\n", error->message);
        return 2;
    }
    int64_t t0 = g_get_monotonic_time();
    dc_load_media *media = dc_load_media_new(sites, 320, 180, fps, kbps, LOOP_SECONDS, &error);
    if (!media) {
        fprintf(stderr, "diemcau-load: %s\n", error->message);
        return 1;
    }
    size_t vpk = 0;
    for (int i = 0; i < sites; i++)
        vpk += media->video[i].n;
    g_printerr("diemcau-load: encoded %d x %.0f s of media in %.1f s (%.1f video packets/s "
               "per site)\n",
               sites, LOOP_SECONDS, (double)(g_get_monotonic_time() - t0) / 1e6,
               (double)vpk / sites / LOOP_SECONDS);

    dc_load L = {.media = media, .n_meetings = meetings, .janus = janus_url != NULL};
    L.cert = dc_dtls_cert_new(g_get_real_time() / G_USEC_PER_SEC);
    const char *first_url = janus_url ? janus_url : signals[0];
    L.loopback = strstr(first_url, "//127.") || strstr(first_url, "//localhost");
    L.meetings = g_new0(dc_load_meeting, meetings);
    guint n_signals = signals ? g_strv_length(signals) : 0;
    for (int i = 0; i < meetings; i++) {
        dc_load_meeting *m = &L.meetings[i];
        m->load = &L;
        m->index = i;
        if (janus_url) {
            m->url = g_strdup(janus_url);
        } else if ((guint)i < n_signals) {
            m->url = g_strdup(signals[i]);
        } else {
            g_autoptr(GUri) u = g_uri_parse(signals[0], G_URI_FLAGS_NONE, NULL);
            if (!u || g_uri_get_port(u) <= 0) {
                fprintf(stderr, "diemcau-load: --signal %s: need a URL with a port\n", signals[0]);
                return 2;
            }
            m->url = g_strdup_printf("%s://%s:%d%s", g_uri_get_scheme(u), g_uri_get_host(u),
                                     g_uri_get_port(u) + i, g_uri_get_path(u));
        }
        m->n_sites = sites;
        m->sites = g_new0(dc_load_site, sites);
        for (int j = 0; j < sites; j++) {
            site_init(&m->sites[j], m, j, &config->sites[j], secrets[j]);
        }
    }

    bool stop = false;
    guint sig1 = g_unix_signal_add(SIGINT, sig_cb, &stop);
    guint sig2 = g_unix_signal_add(SIGTERM, sig_cb, &stop);
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    run_state rs = {.L = &L, .loop = loop, .janus = janus_url != NULL};
    guint tick = g_timeout_add_full(G_PRIORITY_HIGH, TICK_MS, tick_cb, &rs, NULL);

    join_all(&L, loop, join_timeout, &stop, &error);
    int total = meetings * sites;
    int connected = count_connected(&L);
    g_printerr("diemcau-load: %d of %d sites connected after %.1f s\n", connected, total,
               (double)(g_get_monotonic_time() - t0) / 1e6);
    if (!stop)
        run_for(loop, (unsigned)(warmup * 1000));

    reset_counts(&L);
    L.counting = true;
    fprintf(stdout, "MEASURE start\n");
    fflush(stdout);
    int64_t w0 = g_get_monotonic_time();
    double cpu0 = self_cpu_s();
    int64_t wend = w0 + (int64_t)(duration * 1e6);
    while (!stop && g_get_monotonic_time() < wend)
        run_for(loop, 100);
    double window_s = (double)(g_get_monotonic_time() - w0) / 1e6;
    double load_cpu = self_cpu_s() - cpu0;
    fprintf(stdout, "MEASURE end\n");
    fflush(stdout);
    /* Stop sending; let what is in flight (and retransmissions) arrive. */
    g_source_remove(tick);
    run_for(loop, 500);
    L.counting = false;
    collect(&L);

    int rc = report(&L, json_path, connected, window_s, load_cpu, smoke);

    load_teardown(&L, loop);
    g_source_remove(sig1);
    g_source_remove(sig2);
    g_main_loop_unref(loop);
    dc_dtls_cert_free(L.cert);
    dc_load_media_free(media);
    return rc;
}
