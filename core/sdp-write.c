/* sdp-write: the SDP writer (what diemcau offers and answers). See sdp.h. */
#include "core/sdp-private.h"

#include <string.h>

/* ---- writer ---- */

static void write_transport(GString *g, const char *ufrag, const char *pwd, bool trickle,
                            const dc_sdp_fingerprint *fp, dc_sdp_setup setup)
{
    if (ufrag)
        g_string_append_printf(g, "a=ice-ufrag:%s\r\n", ufrag);
    if (pwd)
        g_string_append_printf(g, "a=ice-pwd:%s\r\n", pwd);
    if (trickle)
        g_string_append(g, "a=ice-options:trickle\r\n");
    if (fp->algorithm && fp->hex)
        g_string_append_printf(g, "a=fingerprint:%s %s\r\n", fp->algorithm, fp->hex);
    if (dc_sdp_setup_name(setup))
        g_string_append_printf(g, "a=setup:%s\r\n", dc_sdp_setup_name(setup));
}

static void write_codecs(GString *g, const dc_sdp_media *m)
{
    for (guint i = 0; i < m->codecs->len; i++) {
        const dc_sdp_codec *c = m->codecs->pdata[i];
        if (c->name) {
            g_string_append_printf(g, "a=rtpmap:%u %s/%u", c->pt, c->name, c->clock_rate);
            if (c->channels)
                g_string_append_printf(g, "/%u", c->channels);
            g_string_append(g, "\r\n");
        }
        for (guint j = 0; j < c->rtcp_fb->len; j++)
            g_string_append_printf(g, "a=rtcp-fb:%u %s\r\n", c->pt, (char *)c->rtcp_fb->pdata[j]);
        if (c->fmtp)
            g_string_append_printf(g, "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
    }
}

static void write_ssrcs(GString *g, const dc_sdp_media *m)
{
    for (guint i = 0; i < m->ssrc_groups->len; i++) {
        const dc_sdp_ssrc_group *sg = m->ssrc_groups->pdata[i];
        g_string_append_printf(g, "a=ssrc-group:%s", sg->semantics);
        for (guint j = 0; j < sg->ssrcs->len; j++)
            g_string_append_printf(g, " %u", g_array_index(sg->ssrcs, uint32_t, j));
        g_string_append(g, "\r\n");
    }
    for (guint i = 0; i < m->ssrcs->len; i++) {
        const dc_sdp_ssrc *e = m->ssrcs->pdata[i];
        g_string_append_printf(g, "a=ssrc:%u cname:%s\r\n", e->ssrc, e->cname);
        if (m->msid_stream)
            g_string_append_printf(g, "a=ssrc:%u msid:%s%s%s\r\n", e->ssrc, m->msid_stream,
                                   m->msid_track ? " " : "", m->msid_track ? m->msid_track : "");
    }
}

static void write_media(GString *g, const dc_sdp *s, const dc_sdp_media *m)
{
    bool rtp = dc_sdp_is_rtp_proto_(m->proto);
    g_string_append_printf(g, "m=%s %u %s", m->media, m->port, m->proto);
    if (!rtp)
        g_string_append_printf(g, " %s", m->fmt ? m->fmt : "0");
    for (guint i = 0; rtp && i < m->codecs->len; i++)
        g_string_append_printf(g, " %u", ((dc_sdp_codec *)m->codecs->pdata[i])->pt);
    if (rtp && !m->codecs->len)
        g_string_append(g, " 0");
    g_string_append(g, "\r\nc=IN IP4 0.0.0.0\r\n");
    if (rtp)
        g_string_append(g, "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    for (guint i = 0; i < m->candidates->len; i++) {
        g_string_append(g, "a=");
        dc_sdp_candidate_append_(g, m->candidates->pdata[i]);
        g_string_append(g, "\r\n");
    }
    if (m->end_of_candidates)
        g_string_append(g, "a=end-of-candidates\r\n");
    write_transport(g, m->ice_ufrag, m->ice_pwd, s->ice_trickle, &m->fingerprint, m->setup);
    if (m->mid)
        g_string_append_printf(g, "a=mid:%s\r\n", m->mid);
    for (guint i = 0; i < m->extmaps->len; i++) {
        const dc_sdp_extmap *e = m->extmaps->pdata[i];
        const char *d = dc_sdp_direction_name(e->direction);
        g_string_append_printf(g, "a=extmap:%u%s%s %s\r\n", e->id, d ? "/" : "", d ? d : "",
                               e->uri);
    }
    if (dc_sdp_direction_name(m->direction))
        g_string_append_printf(g, "a=%s\r\n", dc_sdp_direction_name(m->direction));
    if (m->msid_stream)
        g_string_append_printf(g, "a=msid:%s%s%s\r\n", m->msid_stream, m->msid_track ? " " : "",
                               m->msid_track ? m->msid_track : "");
    if (m->rtcp_mux)
        g_string_append(g, "a=rtcp-mux\r\n");
    if (m->rtcp_rsize)
        g_string_append(g, "a=rtcp-rsize\r\n");
    write_codecs(g, m);
    write_ssrcs(g, m);
}

char *dc_sdp_write(const dc_sdp *s)
{
    GString *g = g_string_new(NULL);
    g_string_append_printf(g,
                           "v=0\r\no=- %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                           " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
                           s->origin_id, s->origin_version);
    /* Trickle goes in every media section, as Chromium writes it, unless
     * there is none to carry it. */
    write_transport(g, s->ice_ufrag, s->ice_pwd, s->ice_trickle && !s->media->len, &s->fingerprint,
                    s->setup);
    if (s->bundle->len) {
        g_string_append(g, "a=group:BUNDLE");
        for (guint i = 0; i < s->bundle->len; i++)
            g_string_append_printf(g, " %s", (char *)s->bundle->pdata[i]);
        g_string_append(g, "\r\n");
    }
    if (s->extmap_allow_mixed)
        g_string_append(g, "a=extmap-allow-mixed\r\n");
    if (s->msid_semantic)
        g_string_append_printf(g, "a=msid-semantic: %s\r\n", s->msid_semantic);
    for (guint i = 0; i < s->media->len; i++)
        write_media(g, s, s->media->pdata[i]);
    return g_string_free(g, FALSE);
}
