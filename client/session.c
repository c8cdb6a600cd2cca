/* session: see session.h. */
#include "client/session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "client/answer.h"
#include "client/deadline.h"
#include "client/receiver.h"
#include "client/report.h"
#include "client/sender.h"
#include "client/signal-link.h"
#include "client/transport.h"
#include "client/wav.h"
#include "client/y4m.h"
#include "core/consent.h"
#include "core/rtcp-fb.h"
#include "core/rtcp.h"
#include "core/srtp.h"

#define RTCP_INTERVAL_US 1000000
#define RTCP_CAP 1400
#define RECONNECT_MS 1000
#define LEAVE_WAIT_US 500000
/* A resumed session asks for an ICE restart when nothing has come on the
 * media path for this long (else the path is fine and only signaling died). */
#define RESUME_RESTART_US 1000000
/* Silent connections kept muted at most (the oldest is closed first). */
#define ABANDONED_MAX 4

typedef struct {
    dc_y4m_writer *y4m;
    dc_wav_writer *wav;
    bool failed;
} record;

struct dc_session {
    char *url, *site, *credential, *video_file, *audio_file, *record_dir;
    dc_session_config cfg;
    GMainLoop *loop;
    dc_signal_link *link;
    GPtrArray *abandoned; /* silent or dead connections, one of which may still carry
                           * our session at the service (a resume whose welcome was
                           * lost did move it): muted, freed (closed) only once a
                           * welcome has come on a new one; at most ABANDONED_MAX */
    dc_tls_verify *tls;   /* checks the wss:// server's certificate */
    dc_dtls_cert *cert;
    dc_transport *transport;
    dc_sender *sender;
    dc_receiver *receiver;
    dc_link link_view; /* our view of the link (client/link.h), ticked with the status */
    dc_deadline *tick;
    dc_consent consent;        /* silence on the media path (core/consent.h) */
    dc_deadline *watch;        /* its deadline */
    bool restart_pending;      /* we asked for an ICE restart; its offer is due */
    char *session_id;          /* of the last welcome: to resume it on a new connection */
    bool resuming;             /* the link is a new connection resuming session_id */
    uint64_t remote_origin_id; /* o= sess-id of the bridge's offers on this transport */
    guint rejoin_id;
    guint status_id, reconnect_id;
    bool loopback;
    bool joined, refused, leaving, failed;
    const char *final_state; /* the state when leaving (static string) */
    char *error;
    int site_index;
    char *bundle_mid;
    GPtrArray *pending; /* remote candidates before the transport has the offer */
    uint64_t origin_id, answer_version;
    int64_t next_rtcp_us;
    int64_t started_us;
    GHashTable *records; /* site id -> record * */
    /* What the chair did (docs/protocol.md, "The chair"). */
    dc_report_chair chair;
    char *meeting_state, *floor;
    GPtrArray *chair_events; /* of char *, JSON texts */
    uint8_t rtcp[RTCP_CAP + DC_SRTP_MAX_OVERHEAD];
    uint16_t nack_seqs[17 * 64];
};

static void reschedule(dc_session *s);
static void link_start(dc_session *s, bool resume);

static const char *state_name(const dc_session *s)
{
    if (s->final_state)
        return s->final_state;
    if (s->failed)
        return "failed";
    if (s->transport && dc_transport_get_state(s->transport) == DC_TRANSPORT_CONNECTED)
        return "connected";
    if (s->transport && dc_transport_get_state(s->transport) == DC_TRANSPORT_FAILED)
        return "failed";
    return "joining";
}

/* ---- media plumbing ---- */

static void send_rtp(void *user, uint8_t *buf, size_t len, size_t cap)
{
    dc_session *s = user;
    if (s->transport)
        dc_transport_send_rtp(s->transport, buf, len, cap);
}

static void send_rtcp_plain(void *user, const uint8_t *buf, size_t len)
{
    dc_session *s = user;
    if (!s->transport || len > RTCP_CAP)
        return;
    memcpy(s->rtcp, buf, len);
    dc_transport_send_rtcp(s->transport, s->rtcp, len, sizeof s->rtcp);
}

static record *get_record(dc_session *s, const char *site)
{
    record *r = g_hash_table_lookup(s->records, site);
    if (!r) {
        r = g_new0(record, 1);
        g_hash_table_insert(s->records, g_strdup(site), r);
    }
    return r;
}

static void record_free(gpointer p)
{
    record *r = p;
    g_autoptr(GError) error = NULL;
    if (r->y4m && !dc_y4m_writer_close(r->y4m, &error))
        g_warning("recording: %s", error->message);
    g_clear_error(&error);
    if (r->wav && !dc_wav_writer_close(r->wav, &error))
        g_warning("recording: %s", error->message);
    g_free(r);
}

static void on_video(void *user, const char *site, const dc_i420 *pic)
{
    dc_session *s = user;
    if (!s->record_dir)
        return;
    record *r = get_record(s, site);
    if (r->failed)
        return;
    g_autoptr(GError) error = NULL;
    if (!r->y4m) {
        g_autofree char *name = g_strdup_printf("%s.y4m", site);
        g_autofree char *path = g_build_filename(s->record_dir, name, NULL);
        r->y4m = dc_y4m_writer_open(path, pic->width, pic->height, s->cfg.fps, 1, &error);
        if (!r->y4m) {
            g_warning("recording: %s", error->message);
            r->failed = true;
            return;
        }
    }
    /* A new size mid-stream is not recorded (Y4M has one size). */
    g_clear_error(&error);
    dc_y4m_writer_write(r->y4m, pic, &error);
}

static void on_audio(void *user, const char *site, const int16_t *pcm, size_t samples)
{
    dc_session *s = user;
    if (!s->record_dir)
        return;
    record *r = get_record(s, site);
    g_autoptr(GError) error = NULL;
    if (!r->wav) {
        g_autofree char *name = g_strdup_printf("%s.wav", site);
        g_autofree char *path = g_build_filename(s->record_dir, name, NULL);
        r->wav = dc_wav_writer_open(path, 48000, 1, &error);
        if (!r->wav) {
            g_warning("recording: %s", error->message);
            return;
        }
    }
    dc_wav_writer_write(r->wav, pcm, samples, &error);
}

static void send_reports(dc_session *s, int64_t now_us)
{
    if (!s->transport || dc_transport_get_state(s->transport) != DC_TRANSPORT_CONNECTED)
        return;
    uint8_t buf[RTCP_CAP];
    dc_rtcp_compound c;
    dc_rtcp_compound_init(&c, buf, sizeof buf);
    int64_t wall_us = g_get_real_time();
    uint32_t vssrc = s->sender ? dc_sender_ssrc(s->sender, DC_MEDIA_VIDEO) : 1;
    dc_rtcp_report_block blocks[DC_RTCP_MAX_COUNT];
    size_t nb = dc_receiver_report_blocks(s->receiver, now_us, blocks, DC_RTCP_MAX_COUNT);
    dc_rtcp_sr sr;
    if (s->sender && dc_sender_fill_sr(s->sender, DC_MEDIA_VIDEO, now_us, wall_us, &sr) == 0) {
        sr.report_count = (uint8_t)nb;
        memcpy(sr.reports, blocks, nb * sizeof *blocks);
        dc_rtcp_compound_add(
            &c, dc_rtcp_sr_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &sr));
    } else {
        dc_rtcp_rr rr = {.ssrc = vssrc, .report_count = (uint8_t)nb};
        memcpy(rr.reports, blocks, nb * sizeof *blocks);
        dc_rtcp_compound_add(
            &c, dc_rtcp_rr_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &rr));
    }
    dc_rtcp_sr asr;
    if (s->sender && dc_sender_fill_sr(s->sender, DC_MEDIA_AUDIO, now_us, wall_us, &asr) == 0)
        dc_rtcp_compound_add(
            &c, dc_rtcp_sr_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &asr));
    dc_rtcp_sdes sdes = {.chunk_count = 0};
    if (s->sender) {
        for (int k = 0; k < DC_MEDIA_KINDS; k++)
            sdes.chunks[sdes.chunk_count++] = (dc_rtcp_sdes_chunk){
                .ssrc = dc_sender_ssrc(s->sender, (dc_media_kind)k),
                .cname = (const uint8_t *)s->site,
                .cname_len = (uint8_t)strlen(s->site),
            };
        dc_rtcp_compound_add(
            &c, dc_rtcp_sdes_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &sdes));
    }
    int n = dc_rtcp_compound_finish(&c);
    if (n > 0)
        send_rtcp_plain(s, buf, (size_t)n);
}

static void on_tick(void *user, int64_t now_us)
{
    dc_session *s = user;
    int64_t wall_ms = g_get_real_time() / 1000;
    if (s->sender)
        dc_sender_handle_timeout(s->sender, now_us, wall_ms);
    dc_receiver_handle_timeout(s->receiver, now_us, wall_ms);
    if (now_us >= s->next_rtcp_us) {
        send_reports(s, now_us);
        s->next_rtcp_us = now_us + RTCP_INTERVAL_US;
    }
    reschedule(s);
}

static void reschedule(dc_session *s)
{
    int64_t t = s->next_rtcp_us;
    if (s->sender)
        t = MIN(t, dc_sender_next_timeout(s->sender));
    t = MIN(t, dc_receiver_next_timeout(s->receiver));
    dc_deadline_set(s->tick, t);
}

static void on_transport_rtp(void *user, uint8_t *buf, size_t len)
{
    dc_session *s = user;
    int64_t now_us = g_get_monotonic_time();
    dc_consent_on_receive(&s->consent, now_us);
    dc_receiver_push_rtp(s->receiver, buf, len, now_us, g_get_real_time() / 1000);
    dc_deadline_set_earlier(s->tick, dc_receiver_next_timeout(s->receiver));
}

/* The bridge's receiver reports about our streams: its view of our uplink. */
static void on_report_blocks(dc_session *s, const dc_rtcp_report_block *b, size_t n)
{
    if (!s->sender)
        return;
    int64_t wall_us = g_get_real_time();
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < DC_MEDIA_KINDS; k++)
            if (b[i].ssrc == dc_sender_ssrc(s->sender, (dc_media_kind)k))
                dc_link_on_report_block(&s->link_view, (dc_media_kind)k, &b[i], wall_us);
}

static void on_rtcp_packet(dc_session *s, const dc_rtcp_packet *p, int64_t now_us)
{
    uint32_t vssrc = s->sender ? dc_sender_ssrc(s->sender, DC_MEDIA_VIDEO) : 0;
    if (p->pt == DC_RTCP_PT_SR) {
        dc_rtcp_sr sr;
        if (dc_rtcp_sr_parse(p->data, p->len, &sr) == 0) {
            dc_receiver_on_sr(s->receiver, sr.ssrc, sr.ntp_time, now_us);
            on_report_blocks(s, sr.reports, sr.report_count);
        }
    } else if (p->pt == DC_RTCP_PT_RR) {
        dc_rtcp_rr rr;
        if (dc_rtcp_rr_parse(p->data, p->len, &rr) == 0)
            on_report_blocks(s, rr.reports, rr.report_count);
    } else if (p->pt == DC_RTCP_PT_RTPFB && p->count == DC_RTCP_FB_FMT_NACK) {
        dc_rtcp_fb_nack nack;
        if (dc_rtcp_fb_nack_parse(p->data, p->len, &nack) == 0 && s->sender) {
            int n = dc_rtcp_fb_nack_expand(&nack, s->nack_seqs, G_N_ELEMENTS(s->nack_seqs));
            if (n < 0)
                n = (int)G_N_ELEMENTS(s->nack_seqs);
            dc_sender_on_nack(s->sender, nack.fb.media_ssrc, s->nack_seqs, (size_t)n, now_us);
        }
    } else if (p->pt == DC_RTCP_PT_PSFB && p->count == DC_RTCP_FB_FMT_PLI) {
        dc_rtcp_fb pli;
        if (dc_rtcp_fb_pli_parse(p->data, p->len, &pli) == 0 && s->sender &&
            pli.media_ssrc == vssrc)
            dc_sender_request_keyframe(s->sender);
    } else if (p->pt == DC_RTCP_PT_PSFB && p->count == DC_RTCP_FB_FMT_FIR) {
        dc_rtcp_fb_fir fir;
        if (dc_rtcp_fb_fir_parse(p->data, p->len, &fir) == 0 && s->sender) {
            for (size_t i = 0; i < fir.entry_count; i++)
                if (dc_rtcp_fb_fir_entry_at(&fir, i).ssrc == vssrc)
                    dc_sender_request_keyframe(s->sender);
        }
    }
    /* REMB and transport-cc feedback: not acted on (the encoder keeps its
     * configured bitrate); RR blocks about our streams only feed the link
     * view. */
}

static void on_transport_rtcp(void *user, uint8_t *buf, size_t len)
{
    dc_session *s = user;
    int64_t now_us = g_get_monotonic_time();
    if (G_UNLIKELY(!s->consent.armed)) {
        /* The bridge reports on our media every second: from the first
         * report on, silence means a broken path. */
        dc_consent_start(&s->consent, now_us);
        dc_deadline_set(s->watch, dc_consent_next_timeout(&s->consent));
    }
    dc_consent_on_receive(&s->consent, now_us);
    dc_rtcp_iter it;
    dc_rtcp_packet p;
    dc_rtcp_iter_init(&it, buf, len);
    while (dc_rtcp_iter_next(&it, &p) == 1)
        on_rtcp_packet(s, &p, now_us);
}

static void on_transport_candidate(void *user, const char *candidate)
{
    dc_session *s = user;
    if (s->link)
        dc_signal_link_send_candidate(s->link, candidate, s->bundle_mid ? s->bundle_mid : "0", 0);
}

static gboolean rejoin_cb(gpointer data);

static void on_transport_state(void *user, int state)
{
    dc_session *s = user;
    if (state == DC_TRANSPORT_CONNECTED) {
        g_message("%s: media connected (ICE + DTLS-SRTP)", s->site);
        if (s->sender)
            dc_sender_start(s->sender, g_get_monotonic_time());
        reschedule(s); /* the watchdog arms at the first packet (on_transport_rtcp) */
    } else if (state == DC_TRANSPORT_FAILED) {
        bool was_up = s->consent.armed;
        if (s->sender)
            dc_sender_stop(s->sender);
        dc_consent_stop(&s->consent);
        if (was_up && !s->rejoin_id) {
            /* Consent lost (or DTLS closed) on a path that worked: join
             * again for a new transport (not from inside libnice). */
            g_warning("%s: the media path is lost; joining again", s->site);
            s->rejoin_id = g_idle_add(rejoin_cb, s);
        } else {
            g_warning("%s: the media transport failed; waiting for a new offer", s->site);
        }
    }
}

/* The consent watchdog: ask for an ICE restart when nothing has come for 2 s
 * (again every 5 s), join again when nothing has come for 30 s. */
static void on_watch(void *user, int64_t now_us)
{
    dc_session *s = user;
    char addr[64];
    switch (dc_consent_poll(&s->consent, now_us)) {
    case DC_CONSENT_RESTART:
        if (s->resuming)
            break; /* the resumed connection asks */
        if (s->transport && s->session_id &&
            dc_transport_local_address_gone(s->transport, addr, sizeof addr)) {
            /* Our address changed: the signaling connection, bound to the
             * old one, is as dead as the media path. Resume the session
             * on a new one and ask for the ICE restart there. */
            g_message("%s: nothing received for %" G_GINT64_FORMAT
                      " ms and our address %s is gone: resuming session %s on a new signaling "
                      "connection",
                      s->site, dc_consent_silence_us(&s->consent, now_us) / 1000, addr,
                      s->session_id);
            link_start(s, true);
            break;
        }
        if (s->link && dc_signal_link_is_open(s->link)) {
            g_message("%s: nothing received for %" G_GINT64_FORMAT " ms: asking for an ICE restart",
                      s->site, dc_consent_silence_us(&s->consent, now_us) / 1000);
            dc_signal_link_send_ice_restart(s->link);
            s->restart_pending = true;
        }
        break;
    case DC_CONSENT_EXPIRED:
        g_warning("%s: nothing received for 30 s (consent expired); joining again", s->site);
        if (!s->rejoin_id)
            s->rejoin_id = g_idle_add(rejoin_cb, s);
        break;
    case DC_CONSENT_NONE:
        break;
    }
    dc_deadline_set(s->watch, dc_consent_next_timeout(&s->consent));
}

static void transport_teardown(dc_session *s)
{
    dc_consent_stop(&s->consent);
    s->restart_pending = false;
    if (s->sender)
        dc_sender_stop(s->sender);
    g_clear_pointer(&s->transport, dc_transport_free);
    g_ptr_array_set_size(s->pending, 0);
}

/* ---- signaling ---- */

static void apply_roster(dc_session *s, JsonArray *sites)
{
    if (!sites)
        return;
    for (guint i = 0; i < json_array_get_length(sites); i++) {
        JsonNode *n = json_array_get_element(sites, i);
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        const char *id =
            json_object_get_string_member_with_default(json_node_get_object(n), "id", NULL);
        if (!id)
            continue;
        dc_receiver_set_site_index(s->receiver, id, (int)i);
        if (strcmp(id, s->site) == 0)
            s->site_index = (int)i;
    }
}

static bool ensure_sender(dc_session *s)
{
    if (s->sender)
        return true;
    dc_sender_config sc = {
        .site_id = s->site,
        .site_index = s->site_index < 0 ? 0 : s->site_index,
        .width = s->cfg.width,
        .height = s->cfg.height,
        .fps = s->cfg.fps,
        .bitrate_kbps = s->cfg.bitrate_kbps,
        .video_file = s->video_file,
        .audio_file = s->audio_file,
    };
    static const dc_sender_callbacks cb = {.send_rtp = send_rtp};
    g_autoptr(GError) error = NULL;
    s->sender = dc_sender_new(&sc, &cb, s, &error);
    if (!s->sender) {
        g_printerr("diemcau-client: cannot start the camera/microphone: %s\n", error->message);
        s->failed = true;
        g_main_loop_quit(s->loop);
        return false;
    }
    return true;
}

/* Our sending path is stopped while media may still arrive: restart ICE now
 * rather than when the receive watchdog would notice. */
static void on_transport_consent_lost(void *user)
{
    dc_session *s = user;
    if (s->link && dc_signal_link_is_open(s->link)) {
        g_message("%s: asking for an ICE restart (consent lost)", s->site);
        dc_signal_link_send_ice_restart(s->link);
        s->restart_pending = true;
    }
}

static const dc_transport_callbacks transport_cb = {
    .on_candidate = on_transport_candidate,
    .on_state = on_transport_state,
    .on_rtp = on_transport_rtp,
    .on_rtcp = on_transport_rtcp,
    .on_consent_lost = on_transport_consent_lost,
};

static void handle_offer(dc_session *s, JsonObject *msg)
{
    const char *sdp = json_object_get_string_member_with_default(msg, "sdp", NULL);
    if (!sdp || !ensure_sender(s)) {
        g_warning("offer without \"sdp\"");
        return;
    }
    g_autoptr(GError) error = NULL;
    dc_offer_view offer;
    if (!dc_offer_view_parse(sdp, &offer, &error)) {
        g_warning("cannot use the bridge's offer: %s", error->message);
        dc_offer_view_clear(&offer);
        return;
    }
    if (s->transport && dc_transport_remote_ufrag(s->transport) &&
        strcmp(dc_transport_remote_ufrag(s->transport), offer.ice_ufrag) != 0) {
        /* An ICE restart keeps the offer's session (o= sess-id, RFC 3264)
         * and fingerprint: keep DTLS. A new session means a new endpoint at
         * the bridge (a rejoin, a new control link or bridge process): new
         * transport. */
        if (offer.sdp->origin_id == s->remote_origin_id &&
            dc_transport_get_state(s->transport) != DC_TRANSPORT_FAILED &&
            g_strcmp0(dc_transport_remote_fingerprint(s->transport), offer.fingerprint) == 0) {
            if (dc_transport_restart_ice(s->transport, offer.ice_ufrag, offer.ice_pwd, &error)) {
                g_message("%s: ICE restart%s (DTLS-SRTP kept)", s->site,
                          s->restart_pending ? "" : " the bridge asked for");
            } else {
                g_warning("%s: %s: new transport", s->site, error->message);
                g_clear_error(&error);
                transport_teardown(s);
            }
        } else {
            g_message("%s: the offer has new ICE credentials: new transport", s->site);
            transport_teardown(s);
        }
        s->restart_pending = false;
    }
    s->remote_origin_id = offer.sdp->origin_id;
    if (!s->transport) {
        s->transport = dc_transport_new(NULL, s->cert, s->loopback, &transport_cb, s, &error);
        if (!s->transport) {
            g_warning("cannot create the media transport: %s", error->message);
            dc_offer_view_clear(&offer);
            return;
        }
    }
    g_free(s->bundle_mid);
    s->bundle_mid = dc_offer_view_bundle_mid(&offer);
    size_t ns = 0;
    g_autofree dc_answer_stream *streams = dc_answer_streams_from_json(msg, &ns);
    dc_answer_local local = {
        .origin_id = s->origin_id,
        .origin_version = ++s->answer_version,
        .ice_ufrag = dc_transport_ufrag(s->transport),
        .ice_pwd = dc_transport_pwd(s->transport),
        .fingerprint = dc_dtls_cert_fingerprint(s->cert),
        .site = s->site,
        .ssrc = {dc_sender_ssrc(s->sender, DC_MEDIA_AUDIO),
                 dc_sender_ssrc(s->sender, DC_MEDIA_VIDEO)},
    };
    dc_answer_result res;
    if (!dc_answer_build(&offer, &local, streams, ns, &res, &error) ||
        !dc_transport_set_remote(s->transport, offer.ice_ufrag, offer.ice_pwd, offer.fingerprint,
                                 &error)) {
        g_warning("cannot answer the bridge's offer: %s", error->message);
        dc_answer_result_clear(&res);
        dc_offer_view_clear(&offer);
        return;
    }
    dc_signal_link_send_answer(s->link, res.sdp);
    for (int k = 0; k < DC_MEDIA_KINDS; k++)
        dc_sender_set_track(s->sender, (dc_media_kind)k, &res.tracks[k]);
    const uint32_t own_ssrcs[2] = {local.ssrc[0], local.ssrc[1]};
    const char *own_mids[2] = {res.tracks[0].active ? res.tracks[0].mid : NULL,
                               res.tracks[1].active ? res.tracks[1].mid : NULL};
    dc_receiver_set_own(s->receiver, local.ssrc[DC_MEDIA_VIDEO], own_ssrcs, own_mids);
    dc_receiver_configure(s->receiver, res.streams, res.n_streams, res.mid_ext_id,
                          g_get_monotonic_time());
    g_message("%s: answered an offer with %zu remote streams", s->site, res.n_streams);
    for (guint i = 0; i < s->pending->len; i++)
        dc_transport_add_remote_candidate(s->transport, s->pending->pdata[i]);
    g_ptr_array_set_size(s->pending, 0);
    /* An ICE restart's candidates, gathered afresh after the answer (the
     * first ones were gathered by dc_transport_set_remote). */
    if (!dc_transport_gather_candidates(s->transport, &error)) {
        g_warning("%s: %s", s->site, error->message);
        g_clear_error(&error);
    }
    dc_answer_result_clear(&res);
    dc_offer_view_clear(&offer);
}

static void handle_candidate(dc_session *s, JsonObject *msg)
{
    const char *c = json_object_get_string_member_with_default(msg, "candidate", NULL);
    if (!c)
        return;
    if (s->transport && dc_transport_remote_ufrag(s->transport))
        dc_transport_add_remote_candidate(s->transport, c);
    else
        g_ptr_array_add(s->pending, g_strdup(c));
}

static void on_link_open(void *user)
{
    dc_session *s = user;
    dc_signal_link_send_join(s->link, s->site, s->credential);
}

static void set_str(char **dst, const char *v)
{
    g_free(*dst);
    *dst = g_strdup(v);
}

/* A pair {"audio": bool, "video": bool} into v[2] (missing members: false). */
static void get_pair(JsonObject *o, const char *name, bool v[2])
{
    JsonObject *p = o && json_object_has_member(o, name) &&
                            JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, name))
                        ? json_object_get_object_member(o, name)
                        : NULL;
    v[0] = p && json_object_get_boolean_member_with_default(p, "audio", false);
    v[1] = p && json_object_get_boolean_member_with_default(p, "video", false);
}

/* The chair's messages: obeyed (a mute stops that medium at the sender;
 * "ended" and "removed" leave for good) and kept for the report. */
static bool handle_chair(dc_session *s, const char *type, JsonObject *msg)
{
    if (strcmp(type, "meeting") != 0 && strcmp(type, "muted") != 0 && strcmp(type, "floor") != 0 &&
        strcmp(type, "ended") != 0 && strcmp(type, "removed") != 0)
        return false;
    JsonNode *copy = json_node_alloc();
    json_node_init_object(copy, msg);
    g_autofree char *text = json_to_string(copy, FALSE);
    json_node_unref(copy);
    double t = (double)(g_get_monotonic_time() - s->started_us) / 1e6;
    g_ptr_array_add(s->chair_events, g_strdup_printf("{\"t_s\":%.2f,\"message\":%s}", t, text));
    if (strcmp(type, "meeting") == 0) {
        set_str(&s->meeting_state, json_object_get_string_member_with_default(msg, "state", NULL));
        if (g_strcmp0(s->meeting_state, "lobby") == 0)
            g_message("%s: waiting in the lobby until the chair opens the meeting", s->site);
    } else if (strcmp(type, "muted") == 0) {
        bool was[2] = {s->chair.muted[0], s->chair.muted[1]};
        s->chair.muted[0] = json_object_get_boolean_member_with_default(msg, "audio", false);
        s->chair.muted[1] = json_object_get_boolean_member_with_default(msg, "video", false);
        get_pair(msg, "by_chair", s->chair.muted_by_chair);
        for (int k = 0; k < 2; k++) {
            if (s->sender && !s->cfg.ignore_mute)
                dc_sender_set_paused(s->sender, k == 0 ? DC_MEDIA_AUDIO : DC_MEDIA_VIDEO,
                                     s->chair.muted[k]);
            if (was[k] != s->chair.muted[k])
                g_message("%s: %s %s%s", s->site, k == 0 ? "audio" : "video",
                          s->chair.muted[k] ? "muted" : "unmuted",
                          s->chair.muted_by_chair[k] ? " by the chair" : "");
        }
    } else if (strcmp(type, "floor") == 0) {
        const char *f = json_object_get_string_member_with_default(msg, "site", NULL);
        set_str(&s->floor, f);
        g_message("%s: the floor is %s%s", s->site, f ? "with " : "back with the chair",
                  f ? f : "");
    } else {
        g_message("%s: %s", s->site,
                  json_object_get_string_member_with_default(msg, "reason", type));
        s->final_state = strcmp(type, "ended") == 0 ? "ended" : "removed";
        s->leaving = true;
        g_main_loop_quit(s->loop);
    }
    s->chair.meeting_state = s->meeting_state;
    s->chair.floor = s->floor;
    return true;
}

static void on_link_message(void *user, const char *type, JsonObject *msg)
{
    dc_session *s = user;
    if (handle_chair(s, type, msg))
        return;
    if (strcmp(type, "welcome") == 0) {
        bool again = s->joined;
        const char *sid = json_object_get_string_member_with_default(msg, "session", NULL);
        bool resumed = s->resuming && sid && g_strcmp0(sid, s->session_id) == 0;
        if (s->resuming && !resumed) {
            /* The service dropped the session meanwhile: a new transport
             * and offer come with the new one. */
            g_message("%s: the service did not resume session %s", s->site, s->session_id);
            transport_teardown(s);
        }
        s->resuming = false;
        g_ptr_array_set_size(s->abandoned, 0); /* replaced at the service now */
        set_str(&s->session_id, sid);
        s->joined = true;
        apply_roster(s, json_object_has_member(msg, "roster")
                            ? json_object_get_array_member(msg, "roster")
                            : NULL);
        if (resumed) {
            /* After an address change the media path is broken too; after
             * a silent signaling connection it may be fine. */
            bool media_quiet =
                !s->consent.armed ||
                dc_consent_silence_us(&s->consent, g_get_monotonic_time()) >= RESUME_RESTART_US;
            if (s->transport && media_quiet && dc_signal_link_send_ice_restart(s->link)) {
                g_message("%s: signaling session %s resumed; asking for an ICE restart", s->site,
                          sid);
                s->restart_pending = true;
            } else {
                g_message("%s: signaling session %s resumed; the media path is working", s->site,
                          sid);
            }
            return;
        }
        g_message("%s: joined the meeting%s (site index %d)", s->site, again ? " again" : "",
                  s->site_index);
        ensure_sender(s);
    } else if (strcmp(type, "roster") == 0) {
        apply_roster(s, json_object_has_member(msg, "sites")
                            ? json_object_get_array_member(msg, "sites")
                            : NULL);
    } else if (strcmp(type, "error") == 0) {
        const char *m = json_object_get_string_member_with_default(msg, "message", "(no message)");
        const char *code = json_object_get_string_member_with_default(msg, "code", "?");
        const char *field = json_object_get_string_member_with_default(msg, "field", NULL);
        if (!s->joined) {
            g_printerr("diemcau-client: the join was refused: %s (code %s%s%s)\n", m, code,
                       field ? ", field " : "", field ? field : "");
            s->refused = true;
            g_free(s->error);
            s->error = g_strdup(m);
            g_main_loop_quit(s->loop);
        } else {
            g_warning("signaling error: %s (code %s%s%s)", m, code, field ? ", field " : "",
                      field ? field : "");
        }
    } else if (strcmp(type, "offer") == 0) {
        handle_offer(s, msg);
    } else if (strcmp(type, "candidate") == 0) {
        handle_candidate(s, msg);
    } else if (strcmp(type, "replaced") == 0) {
        g_printerr("diemcau-client: %s joined from elsewhere; this session was replaced\n",
                   s->site);
        s->leaving = true;
        g_main_loop_quit(s->loop);
    } else if (strcmp(type, "bridge-restarting") == 0) {
        /* A new bridge process sends a new offer with new ICE credentials
         * (handle_offer rebuilds the transport then); the same one keeps
         * the media flowing. */
        g_message("%s: the control link to the bridge is down; waiting", s->site);
        s->restart_pending = false;
    }
}

static gboolean reconnect_cb(gpointer data)
{
    dc_session *s = data;
    s->reconnect_id = 0;
    link_start(s, s->resuming);
    return G_SOURCE_REMOVE;
}

static gboolean rejoin_cb(gpointer data)
{
    dc_session *s = data;
    s->rejoin_id = 0;
    if (s->leaving)
        return G_SOURCE_REMOVE;
    transport_teardown(s);
    s->resuming = false;
    link_start(s, false); /* a new join replaces our session at the service */
    return G_SOURCE_REMOVE;
}

static void on_link_closed(void *user, const char *why)
{
    dc_session *s = user;
    if (s->leaving)
        return;
    if (!s->joined) {
        g_printerr("diemcau-client: %s\n", why);
        g_free(s->error);
        s->error = g_strdup(why);
        s->failed = true;
        g_main_loop_quit(s->loop);
        return;
    }
    if (s->resuming) {
        /* Keep the transport: the consent watchdog bounds the tries. */
        g_warning("%s: cannot resume the session yet (%s); trying again", s->site, why);
        if (!s->reconnect_id)
            s->reconnect_id = g_timeout_add(RECONNECT_MS, reconnect_cb, s);
        return;
    }
    g_warning("%s: lost the signaling connection (%s); reconnecting", s->site, why);
    transport_teardown(s);
    if (!s->reconnect_id)
        s->reconnect_id = g_timeout_add(RECONNECT_MS, reconnect_cb, s);
}

/* Nothing from the service for silent_ms on an open connection: it may be
 * dead without a close (a NAT that forgot it). A joined site resumes its
 * session on a new connection and keeps the transport; one still joining
 * has nothing to resume. */
static void on_link_silent(void *user, int64_t silent_ms)
{
    dc_session *s = user;
    g_autofree char *why = g_strdup_printf(
        "nothing from the signaling service for %" G_GINT64_FORMAT " s", silent_ms / 1000);
    if (s->leaving)
        return;
    if (!s->joined || !s->session_id) {
        on_link_closed(s, why);
        return;
    }
    g_warning("%s: %s; resuming session %s on a new connection", s->site, why, s->session_id);
    link_start(s, true);
}

/* A new signaling connection (the old one, if any, closed without a
 * callback); resume: to resume session_id (docs/protocol.md, join). */
static void link_start(dc_session *s, bool resume)
{
    static const dc_signal_callbacks cb = {
        .on_open = on_link_open,
        .on_message = on_link_message,
        .on_closed = on_link_closed,
        .on_silent = on_link_silent,
    };
    if (resume && s->link && dc_signal_link_is_open(s->link)) {
        /* Closing it now could end the session: a close (or a FIN) that
         * reaches the service before the resume does detaches the site. */
        dc_signal_link_mute(s->link);
        if (s->abandoned->len >= ABANDONED_MAX)
            g_ptr_array_remove_index(s->abandoned, 0);
        g_ptr_array_add(s->abandoned, g_steal_pointer(&s->link));
    }
    g_clear_pointer(&s->link, dc_signal_link_free);
    s->resuming = resume && s->session_id;
    g_autofree char *url = s->resuming
                               ? g_strdup_printf("%s%cresume=%s", s->url,
                                                 strchr(s->url, '?') ? '&' : '?', s->session_id)
                               : g_strdup(s->url);
    s->link = dc_signal_link_new(url, s->tls, &cb, s);
    if (s->link && s->cfg.signal_timeout_s > 0)
        dc_signal_link_set_silence_limit(s->link, (int64_t)s->cfg.signal_timeout_s * 1000);
}

static void link_tick(dc_session *s, int64_t now_us)
{
    dc_link_sample sample;
    memset(&sample, 0, sizeof sample);
    if (s->sender) {
        dc_sender_stats st;
        dc_sender_get_stats(s->sender, &st);
        sample.sent_packets[DC_MEDIA_AUDIO] = st.audio_packets;
        sample.sent_bytes[DC_MEDIA_AUDIO] = st.audio_bytes;
        sample.sent_packets[DC_MEDIA_VIDEO] = st.video_packets;
        sample.sent_bytes[DC_MEDIA_VIDEO] = st.video_bytes;
        sample.nack_seqs_in = st.nack_seqs_in;
        sample.retransmits = st.retransmits;
        sample.keyframe_requests = st.keyframe_requests;
    }
    for (int k = 0; k < DC_MEDIA_KINDS; k++)
        dc_receiver_get_totals(s->receiver, (dc_media_kind)k, &sample.received[k]);
    dc_link_tick(&s->link_view, &sample, now_us);
}

static gboolean status_cb(gpointer data)
{
    dc_session *s = data;
    int64_t now_us = g_get_monotonic_time();
    dc_receiver_roll_interval(s->receiver, now_us);
    link_tick(s, now_us);
    if (s->cfg.status) {
        dc_report_input in = {
            .site = s->site, .state = state_name(s), .receiver = s->receiver, .chair = &s->chair};
        g_autofree char *line = dc_report_status_line(&in);
        fprintf(stdout, "%s\n", line);
        fflush(stdout);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- life cycle ---- */

static bool url_is_loopback(const char *url)
{
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    const char *host = uri ? g_uri_get_host(uri) : NULL;
    return host && (strcmp(host, "localhost") == 0 || g_str_has_prefix(host, "127.") ||
                    strcmp(host, "::1") == 0);
}

dc_session *dc_session_new(const dc_session_config *cfg, GMainLoop *loop, GError **error)
{
    g_autoptr(GUri) uri = g_uri_parse(cfg->signal_url, G_URI_FLAGS_NONE, error);
    if (!uri)
        return NULL;
    const char *scheme = g_uri_get_scheme(uri);
    if (g_strcmp0(scheme, "ws") != 0 && g_strcmp0(scheme, "wss") != 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--signal must be a ws:// or wss:// URL, not %s", cfg->signal_url);
        return NULL;
    }
    if ((cfg->tls_ca_file || cfg->tls_pin) && g_strcmp0(scheme, "wss") != 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--ca-file and --pin check a wss:// server; %s is not one", cfg->signal_url);
        return NULL;
    }
    dc_tls_verify *tls = dc_tls_verify_new(cfg->tls_ca_file, cfg->tls_pin, error);
    if (!tls)
        return NULL;
    dc_dtls_cert *cert = dc_dtls_cert_new(g_get_real_time() / 1000000);
    if (!cert) {
        dc_tls_verify_free(tls);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make a DTLS certificate");
        return NULL;
    }
    dc_session *s = g_new0(dc_session, 1);
    s->cfg = *cfg;
    s->cfg.tls_ca_file = NULL; /* used above; s->tls has what it needs */
    s->cfg.tls_pin = NULL;
    s->tls = tls;
    s->url = g_strdup(cfg->signal_url);
    s->abandoned = g_ptr_array_new_with_free_func((GDestroyNotify)dc_signal_link_free);
    s->site = g_strdup(cfg->site);
    s->credential = g_strdup(cfg->credential);
    s->video_file = g_strdup(cfg->video_file);
    s->audio_file = g_strdup(cfg->audio_file);
    s->record_dir = g_strdup(cfg->record_dir);
    s->cfg.signal_url = s->url;
    s->cfg.site = s->site;
    s->cfg.credential = s->credential;
    s->cfg.video_file = s->video_file;
    s->cfg.audio_file = s->audio_file;
    s->cfg.record_dir = s->record_dir;
    s->loop = g_main_loop_ref(loop);
    s->cert = cert;
    s->loopback = url_is_loopback(cfg->signal_url);
    s->site_index = -1;
    s->origin_id = ((uint64_t)g_random_int() << 31) ^ g_random_int();
    s->pending = g_ptr_array_new_with_free_func(g_free);
    s->records = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, record_free);
    s->chair_events = g_ptr_array_new_with_free_func(g_free);
    s->chair.events = s->chair_events;
    static const dc_receiver_callbacks rcb = {
        .send_rtcp = send_rtcp_plain,
        .on_video = on_video,
        .on_audio = on_audio,
    };
    s->receiver = dc_receiver_new(s->site, &rcb, s, error);
    if (!s->receiver) {
        dc_session_free(s);
        return NULL;
    }
    if (s->video_file || s->audio_file) {
        /* Open the files now so that a bad one fails at startup. */
        s->site_index = 0;
        if (!ensure_sender(s)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open the media files");
            dc_session_free(s);
            return NULL;
        }
        s->failed = false;
        s->site_index = -1;
        g_clear_pointer(&s->sender, dc_sender_free);
    }
    s->started_us = g_get_monotonic_time();
    dc_link_init(&s->link_view);
    s->next_rtcp_us = s->started_us + RTCP_INTERVAL_US;
    s->tick = dc_deadline_new(NULL, on_tick, s);
    dc_consent_init(&s->consent, &DC_CONSENT_DEFAULT_CONFIG);
    s->watch = dc_deadline_new(NULL, on_watch, s);
    reschedule(s);
    s->status_id = g_timeout_add(1000, status_cb, s);
    link_start(s, false);
    return s;
}

void dc_session_leave(dc_session *s)
{
    if (s->leaving && !s->link)
        return;
    s->final_state = state_name(s);
    s->leaving = true;
    if (s->sender)
        dc_sender_stop(s->sender);
    if (s->link && dc_signal_link_is_open(s->link))
        dc_signal_link_send_leave(s->link);
    g_clear_pointer(&s->transport, dc_transport_free);
    if (s->link && dc_signal_link_close(s->link)) {
        int64_t until = g_get_monotonic_time() + LEAVE_WAIT_US;
        while (dc_signal_link_close(s->link) && g_get_monotonic_time() < until) {
            if (!g_main_context_iteration(NULL, FALSE))
                g_usleep(2000);
        }
    }
    g_clear_pointer(&s->link, dc_signal_link_free);
}

void dc_session_free(dc_session *s)
{
    if (!s)
        return;
    s->leaving = true;
    if (s->reconnect_id)
        g_source_remove(s->reconnect_id);
    if (s->rejoin_id)
        g_source_remove(s->rejoin_id);
    if (s->status_id)
        g_source_remove(s->status_id);
    g_clear_pointer(&s->link, dc_signal_link_free);
    g_ptr_array_unref(s->abandoned);
    dc_tls_verify_free(s->tls);
    g_clear_pointer(&s->transport, dc_transport_free);
    dc_deadline_free(s->tick);
    dc_deadline_free(s->watch);
    dc_sender_free(s->sender);
    dc_receiver_free(s->receiver);
    g_hash_table_unref(s->records);
    g_ptr_array_unref(s->pending);
    dc_dtls_cert_free(s->cert);
    if (s->loop)
        g_main_loop_unref(s->loop);
    g_free(s->bundle_mid);
    g_free(s->session_id);
    g_free(s->meeting_state);
    g_free(s->floor);
    g_ptr_array_unref(s->chair_events);
    g_free(s->error);
    g_free(s->url);
    g_free(s->site);
    g_free(s->credential);
    g_free(s->video_file);
    g_free(s->audio_file);
    g_free(s->record_dir);
    g_free(s);
}

bool dc_session_joined(const dc_session *s)
{
    return s->joined;
}

bool dc_session_refused(const dc_session *s)
{
    return s->refused;
}

char *dc_session_report_json(dc_session *s)
{
    dc_sender_stats st;
    if (s->sender)
        dc_sender_get_stats(s->sender, &st);
    dc_report_input in = {
        .site = s->site,
        .joined = s->joined,
        .state = state_name(s),
        .error = s->error,
        .sent = s->sender ? &st : NULL,
        .receiver = s->receiver,
        .duration_s = (double)(g_get_monotonic_time() - s->started_us) / 1e6,
        .chair = &s->chair,
        .link = dc_link_get(&s->link_view),
    };
    return dc_report_json(&in);
}
