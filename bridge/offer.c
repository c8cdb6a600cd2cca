/* offer: building the bridge's offers and reading the endpoints' answers.
 * See offer.h. */
#include "bridge/offer.h"

#include <stdarg.h>
#include <string.h>

#include "core/sdp.h"

void dc_offer_mid(unsigned receiver, unsigned source, dc_router_kind kind, char *mid)
{
    if (source == receiver) {
        g_snprintf(mid, DC_ROUTER_MID_MAX, "%u", (unsigned)kind);
        return;
    }
    unsigned j = source < receiver ? source : source - 1;
    g_snprintf(mid, DC_ROUTER_MID_MAX, "%u", 2 + 2 * j + (unsigned)kind);
}

char *dc_offer_build(const dc_offer_desc *d, GArray *streams)
{
    unsigned n = d->n_sites * 2;
    dc_sdp_offer_media *media = g_new0(dc_sdp_offer_media, n);
    char(*mids)[DC_ROUTER_MID_MAX] = g_malloc0_n(n, DC_ROUTER_MID_MAX);
    GPtrArray *strings = g_ptr_array_new_with_free_func(g_free);
    unsigned m = 0;
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++, m++) {
        dc_offer_mid(d->receiver, d->receiver, k, mids[m]);
        media[m] = (dc_sdp_offer_media){
            .kind = k == DC_ROUTER_AUDIO ? DC_SDP_KIND_AUDIO : DC_SDP_KIND_VIDEO,
            .mid = mids[m],
            .direction = DC_SDP_DIR_RECVONLY,
        };
    }
    for (unsigned s = 0; s < d->n_sites; s++) {
        if (s == d->receiver)
            continue;
        const char *site = d->site_ids[s];
        for (unsigned k = 0; k < DC_ROUTER_KINDS; k++, m++) {
            dc_offer_mid(d->receiver, s, k, mids[m]);
            char *track = g_strdup_printf("%s-%c", site, k == DC_ROUTER_AUDIO ? 'a' : 'v');
            g_ptr_array_add(strings, track);
            media[m] = (dc_sdp_offer_media){
                .kind = k == DC_ROUTER_AUDIO ? DC_SDP_KIND_AUDIO : DC_SDP_KIND_VIDEO,
                .mid = mids[m],
                /* Always sendonly, present or not: a join or a leave
                 * changes no m-line's direction (webrtcbin 1.22 cannot
                 * apply a re-offer that does), only "streams". */
                .direction = DC_SDP_DIR_SENDONLY,
                .msid_stream = site,
                .msid_track = track,
                .ssrc = dc_router_output_ssrc(d->router, d->receiver, s, k),
                .cname = site,
            };
            if (streams && d->present[s]) {
                dc_offer_stream st = {.site = s, .kind = k};
                memcpy(st.mid, mids[m], sizeof st.mid);
                g_array_append_val(streams, st);
            }
        }
    }
    g_auto(GStrv) fp = g_strsplit(d->fingerprint, " ", 2);
    dc_sdp_offer_desc od = {
        .origin_id = d->origin_id,
        .origin_version = d->version,
        .ice_ufrag = d->ice_ufrag,
        .ice_pwd = d->ice_pwd,
        .fp_algorithm = fp[0],
        .fp_hex = fp[1] ? fp[1] : "",
        /* The router answers REMB (loss-based, capped by receivers' REMB)
         * but runs no transport-wide congestion control: do not offer it. */
        .no_transport_cc = true,
        .media = media,
        .n_media = m,
    };
    g_autoptr(dc_sdp) sdp = dc_sdp_offer_new(&od);
    char *text = dc_sdp_write(sdp);
    g_ptr_array_unref(strings);
    g_free(mids);
    g_free(media);
    return text;
}

void dc_offer_remote_clear(dc_offer_remote *r)
{
    g_clear_pointer(&r->ice_ufrag, g_free);
    g_clear_pointer(&r->ice_pwd, g_free);
    g_clear_pointer(&r->fingerprint, g_free);
    g_clear_pointer(&r->candidates, g_ptr_array_unref);
}

static const char *const ext_uris[DC_ROUTER_EXT_COUNT] = {
    [DC_ROUTER_EXT_MID] = DC_SDP_EXT_MID,
    [DC_ROUTER_EXT_AUDIO_LEVEL] = DC_SDP_EXT_AUDIO_LEVEL,
    [DC_ROUTER_EXT_ABS_SEND_TIME] = DC_SDP_EXT_ABS_SEND_TIME,
    [DC_ROUTER_EXT_TRANSPORT_CC] = DC_SDP_EXT_TRANSPORT_CC,
};

/* Fills one router m-line from an answer section; want_send: the endpoint
 * must send on it (else receive). */
static void read_mline(const dc_sdp_media *sm, dc_router_kind kind, bool want_send,
                       dc_router_mline *out)
{
    memset(out, 0, sizeof *out);
    if (sm->mid)
        g_strlcpy(out->mid, sm->mid, sizeof out->mid);
    bool dir_ok = sm->direction == DC_SDP_DIR_SENDRECV ||
                  sm->direction == (want_send ? DC_SDP_DIR_SENDONLY : DC_SDP_DIR_RECVONLY);
    const dc_sdp_codec *c = kind == DC_ROUTER_AUDIO ? dc_sdp_media_find_codec(sm, "opus", 48000)
                                                    : dc_sdp_media_find_codec(sm, "VP8", 90000);
    if (sm->port == 0 || !dir_ok || !c)
        return;
    out->active = true;
    out->pt = c->pt;
    out->clock_rate = c->clock_rate;
    out->fb_nack = dc_sdp_codec_has_fb(c, "nack");
    out->fb_pli = dc_sdp_codec_has_fb(c, "nack pli");
    out->fb_fir = dc_sdp_codec_has_fb(c, "ccm fir");
    out->fb_remb = dc_sdp_codec_has_fb(c, "goog-remb");
    for (unsigned x = 0; x < DC_ROUTER_EXT_COUNT; x++) {
        uint16_t id = dc_sdp_media_ext_id(sm, ext_uris[x]);
        out->ext_id[x] = id <= 14 ? (uint8_t)id : 0; /* we write the one-byte form */
    }
}

static bool in_bundle(const dc_sdp *sdp, const char *mid)
{
    for (guint i = 0; mid && i < sdp->bundle->len; i++)
        if (strcmp(sdp->bundle->pdata[i], mid) == 0)
            return true;
    return false;
}

static bool refuse(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool refuse(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, DC_SDP_ERROR, DC_SDP_ERROR_NEGOTIATION, "answer refused: %s", msg);
    return false;
}

bool dc_offer_check_answer(const dc_sdp *sdp, GError **error)
{
    if (!sdp->media->len)
        return refuse(error, "it has no m-line");
    if (!sdp->bundle->len)
        return refuse(error, "no a=group:BUNDLE: the bridge sends and receives every m-line "
                             "on one transport (answer with bundle policy max-bundle)");
    for (guint i = 0; i < sdp->media->len; i++) {
        const dc_sdp_media *sm = sdp->media->pdata[i];
        const char *mid = sm->mid ? sm->mid : "?";
        if (sm->port == 0)
            continue; /* rejected: nothing flows there */
        if (!in_bundle(sdp, sm->mid))
            return refuse(error, "m-line %u (mid %s) is not in the a=group:BUNDLE group", i, mid);
        if (!sm->rtcp_mux)
            return refuse(error, "m-line %u (mid %s) has no a=rtcp-mux", i, mid);
        bool audio = sm->kind == DC_SDP_KIND_AUDIO;
        const dc_sdp_codec *c = dc_sdp_media_codec_by_pt(sm, audio ? 111 : 96);
        if (sm->kind == DC_SDP_KIND_OTHER || !c || !c->name ||
            g_ascii_strcasecmp(c->name, audio ? "opus" : "VP8") != 0 ||
            c->clock_rate != (audio ? 48000u : 90000u))
            return refuse(error, "m-line %u (mid %s) has no common codec: it must keep %s", i, mid,
                          sm->kind == DC_SDP_KIND_OTHER ? "an audio or video kind"
                          : audio                       ? "Opus/48000/2 as payload type 111"
                                                        : "VP8/90000 as payload type 96");
    }
    const dc_sdp_media *tag = dc_sdp_find_media(sdp, sdp->bundle->pdata[0]);
    if (!tag || tag->port == 0)
        return refuse(error, "the first mid of a=group:BUNDLE (%s) names no accepted m-line",
                      (const char *)sdp->bundle->pdata[0]);
    dc_sdp_transport t = {0};
    dc_sdp_media_transport(sdp, tag, &t);
    if (!t.ice_ufrag || !t.ice_pwd)
        return refuse(error, "no ICE credentials (a=ice-ufrag, a=ice-pwd)");
    if (!t.fp_algorithm || !t.fp_hex)
        return refuse(error, "no DTLS fingerprint (a=fingerprint)");
    if (t.setup != DC_SDP_SETUP_ACTIVE)
        return refuse(error, "%s%s: the site must be the DTLS client (a=setup:active)",
                      t.setup == DC_SDP_SETUP_NONE ? "no a=setup" : "a=setup:",
                      t.setup == DC_SDP_SETUP_NONE ? "" : dc_sdp_setup_name(t.setup));
    return true;
}

bool dc_offer_parse_answer(const char *text, unsigned receiver, unsigned n_sites,
                           dc_router_site_params *params, dc_offer_remote *remote, GError **error)
{
    g_autoptr(dc_sdp) sdp = NULL;
    if (!dc_sdp_parse(text, strlen(text), &sdp, error))
        return false;
    if (!dc_offer_check_answer(sdp, error))
        return false;
    memset(params, 0, sizeof *params);
    memset(remote, 0, sizeof *remote);
    remote->candidates = g_ptr_array_new_with_free_func(g_free);
    for (unsigned s = 0; s < n_sites; s++) {
        for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
            char mid[DC_ROUTER_MID_MAX];
            dc_offer_mid(receiver, s, k, mid);
            const dc_sdp_media *sm = dc_sdp_find_media(sdp, mid);
            if (!sm)
                continue;
            if (s == receiver) {
                read_mline(sm, k, true, &params->recv[k]);
                if (sm->ssrcs->len > 0)
                    params->recv_ssrc[k] = ((const dc_sdp_ssrc *)sm->ssrcs->pdata[0])->ssrc;
            } else {
                read_mline(sm, k, false, &params->send[s][k]);
            }
        }
    }
    /* The BUNDLE tag's transport (RFC 8843): checked above. */
    dc_sdp_transport t = {0};
    dc_sdp_media_transport(sdp, dc_sdp_find_media(sdp, sdp->bundle->pdata[0]), &t);
    remote->ice_ufrag = g_strdup(t.ice_ufrag);
    remote->ice_pwd = g_strdup(t.ice_pwd);
    remote->fingerprint = g_strdup_printf("%s %s", t.fp_algorithm, t.fp_hex);
    remote->dtls_server = true; /* a=setup:active */
    for (guint i = 0; i < sdp->media->len; i++) {
        const dc_sdp_media *sm = sdp->media->pdata[i];
        for (guint c = 0; c < sm->candidates->len; c++)
            g_ptr_array_add(remote->candidates,
                            dc_sdp_candidate_to_string(sm->candidates->pdata[c]));
    }
    return true;
}
