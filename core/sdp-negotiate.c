/* sdp-negotiate: the bridge's offer and a browser-style answer, built on the
 * SDP model of sdp.c. See sdp.h. */
#include "core/sdp-private.h"

#include <string.h>

/* ---- offer ---- */

static void set_transport(dc_sdp_media *m, const char *ufrag, const char *pwd, const char *alg,
                          const char *hex, dc_sdp_setup setup)
{
    m->ice_ufrag = g_strdup(ufrag);
    m->ice_pwd = g_strdup(pwd);
    if (alg && hex) {
        m->fingerprint.algorithm = g_strdup(alg);
        m->fingerprint.hex = g_strdup(hex);
    }
    m->setup = setup;
}

dc_sdp *dc_sdp_offer_new(const dc_sdp_offer_desc *d)
{
    static const char *const video_fb[] = {"goog-remb", "transport-cc", "ccm fir", "nack",
                                           "nack pli"};
    dc_sdp *s = dc_sdp_new();
    s->origin_id = d->origin_id;
    s->origin_version = d->origin_version;
    s->extmap_allow_mixed = d->extmap_allow_mixed;
    s->msid_semantic = g_strdup("WMS *");
    s->ice_trickle = true;
    for (size_t i = 0; i < d->n_media; i++) {
        const dc_sdp_offer_media *om = &d->media[i];
        bool audio = om->kind == DC_SDP_KIND_AUDIO;
        dc_sdp_media *m =
            dc_sdp_add_media(s, audio ? DC_SDP_KIND_AUDIO : DC_SDP_KIND_VIDEO, om->mid);
        g_ptr_array_add(s->bundle, g_strdup(om->mid));
        set_transport(m, d->ice_ufrag, d->ice_pwd, d->fp_algorithm, d->fp_hex,
                      DC_SDP_SETUP_ACTPASS);
        m->direction = om->direction ? om->direction : DC_SDP_DIR_SENDRECV;
        m->rtcp_mux = m->rtcp_rsize = true;
        if (audio)
            dc_sdp_media_add_extmap(m, 1, DC_SDP_EXT_AUDIO_LEVEL);
        if (d->abs_send_time)
            dc_sdp_media_add_extmap(m, 2, DC_SDP_EXT_ABS_SEND_TIME);
        if (!d->no_transport_cc)
            dc_sdp_media_add_extmap(m, 3, DC_SDP_EXT_TRANSPORT_CC);
        dc_sdp_media_add_extmap(m, 4, DC_SDP_EXT_MID);
        if (audio) {
            dc_sdp_codec *c =
                dc_sdp_media_add_codec(m, 111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
            if (!d->no_transport_cc)
                dc_sdp_codec_add_fb(c, "transport-cc");
        } else {
            dc_sdp_codec *c = dc_sdp_media_add_codec(m, 96, "VP8", 90000, 0, NULL);
            for (size_t k = 0; k < G_N_ELEMENTS(video_fb); k++)
                if (!d->no_transport_cc || strcmp(video_fb[k], "transport-cc") != 0)
                    dc_sdp_codec_add_fb(c, video_fb[k]);
        }
        if (om->msid_stream) {
            m->msid_stream = g_strdup(om->msid_stream);
            m->msid_track = g_strdup(om->msid_track);
        }
        if (om->ssrc)
            dc_sdp_media_add_ssrc(m, om->ssrc, om->cname ? om->cname : "-");
    }
    return s;
}

/* ---- answer ---- */

static bool in_strv(const char *const *v, const char *s)
{
    return v && g_strv_contains(v, s);
}

static const dc_sdp_codec_cap *find_cap(const dc_sdp_local *l, const dc_sdp_codec *c)
{
    for (size_t i = 0; c->name && i < l->n_codecs; i++) {
        const dc_sdp_codec_cap *cap = &l->codecs[i];
        if (!g_ascii_strcasecmp(cap->name, c->name) &&
            (!cap->clock_rate || cap->clock_rate == c->clock_rate) &&
            (!cap->channels || cap->channels == c->channels))
            return cap;
    }
    return NULL;
}

static bool is_named(const dc_sdp_codec *c, const char *name)
{
    return c->name && !g_ascii_strcasecmp(c->name, name);
}

/* Whether an offered rtx or red codec may be kept given the primary codecs
 * already kept in a. */
static bool dependents_kept(const dc_sdp_codec *c, const dc_sdp_media *a)
{
    if (is_named(c, "rtx")) {
        int apt = dc_sdp_codec_apt_(c);
        return apt >= 0 && dc_sdp_media_codec_by_pt(a, (uint8_t)apt);
    }
    if (!c->fmtp) /* video red */
        return true;
    g_auto(GStrv) pts = g_strsplit(c->fmtp, "/", -1);
    for (guint i = 0; pts[i]; i++) {
        uint64_t pt;
        if (dc_sdp_parse_uint_(g_strstrip(pts[i]), 127, &pt) ||
            !dc_sdp_media_codec_by_pt(a, (uint8_t)pt))
            return false;
    }
    return true;
}

static void answer_codec(dc_sdp_media *a, const dc_sdp_codec *oc, const dc_sdp_codec_cap *cap,
                         const dc_sdp_local *l)
{
    dc_sdp_codec *c = dc_sdp_media_add_codec(a, oc->pt, oc->name, oc->clock_rate, oc->channels,
                                             cap->fmtp ? cap->fmtp : oc->fmtp);
    for (guint k = 0; k < oc->rtcp_fb->len; k++)
        if (in_strv(l->rtcp_fb, oc->rtcp_fb->pdata[k]))
            dc_sdp_codec_add_fb(c, oc->rtcp_fb->pdata[k]);
}

/* Copies the codecs of o that local supports into a, in offer order. */
static void answer_codecs(dc_sdp_media *a, const dc_sdp_media *o, const dc_sdp_local *l)
{
    /* Primary codecs first, so rtx and red can check their targets. */
    g_autofree bool *keep = g_new0(bool, o->codecs->len + 1);
    g_autoptr(dc_sdp) tmp = dc_sdp_new();
    dc_sdp_media *primaries = dc_sdp_add_media(tmp, DC_SDP_KIND_AUDIO, NULL);
    for (guint i = 0; i < o->codecs->len; i++) {
        const dc_sdp_codec *c = o->codecs->pdata[i];
        if (!is_named(c, "rtx") && !is_named(c, "red") && find_cap(l, c)) {
            keep[i] = true;
            dc_sdp_media_add_codec(primaries, c->pt, c->name, c->clock_rate, 0, NULL);
        }
    }
    for (guint i = 0; i < o->codecs->len; i++) {
        const dc_sdp_codec *c = o->codecs->pdata[i];
        if ((is_named(c, "rtx") || is_named(c, "red")) && find_cap(l, c) &&
            dependents_kept(c, primaries))
            keep[i] = true;
    }
    for (guint i = 0; i < o->codecs->len; i++)
        if (keep[i])
            answer_codec(a, o->codecs->pdata[i], find_cap(l, o->codecs->pdata[i]), l);
}

static dc_sdp_direction answer_direction(dc_sdp_direction offered, bool have_track)
{
    switch (offered) {
    case DC_SDP_DIR_SENDONLY:
        return DC_SDP_DIR_RECVONLY;
    case DC_SDP_DIR_RECVONLY:
        return have_track ? DC_SDP_DIR_SENDONLY : DC_SDP_DIR_INACTIVE;
    case DC_SDP_DIR_INACTIVE:
        return DC_SDP_DIR_INACTIVE;
    default:
        return have_track ? DC_SDP_DIR_SENDRECV : DC_SDP_DIR_RECVONLY;
    }
}

static const dc_sdp_track *find_track(const dc_sdp_local *l, const char *mid)
{
    for (size_t i = 0; i < l->n_tracks; i++)
        if (!g_strcmp0(l->tracks[i].mid, mid))
            return &l->tracks[i];
    return NULL;
}

static void answer_track(dc_sdp_media *a, const dc_sdp_track *t)
{
    a->msid_stream = g_strdup(t->msid_stream ? t->msid_stream : "-");
    a->msid_track = g_strdup(t->msid_track);
    if (!t->ssrc)
        return;
    const char *cname = t->cname ? t->cname : "-";
    bool rtx = false;
    for (guint i = 0; i < a->codecs->len; i++)
        rtx = rtx || is_named(a->codecs->pdata[i], "rtx");
    if (rtx && t->rtx_ssrc) {
        uint32_t fid[2] = {t->ssrc, t->rtx_ssrc};
        dc_sdp_media_add_ssrc_group(a, "FID", fid, 2);
    }
    dc_sdp_media_add_ssrc(a, t->ssrc, cname);
    if (rtx && t->rtx_ssrc)
        dc_sdp_media_add_ssrc(a, t->rtx_ssrc, cname);
}

static dc_sdp_setup answer_setup(const dc_sdp *offer, const dc_sdp_media *o, dc_sdp_setup local)
{
    dc_sdp_setup offered = o->setup ? o->setup : offer->setup;
    if (offered == DC_SDP_SETUP_ACTIVE)
        return DC_SDP_SETUP_PASSIVE;
    if (offered == DC_SDP_SETUP_PASSIVE)
        return DC_SDP_SETUP_ACTIVE;
    return local == DC_SDP_SETUP_PASSIVE ? DC_SDP_SETUP_PASSIVE : DC_SDP_SETUP_ACTIVE;
}

/* Turns a into a rejected copy of offered section o. */
static void reject(dc_sdp_media *a, const dc_sdp_media *o)
{
    a->port = 0;
    a->direction = DC_SDP_DIR_INACTIVE;
    a->fmt = g_strdup(o->fmt);
    g_ptr_array_set_size(a->codecs, 0);
    g_ptr_array_set_size(a->extmaps, 0);
    for (guint i = 0; i < o->codecs->len; i++) {
        const dc_sdp_codec *c = o->codecs->pdata[i];
        dc_sdp_media_add_codec(a, c->pt, c->name, c->clock_rate, c->channels, NULL);
    }
}

static void answer_media(dc_sdp *ans, const dc_sdp *offer, const dc_sdp_media *o,
                         const dc_sdp_local *l)
{
    dc_sdp_media *a = dc_sdp_media_append_(ans, o->media, o->proto);
    a->mid = g_strdup(o->mid);
    bool ok = o->port != 0 && o->kind != DC_SDP_KIND_OTHER && strstr(o->proto, "RTP/SAVPF");
    if (ok)
        answer_codecs(a, o, l);
    if (!ok || !a->codecs->len) {
        reject(a, o);
        return;
    }
    a->port = 9;
    set_transport(a, l->ice_ufrag, l->ice_pwd, l->fp_algorithm, l->fp_hex,
                  answer_setup(offer, o, l->setup));
    for (guint i = 0; i < o->extmaps->len; i++) {
        const dc_sdp_extmap *e = o->extmaps->pdata[i];
        if (in_strv(l->extensions, e->uri))
            dc_sdp_media_add_extmap(a, e->id, e->uri);
    }
    const dc_sdp_track *t = find_track(l, o->mid);
    a->direction = answer_direction(o->direction, t != NULL);
    a->rtcp_mux = o->rtcp_mux;
    a->rtcp_rsize = o->rtcp_rsize;
    if (a->direction == DC_SDP_DIR_SENDONLY || a->direction == DC_SDP_DIR_SENDRECV)
        answer_track(a, t);
}

dc_sdp *dc_sdp_answer(const dc_sdp *offer, const dc_sdp_local *l, GError **error)
{
    for (guint i = 0; i < offer->media->len; i++) {
        if (!((dc_sdp_media *)offer->media->pdata[i])->mid) {
            g_set_error(error, DC_SDP_ERROR, DC_SDP_ERROR_NEGOTIATION,
                        "offer media section %u (m=%s) has no a=mid", i + 1,
                        ((dc_sdp_media *)offer->media->pdata[i])->media);
            return NULL;
        }
    }
    dc_sdp *ans = dc_sdp_new();
    ans->origin_id = l->origin_id;
    ans->origin_version = l->origin_version;
    ans->extmap_allow_mixed = offer->extmap_allow_mixed;
    ans->msid_semantic = g_strdup("WMS");
    ans->ice_trickle = true;
    for (guint i = 0; i < offer->media->len; i++)
        answer_media(ans, offer, offer->media->pdata[i], l);
    for (guint i = 0; i < offer->bundle->len; i++) {
        const dc_sdp_media *a = dc_sdp_find_media(ans, offer->bundle->pdata[i]);
        if (a && a->port)
            g_ptr_array_add(ans->bundle, g_strdup(a->mid));
    }
    return ans;
}
