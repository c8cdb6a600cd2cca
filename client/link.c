/* link: the site's view of its link. See link.h and docs/link-quality.md. */
#include "client/link.h"

#include <string.h>

#include "core/rtp-stats.h"

#define NTP_UNIX_OFFSET 2208988800ULL /* seconds from 1900 to 1970 */
#define AUDIO_CLOCK 48000
#define VIDEO_CLOCK 90000

void dc_link_init(dc_link *l)
{
    memset(l, 0, sizeof *l);
    l->rtt_us = -1;
    l->cur.rtt_ms = -1;
    l->cur.score_up = l->cur.score_down = 100;
    l->cur.level = DC_QUALITY_EXCELLENT;
    dc_quality_init(&l->q_up);
    dc_quality_init(&l->q_down);
    dc_quality_init(&l->q_r);
}

static uint32_t ntp_mid_of_wall(int64_t wall_us)
{
    uint64_t secs = (uint64_t)(wall_us / 1000000) + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)(wall_us % 1000000) << 32) / 1000000;
    return dc_rtp_stats_ntp_mid(secs << 32 | frac);
}

void dc_link_on_report_block(dc_link *l, dc_media_kind kind, const dc_rtcp_report_block *b,
                             int64_t wall_us)
{
    if ((unsigned)kind >= DC_MEDIA_KINDS)
        return;
    uint32_t clock = kind == DC_MEDIA_VIDEO ? VIDEO_CLOCK : AUDIO_CLOCK;
    l->rr[kind].have = true;
    l->rr[kind].loss = b->fraction_lost / 256.0;
    l->rr[kind].lost = b->cumulative_lost > 0 ? b->cumulative_lost : 0;
    l->rr[kind].jitter_ms = b->jitter * 1000.0 / clock;
    int64_t rtt = dc_rtp_stats_rtt_us(ntp_mid_of_wall(wall_us), b->lsr, b->dlsr);
    if (rtt >= 0)
        l->rtt_us = rtt;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
    return now > before ? now - before : 0;
}

/* Bits per second over the last n seconds of history. */
static uint64_t rate_over(const dc_link *l, int dir, int kind, unsigned n)
{
    uint64_t bytes = 0;
    int64_t us = 0;
    for (unsigned i = 0; i < n && i < l->filled; i++) {
        unsigned at = (l->head + DC_LINK_WINDOW - 1 - i) % DC_LINK_WINDOW;
        bytes += l->hist_bytes[at][dir][kind];
        us += l->hist_us[at];
    }
    return us > 0 ? (uint64_t)((double)bytes * 8e6 / (double)us) : 0;
}

static bool ever_carried(const dc_link_medium *m)
{
    return m[DC_MEDIA_AUDIO].packets + m[DC_MEDIA_VIDEO].packets > 0;
}

static double direction_score(const dc_link_medium *m, double rtt_ms, double *audio_r)
{
    dc_quality_medium q[DC_MEDIA_KINDS];
    for (int k = 0; k < DC_MEDIA_KINDS; k++)
        q[k] = (dc_quality_medium){(double)m[k].bitrate_1s, (double)m[k].bitrate_10s, m[k].loss,
                                   m[k].jitter_ms};
    return dc_quality_direction_score(q, rtt_ms, audio_r);
}

void dc_link_tick(dc_link *l, const dc_link_sample *s, int64_t now_us)
{
    if (!l->started || now_us <= l->last_us) {
        if (!l->started) {
            l->started = true;
            l->prev = *s;
            l->last_us = now_us;
        }
        return;
    }
    const dc_link_sample *p = &l->prev;
    dc_link_stats *c = &l->cur;
    unsigned at = l->head;
    l->hist_us[at] = now_us - l->last_us;
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        l->hist_bytes[at][0][k] = delta(s->sent_bytes[k], p->sent_bytes[k]);
        l->hist_bytes[at][1][k] = delta(s->received[k].bytes, p->received[k].bytes);
    }
    l->head = (l->head + 1) % DC_LINK_WINDOW;
    if (l->filled < DC_LINK_WINDOW)
        l->filled++;

    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        dc_link_medium *up = &c->up[k], *down = &c->down[k];
        const dc_receiver_totals *r = &s->received[k], *pr = &p->received[k];

        up->packets = s->sent_packets[k];
        up->bytes = s->sent_bytes[k];
        up->bitrate_1s = rate_over(l, 0, k, 1);
        up->bitrate_10s = rate_over(l, 0, k, DC_LINK_WINDOW);
        up->reported = l->rr[k].have;
        up->loss = l->rr[k].loss;
        up->lost = l->rr[k].lost;
        up->jitter_ms = l->rr[k].jitter_ms;
        if (k == DC_MEDIA_VIDEO) {
            up->nacks = s->nack_seqs_in;
            up->retransmissions = s->retransmits;
            up->plis = s->keyframe_requests;
        }

        down->packets = r->packets;
        down->bytes = r->bytes;
        down->bitrate_1s = rate_over(l, 1, k, 1);
        down->bitrate_10s = rate_over(l, 1, k, DC_LINK_WINDOW);
        uint64_t exp = delta(r->expected, pr->expected), rec = delta(r->received, pr->received);
        down->loss = exp > rec ? (double)(exp - rec) / (double)exp : 0;
        down->lost = r->expected > r->received ? (int64_t)(r->expected - r->received) : 0;
        down->jitter_ms = r->jitter_ms;
        down->nacks = r->nacks_sent;
        down->retransmissions = r->recovered;
        down->plis = r->plis_sent;
    }
    c->rtt_ms = l->rtt_us < 0 ? -1 : (double)l->rtt_us / 1000;

    /* Scored once a tick, like the bridge: a direction only once it has
     * carried something; up only once the bridge has reported on it
     * (before that its loss and jitter are unknown, not zero). */
    double audio_r = 1000;
    if (ever_carried(c->up) && (l->rr[0].have || l->rr[1].have))
        dc_quality_update(&l->q_up, direction_score(c->up, c->rtt_ms, &audio_r));
    if (ever_carried(c->down))
        dc_quality_update(&l->q_down, direction_score(c->down, c->rtt_ms, &audio_r));
    if (audio_r < 1000)
        dc_quality_update(&l->q_r, audio_r);
    c->have_score = l->q_up.started || l->q_down.started;
    c->score_up = l->q_up.started ? l->q_up.score : 100;
    c->score_down = l->q_down.started ? l->q_down.score : 100;
    c->level = dc_quality_level_of(c->score_up < c->score_down ? c->score_up : c->score_down);
    c->mos = l->q_r.started ? dc_quality_mos(l->q_r.score) : 0;

    l->prev = *s;
    l->last_us = now_us;
}

const dc_link_stats *dc_link_get(const dc_link *l)
{
    return &l->cur;
}
