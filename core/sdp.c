/* sdp: the WebRTC SDP data model: names, construction, lookups and equality
 * (parser: sdp-parse.c, writer: sdp-write.c, offer/answer: sdp-negotiate.c).
 * See sdp.h. */
#include "core/sdp-private.h"

#include <string.h>

GQuark dc_sdp_error_quark(void)
{
    return g_quark_from_static_string("dc-sdp-error-quark");
}

static const char *const dir_names[] = {NULL, "sendrecv", "sendonly", "recvonly", "inactive"};
static const char *const setup_names[] = {NULL, "actpass", "active", "passive", "holdconn"};

const char *dc_sdp_direction_name(dc_sdp_direction d)
{
    return (unsigned)d < G_N_ELEMENTS(dir_names) ? dir_names[d] : NULL;
}

const char *dc_sdp_setup_name(dc_sdp_setup s)
{
    return (unsigned)s < G_N_ELEMENTS(setup_names) ? setup_names[s] : NULL;
}

/* ---- construction and destruction ---- */

static void codec_free(gpointer p)
{
    dc_sdp_codec *c = p;
    g_free(c->name);
    g_free(c->fmtp);
    g_ptr_array_unref(c->rtcp_fb);
    g_free(c);
}

static void extmap_free(gpointer p)
{
    dc_sdp_extmap *e = p;
    g_free(e->uri);
    g_free(e);
}

static void ssrc_free(gpointer p)
{
    dc_sdp_ssrc *e = p;
    g_free(e->cname);
    g_free(e);
}

static void ssrc_group_free(gpointer p)
{
    dc_sdp_ssrc_group *g = p;
    g_free(g->semantics);
    g_array_unref(g->ssrcs);
    g_free(g);
}

void dc_sdp_candidate_free(dc_sdp_candidate *c)
{
    if (!c)
        return;
    g_free(c->foundation);
    g_free(c->transport);
    g_free(c->address);
    g_free(c->type);
    g_free(c->raddr);
    g_free(c->extra);
    g_free(c);
}

static void candidate_free(gpointer p)
{
    dc_sdp_candidate_free(p);
}

static void fingerprint_clear(dc_sdp_fingerprint *f)
{
    g_clear_pointer(&f->algorithm, g_free);
    g_clear_pointer(&f->hex, g_free);
}

static void media_free(gpointer p)
{
    dc_sdp_media *m = p;
    g_free(m->media);
    g_free(m->proto);
    g_free(m->fmt);
    g_free(m->mid);
    g_free(m->ice_ufrag);
    g_free(m->ice_pwd);
    fingerprint_clear(&m->fingerprint);
    g_ptr_array_unref(m->codecs);
    g_ptr_array_unref(m->extmaps);
    g_free(m->msid_stream);
    g_free(m->msid_track);
    g_ptr_array_unref(m->ssrcs);
    g_ptr_array_unref(m->ssrc_groups);
    g_ptr_array_unref(m->candidates);
    g_free(m);
}

dc_sdp *dc_sdp_new(void)
{
    dc_sdp *s = g_new0(dc_sdp, 1);
    s->bundle = g_ptr_array_new_with_free_func(g_free);
    s->media = g_ptr_array_new_with_free_func(media_free);
    return s;
}

void dc_sdp_free(dc_sdp *s)
{
    if (!s)
        return;
    g_ptr_array_unref(s->bundle);
    g_free(s->msid_semantic);
    g_free(s->ice_ufrag);
    g_free(s->ice_pwd);
    fingerprint_clear(&s->fingerprint);
    g_ptr_array_unref(s->media);
    g_free(s);
}

dc_sdp_media *dc_sdp_media_append_(dc_sdp *s, const char *media, const char *proto)
{
    dc_sdp_media *m = g_new0(dc_sdp_media, 1);
    m->media = g_strdup(media);
    m->kind = !strcmp(media, "audio")   ? DC_SDP_KIND_AUDIO
              : !strcmp(media, "video") ? DC_SDP_KIND_VIDEO
                                        : DC_SDP_KIND_OTHER;
    m->proto = g_strdup(proto);
    m->codecs = g_ptr_array_new_with_free_func(codec_free);
    m->extmaps = g_ptr_array_new_with_free_func(extmap_free);
    m->ssrcs = g_ptr_array_new_with_free_func(ssrc_free);
    m->ssrc_groups = g_ptr_array_new_with_free_func(ssrc_group_free);
    m->candidates = g_ptr_array_new_with_free_func(candidate_free);
    g_ptr_array_add(s->media, m);
    return m;
}

dc_sdp_media *dc_sdp_add_media(dc_sdp *s, dc_sdp_kind kind, const char *mid)
{
    g_return_val_if_fail(kind == DC_SDP_KIND_AUDIO || kind == DC_SDP_KIND_VIDEO, NULL);
    dc_sdp_media *m =
        dc_sdp_media_append_(s, kind == DC_SDP_KIND_AUDIO ? "audio" : "video", "UDP/TLS/RTP/SAVPF");
    m->port = 9;
    m->mid = g_strdup(mid);
    m->direction = DC_SDP_DIR_SENDRECV;
    return m;
}

dc_sdp_codec *dc_sdp_media_add_codec(dc_sdp_media *m, uint8_t pt, const char *name,
                                     uint32_t clock_rate, uint8_t channels, const char *fmtp)
{
    dc_sdp_codec *c = g_new0(dc_sdp_codec, 1);
    c->pt = pt;
    c->name = g_strdup(name);
    c->clock_rate = clock_rate;
    c->channels = channels;
    c->fmtp = g_strdup(fmtp);
    c->rtcp_fb = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(m->codecs, c);
    return c;
}

bool dc_sdp_codec_has_fb(const dc_sdp_codec *c, const char *fb)
{
    for (guint i = 0; i < c->rtcp_fb->len; i++)
        if (!strcmp(c->rtcp_fb->pdata[i], fb))
            return true;
    return false;
}

void dc_sdp_codec_add_fb(dc_sdp_codec *c, const char *fb)
{
    if (!dc_sdp_codec_has_fb(c, fb))
        g_ptr_array_add(c->rtcp_fb, g_strdup(fb));
}

dc_sdp_extmap *dc_sdp_media_add_extmap(dc_sdp_media *m, uint16_t id, const char *uri)
{
    dc_sdp_extmap *e = g_new0(dc_sdp_extmap, 1);
    e->id = id;
    e->uri = g_strdup(uri);
    g_ptr_array_add(m->extmaps, e);
    return e;
}

dc_sdp_ssrc *dc_sdp_media_add_ssrc(dc_sdp_media *m, uint32_t ssrc, const char *cname)
{
    g_return_val_if_fail(cname != NULL, NULL);
    dc_sdp_ssrc *e = NULL;
    for (guint i = 0; i < m->ssrcs->len && !e; i++)
        if (((dc_sdp_ssrc *)m->ssrcs->pdata[i])->ssrc == ssrc)
            e = m->ssrcs->pdata[i];
    if (!e) {
        e = g_new0(dc_sdp_ssrc, 1);
        e->ssrc = ssrc;
        g_ptr_array_add(m->ssrcs, e);
    }
    g_free(e->cname);
    e->cname = g_strdup(cname);
    return e;
}

void dc_sdp_media_add_ssrc_group(dc_sdp_media *m, const char *semantics, const uint32_t *ssrcs,
                                 size_t n)
{
    dc_sdp_ssrc_group *g = g_new0(dc_sdp_ssrc_group, 1);
    g->semantics = g_strdup(semantics);
    g->ssrcs = g_array_sized_new(FALSE, FALSE, sizeof(uint32_t), (guint)n);
    g_array_append_vals(g->ssrcs, ssrcs, (guint)n);
    g_ptr_array_add(m->ssrc_groups, g);
}

/* ---- equality ---- */

static bool str_arrays_equal(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++)
        if (g_strcmp0(a->pdata[i], b->pdata[i]))
            return false;
    return true;
}

static bool fp_equal(const dc_sdp_fingerprint *a, const dc_sdp_fingerprint *b)
{
    return !g_strcmp0(a->algorithm, b->algorithm) && !g_strcmp0(a->hex, b->hex);
}

static bool codec_equal(gconstpointer pa, gconstpointer pb)
{
    const dc_sdp_codec *a = pa, *b = pb;
    return a->pt == b->pt && !g_strcmp0(a->name, b->name) && a->clock_rate == b->clock_rate &&
           a->channels == b->channels && !g_strcmp0(a->fmtp, b->fmtp) &&
           str_arrays_equal(a->rtcp_fb, b->rtcp_fb);
}

static bool extmap_equal(gconstpointer pa, gconstpointer pb)
{
    const dc_sdp_extmap *a = pa, *b = pb;
    return a->id == b->id && a->direction == b->direction && !g_strcmp0(a->uri, b->uri);
}

static bool ssrc_equal(gconstpointer pa, gconstpointer pb)
{
    const dc_sdp_ssrc *a = pa, *b = pb;
    return a->ssrc == b->ssrc && !g_strcmp0(a->cname, b->cname);
}

static bool ssrc_group_equal(gconstpointer pa, gconstpointer pb)
{
    const dc_sdp_ssrc_group *a = pa, *b = pb;
    return !g_strcmp0(a->semantics, b->semantics) && a->ssrcs->len == b->ssrcs->len &&
           !memcmp(a->ssrcs->data, b->ssrcs->data, a->ssrcs->len * sizeof(uint32_t));
}

static bool candidate_equal(gconstpointer pa, gconstpointer pb)
{
    const dc_sdp_candidate *a = pa, *b = pb;
    return !g_strcmp0(a->foundation, b->foundation) && a->component == b->component &&
           !g_strcmp0(a->transport, b->transport) && a->priority == b->priority &&
           !g_strcmp0(a->address, b->address) && a->port == b->port &&
           !g_strcmp0(a->type, b->type) && !g_strcmp0(a->raddr, b->raddr) && a->rport == b->rport &&
           !g_strcmp0(a->extra, b->extra);
}

/* Compares two GPtrArrays element by element with eq. */
static bool arrays_equal(const GPtrArray *a, const GPtrArray *b,
                         bool (*eq)(gconstpointer x, gconstpointer y))
{
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++)
        if (!eq(a->pdata[i], b->pdata[i]))
            return false;
    return true;
}

static bool media_equal(gconstpointer pa, gconstpointer pb)
{
    const dc_sdp_media *a = pa, *b = pb;
    return a->kind == b->kind && !g_strcmp0(a->media, b->media) && a->port == b->port &&
           !g_strcmp0(a->proto, b->proto) && !g_strcmp0(a->fmt, b->fmt) &&
           !g_strcmp0(a->mid, b->mid) && a->direction == b->direction &&
           a->rtcp_mux == b->rtcp_mux && a->rtcp_rsize == b->rtcp_rsize &&
           !g_strcmp0(a->ice_ufrag, b->ice_ufrag) && !g_strcmp0(a->ice_pwd, b->ice_pwd) &&
           fp_equal(&a->fingerprint, &b->fingerprint) && a->setup == b->setup &&
           !g_strcmp0(a->msid_stream, b->msid_stream) && !g_strcmp0(a->msid_track, b->msid_track) &&
           a->end_of_candidates == b->end_of_candidates &&
           arrays_equal(a->codecs, b->codecs, codec_equal) &&
           arrays_equal(a->extmaps, b->extmaps, extmap_equal) &&
           arrays_equal(a->ssrcs, b->ssrcs, ssrc_equal) &&
           arrays_equal(a->ssrc_groups, b->ssrc_groups, ssrc_group_equal) &&
           arrays_equal(a->candidates, b->candidates, candidate_equal);
}

bool dc_sdp_equal(const dc_sdp *a, const dc_sdp *b)
{
    return a->origin_id == b->origin_id && a->origin_version == b->origin_version &&
           str_arrays_equal(a->bundle, b->bundle) &&
           a->extmap_allow_mixed == b->extmap_allow_mixed &&
           !g_strcmp0(a->msid_semantic, b->msid_semantic) && a->ice_trickle == b->ice_trickle &&
           !g_strcmp0(a->ice_ufrag, b->ice_ufrag) && !g_strcmp0(a->ice_pwd, b->ice_pwd) &&
           fp_equal(&a->fingerprint, &b->fingerprint) && a->setup == b->setup &&
           arrays_equal(a->media, b->media, media_equal);
}

/* ---- lookups ---- */

dc_sdp_media *dc_sdp_find_media(const dc_sdp *s, const char *mid)
{
    for (guint i = 0; i < s->media->len; i++) {
        dc_sdp_media *m = s->media->pdata[i];
        if (m->mid && !g_strcmp0(m->mid, mid))
            return m;
    }
    return NULL;
}

uint16_t dc_sdp_media_ext_id(const dc_sdp_media *m, const char *uri)
{
    for (guint i = 0; i < m->extmaps->len; i++) {
        const dc_sdp_extmap *e = m->extmaps->pdata[i];
        if (!strcmp(e->uri, uri))
            return e->id;
    }
    return 0;
}

dc_sdp_codec *dc_sdp_media_find_codec(const dc_sdp_media *m, const char *name, uint32_t clock_rate)
{
    for (guint i = 0; i < m->codecs->len; i++) {
        dc_sdp_codec *c = m->codecs->pdata[i];
        if (c->name && !g_ascii_strcasecmp(c->name, name) &&
            (!clock_rate || c->clock_rate == clock_rate))
            return c;
    }
    return NULL;
}

dc_sdp_codec *dc_sdp_media_codec_by_pt(const dc_sdp_media *m, uint8_t pt)
{
    for (guint i = 0; i < m->codecs->len; i++) {
        dc_sdp_codec *c = m->codecs->pdata[i];
        if (c->pt == pt)
            return c;
    }
    return NULL;
}

char *dc_sdp_codec_fmtp_param(const dc_sdp_codec *c, const char *key)
{
    if (!c->fmtp)
        return NULL;
    g_auto(GStrv) params = g_strsplit(c->fmtp, ";", -1);
    size_t klen = strlen(key);
    for (guint i = 0; params[i]; i++) {
        const char *kv = dc_sdp_skip_ws_(params[i]);
        if (!strncmp(kv, key, klen) && kv[klen] == '=')
            return g_strstrip(g_strdup(kv + klen + 1));
    }
    return NULL;
}

/* The payload type named by c's "apt" parameter, or -1. */
int dc_sdp_codec_apt_(const dc_sdp_codec *c)
{
    g_autofree char *apt = dc_sdp_codec_fmtp_param(c, "apt");
    uint64_t v;
    return apt && !dc_sdp_parse_uint_(apt, 127, &v) ? (int)v : -1;
}

dc_sdp_codec *dc_sdp_media_find_rtx(const dc_sdp_media *m, uint8_t apt)
{
    for (guint i = 0; i < m->codecs->len; i++) {
        dc_sdp_codec *c = m->codecs->pdata[i];
        if (c->name && !g_ascii_strcasecmp(c->name, "rtx") && dc_sdp_codec_apt_(c) == apt)
            return c;
    }
    return NULL;
}

void dc_sdp_media_transport(const dc_sdp *s, const dc_sdp_media *m, dc_sdp_transport *out)
{
    out->ice_ufrag = m->ice_ufrag ? m->ice_ufrag : s->ice_ufrag;
    out->ice_pwd = m->ice_pwd ? m->ice_pwd : s->ice_pwd;
    const dc_sdp_fingerprint *fp = m->fingerprint.algorithm ? &m->fingerprint : &s->fingerprint;
    out->fp_algorithm = fp->algorithm;
    out->fp_hex = fp->hex;
    out->setup = m->setup ? m->setup : s->setup;
}
