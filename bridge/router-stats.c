/* router-stats: per-site link statistics and the quality score, computed
 * from the router's state. See router.h (dc_router_get_site_stats) and
 * docs/link-quality.md. */
#include "bridge/router-private.h"

#include <errno.h>
#include <string.h>

#define WINDOW_1S_US 1000000
#define WINDOW_10S_US 10000000

/* Up statistics of one inbound stream. */
static void in_medium(const router_site *s, const router_in *in, int64_t now_us,
                      dc_router_medium_stats *m)
{
    m->packets = in->rs.packets;
    m->bytes = in->rs.bytes;
    m->bitrate_1s = dc_rtp_stats_rate_bps(&in->rs.rate, now_us, WINDOW_1S_US);
    m->bitrate_10s = dc_rtp_stats_rate_bps(&in->rs.rate, now_us, WINDOW_10S_US);
    m->loss = in->loss_1s;
    m->lost = dc_rtp_stats_lost_total(&in->rs); /* the span of packets: every session */
    m->jitter_ms = dc_rtp_stats_jitter_ms(&in->rs);
    m->nacks = in->nack_sent;
    m->retransmissions = in->recovered;
    m->pli = in->pli_sent;
    m->fir = in->fir_sent;
    /* frame_rate counts frames per bucket: the "bitrate" / 8 is frames/s. */
    m->fps = (double)dc_rtp_stats_rate_bps(&in->frame_rate, now_us, WINDOW_1S_US) / 8;
    m->width = in->width;
    m->height = in->height;
    m->keyframe_interval_s = (double)in->kf_interval_us / 1e6;
    m->keyframes = in->keyframes;
    m->remb_bps = s->params.recv[DC_ROUTER_VIDEO].fb_remb && in->rs.started ? in->remb_bps : 0;
}

/* Down statistics of everything of kind the router sends to site. */
static void out_medium(const dc_router *r, unsigned site, unsigned kind, int64_t now_us,
                       dc_router_medium_stats *m)
{
    const router_site *s = &r->sites[site];
    uint64_t expected = 0, lost = 0;
    for (unsigned src = 0; src < r->n_sites; src++) {
        if (src == site)
            continue;
        const router_out *o = &s->out[src * DC_ROUTER_KINDS + kind];
        m->packets += o->packets;
        m->bytes += o->bytes;
        m->bitrate_1s += dc_rtp_stats_rate_bps(&o->rate, now_us, WINDOW_1S_US);
        m->bitrate_10s += dc_rtp_stats_rate_bps(&o->rate, now_us, WINDOW_10S_US);
        m->nacks += o->nack_in;
        m->retransmissions += o->resent;
        m->pli += o->pli_in;
        m->fir += o->fir_in;
        if (!o->have_rr)
            continue;
        /* Pooled over every stream: the worst single fraction would be
         * biased up, and a sender's own upstream loss is not this link's. */
        expected += o->rr_int_expected;
        lost += o->rr_int_lost;
        m->lost += o->rr_link_lost;
        uint32_t rate = r->sites[src].params.recv[kind].clock_rate;
        double jitter = rate ? o->rr_jitter * 1000.0 / rate : 0;
        if (jitter > m->jitter_ms)
            m->jitter_ms = jitter;
    }
    m->loss = expected ? (double)lost / (double)expected : 0;
}

/* The instantaneous score of one direction (core/quality, the same as the
 * client's own view of its link). */
static double direction_score(const dc_router_medium_stats *m, int64_t rtt_us, double *audio_r)
{
    dc_quality_medium q[DC_ROUTER_KINDS];
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
        q[k] = (dc_quality_medium){(double)m[k].bitrate_1s, (double)m[k].bitrate_10s, m[k].loss,
                                   m[k].jitter_ms};
    return dc_quality_direction_score(q, rtt_us < 0 ? -1 : (double)rtt_us / 1000, audio_r);
}

static bool ever_carried(const dc_router_medium_stats *m)
{
    return m[0].packets + m[1].packets > 0;
}

void router_quality_update(dc_router *r, unsigned site, int64_t now_us)
{
    router_site *s = &r->sites[site];
    dc_router_site_stats st;
    if (dc_router_get_site_stats(r, site, now_us, &st) < 0)
        return;
    double audio_r = 1000;
    if (ever_carried(st.up))
        dc_quality_update(&s->q_up, direction_score(st.up, s->rtt_us, &audio_r));
    if (ever_carried(st.down))
        dc_quality_update(&s->q_down, direction_score(st.down, s->rtt_us, &audio_r));
    if (audio_r < 1000)
        dc_quality_update(&s->q_r, audio_r);
}

int dc_router_get_site_stats(const dc_router *r, unsigned site, int64_t now_us,
                             dc_router_site_stats *out)
{
    if (!r || site >= r->n_sites || !out)
        return -EINVAL;
    const router_site *s = &r->sites[site];
    memset(out, 0, sizeof *out);
    out->active = s->up;
    out->rtt_us = s->rtt_us;
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
        in_medium(s, &s->in[k], now_us, &out->up[k]);
        out_medium(r, site, k, now_us, &out->down[k]);
    }
    out->have_score = s->q_up.started || s->q_down.started;
    out->score_up = s->q_up.started ? s->q_up.score : 100;
    out->score_down = s->q_down.started ? s->q_down.score : 100;
    double low = out->score_up < out->score_down ? out->score_up : out->score_down;
    out->level = (int)dc_quality_level_of(low);
    out->mos = s->q_r.started ? dc_quality_mos(s->q_r.score) : 0;
    return 0;
}
