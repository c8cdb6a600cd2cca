/* router-rtcp: RTCP of the router: reception statistics and RR, SR for every
 * output, NACK answers from the outputs' histories, and keyframe requests
 * merged upstream. See router.h. */
#include "bridge/router-private.h"

#include <string.h>

#include "core/rtcp-fb.h"
#include "core/rtcp.h"

#define NTP_UNIX_OFFSET_S 2208988800ull

uint32_t router_ticks(int64_t elapsed_us, uint32_t clock_rate)
{
    if (elapsed_us <= 0)
        return 0;
    int64_t s = elapsed_us / 1000000;
    int64_t rem = elapsed_us % 1000000;
    return (uint32_t)((uint64_t)s * clock_rate + (uint64_t)rem * clock_rate / 1000000);
}

/* 32.32 NTP time of a wall clock in Unix microseconds. */
static uint64_t ntp_from_unix_us(int64_t us)
{
    if (us < 0)
        us = 0;
    uint64_t sec = (uint64_t)us / 1000000 + NTP_UNIX_OFFSET_S;
    uint64_t frac = ((uint64_t)us % 1000000 << 32) / 1000000;
    return sec << 32 | frac;
}

/* The output timestamp of o at now_us: from the sender's SR when it belongs
 * to the epoch the output is on, else extrapolated from the newest packet. */
static uint32_t out_rtp_now(const router_out *o, const router_in *in, uint32_t clock_rate,
                            int64_t now_us)
{
    if (in->rs.have_sr && o->rw.epoch == in->epoch)
        return in->rs.sr_rtp + router_ticks(now_us - in->rs.sr_arrival_us, clock_rate) +
               o->rw.ts_off;
    return dc_rewrite_ts_at(&o->rw, clock_rate, now_us);
}

/* Sends the compound packet in c to site when it holds anything. */
static void flush_compound(dc_router *r, unsigned site, dc_rtcp_compound *c, uint8_t *buf)
{
    int n = dc_rtcp_compound_finish(c);
    if (n > 0) {
        r->stats.rtcp_out++;
        r->cb.send(r->user, site, buf, (size_t)n, true);
    }
    dc_rtcp_compound_init(c, buf, ROUTER_RTCP_MTU);
}

/* RR for the site's inbound streams, then an SR per output toward it, in as
 * many compound packets as the MTU needs. */
static void send_reports(dc_router *r, unsigned site, int64_t now_us)
{
    router_site *s = &r->sites[site];
    uint8_t *buf = r->pkt;
    dc_rtcp_compound c;
    dc_rtcp_compound_init(&c, buf, ROUTER_RTCP_MTU);

    dc_rtcp_rr rr = {.ssrc = s->fb_ssrc};
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
        if (s->in[k].ssrc != 0 &&
            dc_rtp_stats_report_block(&s->in[k].rs, now_us, &rr.reports[rr.report_count]))
            rr.report_count++;
    dc_rtcp_compound_add(
        &c, dc_rtcp_rr_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &rr));
    r->stats.rr_out++;

    uint64_t ntp = ntp_from_unix_us(now_us + r->wallclock_offset_us);
    for (unsigned src = 0; src < r->n_sites; src++) {
        if (src == site)
            continue;
        for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
            router_out *o = router_output(r, site, src, k);
            const dc_router_mline *m = &s->params.send[src][k];
            if (!m->active || o->packets == 0)
                continue;
            const router_site *ss = &r->sites[src];
            dc_rtcp_sr sr = {
                .ssrc = o->ssrc,
                .ntp_time = ntp,
                .rtp_time = out_rtp_now(
                    o, &ss->in[k],
                    ss->params.recv[k].clock_rate ? ss->params.recv[k].clock_rate : m->clock_rate,
                    now_us),
                .packet_count = o->packets,
                .octet_count = o->octets,
            };
            if (dc_rtcp_compound_room(&c) < 28)
                flush_compound(r, site, &c, buf);
            dc_rtcp_compound_add(
                &c, dc_rtcp_sr_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &sr));
            r->stats.sr_out++;
        }
    }
    flush_compound(r, site, &c, buf);
}

/* Sends one PLI (or FIR when only that was negotiated) for source's video. */
static void send_keyframe_request(dc_router *r, unsigned source, int64_t now_us)
{
    router_site *s = &r->sites[source];
    router_in *in = &s->in[DC_ROUTER_VIDEO];
    const dc_router_mline *m = &s->params.recv[DC_ROUTER_VIDEO];
    uint8_t buf[64];
    int n = -1;
    if (m->fb_pli) {
        n = dc_rtcp_fb_pli_build(buf, sizeof buf, s->fb_ssrc, in->ssrc);
    } else if (m->fb_fir) {
        dc_rtcp_fb_fir_entry e = {.ssrc = in->ssrc, .seq_nr = ++in->fir_seq};
        n = dc_rtcp_fb_fir_build(buf, sizeof buf, s->fb_ssrc, &e, 1);
    }
    in->kf_pending = false;
    in->kf_sent_any = true;
    in->kf_sent_us = now_us;
    if (n <= 0) {
        in->kf_awaiting = false; /* not negotiated: nothing we can do */
        return;
    }
    in->kf_awaiting = true;
    r->stats.keyframe_req_out++;
    r->stats.rtcp_out++;
    r->cb.send(r->user, source, buf, (size_t)n, true);
}

/* Sends a due request: a pending one when 300 ms have passed since the last,
 * or a repeat when no keyframe came within 1 s. */
static void keyframe_service(dc_router *r, unsigned source, int64_t now_us)
{
    router_site *s = &r->sites[source];
    router_in *in = &s->in[DC_ROUTER_VIDEO];
    if (!s->up || !s->has_params || in->ssrc == 0)
        return;
    if (in->kf_awaiting) {
        if (now_us - in->kf_sent_us < ROUTER_KF_RETRY_US) {
            in->kf_pending = false; /* the keyframe on its way serves this one too */
            return;
        }
        if (in->kf_retries >= ROUTER_KF_MAX_RETRIES) {
            in->kf_awaiting = false;
            in->kf_retries = 0;
            if (!in->kf_pending)
                return;
        } else {
            in->kf_retries++;
            send_keyframe_request(r, source, now_us);
            return;
        }
    }
    if (!in->kf_pending)
        return;
    if (in->kf_sent_any && now_us - in->kf_sent_us < ROUTER_KF_MIN_INTERVAL_US)
        return; /* the timer sends it */
    in->kf_retries = 0;
    send_keyframe_request(r, source, now_us);
}

void router_keyframe_request(dc_router *r, unsigned source, int64_t now_us)
{
    r->sites[source].in[DC_ROUTER_VIDEO].kf_pending = true;
    keyframe_service(r, source, now_us);
}

void router_keyframe_seen(dc_router *r, unsigned source)
{
    router_in *in = &r->sites[source].in[DC_ROUTER_VIDEO];
    in->kf_awaiting = false;
    in->kf_pending = false;
    in->kf_retries = 0;
}

/* The receiver's output with this SSRC: sets *source and *kind. */
static bool find_output(dc_router *r, unsigned receiver, uint32_t ssrc, unsigned *source,
                        unsigned *kind)
{
    for (unsigned src = 0; src < r->n_sites; src++) {
        for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
            if (src != receiver && router_output(r, receiver, src, k)->ssrc == ssrc) {
                *source = src;
                *kind = k;
                return true;
            }
        }
    }
    return false;
}

/* Whether output o may resend its sequence number seq now, and counts it:
 * at most ROUTER_NACK_MAX_RESENDS times, not twice within
 * ROUTER_NACK_MIN_INTERVAL_US. */
static bool resend_budget(router_out *o, uint16_t seq, int64_t now_us)
{
    router_resend *e = &o->resend[seq % ROUTER_RESEND_SLOTS];
    if (!e->used || e->seq != seq)
        *e = (router_resend){.used = true, .seq = seq};
    if (e->count >= ROUTER_NACK_MAX_RESENDS ||
        (e->count > 0 && now_us - e->last_us < ROUTER_NACK_MIN_INTERVAL_US))
        return false;
    e->count++;
    e->last_us = now_us;
    return true;
}

/* Resends output seq of (src, kind) to receiver site: maps it back to the
 * source's numbering through the output's rewrite offset (valid only within
 * the source epoch the output is on, between its first and newest packet),
 * takes the packet from the source's history and rewrites a copy. */
static bool resend_one(dc_router *r, unsigned site, unsigned src, unsigned kind, uint16_t seq,
                       int64_t now_us)
{
    router_out *o = router_output(r, site, src, kind);
    router_in *in = &r->sites[src].in[kind];
    if (!r->sites[site].params.send[src][kind].fb_nack || !in->hist || !o->rw.started ||
        o->rw.epoch != in->epoch || dc_seq_delta(o->epoch_first_seq, seq) < 0 ||
        dc_seq_newer(seq, o->rw.last_seq))
        return false;
    const uint8_t *pkt;
    size_t len;
    if (dc_nack_history_get(in->hist, (uint16_t)(seq - o->rw.seq_off), now_us, &pkt, &len) < 0 ||
        !resend_budget(o, seq, now_us))
        return false;
    dc_rtp_view v;
    dc_vp8_descriptor d;
    if (dc_rtp_parse(pkt, len, &v) < 0)
        return false;
    bool vp8 = kind == DC_ROUTER_VIDEO && v.payload_len > 0 &&
               dc_vp8_parse(v.payload, v.payload_len, &d) == 0;
    int n = router_build_out(r, site, src, kind, &v, vp8 ? &d : NULL, now_us);
    if (n < 0)
        return false;
    r->stats.rtp_out++;
    r->stats.rtp_out_bytes += (uint64_t)n;
    r->cb.send(r->user, site, r->pkt, (size_t)n, false);
    return true;
}

static void handle_nack(dc_router *r, unsigned site, const dc_rtcp_packet *p, int64_t now_us)
{
    dc_rtcp_fb_nack nack;
    unsigned src, kind;
    if (dc_rtcp_fb_nack_parse(p->data, p->len, &nack) < 0) {
        r->stats.malformed++;
        return;
    }
    if (!find_output(r, site, nack.fb.media_ssrc, &src, &kind))
        return;
    uint16_t seqs[17 * 16];
    int n = dc_rtcp_fb_nack_expand(&nack, seqs, sizeof seqs / sizeof seqs[0]);
    if (n < 0)
        n = (int)(sizeof seqs / sizeof seqs[0]);
    for (int i = 0; i < n; i++) {
        r->stats.nack_in++;
        if (resend_one(r, site, src, kind, seqs[i], now_us))
            r->stats.nack_resent++;
        else
            r->stats.nack_missed++;
    }
}

static void handle_keyframe_fb(dc_router *r, unsigned site, uint32_t media_ssrc, int64_t now_us)
{
    unsigned src, kind;
    r->stats.keyframe_req_in++;
    if (find_output(r, site, media_ssrc, &src, &kind) && kind == DC_ROUTER_VIDEO)
        router_keyframe_request(r, src, now_us);
}

static void handle_psfb(dc_router *r, unsigned site, const dc_rtcp_packet *p, int64_t now_us)
{
    if (p->count == DC_RTCP_FB_FMT_PLI) {
        dc_rtcp_fb fb;
        if (dc_rtcp_fb_pli_parse(p->data, p->len, &fb) < 0) {
            r->stats.malformed++;
            return;
        }
        handle_keyframe_fb(r, site, fb.media_ssrc, now_us);
    } else if (p->count == DC_RTCP_FB_FMT_FIR) {
        dc_rtcp_fb_fir fir;
        if (dc_rtcp_fb_fir_parse(p->data, p->len, &fir) < 0) {
            r->stats.malformed++;
            return;
        }
        for (size_t i = 0; i < fir.entry_count; i++)
            handle_keyframe_fb(r, site, dc_rtcp_fb_fir_entry_at(&fir, i).ssrc, now_us);
    }
    /* REMB and other application feedback: not used yet. */
}

static void handle_sr(dc_router *r, unsigned site, const dc_rtcp_packet *p, int64_t now_us)
{
    dc_rtcp_sr sr;
    if (dc_rtcp_sr_parse(p->data, p->len, &sr) < 0) {
        r->stats.malformed++;
        return;
    }
    r->stats.sr_in++;
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++) {
        router_in *in = &r->sites[site].in[k];
        if (in->ssrc != 0 && in->ssrc == sr.ssrc) {
            dc_rtp_stats_on_sr(&in->rs, sr.ntp_time, sr.rtp_time, now_us);
        }
    }
}

void dc_router_receive_rtcp(dc_router *r, unsigned site, const uint8_t *buf, size_t len,
                            int64_t now_us)
{
    if (!r || site >= r->n_sites)
        return;
    r->stats.rtcp_in++;
    if (!r->sites[site].up || !r->sites[site].has_params) {
        r->stats.site_down++;
        return;
    }
    /* Walk it to the end first: a compound packet is taken or dropped whole. */
    dc_rtcp_iter it;
    dc_rtcp_packet p;
    int rc;
    dc_rtcp_iter_init(&it, buf, len);
    while ((rc = dc_rtcp_iter_next(&it, &p)) == 1) {
    }
    if (rc < 0 || len == 0) {
        r->stats.malformed++;
        return;
    }
    dc_rtcp_iter_init(&it, buf, len);
    while (dc_rtcp_iter_next(&it, &p) == 1) {
        switch (p.pt) {
        case DC_RTCP_PT_SR:
            handle_sr(r, site, &p, now_us);
            break;
        case DC_RTCP_PT_RTPFB:
            if (p.count == DC_RTCP_FB_FMT_NACK)
                handle_nack(r, site, &p, now_us);
            break;
        case DC_RTCP_PT_PSFB:
            handle_psfb(r, site, &p, now_us);
            break;
        default:
            break; /* RR, SDES, BYE, XR: nothing to do yet */
        }
    }
}

void dc_router_handle_timeout(dc_router *r, int64_t now_us)
{
    if (!r)
        return;
    for (unsigned i = 0; i < r->n_sites; i++) {
        router_site *s = &r->sites[i];
        if (!s->up)
            continue;
        if (s->has_params && now_us >= s->next_rtcp_us) {
            send_reports(r, i, now_us);
            s->next_rtcp_us = now_us + ROUTER_RTCP_INTERVAL_US;
        }
        keyframe_service(r, i, now_us);
    }
}

int64_t dc_router_next_timeout(const dc_router *r)
{
    int64_t next = INT64_MAX;
    if (!r)
        return next;
    for (unsigned i = 0; i < r->n_sites; i++) {
        const router_site *s = &r->sites[i];
        if (!s->up)
            continue;
        if (s->has_params && s->next_rtcp_us < next)
            next = s->next_rtcp_us;
        const router_in *in = &s->in[DC_ROUTER_VIDEO];
        if (!s->has_params || in->ssrc == 0)
            continue;
        if (in->kf_awaiting && in->kf_sent_us + ROUTER_KF_RETRY_US < next)
            next = in->kf_sent_us + ROUTER_KF_RETRY_US;
        if (in->kf_pending) {
            int64_t t = in->kf_sent_any ? in->kf_sent_us + ROUTER_KF_MIN_INTERVAL_US : 0;
            if (t < next)
                next = t;
        }
    }
    return next;
}
