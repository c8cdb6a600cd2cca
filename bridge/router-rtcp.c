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

/* Once per RTCP interval: the loss of the interval, and the loss-based
 * estimate of the sender's video (Galene: x1.05 below 2 % loss,
 * x(1 - loss/2) above 10 %), capped by what its receivers report. */
static uint64_t remb_update(dc_router *r, unsigned source, int64_t now_us)
{
    router_in *in = &r->sites[source].in[DC_ROUTER_VIDEO];
    double loss = in->loss_1s;
    double est = (double)in->remb_bps;
    if (loss < 0.02)
        est *= 1.05;
    else if (loss > 0.10)
        est *= 1 - loss / 2;
    if (est < ROUTER_REMB_MIN_BPS)
        est = ROUTER_REMB_MIN_BPS;
    if (est > ROUTER_REMB_MAX_BPS)
        est = ROUTER_REMB_MAX_BPS;
    in->remb_bps = (uint64_t)est;
    uint64_t send = in->remb_bps;
    for (unsigned rcv = 0; rcv < r->n_sites && (int)source != r->floor; rcv++) {
        const router_out *o = router_output(r, rcv, source, DC_ROUTER_VIDEO);
        if (rcv != source && r->sites[rcv].up && o->remb_bps > 0 &&
            now_us - o->remb_us < ROUTER_REMB_RX_MAX_AGE_US && o->remb_bps < send)
            send = o->remb_bps;
    }
    return send < ROUTER_REMB_MIN_BPS ? ROUTER_REMB_MIN_BPS : send;
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

    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
        s->in[k].loss_1s = dc_rtp_stats_loss_since(&s->in[k].rs, &s->in[k].q_mark);
    router_quality_update(r, site, now_us);

    dc_rtcp_rr rr = {.ssrc = s->fb_ssrc};
    for (unsigned k = 0; k < DC_ROUTER_KINDS; k++)
        if (s->in[k].ssrc != 0 &&
            dc_rtp_stats_report_block(&s->in[k].rs, now_us, &rr.reports[rr.report_count]))
            rr.report_count++;
    dc_rtcp_compound_add(
        &c, dc_rtcp_rr_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &rr));
    r->stats.rr_out++;
    router_in *vin = &s->in[DC_ROUTER_VIDEO];
    if (vin->ssrc != 0 && vin->rs.started) {
        uint64_t bps = remb_update(r, site, now_us);
        if (s->params.recv[DC_ROUTER_VIDEO].fb_remb) {
            int n = dc_rtcp_fb_remb_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c),
                                          s->fb_ssrc, bps, &vin->ssrc, 1);
            if (n > 0) {
                dc_rtcp_compound_add(&c, n);
                r->stats.remb_out++;
            }
        }
    }

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

/* ---- NACKs toward senders ---- */

static void miss_remove(router_in *in, unsigned i)
{
    memmove(&in->miss[i], &in->miss[i + 1], (in->n_miss - i - 1) * sizeof in->miss[0]);
    in->n_miss--;
}

void router_nack_track(dc_router *r, unsigned source, dc_rtp_stats_result res, int64_t prev_max,
                       uint16_t seq, int64_t now_us)
{
    router_in *in = &r->sites[source].in[DC_ROUTER_VIDEO];
    if (res == DC_RTP_STATS_RESTART) {
        in->n_miss = 0;
        return;
    }
    if (res == DC_RTP_STATS_LATE) {
        int64_t ext = in->rs.max_ext + dc_seq_delta((uint16_t)in->rs.max_ext, seq);
        for (unsigned i = 0; i < in->n_miss; i++) {
            if (in->miss[i].ext == ext) {
                in->recovered++;
                miss_remove(in, i);
                break;
            }
        }
        return;
    }
    if (res != DC_RTP_STATS_OK || in->rs.received < 2)
        return;
    int64_t gap = in->rs.max_ext - prev_max - 1;
    if (gap <= 0)
        return;
    if (gap > ROUTER_MISSING_MAX) {
        /* Too much to repair by retransmission: start over from a keyframe. */
        in->n_miss = 0;
        router_keyframe_request(r, source, now_us);
        return;
    }
    for (int64_t e = prev_max + 1; e < in->rs.max_ext; e++) {
        if (in->n_miss == ROUTER_MISSING_MAX)
            miss_remove(in, 0);
        in->miss[in->n_miss++] = (router_missing){.ext = e, .first_us = now_us};
    }
    if (in->nack_next_us > now_us + ROUTER_NACK_REORDER_US)
        in->nack_next_us = now_us + ROUTER_NACK_REORDER_US;
}

/* Sends one NACK for every missing number that is due: never asked, or
 * asked more than max(RTT, 40 ms) ago; drops those tried 10 times or older
 * than 1 s. */
static void nack_service(dc_router *r, unsigned source, int64_t now_us)
{
    router_site *s = &r->sites[source];
    router_in *in = &s->in[DC_ROUTER_VIDEO];
    if (in->nack_next_us > now_us)
        return;
    int64_t pace = s->rtt_us > ROUTER_NACK_TIMER_US ? s->rtt_us : ROUTER_NACK_TIMER_US;
    uint16_t seqs[ROUTER_MISSING_MAX];
    size_t n = 0;
    for (unsigned i = 0; i < in->n_miss;) {
        if (in->miss[i].tries >= ROUTER_NACK_MAX_TRIES ||
            now_us - in->miss[i].first_us > ROUTER_NACK_GIVE_UP_US) {
            miss_remove(in, i);
            continue;
        }
        if (in->miss[i].tries == 0 || now_us - in->miss[i].last_sent_us >= pace) {
            in->miss[i].tries++;
            in->miss[i].last_sent_us = now_us;
            seqs[n++] = (uint16_t)in->miss[i].ext;
        }
        i++;
    }
    in->nack_next_us = in->n_miss ? now_us + ROUTER_NACK_TIMER_US : INT64_MAX;
    uint8_t buf[ROUTER_RTCP_MTU];
    int len = n ? dc_rtcp_fb_nack_build(buf, sizeof buf, s->fb_ssrc, in->ssrc, seqs, n) : -1;
    if (len <= 0)
        return;
    in->nack_sent += n;
    r->stats.nack_out += n;
    r->stats.rtcp_out++;
    r->cb.send(r->user, source, buf, (size_t)len, true);
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
        in->pli_sent += n > 0;
    } else if (m->fb_fir) {
        dc_rtcp_fb_fir_entry e = {.ssrc = in->ssrc, .seq_nr = ++in->fir_seq};
        n = dc_rtcp_fb_fir_build(buf, sizeof buf, s->fb_ssrc, &e, 1);
        in->fir_sent += n > 0;
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
    router_out *o = router_output(r, site, src, kind);
    for (int i = 0; i < n; i++) {
        r->stats.nack_in++;
        o->nack_in++;
        if (resend_one(r, site, src, kind, seqs[i], now_us)) {
            r->stats.nack_resent++;
            o->resent++;
        } else
            r->stats.nack_missed++;
    }
}

static void handle_keyframe_fb(dc_router *r, unsigned site, uint32_t media_ssrc, bool fir,
                               int64_t now_us)
{
    unsigned src, kind;
    r->stats.keyframe_req_in++;
    if (find_output(r, site, media_ssrc, &src, &kind) && kind == DC_ROUTER_VIDEO) {
        router_out *o = router_output(r, site, src, kind);
        if (fir)
            o->fir_in++;
        else
            o->pli_in++;
        router_keyframe_request(r, src, now_us);
    }
}

/* A receiver's REMB covers every stream it lists: each video output listed
 * gets an equal share. */
static void handle_remb(dc_router *r, unsigned site, const dc_rtcp_packet *p, int64_t now_us)
{
    dc_rtcp_fb_remb remb;
    if (dc_rtcp_fb_remb_parse(p->data, p->len, &remb) < 0)
        return;
    unsigned n_video = 0, src, kind;
    for (size_t i = 0; i < remb.ssrc_count; i++)
        if (find_output(r, site, dc_rtcp_fb_remb_ssrc_at(&remb, i), &src, &kind) &&
            kind == DC_ROUTER_VIDEO)
            n_video++;
    for (size_t i = 0; i < remb.ssrc_count; i++) {
        if (!find_output(r, site, dc_rtcp_fb_remb_ssrc_at(&remb, i), &src, &kind) ||
            kind != DC_ROUTER_VIDEO)
            continue;
        router_out *o = router_output(r, site, src, kind);
        o->remb_bps = remb.bitrate_bps / n_video;
        o->remb_us = now_us;
    }
}

static void handle_psfb(dc_router *r, unsigned site, const dc_rtcp_packet *p, int64_t now_us)
{
    if (p->count == DC_RTCP_FB_FMT_PLI) {
        dc_rtcp_fb fb;
        if (dc_rtcp_fb_pli_parse(p->data, p->len, &fb) < 0) {
            r->stats.malformed++;
            return;
        }
        handle_keyframe_fb(r, site, fb.media_ssrc, false, now_us);
    } else if (p->count == DC_RTCP_FB_FMT_FIR) {
        dc_rtcp_fb_fir fir;
        if (dc_rtcp_fb_fir_parse(p->data, p->len, &fir) < 0) {
            r->stats.malformed++;
            return;
        }
        for (size_t i = 0; i < fir.entry_count; i++)
            handle_keyframe_fb(r, site, dc_rtcp_fb_fir_entry_at(&fir, i).ssrc, true, now_us);
    } else if (p->count == DC_RTCP_FB_FMT_AFB)
        handle_remb(r, site, p, now_us);
}

/* The loss of the bridge-to-receiver link from a receiver's report about
 * output o: what the receiver lost in the interval minus the holes the
 * bridge itself left in the sequence (packets it never received from the
 * sender). Every figure clamped: reports may reorder, restart or lie. */
static void report_link_loss(router_out *o, const dc_rtcp_report_block *b)
{
    int64_t link_cum = (int64_t)o->rr_lost - (int64_t)o->holes;
    o->rr_link_lost = link_cum > 0 ? (uint64_t)link_cum : 0;
    if (o->rr_prev) {
        int64_t expected = (int64_t)b->ext_highest_seq - (int64_t)o->rr_prev_ext;
        int64_t lost = (int64_t)o->rr_lost - (int64_t)o->rr_prev_lost -
                       ((int64_t)o->holes - (int64_t)o->rr_prev_holes);
        if (expected <= 0 || expected > 1 << 20) {
            expected = 0;
            lost = 0;
        }
        if (lost < 0)
            lost = 0;
        if (lost > expected)
            lost = expected;
        o->rr_int_expected = (uint32_t)expected;
        o->rr_int_lost = (uint32_t)lost;
    }
    o->rr_prev = true;
    o->rr_prev_ext = b->ext_highest_seq;
    o->rr_prev_lost = o->rr_lost;
    o->rr_prev_holes = o->holes;
}

/* Report blocks from site about the outputs toward it: loss, jitter and
 * the round-trip time (RFC 3550 6.4.1). */
static void handle_report_blocks(dc_router *r, unsigned site, const dc_rtcp_report_block *b,
                                 unsigned n, int64_t now_us)
{
    uint32_t now_mid = dc_rtp_stats_ntp_mid(ntp_from_unix_us(now_us + r->wallclock_offset_us));
    for (unsigned i = 0; i < n; i++) {
        unsigned src, kind;
        if (!find_output(r, site, b[i].ssrc, &src, &kind))
            continue;
        router_out *o = router_output(r, site, src, kind);
        o->have_rr = true;
        o->rr_fraction = b[i].fraction_lost;
        o->rr_lost = b[i].cumulative_lost < 0 ? 0 : b[i].cumulative_lost;
        report_link_loss(o, &b[i]);
        o->rr_jitter = b[i].jitter;
        int64_t rtt = dc_rtp_stats_rtt_us(now_mid, b[i].lsr, b[i].dlsr);
        if (rtt >= 0 && rtt < 10000000)
            r->sites[site].rtt_us = rtt;
    }
}

static void handle_rr(dc_router *r, unsigned site, const dc_rtcp_packet *p, int64_t now_us)
{
    dc_rtcp_rr rr;
    if (dc_rtcp_rr_parse(p->data, p->len, &rr) < 0) {
        r->stats.malformed++;
        return;
    }
    handle_report_blocks(r, site, rr.reports, rr.report_count, now_us);
}

static void handle_sr(dc_router *r, unsigned site, const dc_rtcp_packet *p, int64_t now_us)
{
    dc_rtcp_sr sr;
    if (dc_rtcp_sr_parse(p->data, p->len, &sr) < 0) {
        r->stats.malformed++;
        return;
    }
    r->stats.sr_in++;
    handle_report_blocks(r, site, sr.reports, sr.report_count, now_us);
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
        case DC_RTCP_PT_RR:
            handle_rr(r, site, &p, now_us);
            break;
        case DC_RTCP_PT_RTPFB:
            if (p.count == DC_RTCP_FB_FMT_NACK)
                handle_nack(r, site, &p, now_us);
            break;
        case DC_RTCP_PT_PSFB:
            handle_psfb(r, site, &p, now_us);
            break;
        default:
            break; /* SDES, BYE, XR: nothing to do */
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
        if (s->has_params)
            nack_service(r, i, now_us);
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
        if (in->nack_next_us < next)
            next = in->nack_next_us;
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
