/* router: sites, SSRC assignment and RTP forwarding with per-receiver
 * rewriting. RTCP and timers are in router-rtcp.c. See router.h. */
#include "bridge/router-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rtp-ext.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* True when ssrc is already used by one of the first n_done outputs or
 * feedback SSRCs assigned so far. */
static bool ssrc_taken(const dc_router *r, uint32_t ssrc)
{
    for (unsigned i = 0; i < r->n_sites; i++) {
        const router_site *s = &r->sites[i];
        if (s->fb_ssrc == ssrc)
            return true;
        if (!s->out)
            continue;
        for (unsigned j = 0; j < r->n_sites * DC_ROUTER_KINDS; j++)
            if (s->out[j].ssrc == ssrc)
                return true;
    }
    return false;
}

static uint32_t fresh_ssrc(const dc_router *r, uint64_t *state)
{
    for (;;) {
        uint32_t v = (uint32_t)splitmix64(state);
        if (v != 0 && !ssrc_taken(r, v))
            return v;
    }
}

dc_router *dc_router_new(unsigned n_sites, uint64_t seed, int64_t wallclock_offset_us,
                         const dc_router_callbacks *cb, void *user)
{
    if (n_sites == 0 || n_sites > DC_ROUTER_MAX_SITES || !cb || !cb->send)
        return NULL;
    dc_router *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->n_sites = n_sites;
    r->floor = -1;
    r->wallclock_offset_us = wallclock_offset_us;
    r->cb = *cb;
    r->user = user;
    r->sites = calloc(n_sites, sizeof(*r->sites));
    if (!r->sites) {
        free(r);
        return NULL;
    }
    uint64_t state = seed;
    for (unsigned i = 0; i < n_sites; i++) {
        router_site *s = &r->sites[i];
        s->out = calloc((size_t)n_sites * DC_ROUTER_KINDS, sizeof(*s->out));
        if (!s->out) {
            dc_router_free(r);
            return NULL;
        }
        s->fb_ssrc = fresh_ssrc(r, &state);
        for (unsigned j = 0; j < n_sites * DC_ROUTER_KINDS; j++) {
            s->out[j].ssrc = fresh_ssrc(r, &state);
            dc_rewrite_init(&s->out[j].rw);
        }
        s->next_rtcp_us = INT64_MAX;
        for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
            dc_rtp_stats_init(&s->in[k].rs, 0);
            dc_rtp_stats_rate_init(&s->in[k].frame_rate);
            s->in[k].nack_next_us = INT64_MAX;
            s->in[k].remb_bps = ROUTER_REMB_MAX_BPS;
        }
        for (unsigned j = 0; j < n_sites * DC_ROUTER_KINDS; j++)
            dc_rtp_stats_rate_init(&s->out[j].rate);
        s->rtt_us = -1;
        dc_quality_init(&s->q_up);
        dc_quality_init(&s->q_down);
        dc_quality_init(&s->q_r);
    }
    return r;
}

void dc_router_free(dc_router *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < r->n_sites; i++) {
        router_site *s = &r->sites[i];
        if (!s->out)
            continue;
        for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
            dc_nack_history_free(s->in[k].hist);
        free(s->out);
    }
    free(r->sites);
    free(r);
}

uint32_t dc_router_output_ssrc(const dc_router *r, unsigned receiver, unsigned source,
                               dc_router_kind kind)
{
    if (!r || receiver >= r->n_sites || source >= r->n_sites || (unsigned)kind >= DC_ROUTER_KINDS)
        return 0;
    return r->sites[receiver].out[source * DC_ROUTER_KINDS + kind].ssrc;
}

uint32_t dc_router_feedback_ssrc(const dc_router *r, unsigned site)
{
    if (!r || site >= r->n_sites)
        return 0;
    return r->sites[site].fb_ssrc;
}

/* Starts a new epoch of in: the next packet (of whatever SSRC) rebases every
 * output carrying it. */
static void in_new_epoch(router_in *in, uint32_t ssrc, int64_t now_us)
{
    in->ssrc = ssrc;
    in->epoch++;
    in->epoch_start_us = now_us;
    dc_rtp_stats_reset(&in->rs);
    in->kf_awaiting = false;
    in->kf_retries = 0;
    /* Packets of the old session must never answer a NACK of the new one. */
    if (in->hist)
        dc_nack_history_clear(in->hist);
    in->hist_started = false;
    in->n_miss = 0;
    in->nack_next_us = INT64_MAX;
    in->q_mark = (dc_rtp_stats_mark){0};
    in->loss_1s = 0; /* the old session's last second is not this one's */
}

int dc_router_site_start(dc_router *r, unsigned site, int64_t now_us)
{
    if (!r || site >= r->n_sites)
        return -EINVAL;
    router_site *s = &r->sites[site];
    s->up = true;
    s->has_params = false;
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
        in_new_epoch(&s->in[k], 0, now_us);
    /* Stagger the sites' RTCP a little so that they do not all go at once. */
    s->next_rtcp_us = now_us + 500000 + (int64_t)site * 37000 % 500000;
    return 0;
}

/* Allocates the NACK history of an inbound stream once it is negotiated;
 * kept for the router's life (a later session reuses it). */
static int in_sync_history(router_in *in, const dc_router_mline *m, unsigned kind)
{
    if (!m->active || in->hist)
        return 0;
    bool video = kind == DC_ROUTER_VIDEO;
    in->hist =
        dc_nack_history_new_sized(video ? ROUTER_HIST_VIDEO_SLOTS : ROUTER_HIST_AUDIO_SLOTS,
                                  video ? ROUTER_HIST_VIDEO_AGE_US : ROUTER_HIST_AUDIO_AGE_US,
                                  video ? ROUTER_HIST_VIDEO_BYTES : ROUTER_HIST_AUDIO_BYTES);
    return in->hist ? 0 : -ENOMEM;
}

int dc_router_site_set_params(dc_router *r, unsigned site, const dc_router_site_params *p)
{
    if (!r || site >= r->n_sites || !p)
        return -EINVAL;
    router_site *s = &r->sites[site];
    s->params = *p;
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
        s->params.recv[k].mid[DC_ROUTER_MID_MAX - 1] = '\0';
        /* An SSRC announced in the answer is taken at once; else the first
         * packet with our mid (or payload type) tells. */
        if (p->recv_ssrc[k] != 0 && s->in[k].ssrc != p->recv_ssrc[k])
            in_new_epoch(&s->in[k], p->recv_ssrc[k], s->in[k].epoch_start_us);
        int rc = in_sync_history(&s->in[k], &p->recv[k], k);
        if (rc < 0)
            return rc;
    }
    s->has_params = true;
    for (unsigned src = 0; src < r->n_sites; src++)
        for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
            s->params.send[src][k].mid[DC_ROUTER_MID_MAX - 1] = '\0';
    return 0;
}

int dc_router_site_ready(dc_router *r, unsigned site, int64_t now_us)
{
    if (!r || site >= r->n_sites)
        return -EINVAL;
    for (unsigned src = 0; src < r->n_sites; src++)
        if (src != site && r->sites[src].up)
            router_keyframe_request(r, src, now_us);
    return 0;
}

int dc_router_site_stop(dc_router *r, unsigned site)
{
    if (!r || site >= r->n_sites)
        return -EINVAL;
    router_site *s = &r->sites[site];
    s->up = false;
    s->has_params = false;
    s->next_rtcp_us = INT64_MAX;
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
        s->in[k].kf_pending = false;
        s->in[k].kf_awaiting = false;
    }
    return 0;
}

int dc_router_site_set_mute(dc_router *r, unsigned site, dc_router_kind kind, bool muted,
                            int64_t now_us)
{
    if (!r || site >= r->n_sites || (unsigned)kind >= DC_ROUTER_KINDS)
        return -EINVAL;
    router_site *s = &r->sites[site];
    if (s->muted[kind] && !muted) {
        /* Outputs rebase on the next packet: no sequence gap for the
         * receivers to NACK, and video restarts on a keyframe. */
        in_new_epoch(&s->in[kind], s->in[kind].ssrc, now_us);
        if (kind == DC_ROUTER_VIDEO && s->up)
            router_keyframe_request(r, site, now_us);
    }
    s->muted[kind] = muted;
    return 0;
}

bool dc_router_site_is_muted(const dc_router *r, unsigned site, dc_router_kind kind)
{
    return r && site < r->n_sites && (unsigned)kind < DC_ROUTER_KINDS && r->sites[site].muted[kind];
}

int dc_router_set_floor(dc_router *r, int site)
{
    if (!r || site < -1 || site >= (int)r->n_sites)
        return -EINVAL;
    if (site >= 0 && site != r->floor)
        r->sites[site].in[DC_ROUTER_VIDEO].remb_bps = ROUTER_REMB_MAX_BPS;
    r->floor = site;
    return 0;
}

bool dc_router_site_is_up(const dc_router *r, unsigned site)
{
    return r && site < r->n_sites && r->sites[site].up;
}

/* Which of the site's inbound streams a packet belongs to: by SSRC, else by
 * the mid extension, else by payload type. Learns the SSRC (a new SSRC
 * starts a new epoch). Returns the kind, or -1. */
static int classify(router_site *s, const dc_rtp_view *v, int64_t now_us)
{
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
        if (s->in[k].ssrc == v->ssrc)
            return (int)k;
    int kind = -1;
    for (unsigned k = 0; k < DC_ROUTER_KINDS && kind < 0; k++) {
        const dc_router_mline *m = &s->params.recv[k];
        uint8_t id = m->ext_id[DC_ROUTER_EXT_MID];
        char mid[DC_RTP_EXT_STR_MAX];
        if (m->active && id != 0 && dc_rtp_ext_mid(v, id, mid, sizeof mid) > 0 &&
            strcmp(mid, m->mid) == 0)
            kind = (int)k;
    }
    for (unsigned k = 0; k < DC_ROUTER_KINDS && kind < 0; k++) {
        const dc_router_mline *m = &s->params.recv[k];
        if (m->active && m->pt == v->payload_type && s->params.recv_ssrc[k] == 0)
            kind = (int)k;
    }
    if (kind >= 0)
        in_new_epoch(&s->in[kind], v->ssrc, now_us);
    return kind;
}

/* Builds the extension block for one receiver: the sender's known elements
 * under the receiver's ids, the receiver's mid, and nothing it did not
 * negotiate. Returns the element count. */
static size_t build_ext(const dc_router_mline *from, const dc_router_mline *to,
                        const dc_rtp_view *v, dc_rtp_ext_elem *elems, size_t cap)
{
    size_t n = 0;
    dc_rtp_ext_iter it;
    dc_rtp_ext_elem e;
    if (dc_rtp_ext_iter_init_view(&it, v) == 0) {
        while (n + 1 < cap && dc_rtp_ext_next(&it, &e) == 1) {
            for (unsigned x = 0; x < DC_ROUTER_EXT_COUNT; x++) {
                if (from->ext_id[x] != e.id || x == DC_ROUTER_EXT_MID ||
                    x == DC_ROUTER_EXT_TRANSPORT_CC)
                    continue;
                if (to->ext_id[x] != 0) {
                    elems[n] = e;
                    elems[n].id = to->ext_id[x];
                    n++;
                }
                break;
            }
        }
    }
    size_t mid_len = strlen(to->mid);
    if (to->ext_id[DC_ROUTER_EXT_MID] != 0 && mid_len > 0 && n < cap) {
        elems[n].id = to->ext_id[DC_ROUTER_EXT_MID];
        elems[n].len = (uint8_t)mid_len;
        elems[n].data = (const uint8_t *)to->mid;
        n++;
    }
    return n;
}

int router_build_out(dc_router *r, unsigned receiver, unsigned source, unsigned kind,
                     const dc_rtp_view *v, const dc_vp8_descriptor *vp8, int64_t now_us)
{
    router_site *rs = &r->sites[receiver];
    router_site *ss = &r->sites[source];
    const dc_router_mline *to = &rs->params.send[source][kind];
    router_out *o = router_output(r, receiver, source, kind);

    uint16_t seq;
    uint32_t ts;
    if (dc_rewrite_map(&o->rw, ss->in[kind].epoch, v->seq, v->timestamp,
                       ss->params.recv[kind].clock_rate, now_us, &seq, &ts))
        o->epoch_first_seq = seq;

    dc_rtp_ext_elem elems[16];
    size_t n = build_ext(&ss->params.recv[kind], to, v, elems, sizeof elems / sizeof elems[0]);
    uint8_t ext[256];
    uint16_t profile = DC_RTP_EXT_PROFILE_ONE_BYTE;
    int ext_len = n ? dc_rtp_ext_write(elems, n, ext, sizeof ext, &profile) : 0;
    if (ext_len < 0)
        ext_len = 0;
    uint32_t csrcs[DC_RTP_MAX_CSRC];
    for (unsigned i = 0; i < v->csrc_count; i++)
        csrcs[i] = dc_rtp_csrc(v, i);
    dc_rtp_header h = {
        .marker = v->marker,
        .payload_type = to->pt,
        .seq = seq,
        .timestamp = ts,
        .ssrc = o->ssrc,
        .csrcs = v->csrc_count ? csrcs : NULL,
        .csrc_count = v->csrc_count,
        .extension = ext_len > 0,
        .ext_profile = profile,
        .ext = ext_len > 0 ? ext : NULL,
        .ext_len = (size_t)ext_len,
    };
    size_t body = v->payload_len + v->padding_len;
    int hl = dc_rtp_write_header(&h, r->pkt, sizeof r->pkt);
    if (hl < 0 || (size_t)hl + body > sizeof r->pkt)
        return -1;
    memcpy(r->pkt + hl, v->payload, body);
    if (v->padding_len)
        r->pkt[0] |= 0x20;
    if (vp8 && vp8->has_picture_id) {
        uint16_t pic = dc_rewrite_picture_id(&o->rw, vp8->picture_id);
        dc_vp8_set_picture_id(r->pkt + hl, v->payload_len, pic);
    }
    if (vp8 && vp8->has_tl0picidx) {
        uint8_t tl0 = dc_rewrite_tl0picidx(&o->rw, vp8->tl0picidx);
        dc_vp8_set_tl0picidx(r->pkt + hl, v->payload_len, tl0);
    }
    return (int)((size_t)hl + body);
}

/* Rewrites and sends one packet of source's kind to one receiver. */
static void forward_one(dc_router *r, unsigned receiver, unsigned source, unsigned kind,
                        const dc_rtp_view *v, const dc_vp8_descriptor *vp8, int64_t now_us)
{
    router_out *o = router_output(r, receiver, source, kind);
    const router_in *in = &r->sites[source].in[kind];
    /* After a sender restart the receiver's decoder still holds the old
     * encoder's reference frames: a delta frame of the new encoder would
     * decode to garbage. The output continues only on a keyframe. */
    if (kind == DC_ROUTER_VIDEO && o->rw.started && o->rw.epoch != in->epoch &&
        !(vp8 && vp8->keyframe)) {
        r->stats.kf_gated++;
        router_keyframe_request(r, source, now_us);
        return;
    }
    int n = router_build_out(r, receiver, source, kind, v, vp8, now_us);
    if (n < 0) {
        r->stats.oversize++;
        return;
    }
    size_t len = (size_t)n;
    uint16_t oseq = (uint16_t)(r->pkt[2] << 8 | r->pkt[3]);
    if (!o->fwd_started) {
        o->fwd_started = true;
        o->fwd_last_seq = oseq;
    } else {
        int32_t d = dc_seq_delta(o->fwd_last_seq, oseq);
        if (d > 1)
            o->holes += (uint64_t)(d - 1);
        if (d > 0)
            o->fwd_last_seq = oseq;
        else if (d < 0 && o->holes > 0)
            o->holes--; /* a late packet fills a hole */
    }
    o->packets++;
    o->bytes += len;
    dc_rtp_stats_rate_add(&o->rate, len, now_us);
    o->octets += (uint32_t)v->payload_len;
    r->stats.rtp_out++;
    r->stats.rtp_out_bytes += len;
    r->cb.send(r->user, receiver, r->pkt, len, false);
}

void dc_router_receive_rtp(dc_router *r, unsigned site, const uint8_t *buf, size_t len,
                           int64_t now_us)
{
    if (!r || site >= r->n_sites)
        return;
    r->stats.rtp_in++;
    r->stats.rtp_in_bytes += len;
    router_site *s = &r->sites[site];
    if (!s->up || !s->has_params) {
        r->stats.site_down++;
        return;
    }
    dc_rtp_view v;
    if (dc_rtp_parse(buf, len, &v) < 0) {
        r->stats.malformed++;
        return;
    }
    int kind = classify(s, &v, now_us);
    if (kind < 0 || v.payload_type != s->params.recv[kind].pt) {
        r->stats.unknown++;
        return;
    }
    router_in *in = &s->in[kind];
    const dc_router_mline *m = &s->params.recv[kind];
    if (in->kf_pending)
        router_keyframe_request(r, site, now_us);
    dc_vp8_descriptor d;
    const dc_vp8_descriptor *vp8 = NULL;
    if (kind == DC_ROUTER_VIDEO && v.payload_len > 0) {
        if (dc_vp8_parse(v.payload, v.payload_len, &d) < 0) {
            r->stats.malformed++;
            return;
        }
        vp8 = &d;
        if (d.start_of_frame)
            dc_rtp_stats_rate_add(&in->frame_rate, 1, now_us);
        if (d.start_of_frame)
            in->frames++;
        if (d.keyframe) {
            dc_vp8_size sz;
            r->stats.keyframes_in++;
            in->keyframes++;
            if (in->last_kf_us != 0)
                in->kf_interval_us = now_us - in->last_kf_us;
            in->last_kf_us = now_us;
            if (dc_vp8_keyframe_size(v.payload + d.header_len, v.payload_len - d.header_len, &sz) ==
                0) {
                in->width = sz.width;
                in->height = sz.height;
            }
            router_keyframe_seen(r, site);
        }
    }
    in->rs.clock_rate = m->clock_rate;
    int64_t prev_max = in->rs.max_ext;
    dc_rtp_stats_result res =
        dc_rtp_stats_receive(&in->rs, v.ssrc, v.seq, v.timestamp, len, now_us);
    if (kind == DC_ROUTER_VIDEO && m->fb_nack)
        router_nack_track(r, site, res, prev_max, v.seq, now_us);
    /* Keep it for receivers' NACKs as received. */
    if (in->hist && (!in->hist_started || dc_seq_newer(v.seq, in->hist_last))) {
        if (dc_nack_history_put(in->hist, v.seq, now_us, buf, len) == 0) {
            in->hist_started = true;
            in->hist_last = v.seq;
        }
    } else if (in->hist) {
        /* A late or retransmitted packet fills its gap. */
        dc_nack_history_put_late(in->hist, v.seq, now_us, buf, len);
    }
    if (s->muted[kind]) {
        r->stats.muted++;
        return;
    }
    for (unsigned rcv = 0; rcv < r->n_sites; rcv++) {
        if (rcv == site)
            continue;
        router_site *rs = &r->sites[rcv];
        if (!rs->up || !rs->has_params || !rs->params.send[site][kind].active)
            continue;
        forward_one(r, rcv, site, (unsigned)kind, &v, vp8, now_us);
    }
}

void dc_router_get_stats(const dc_router *r, dc_router_stats *out)
{
    *out = r->stats;
}
