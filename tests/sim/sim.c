/* tests/sim: the simulated meeting. See sim.h. */
#include "sim.h"

#include <glib.h>
#include <string.h>

#include "core/nack-history.h"
#include "core/rtcp-fb.h"
#include "core/rtcp.h"
#include "core/rtp-stats.h"
#include "core/rtp.h"
#include "core/seq.h"
#include "core/vp8.h"
#include "sim-link.h"

#define PT_OPUS 111
#define PT_VP8 96
#define AUDIO_PERIOD_US 20000
#define AUDIO_PAYLOAD 100
#define MAX_PAYLOAD 1100
#define TICK_US 10000 /* receivers' NACK and jitter-buffer timer */
#define RR_US 1000000 /* receiver reports */
#define NACK_REORDER_US 10000
#define NACK_MAX_TRIES 10
#define GIVE_UP_US 1000000 /* a packet missing this long is skipped */
#define PLI_INTERVAL_US 500000
#define JB_SLOTS 4096
#define BIG_GAP 100 /* packets missing at once that NACK is not asked to repair alone */

/* ---- a receiver's view of one source's video ---- */

typedef struct {
    int64_t ext; /* the slot holds this extended seq (or a missing one) */
    bool present, start, marker, key;
    int64_t missing_since, next_nack;
    uint8_t tries;
} jb_slot;

typedef struct {
    uint32_t ssrc;
    bool started;
    dc_seq_unwrapper unwrap;
    int64_t cursor;  /* the first seq not yet decoded or skipped */
    int64_t highest; /* the highest seq received */
    bool need_key;
    int64_t last_pli, last_frame_at;
    dc_rtp_stats stats;
    jb_slot *slots; /* JB_SLOTS */
} rx_video;

typedef struct {
    uint32_t ssrc;
    dc_rtp_stats stats;
} rx_audio;

/* ---- a site ---- */

typedef struct {
    bool up;
    sim_link uplink, downlink;
    /* The sender. */
    uint32_t ssrc[DC_ROUTER_KINDS];
    uint16_t seq[DC_ROUTER_KINDS];
    uint32_t ts_base[DC_ROUTER_KINDS];
    uint64_t audio_n, frame_n;
    uint16_t picture_id;
    int64_t next_audio, next_video, last_key;
    bool key_pending;
    dc_nack_history *hist;
    dc_sim_sender sent;
    /* The receivers, one per source. */
    rx_video video[DC_ROUTER_MAX_SITES];
    rx_audio audio[DC_ROUTER_MAX_SITES];
    dc_sim_view view[DC_ROUTER_MAX_SITES];
    int64_t next_tick, next_rr;
} sim_site;

struct dc_sim {
    dc_sim_config cfg;
    int64_t now;
    dc_router *router;
    sim_heap flight;
    sim_site *sites;
};

/* ---- packets onto links ---- */

static void offer(dc_sim *sim, unsigned site, bool to_bridge, bool is_rtcp, const uint8_t *buf,
                  size_t len)
{
    sim_site *s = &sim->sites[site];
    sim_packet p;
    if (len > SIM_PKT_MAX ||
        !sim_link_pass(to_bridge ? &s->uplink : &s->downlink, len, sim->now, &p.at)) {
        return;
    }
    p.site = site;
    p.to_bridge = to_bridge;
    p.is_rtcp = is_rtcp;
    p.len = (uint16_t)len;
    memcpy(p.data, buf, len);
    sim_heap_push(&sim->flight, &p);
}

static void router_send(void *user, unsigned site, const uint8_t *buf, size_t len, bool is_rtcp)
{
    offer(user, site, false, is_rtcp, buf, len);
}

/* An estimate of a site's round trip to the bridge, as its RTCP would tell
 * it: the links' delays and half their jitter. */
static int64_t rtt_hint(const sim_site *s)
{
    return s->uplink.cfg.delay_us + s->downlink.cfg.delay_us +
           (s->uplink.cfg.jitter_us + s->downlink.cfg.jitter_us) / 2 + 20000;
}

/* ---- the sender ---- */

static void send_rtp(dc_sim *sim, unsigned site, dc_router_kind kind, bool marker, uint32_t ts,
                     const uint8_t *payload, size_t len)
{
    sim_site *s = &sim->sites[site];
    uint8_t buf[SIM_PKT_MAX];
    dc_rtp_header h = {
        .marker = marker,
        .payload_type = kind == DC_ROUTER_VIDEO ? PT_VP8 : PT_OPUS,
        .seq = s->seq[kind]++,
        .timestamp = ts,
        .ssrc = s->ssrc[kind],
    };
    int hl = dc_rtp_write_header(&h, buf, sizeof buf);
    g_assert_cmpint(hl, >, 0);
    g_assert_cmpuint((size_t)hl + len, <=, sizeof buf);
    memcpy(buf + hl, payload, len);
    size_t total = (size_t)hl + len;
    if (kind == DC_ROUTER_VIDEO) {
        dc_nack_history_put(s->hist, h.seq, sim->now, buf, total);
    }
    s->sent.packets++;
    s->sent.bytes += total;
    offer(sim, site, true, false, buf, total);
}

static void send_audio(dc_sim *sim, unsigned site)
{
    sim_site *s = &sim->sites[site];
    uint8_t payload[AUDIO_PAYLOAD];
    memset(payload, 0x5a, sizeof payload);
    uint32_t ts = s->ts_base[DC_ROUTER_AUDIO] + (uint32_t)(s->audio_n++ * 960);
    send_rtp(sim, site, DC_ROUTER_AUDIO, false, ts, payload, sizeof payload);
    s->next_audio += AUDIO_PERIOD_US;
}

static void send_frame(dc_sim *sim, unsigned site)
{
    sim_site *s = &sim->sites[site];
    unsigned fps = sim->cfg.fps;
    bool key =
        s->key_pending || s->frame_n == 0 ||
        (sim->cfg.keyframe_s && sim->now - s->last_key >= (int64_t)sim->cfg.keyframe_s * 1000000);
    size_t size = (size_t)(s->sent.video_bps / 8 / fps);
    if (key) {
        size *= 3;
    }
    if (size < 40) {
        size = 40;
    }
    static uint8_t frame[256 * 1024];
    if (size > sizeof frame) {
        size = sizeof frame;
    }
    /* A VP8 frame header: P bit clear on keyframes, and a 640x360 start code. */
    static const uint8_t header[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
    memset(frame, 0xa5, size);
    memcpy(frame, header, sizeof header);
    if (!key) {
        frame[0] |= 1;
    }
    uint32_t ts = s->ts_base[DC_ROUTER_VIDEO] + (uint32_t)(s->frame_n * 90000 / fps);
    dc_vp8_packetizer pk;
    g_assert_cmpint(
        dc_vp8_packetizer_init(&pk, frame, size, MAX_PAYLOAD, s->picture_id++, -1, false), ==, 0);
    uint8_t payload[MAX_PAYLOAD];
    size_t len;
    bool last = false;
    while (dc_vp8_packetizer_next(&pk, payload, sizeof payload, &len, &last) == 0) {
        send_rtp(sim, site, DC_ROUTER_VIDEO, last, ts, payload, len);
    }
    s->frame_n++;
    s->sent.frames++;
    if (key) {
        s->sent.keyframes++;
        s->key_pending = false;
        s->last_key = sim->now;
    }
    s->next_video = sim->now + 1000000 / fps;
}

/* RTCP from the bridge about what this site sends. */
static void sender_feedback(dc_sim *sim, unsigned site, const dc_rtcp_packet *p)
{
    sim_site *s = &sim->sites[site];
    dc_rtcp_fb fb;
    if (p->pt == DC_RTCP_PT_RTPFB && p->count == DC_RTCP_FB_FMT_NACK) {
        dc_rtcp_fb_nack nack;
        uint16_t seqs[17 * 64];
        if (dc_rtcp_fb_nack_parse(p->data, p->len, &nack) < 0 ||
            nack.fb.media_ssrc != s->ssrc[DC_ROUTER_VIDEO]) {
            return;
        }
        int n = dc_rtcp_fb_nack_expand(&nack, seqs, G_N_ELEMENTS(seqs));
        for (int i = 0; i < n; i++) {
            const uint8_t *buf;
            size_t len;
            if (dc_nack_history_resend(s->hist, seqs[i], sim->now, 10, rtt_hint(s) / 2, &buf,
                                       &len) == 0) {
                s->sent.resent++;
                offer(sim, site, true, false, buf, len);
            }
        }
    } else if (p->pt == DC_RTCP_PT_PSFB &&
               (p->count == DC_RTCP_FB_FMT_PLI || p->count == DC_RTCP_FB_FMT_FIR)) {
        s->sent.keyframe_requests++;
        s->key_pending = true;
    } else if (p->pt == DC_RTCP_PT_PSFB && p->count == DC_RTCP_FB_FMT_AFB) {
        dc_rtcp_fb_remb remb;
        if (dc_rtcp_fb_remb_parse(p->data, p->len, &remb) == 0) {
            s->sent.remb_bps = remb.bitrate_bps;
            if (sim->cfg.follow_remb) {
                s->sent.video_bps = MIN(sim->cfg.video_bps, remb.bitrate_bps);
            }
        }
    }
    (void)fb;
}

/* ---- the receiver ---- */

static bool find_source(dc_sim *sim, unsigned site, uint32_t ssrc, unsigned *src,
                        dc_router_kind *kind)
{
    for (unsigned i = 0; i < sim->cfg.n_sites; i++) {
        for (int k = 0; k < DC_ROUTER_KINDS; k++) {
            if (i != site && dc_router_output_ssrc(sim->router, site, i, k) == ssrc) {
                *src = i;
                *kind = k;
                return true;
            }
        }
    }
    return false;
}

static jb_slot *slot_at(rx_video *v, int64_t ext)
{
    return &v->slots[(uint64_t)ext % JB_SLOTS];
}

static void send_pli(dc_sim *sim, unsigned site, unsigned src)
{
    sim_site *s = &sim->sites[site];
    rx_video *v = &s->video[src];
    if (v->last_pli && sim->now - v->last_pli < PLI_INTERVAL_US) {
        return;
    }
    uint8_t buf[16];
    int n = dc_rtcp_fb_pli_build(buf, sizeof buf, s->ssrc[DC_ROUTER_AUDIO], v->ssrc);
    g_assert_cmpint(n, >, 0);
    v->last_pli = sim->now;
    s->view[src].plis++;
    offer(sim, site, true, true, buf, (size_t)n);
}

/* A frame was decoded now: frame-gap accounting as a viewer sees it. */
static void frame_shown(dc_sim *sim, rx_video *v, dc_sim_view *view, bool key)
{
    int64_t interval = 1000000 / sim->cfg.fps;
    if (view->first_frame_us < 0) {
        view->first_frame_us = sim->now;
    } else {
        int64_t gap = sim->now - v->last_frame_at;
        if (gap > MAX(3 * interval, interval + 150000)) {
            view->freezes++;
        }
        if (gap > view->longest_freeze_us) {
            view->longest_freeze_us = gap;
        }
    }
    v->last_frame_at = sim->now;
    view->frames_decoded++;
    view->keyframes_decoded += key;
}

/* The first seq of a complete keyframe after from, or -1. */
static int64_t complete_keyframe_after(rx_video *v, int64_t from)
{
    for (int64_t e = from + 1; e <= v->highest; e++) {
        jb_slot *x = slot_at(v, e);
        if (!x->present || !x->start || !x->key) {
            continue;
        }
        for (int64_t m = e; m <= v->highest; m++) {
            jb_slot *y = slot_at(v, m);
            if (!y->present) {
                break;
            }
            if (y->marker) {
                return e;
            }
        }
    }
    return -1;
}

/* Decodes every frame that is complete and whose reference chain is whole,
 * skips what has been missing too long, asks for a keyframe when the chain
 * breaks. */
static void decode(dc_sim *sim, unsigned site, unsigned src)
{
    rx_video *v = &sim->sites[site].video[src];
    dc_sim_view *view = &sim->sites[site].view[src];
    while (v->started && v->cursor <= v->highest) {
        jb_slot *c = slot_at(v, v->cursor);
        if (!c->present) {
            if (sim->now - c->missing_since < GIVE_UP_US && c->tries < NACK_MAX_TRIES) {
                /* Waiting for a retransmission, unless a whole keyframe has
                 * arrived beyond the hole: a decoder starts over there. */
                int64_t key = complete_keyframe_after(v, v->cursor);
                if (key < 0) {
                    return;
                }
                view->frames_skipped++;
                v->cursor = key;
                continue;
            }
            view->frames_skipped++;
            v->need_key = true;
            v->cursor++;
            continue;
        }
        if (!c->start) {
            v->cursor++; /* the rest of a frame whose start was skipped */
            continue;
        }
        int64_t e = v->cursor;
        bool complete = false;
        while (e <= v->highest) {
            jb_slot *x = slot_at(v, e);
            if (!x->present) {
                break;
            }
            if (x->marker) {
                complete = true;
                break;
            }
            e++;
        }
        if (!complete) {
            return;
        }
        if (v->need_key && !c->key) {
            view->frames_skipped++;
        } else {
            v->need_key = false;
            frame_shown(sim, v, view, c->key);
        }
        v->cursor = e + 1;
    }
    if (v->need_key) {
        send_pli(sim, site, src);
    }
}

static void receive_video(dc_sim *sim, unsigned site, unsigned src, const dc_rtp_view *rtp,
                          size_t len)
{
    sim_site *s = &sim->sites[site];
    rx_video *v = &s->video[src];
    dc_sim_view *view = &s->view[src];
    view->video_packets++;
    view->video_bytes += len;
    dc_rtp_stats_receive(&v->stats, rtp->ssrc, rtp->seq, rtp->timestamp, len, sim->now);
    int64_t ext = dc_seq_unwrap(&v->unwrap, rtp->seq);
    if (!v->started || ext > v->highest + JB_SLOTS / 2) {
        /* The first packet, or a jump no buffer spans: start over here. */
        memset(v->slots, 0, JB_SLOTS * sizeof *v->slots);
        v->started = true;
        v->cursor = ext;
        v->highest = ext - 1;
        v->need_key = true;
    }
    if (ext < v->cursor || ext <= v->highest - JB_SLOTS / 2) {
        return; /* too late */
    }
    for (int64_t m = v->highest + 1; m < ext; m++) {
        jb_slot *g = slot_at(v, m);
        *g =
            (jb_slot){.ext = m, .missing_since = sim->now, .next_nack = sim->now + NACK_REORDER_US};
    }
    if (ext - v->highest > BIG_GAP) {
        /* More missing than retransmission can bring in time (a cut): a
         * receiver asks for a keyframe at once, as libwebrtc does past
         * its NACK list. */
        send_pli(sim, site, src);
    }
    jb_slot *slot = slot_at(v, ext);
    if (ext <= v->highest && (slot->ext != ext || slot->present)) {
        return; /* a duplicate */
    }
    dc_vp8_descriptor d;
    if (dc_vp8_parse(rtp->payload, rtp->payload_len, &d) < 0) {
        return;
    }
    *slot = (jb_slot){.ext = ext,
                      .present = true,
                      .start = d.start_of_frame,
                      .marker = rtp->marker,
                      .key = d.keyframe};
    if (ext > v->highest) {
        v->highest = ext;
    }
    decode(sim, site, src);
}

/* The receiver's timer: NACKs for what is missing, late decoding. */
static void receiver_tick(dc_sim *sim, unsigned site)
{
    sim_site *s = &sim->sites[site];
    for (unsigned src = 0; src < sim->cfg.n_sites; src++) {
        rx_video *v = &s->video[src];
        if (src == site || !v->started) {
            continue;
        }
        uint16_t seqs[256];
        size_t n = 0;
        for (int64_t e = v->cursor; e <= v->highest && n < G_N_ELEMENTS(seqs); e++) {
            jb_slot *x = slot_at(v, e);
            if (!x->present && x->tries < NACK_MAX_TRIES && x->next_nack <= sim->now &&
                sim->now - x->missing_since < GIVE_UP_US) {
                seqs[n++] = (uint16_t)e;
                x->tries++;
                x->next_nack = sim->now + rtt_hint(s);
            }
        }
        if (n) {
            uint8_t buf[1200];
            int len =
                dc_rtcp_fb_nack_build(buf, sizeof buf, s->ssrc[DC_ROUTER_AUDIO], v->ssrc, seqs, n);
            g_assert_cmpint(len, >, 0);
            s->view[src].nacked += n;
            offer(sim, site, true, true, buf, (size_t)len);
        }
        decode(sim, site, src);
    }
    s->next_tick += TICK_US;
}

/* Receiver reports for every stream the site receives. */
static void receiver_report(dc_sim *sim, unsigned site)
{
    sim_site *s = &sim->sites[site];
    dc_rtcp_rr rr = {.ssrc = s->ssrc[DC_ROUTER_AUDIO]};
    for (unsigned src = 0; src < sim->cfg.n_sites && rr.report_count < DC_RTCP_MAX_COUNT - 1;
         src++) {
        if (src == site) {
            continue;
        }
        if (dc_rtp_stats_report_block(&s->video[src].stats, sim->now,
                                      &rr.reports[rr.report_count])) {
            rr.report_count++;
        }
        if (dc_rtp_stats_report_block(&s->audio[src].stats, sim->now,
                                      &rr.reports[rr.report_count])) {
            rr.report_count++;
        }
    }
    if (rr.report_count) {
        uint8_t buf[1200];
        int n = dc_rtcp_rr_build(buf, sizeof buf, &rr);
        g_assert_cmpint(n, >, 0);
        offer(sim, site, true, true, buf, (size_t)n);
    }
    s->next_rr += RR_US;
}

static void site_receive(dc_sim *sim, const sim_packet *p)
{
    sim_site *s = &sim->sites[p->site];
    if (!s->up) {
        return;
    }
    if (p->is_rtcp) {
        dc_rtcp_iter it;
        dc_rtcp_packet pkt;
        dc_rtcp_iter_init(&it, p->data, p->len);
        while (dc_rtcp_iter_next(&it, &pkt) == 1) {
            if (pkt.pt == DC_RTCP_PT_SR) {
                dc_rtcp_sr sr;
                unsigned src;
                dc_router_kind kind;
                if (dc_rtcp_sr_parse(pkt.data, pkt.len, &sr) == 0 &&
                    find_source(sim, p->site, sr.ssrc, &src, &kind)) {
                    dc_rtp_stats_on_sr(kind == DC_ROUTER_VIDEO ? &s->video[src].stats
                                                               : &s->audio[src].stats,
                                       sr.ntp_time, sr.rtp_time, sim->now);
                }
            } else {
                sender_feedback(sim, p->site, &pkt);
            }
        }
        return;
    }
    dc_rtp_view rtp;
    unsigned src;
    dc_router_kind kind;
    if (dc_rtp_parse(p->data, p->len, &rtp) < 0 ||
        !find_source(sim, p->site, rtp.ssrc, &src, &kind)) {
        return;
    }
    if (kind == DC_ROUTER_VIDEO) {
        receive_video(sim, p->site, src, &rtp, p->len);
    } else {
        s->view[src].audio_packets++;
        dc_rtp_stats_receive(&s->audio[src].stats, rtp.ssrc, rtp.seq, rtp.timestamp, p->len,
                             sim->now);
    }
}

/* ---- the world ---- */

dc_sim *dc_sim_new(const dc_sim_config *cfg)
{
    if (!cfg || cfg->n_sites < 2 || cfg->n_sites > DC_ROUTER_MAX_SITES) {
        return NULL;
    }
    dc_sim *sim = g_new0(dc_sim, 1);
    sim->cfg = *cfg;
    if (!sim->cfg.video_bps) {
        sim->cfg.video_bps = 600000;
    }
    if (!sim->cfg.fps) {
        sim->cfg.fps = 15;
    }
    sim->now = 1000000;
    dc_router_callbacks cb = {.send = router_send};
    sim->router = dc_router_new(cfg->n_sites, cfg->seed, 0, &cb, sim);
    sim->sites = g_new0(sim_site, cfg->n_sites);
    sim_rng seeds;
    sim_rng_seed(&seeds, cfg->seed);
    for (unsigned i = 0; i < cfg->n_sites; i++) {
        sim_site *s = &sim->sites[i];
        sim_link_init(&s->uplink, sim_rng_next(&seeds));
        sim_link_init(&s->downlink, sim_rng_next(&seeds));
        for (int k = 0; k < DC_ROUTER_KINDS; k++) {
            s->ssrc[k] = 0x10000000u + 2 * i + (uint32_t)k;
            s->seq[k] = (uint16_t)sim_rng_next(&seeds);
            s->ts_base[k] = (uint32_t)sim_rng_next(&seeds);
        }
        s->hist = dc_nack_history_new(1024, 1000000);
        for (unsigned src = 0; src < cfg->n_sites; src++) {
            s->video[src].slots = g_new0(jb_slot, JB_SLOTS);
            s->view[src].first_frame_us = -1;
        }
    }
    return sim;
}

void dc_sim_free(dc_sim *sim)
{
    if (!sim) {
        return;
    }
    for (unsigned i = 0; i < sim->cfg.n_sites; i++) {
        dc_nack_history_free(sim->sites[i].hist);
        for (unsigned src = 0; src < sim->cfg.n_sites; src++) {
            g_free(sim->sites[i].video[src].slots);
        }
    }
    g_free(sim->sites);
    dc_router_free(sim->router);
    sim_heap_free(&sim->flight);
    g_free(sim);
}

void dc_sim_set_uplink(dc_sim *sim, unsigned site, const dc_sim_link *link)
{
    sim->sites[site].uplink.cfg = *link;
}

void dc_sim_set_downlink(dc_sim *sim, unsigned site, const dc_sim_link *link)
{
    sim->sites[site].downlink.cfg = *link;
}

static void mline(dc_router_mline *m, dc_router_kind kind, unsigned mid)
{
    *m = (dc_router_mline){
        .active = true,
        .pt = kind == DC_ROUTER_VIDEO ? PT_VP8 : PT_OPUS,
        .clock_rate = kind == DC_ROUTER_VIDEO ? 90000 : 48000,
        .fb_nack = kind == DC_ROUTER_VIDEO,
        .fb_pli = kind == DC_ROUTER_VIDEO,
        .fb_fir = kind == DC_ROUTER_VIDEO,
        .fb_remb = kind == DC_ROUTER_VIDEO,
    };
    g_snprintf(m->mid, sizeof m->mid, "%u", mid);
}

void dc_sim_join(dc_sim *sim, unsigned site)
{
    sim_site *s = &sim->sites[site];
    dc_router_site_params *p = g_new0(dc_router_site_params, 1);
    for (int k = 0; k < DC_ROUTER_KINDS; k++) {
        mline(&p->recv[k], k, (unsigned)k);
        p->recv_ssrc[k] = s->ssrc[k];
        for (unsigned src = 0; src < sim->cfg.n_sites; src++) {
            if (src != site) {
                mline(&p->send[src][k], k, 2 + 2 * src + (unsigned)k);
            }
        }
    }
    g_assert_cmpint(dc_router_site_start(sim->router, site, sim->now), ==, 0);
    g_assert_cmpint(dc_router_site_set_params(sim->router, site, p), ==, 0);
    g_assert_cmpint(dc_router_site_ready(sim->router, site, sim->now), ==, 0);
    g_free(p);
    s->up = true;
    s->frame_n = 0;
    s->sent.video_bps = sim->cfg.video_bps;
    s->next_audio = sim->now;
    s->next_video = sim->now;
    s->next_tick = sim->now + TICK_US;
    s->next_rr = sim->now + RR_US;
    for (unsigned src = 0; src < sim->cfg.n_sites; src++) {
        rx_video *v = &s->video[src];
        v->ssrc = dc_router_output_ssrc(sim->router, site, src, DC_ROUTER_VIDEO);
        v->started = false;
        dc_seq_unwrapper_init(&v->unwrap);
        dc_rtp_stats_init(&v->stats, 90000);
        s->audio[src].ssrc = dc_router_output_ssrc(sim->router, site, src, DC_ROUTER_AUDIO);
        dc_rtp_stats_init(&s->audio[src].stats, 48000);
    }
}

void dc_sim_leave(dc_sim *sim, unsigned site)
{
    dc_router_site_stop(sim->router, site);
    sim->sites[site].up = false;
}

static int64_t next_event(const dc_sim *sim)
{
    int64_t next = dc_router_next_timeout(sim->router);
    const sim_packet *p = sim_heap_top(&sim->flight);
    if (p && p->at < next) {
        next = p->at;
    }
    for (unsigned i = 0; i < sim->cfg.n_sites; i++) {
        const sim_site *s = &sim->sites[i];
        if (s->up) {
            next = MIN(next, MIN(MIN(s->next_audio, s->next_video), MIN(s->next_tick, s->next_rr)));
        }
    }
    return next;
}

void dc_sim_run_until(dc_sim *sim, int64_t t_us)
{
    for (;;) {
        int64_t next = next_event(sim);
        if (next > t_us) {
            break;
        }
        if (next > sim->now) {
            sim->now = next;
        }
        const sim_packet *top;
        while ((top = sim_heap_top(&sim->flight)) && top->at <= sim->now) {
            sim_packet p;
            sim_heap_pop(&sim->flight, &p);
            if (!p.to_bridge) {
                site_receive(sim, &p);
            } else if (sim->sites[p.site].up && p.is_rtcp) {
                dc_router_receive_rtcp(sim->router, p.site, p.data, p.len, sim->now);
            } else if (sim->sites[p.site].up) {
                dc_router_receive_rtp(sim->router, p.site, p.data, p.len, sim->now);
            }
        }
        if (dc_router_next_timeout(sim->router) <= sim->now) {
            dc_router_handle_timeout(sim->router, sim->now);
        }
        for (unsigned i = 0; i < sim->cfg.n_sites; i++) {
            sim_site *s = &sim->sites[i];
            if (!s->up) {
                continue;
            }
            if (s->next_audio <= sim->now) {
                send_audio(sim, i);
            }
            if (s->next_video <= sim->now) {
                send_frame(sim, i);
            }
            if (s->next_tick <= sim->now) {
                receiver_tick(sim, i);
            }
            if (s->next_rr <= sim->now) {
                receiver_report(sim, i);
            }
        }
    }
    sim->now = t_us > sim->now ? t_us : sim->now;
}

void dc_sim_run_for(dc_sim *sim, int64_t d_us)
{
    dc_sim_run_until(sim, sim->now + d_us);
}

int64_t dc_sim_now(const dc_sim *sim)
{
    return sim->now;
}

dc_router *dc_sim_router(dc_sim *sim)
{
    return sim->router;
}

void dc_sim_view_of(const dc_sim *sim, unsigned receiver, unsigned source, dc_sim_view *out)
{
    *out = sim->sites[receiver].view[source];
    const dc_rtp_stats *a = &sim->sites[receiver].audio[source].stats;
    out->audio_missing = dc_rtp_stats_lost_total(a);
}

void dc_sim_sender_of(const dc_sim *sim, unsigned site, dc_sim_sender *out)
{
    *out = sim->sites[site].sent;
}

void dc_sim_link_drops(const dc_sim *sim, unsigned site, bool downlink, uint64_t *queue,
                       uint64_t *lost)
{
    const sim_link *l = downlink ? &sim->sites[site].downlink : &sim->sites[site].uplink;
    *queue = l->queue_drops;
    *lost = l->lost;
}
