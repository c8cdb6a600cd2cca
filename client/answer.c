/* answer: see answer.h. */
#include "client/answer.h"

#include <string.h>

static const dc_sdp_codec_cap caps[] = {
    {"opus", 48000, 2, "minptime=10;useinbandfec=1"},
    {"VP8", 90000, 0, NULL},
};
static const char *const fbs[] = {"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc", NULL};
static const char *const exts[] = {DC_SDP_EXT_MID, DC_SDP_EXT_AUDIO_LEVEL, DC_SDP_EXT_TRANSPORT_CC,
                                   NULL};

void dc_offer_view_clear(dc_offer_view *v)
{
    g_clear_pointer(&v->sdp, dc_sdp_free);
    g_clear_pointer(&v->ice_ufrag, g_free);
    g_clear_pointer(&v->ice_pwd, g_free);
    g_clear_pointer(&v->fingerprint, g_free);
}

bool dc_offer_view_parse(const char *text, dc_offer_view *out, GError **error)
{
    memset(out, 0, sizeof *out);
    if (!dc_sdp_parse(text, strlen(text), &out->sdp, error))
        return false;
    if (out->sdp->media->len == 0) {
        g_set_error(error, DC_SDP_ERROR, DC_SDP_ERROR_NEGOTIATION, "the offer has no m-line");
        return false;
    }
    dc_sdp_transport t;
    dc_sdp_media_transport(out->sdp, out->sdp->media->pdata[0], &t);
    if (!t.ice_ufrag || !t.ice_pwd || !t.fp_algorithm || !t.fp_hex) {
        g_set_error(error, DC_SDP_ERROR, DC_SDP_ERROR_NEGOTIATION,
                    "the offer lacks ICE credentials or a fingerprint");
        return false;
    }
    out->ice_ufrag = g_strdup(t.ice_ufrag);
    out->ice_pwd = g_strdup(t.ice_pwd);
    out->fingerprint = g_strdup_printf("%s %s", t.fp_algorithm, t.fp_hex);
    return true;
}

void dc_answer_result_clear(dc_answer_result *r)
{
    for (size_t i = 0; i < r->n_streams; i++) {
        g_free((char *)r->streams[i].mid);
        g_free((char *)r->streams[i].site);
    }
    g_clear_pointer(&r->streams, g_free);
    r->n_streams = 0;
    g_clear_pointer(&r->sdp, g_free);
}

static uint8_t one_byte_id(const dc_sdp_media *m, const char *uri)
{
    uint16_t id = dc_sdp_media_ext_id(m, uri);
    return id <= 14 ? (uint8_t)id : 0;
}

static const dc_sdp_codec *media_codec(const dc_sdp_media *m, dc_media_kind kind)
{
    return kind == DC_MEDIA_AUDIO ? dc_sdp_media_find_codec(m, "opus", 48000)
                                  : dc_sdp_media_find_codec(m, "VP8", 90000);
}

static void fill_track(const dc_sdp_media *am, dc_media_kind kind, dc_sender_track *t)
{
    memset(t, 0, sizeof *t);
    const dc_sdp_codec *c = media_codec(am, kind);
    if (!am->mid || am->port == 0 || !c ||
        (am->direction != DC_SDP_DIR_SENDONLY && am->direction != DC_SDP_DIR_SENDRECV))
        return;
    t->active = true;
    t->pt = c->pt;
    g_strlcpy(t->mid, am->mid, sizeof t->mid);
    t->ext_mid = one_byte_id(am, DC_SDP_EXT_MID);
    t->ext_audio_level = kind == DC_MEDIA_AUDIO ? one_byte_id(am, DC_SDP_EXT_AUDIO_LEVEL) : 0;
    t->ext_transport_cc = one_byte_id(am, DC_SDP_EXT_TRANSPORT_CC);
}

static void add_stream(GArray *out, const dc_sdp_media *om, const dc_sdp_media *am,
                       const char *site, dc_media_kind kind)
{
    const dc_sdp_codec *c = media_codec(am, kind);
    dc_receiver_stream_desc d = {
        .mid = g_strdup(om->mid),
        .site = g_strdup(site),
        .kind = kind,
        .ssrc = om->ssrcs->len ? ((const dc_sdp_ssrc *)om->ssrcs->pdata[0])->ssrc : 0,
        .pt = c ? c->pt : 0,
        .active = c && am->port != 0 &&
                  (am->direction == DC_SDP_DIR_RECVONLY || am->direction == DC_SDP_DIR_SENDRECV),
        .fb_nack = c && dc_sdp_codec_has_fb(c, "nack"),
        .fb_pli = c && dc_sdp_codec_has_fb(c, "nack pli"),
    };
    g_array_append_val(out, d);
}

bool dc_answer_build(const dc_offer_view *offer, const dc_answer_local *local,
                     const dc_answer_stream *streams, size_t n, dc_answer_result *out,
                     GError **error)
{
    memset(out, 0, sizeof *out);
    const dc_sdp *o = offer->sdp;
    /* We send on the first recvonly audio and video m-lines. */
    const dc_sdp_media *send[DC_MEDIA_KINDS] = {NULL, NULL};
    for (guint i = 0; i < o->media->len; i++) {
        const dc_sdp_media *m = o->media->pdata[i];
        if (m->direction != DC_SDP_DIR_RECVONLY || !m->mid || m->port == 0)
            continue;
        if (m->kind == DC_SDP_KIND_AUDIO && !send[DC_MEDIA_AUDIO])
            send[DC_MEDIA_AUDIO] = m;
        if (m->kind == DC_SDP_KIND_VIDEO && !send[DC_MEDIA_VIDEO])
            send[DC_MEDIA_VIDEO] = m;
    }
    g_autofree char *atrack = g_strdup_printf("%s-a", local->site);
    g_autofree char *vtrack = g_strdup_printf("%s-v", local->site);
    dc_sdp_track tracks[DC_MEDIA_KINDS];
    size_t n_tracks = 0;
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        if (!send[k])
            continue;
        tracks[n_tracks++] = (dc_sdp_track){
            .mid = send[k]->mid,
            .msid_stream = local->site,
            .msid_track = k == DC_MEDIA_AUDIO ? atrack : vtrack,
            .ssrc = local->ssrc[k],
            .cname = local->site,
        };
    }
    g_auto(GStrv) fp = g_strsplit(local->fingerprint, " ", 2);
    dc_sdp_local l = {
        .origin_id = local->origin_id,
        .origin_version = local->origin_version,
        .ice_ufrag = local->ice_ufrag,
        .ice_pwd = local->ice_pwd,
        .fp_algorithm = fp[0],
        .fp_hex = fp[1] ? fp[1] : "",
        .setup = DC_SDP_SETUP_ACTIVE,
        .codecs = caps,
        .n_codecs = G_N_ELEMENTS(caps),
        .rtcp_fb = fbs,
        .extensions = exts,
        .tracks = tracks,
        .n_tracks = n_tracks,
    };
    g_autoptr(dc_sdp) ans = dc_sdp_answer(o, &l, error);
    if (!ans)
        return false;
    out->sdp = dc_sdp_write(ans);
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        const dc_sdp_media *am = send[k] ? dc_sdp_find_media(ans, send[k]->mid) : NULL;
        if (am)
            fill_track(am, (dc_media_kind)k, &out->tracks[k]);
    }
    GArray *descs = g_array_new(FALSE, TRUE, sizeof(dc_receiver_stream_desc));
    if (streams) {
        for (size_t i = 0; i < n; i++) {
            const dc_sdp_media *om = dc_sdp_find_media(o, streams[i].mid);
            const dc_sdp_media *am = dc_sdp_find_media(ans, streams[i].mid);
            if (om && am)
                add_stream(descs, om, am, streams[i].site, streams[i].kind);
        }
    } else {
        for (guint i = 0; i < o->media->len; i++) {
            const dc_sdp_media *om = o->media->pdata[i];
            if (om->direction != DC_SDP_DIR_SENDONLY || !om->mid || !om->msid_stream ||
                om->kind == DC_SDP_KIND_OTHER)
                continue;
            const dc_sdp_media *am = dc_sdp_find_media(ans, om->mid);
            if (am)
                add_stream(descs, om, am, om->msid_stream,
                           om->kind == DC_SDP_KIND_AUDIO ? DC_MEDIA_AUDIO : DC_MEDIA_VIDEO);
        }
    }
    out->n_streams = descs->len;
    out->streams = (dc_receiver_stream_desc *)(void *)g_array_free(descs, FALSE);
    for (size_t i = 0; i < out->n_streams && !out->mid_ext_id; i++) {
        const dc_sdp_media *am = dc_sdp_find_media(ans, out->streams[i].mid);
        out->mid_ext_id = am ? one_byte_id(am, DC_SDP_EXT_MID) : 0;
    }
    return true;
}

char *dc_offer_view_bundle_mid(const dc_offer_view *v)
{
    const dc_sdp *sdp = v->sdp;
    return g_strdup(sdp->bundle->len ? sdp->bundle->pdata[0]
                                     : ((dc_sdp_media *)sdp->media->pdata[0])->mid);
}

dc_answer_stream *dc_answer_streams_from_json(JsonObject *msg, size_t *n)
{
    JsonNode *node = json_object_get_member(msg, "streams");
    if (!node || !JSON_NODE_HOLDS_ARRAY(node)) {
        *n = 0;
        return NULL;
    }
    JsonArray *arr = json_node_get_array(node);
    guint len = json_array_get_length(arr);
    dc_answer_stream *streams = g_new0(dc_answer_stream, len + 1);
    size_t ns = 0;
    for (guint i = 0; i < len; i++) {
        JsonNode *e = json_array_get_element(arr, i);
        if (!JSON_NODE_HOLDS_OBJECT(e))
            continue;
        JsonObject *o = json_node_get_object(e);
        const char *mid = json_object_get_string_member_with_default(o, "mid", NULL);
        const char *site = json_object_get_string_member_with_default(o, "site", NULL);
        const char *kind = json_object_get_string_member_with_default(o, "kind", NULL);
        if (!mid || !site || !kind)
            continue;
        streams[ns++] = (dc_answer_stream){
            mid, site, strcmp(kind, "audio") == 0 ? DC_MEDIA_AUDIO : DC_MEDIA_VIDEO};
    }
    *n = ns;
    return streams;
}
