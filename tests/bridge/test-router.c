/* Unit tests for bridge/router: the sans-IO forwarding core driven with a
 * hand-advanced clock and synthetic RTP/RTCP built with core/. */
#include <glib.h>
#include <errno.h>
#include <string.h>

#include "bridge/router.h"
#include "core/rtcp-fb.h"
#include "core/rtcp.h"
#include "core/rtp-ext.h"
#include "core/rtp.h"
#include "core/vp8.h"

#define N_SITES 4
#define PT_OPUS 111
#define PT_VP8 96

typedef struct {
    unsigned site;
    bool is_rtcp;
    GBytes *data;
} sent_pkt;

typedef struct {
    dc_router *r;
    GArray *sent; /* of sent_pkt */
    int64_t now;
    bool new_encoder[N_SITES]; /* the site's next video packet opens a keyframe */
} fixture;

static void on_send(void *user, unsigned site, const uint8_t *buf, size_t len, bool is_rtcp)
{
    fixture *f = user;
    sent_pkt p = {site, is_rtcp, g_bytes_new(buf, len)};
    g_array_append_val(f->sent, p);
}

static void clear_sent(fixture *f)
{
    for (guint i = 0; i < f->sent->len; i++)
        g_bytes_unref(g_array_index(f->sent, sent_pkt, i).data);
    g_array_set_size(f->sent, 0);
}

static void mline(dc_router_mline *m, bool video, const char *mid, uint8_t mid_id, uint8_t level_id)
{
    *m = (dc_router_mline){
        .active = true,
        .pt = video ? PT_VP8 : PT_OPUS,
        .clock_rate = video ? 90000 : 48000,
        .fb_nack = video,
        .fb_pli = video,
        .fb_fir = video,
        .fb_remb = video,
    };
    m->ext_id[DC_ROUTER_EXT_MID] = mid_id;
    m->ext_id[DC_ROUTER_EXT_AUDIO_LEVEL] = video ? 0 : level_id;
    m->ext_id[DC_ROUTER_EXT_TRANSPORT_CC] = 3;
    g_strlcpy(m->mid, mid, sizeof m->mid);
}

/* Site i negotiates mid ext id 4 and audio level 1, except site 2 (ids 9
 * and 10) and site 3 (no audio level). Mids for source s: 2+2s, 3+2s. */
static void site_params(unsigned site, dc_router_site_params *p)
{
    memset(p, 0, sizeof *p);
    uint8_t mid_id = site == 2 ? 9 : 4;
    uint8_t level_id = site == 2 ? 10 : site == 3 ? 0 : 1;
    mline(&p->recv[0], false, "0", 4, 1);
    mline(&p->recv[1], true, "1", 4, 1);
    for (unsigned s = 0; s < N_SITES; s++) {
        if (s == site)
            continue;
        char mid[8];
        g_snprintf(mid, sizeof mid, "%u", 2 + 2 * s);
        mline(&p->send[s][0], false, mid, mid_id, level_id);
        g_snprintf(mid, sizeof mid, "%u", 3 + 2 * s);
        mline(&p->send[s][1], true, mid, mid_id, level_id);
    }
}

static void start_site(fixture *f, unsigned site)
{
    dc_router_site_params *p = g_new(dc_router_site_params, 1);
    site_params(site, p);
    g_assert_cmpint(dc_router_site_start(f->r, site, f->now), ==, 0);
    g_assert_cmpint(dc_router_site_set_params(f->r, site, p), ==, 0);
    g_free(p);
    /* A (re)started sender's encoder begins with a keyframe. */
    f->new_encoder[site] = true;
}

static void setup(fixture *f, gconstpointer data)
{
    dc_router_callbacks cb = {.send = on_send};
    f->sent = g_array_new(FALSE, TRUE, sizeof(sent_pkt));
    f->now = 1000000;
    f->r = dc_router_new(N_SITES, 42, 0, &cb, f);
    g_assert_nonnull(f->r);
    for (unsigned i = 0; i < N_SITES; i++)
        start_site(f, i);
}

static void teardown(fixture *f, gconstpointer data)
{
    clear_sent(f);
    g_array_free(f->sent, TRUE);
    dc_router_free(f->r);
}

/* Builds an RTP packet as site's sender would: mid extension id 4 with the
 * kind's mid, audio level id 1, transport-cc id 3; video carries a VP8
 * descriptor with a 15-bit picture id. */
static size_t make_rtp(uint8_t *buf, size_t cap, bool video, uint32_t ssrc, uint16_t seq,
                       uint32_t ts, uint16_t pic, bool keyframe)
{
    uint8_t lvl = 0x85, tcc[2] = {0, 1};
    dc_rtp_ext_elem e[3] = {
        {4, 1, (const uint8_t *)(video ? "1" : "0")},
        {3, 2, tcc},
        {1, 1, &lvl},
    };
    uint8_t ext[64];
    uint16_t profile;
    int el = dc_rtp_ext_write(e, video ? 2 : 3, ext, sizeof ext, &profile);
    g_assert_cmpint(el, >, 0);
    dc_rtp_header h = {
        .marker = true,
        .payload_type = video ? PT_VP8 : PT_OPUS,
        .seq = seq,
        .timestamp = ts,
        .ssrc = ssrc,
        .extension = true,
        .ext_profile = profile,
        .ext = ext,
        .ext_len = (size_t)el,
    };
    int hl = dc_rtp_write_header(&h, buf, cap);
    g_assert_cmpint(hl, >, 0);
    size_t off = (size_t)hl;
    if (video) {
        dc_vp8_descriptor d = {
            .start = true, .has_picture_id = true, .picture_id_15 = true, .picture_id = pic};
        int dl = dc_vp8_write_descriptor(&d, buf + off, cap - off);
        g_assert_cmpint(dl, >, 0);
        off += (size_t)dl;
        static const uint8_t key[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00};
        memcpy(buf + off, key, sizeof key);
        if (!keyframe)
            buf[off] |= 1;
        off += sizeof key;
    } else {
        memset(buf + off, 0xab, 20);
        off += 20;
    }
    return off;
}

static void send_rtp_kf(fixture *f, unsigned site, bool video, uint32_t ssrc, uint16_t seq,
                        uint32_t ts, uint16_t pic, bool keyframe)
{
    uint8_t buf[256];
    if (video && f->new_encoder[site]) {
        keyframe = true;
        f->new_encoder[site] = false;
    }
    size_t len = make_rtp(buf, sizeof buf, video, ssrc, seq, ts, pic, keyframe);
    dc_router_receive_rtp(f->r, site, buf, len, f->now);
}

static void send_rtp(fixture *f, unsigned site, bool video, uint32_t ssrc, uint16_t seq,
                     uint32_t ts, uint16_t pic)
{
    send_rtp_kf(f, site, video, ssrc, seq, ts, pic, false);
}

static const sent_pkt *sent_to(fixture *f, unsigned site, bool rtcp, unsigned nth)
{
    for (guint i = 0; i < f->sent->len; i++) {
        const sent_pkt *p = &g_array_index(f->sent, sent_pkt, i);
        if (p->site == site && p->is_rtcp == rtcp && nth-- == 0)
            return p;
    }
    return NULL;
}

static unsigned count_sent(fixture *f, unsigned site, bool rtcp)
{
    unsigned n = 0;
    for (guint i = 0; i < f->sent->len; i++) {
        const sent_pkt *p = &g_array_index(f->sent, sent_pkt, i);
        n += p->site == site && p->is_rtcp == rtcp;
    }
    return n;
}

static void parse_sent(const sent_pkt *p, dc_rtp_view *v)
{
    gsize len;
    const uint8_t *d = g_bytes_get_data(p->data, &len);
    g_assert_cmpint(dc_rtp_parse(d, len, v), ==, 0);
}

static void test_forward_all_but_sender(fixture *f, gconstpointer data)
{
    send_rtp(f, 0, false, 0x1111, 100, 5000, 0);
    g_assert_cmpuint(count_sent(f, 0, false), ==, 0);
    for (unsigned rcv = 1; rcv < N_SITES; rcv++) {
        g_assert_cmpuint(count_sent(f, rcv, false), ==, 1);
        dc_rtp_view v;
        parse_sent(sent_to(f, rcv, false, 0), &v);
        g_assert_cmpuint(v.ssrc, ==, dc_router_output_ssrc(f->r, rcv, 0, DC_ROUTER_AUDIO));
        g_assert_cmpuint(v.seq, ==, 100);
        g_assert_cmpuint(v.payload_len, ==, 20);
        char mid[DC_RTP_EXT_STR_MAX];
        uint8_t mid_id = rcv == 2 ? 9 : 4;
        g_assert_cmpint(dc_rtp_ext_mid(&v, mid_id, mid, sizeof mid), >, 0);
        g_assert_cmpstr(mid, ==, "2");
        dc_rtp_ext_elem e;
        g_assert_cmpint(dc_rtp_ext_find(&v, 3, &e), ==, -ENOENT); /* transport-cc stripped */
        bool voice;
        uint8_t level;
        if (rcv == 3) {
            g_assert_cmpint(dc_rtp_ext_find(&v, 1, &e), ==, -ENOENT);
        } else {
            g_assert_cmpint(dc_rtp_ext_audio_level(&v, rcv == 2 ? 10 : 1, &voice, &level), ==, 0);
            g_assert_true(voice);
            g_assert_cmpuint(level, ==, 5);
        }
    }
    /* Outputs have distinct SSRCs. */
    g_assert_cmpuint(dc_router_output_ssrc(f->r, 1, 0, DC_ROUTER_AUDIO), !=,
                     dc_router_output_ssrc(f->r, 2, 0, DC_ROUTER_AUDIO));
    /* A site that left gets nothing. */
    clear_sent(f);
    dc_router_site_stop(f->r, 2);
    send_rtp(f, 0, true, 0x2222, 7, 90000, 1);
    g_assert_cmpuint(count_sent(f, 2, false), ==, 0);
    g_assert_cmpuint(count_sent(f, 1, false), ==, 1);
    g_assert_cmpuint(count_sent(f, 3, false), ==, 1);
}

static const uint16_t starts[] = {0, 32767, 65535};

static void test_reconnect_continuity(fixture *f, gconstpointer data)
{
    for (size_t a = 0; a < G_N_ELEMENTS(starts); a++) {
        for (size_t b = 0; b < G_N_ELEMENTS(starts); b++) {
            clear_sent(f);
            start_site(f, 0);
            uint16_t s0 = starts[a];
            for (int i = 0; i < 30; i++) {
                f->now += 33333;
                send_rtp_kf(f, 0, true, 0xaaaa0000u + (uint32_t)a, (uint16_t)(s0 + i),
                            0xfffff000u + 3000u * (uint32_t)i, (uint16_t)(0x7ff0 + i), i == 0);
            }
            dc_rtp_view last;
            g_autoptr(GBytes) last_data = g_bytes_ref(sent_to(f, 1, false, 29)->data);
            gsize last_len;
            const uint8_t *ld = g_bytes_get_data(last_data, &last_len);
            g_assert_cmpint(dc_rtp_parse(ld, last_len, &last), ==, 0);
            /* The sender reconnects 500 ms later with new SSRC, seq, ts, picture id. */
            f->now += 500000;
            start_site(f, 0);
            clear_sent(f);
            uint16_t s1 = starts[b];
            /* A new encoder starts with a keyframe. */
            for (int i = 0; i < 3; i++) {
                send_rtp_kf(f, 0, true, 0xbbbb0000u + (uint32_t)b, (uint16_t)(s1 + i),
                            12345u + 3000u * (uint32_t)i, (uint16_t)(7 + i), i == 0);
                f->now += 33333;
            }
            for (unsigned rcv = 1; rcv < N_SITES; rcv++) {
                for (int i = 0; i < 3; i++) {
                    dc_rtp_view v;
                    parse_sent(sent_to(f, rcv, false, (unsigned)i), &v);
                    g_assert_cmpuint(v.ssrc, ==,
                                     dc_router_output_ssrc(f->r, rcv, 0, DC_ROUTER_VIDEO));
                    if (rcv != 1)
                        continue;
                    g_assert_cmpuint(v.seq, ==, (uint16_t)(last.seq + 1 + i));
                    g_assert_cmpuint(v.timestamp, ==,
                                     last.timestamp + 45000u + 3000u * (uint32_t)i);
                    dc_vp8_descriptor d;
                    g_assert_cmpint(dc_vp8_parse(v.payload, v.payload_len, &d), ==, 0);
                    dc_vp8_descriptor dl;
                    g_assert_cmpint(dc_vp8_parse(last.payload, last.payload_len, &dl), ==, 0);
                    g_assert_cmpuint(d.picture_id, ==, ((dl.picture_id + 1 + i) & 0x7fff));
                }
            }
        }
    }
}

static unsigned count_pli_to(fixture *f, unsigned site);

/* After a sender restart, delta frames of the new encoder must not reach
 * receivers whose decoders hold the old encoder's references: the output
 * resumes on the first keyframe, continuous from the last packet it sent,
 * and the bridge asks the sender for that keyframe. */
static void test_restart_waits_for_keyframe(fixture *f, gconstpointer data)
{
    for (size_t a = 0; a < G_N_ELEMENTS(starts); a++) {
        clear_sent(f);
        start_site(f, 0);
        for (int i = 0; i < 10; i++) {
            f->now += 66666;
            send_rtp_kf(f, 0, true, 0x1000u, (uint16_t)(starts[a] + i), 90000u * (uint32_t)i,
                        (uint16_t)i, i == 0);
        }
        g_assert_cmpuint(count_sent(f, 1, false), ==, 10);
        dc_rtp_view last;
        g_autoptr(GBytes) keep = g_bytes_ref(sent_to(f, 1, false, 9)->data);
        gsize keep_len;
        const uint8_t *kd = g_bytes_get_data(keep, &keep_len);
        g_assert_cmpint(dc_rtp_parse(kd, keep_len, &last), ==, 0);

        f->now += 400000;
        start_site(f, 0);
        clear_sent(f);
        dc_router_stats before;
        dc_router_get_stats(f->r, &before);
        /* The new sender's first frames are deltas (its keyframe was lost). */
        f->new_encoder[0] = false;
        for (int i = 0; i < 4; i++) {
            f->now += 66666;
            send_rtp_kf(f, 0, true, 0x2000u, (uint16_t)(starts[a] + 500 + i), 5000u * (uint32_t)i,
                        (uint16_t)(100 + i), false);
        }
        for (unsigned rcv = 1; rcv < N_SITES; rcv++)
            g_assert_cmpuint(count_sent(f, rcv, false), ==, 0);
        dc_router_stats mid;
        dc_router_get_stats(f->r, &mid);
        g_assert_cmpuint(mid.kf_gated, ==, before.kf_gated + 4 * (N_SITES - 1));
        g_assert_cmpuint(count_pli_to(f, 0), >=, 1);
        /* Its keyframe opens the output again, continuing the sequence. */
        f->now += 66666;
        send_rtp_kf(f, 0, true, 0x2000u, (uint16_t)(starts[a] + 504), 20000u, 104, true);
        f->now += 66666;
        send_rtp_kf(f, 0, true, 0x2000u, (uint16_t)(starts[a] + 505), 25000u, 105, false);
        for (unsigned rcv = 1; rcv < N_SITES; rcv++)
            g_assert_cmpuint(count_sent(f, rcv, false), ==, 2);
        dc_rtp_view v;
        parse_sent(sent_to(f, 1, false, 0), &v);
        g_assert_cmpuint(v.seq, ==, (uint16_t)(last.seq + 1));
        parse_sent(sent_to(f, 1, false, 1), &v);
        g_assert_cmpuint(v.seq, ==, (uint16_t)(last.seq + 2));
    }
}

static size_t make_nack(uint8_t *buf, size_t cap, unsigned receiver, fixture *f, unsigned src,
                        const uint16_t *seqs, size_t n)
{
    int len = dc_rtcp_fb_nack_build(
        buf, cap, 0x5555, dc_router_output_ssrc(f->r, receiver, src, DC_ROUTER_VIDEO), seqs, n);
    g_assert_cmpint(len, >, 0);
    return (size_t)len;
}

static void test_nack_from_history(fixture *f, gconstpointer data)
{
    for (size_t a = 0; a < G_N_ELEMENTS(starts); a++) {
        start_site(f, 0);
        clear_sent(f);
        for (int i = 0; i < 20; i++) {
            send_rtp(f, 0, true, 0xcccc0000u + (uint32_t)a, (uint16_t)(starts[a] + i),
                     3000u * (uint32_t)i, (uint16_t)i);
            f->now += 20000;
        }
        dc_rtp_view v5;
        const sent_pkt *orig = sent_to(f, 1, false, 5);
        parse_sent(orig, &v5);
        uint16_t seqs[2] = {v5.seq, (uint16_t)(v5.seq + 1)};
        uint8_t buf[64];
        size_t len = make_nack(buf, sizeof buf, 1, f, 0, seqs, 2);
        GBytes *want5 = g_bytes_ref(orig->data);
        GBytes *want6 = g_bytes_ref(sent_to(f, 1, false, 6)->data);
        clear_sent(f);
        dc_router_receive_rtcp(f->r, 1, buf, len, f->now);
        g_assert_cmpuint(f->sent->len, ==, 2);
        g_assert_true(g_bytes_equal(sent_to(f, 1, false, 0)->data, want5));
        g_assert_true(g_bytes_equal(sent_to(f, 1, false, 1)->data, want6));
        g_bytes_unref(want5);
        g_bytes_unref(want6);
        /* Too old: nothing. */
        clear_sent(f);
        dc_router_stats st0, st1;
        dc_router_get_stats(f->r, &st0);
        f->now += 2000000;
        dc_router_receive_rtcp(f->r, 1, buf, len, f->now);
        g_assert_cmpuint(f->sent->len, ==, 0);
        dc_router_get_stats(f->r, &st1);
        g_assert_cmpuint(st1.nack_missed - st0.nack_missed, ==, 2);
    }
}

/* One history per source stream: a receiver's NACK is mapped back through
 * its output's offset, also after the sender reconnected with a new SSRC and
 * sequence numbers; numbers from before the reconnect are not answered (the
 * old packets are gone), and each receiver gets its own rewritten copy. */
static void test_nack_across_reconnect(fixture *f, gconstpointer data)
{
    for (size_t a = 0; a < G_N_ELEMENTS(starts); a++) {
        for (size_t b = 0; b < G_N_ELEMENTS(starts); b++) {
            start_site(f, 0);
            for (int i = 0; i < 10; i++) {
                send_rtp(f, 0, true, 0xe0000000u + (uint32_t)a, (uint16_t)(starts[a] + i),
                         3000u * (uint32_t)i, (uint16_t)i);
                f->now += 20000;
            }
            dc_rtp_view old;
            GBytes *old_data = g_bytes_ref(sent_to(f, 1, false, 3)->data);
            gsize ol;
            const uint8_t *od = g_bytes_get_data(old_data, &ol);
            g_assert_cmpint(dc_rtp_parse(od, ol, &old), ==, 0);
            f->now += 300000;
            start_site(f, 0);
            clear_sent(f);
            for (int i = 0; i < 10; i++) {
                send_rtp(f, 0, true, 0xf0000000u + (uint32_t)b, (uint16_t)(starts[b] + i),
                         777u + 3000u * (uint32_t)i, (uint16_t)(100 + i));
                f->now += 20000;
            }
            GBytes *want[N_SITES];
            uint16_t seq4[N_SITES];
            for (unsigned rcv = 1; rcv < N_SITES; rcv++) {
                const sent_pkt *p = sent_to(f, rcv, false, 4);
                dc_rtp_view v;
                parse_sent(p, &v);
                want[rcv] = g_bytes_ref(p->data);
                seq4[rcv] = v.seq;
            }
            clear_sent(f);
            for (unsigned rcv = 1; rcv < N_SITES; rcv++) {
                uint8_t buf[64];
                size_t len = make_nack(buf, sizeof buf, rcv, f, 0, &seq4[rcv], 1);
                dc_router_receive_rtcp(f->r, rcv, buf, len, f->now);
                g_assert_cmpuint(count_sent(f, rcv, false), ==, 1);
                g_assert_true(g_bytes_equal(sent_to(f, rcv, false, 0)->data, want[rcv]));
                g_bytes_unref(want[rcv]);
            }
            /* A number of the previous session: not answered. */
            clear_sent(f);
            dc_router_stats st0, st1;
            dc_router_get_stats(f->r, &st0);
            uint8_t buf[64];
            size_t len = make_nack(buf, sizeof buf, 1, f, 0, &old.seq, 1);
            dc_router_receive_rtcp(f->r, 1, buf, len, f->now);
            g_assert_cmpuint(f->sent->len, ==, 0);
            dc_router_get_stats(f->r, &st1);
            g_assert_cmpuint(st1.nack_missed - st0.nack_missed, ==, 1);
            g_bytes_unref(old_data);
        }
    }
}

/* The NACKs the sender of site 0 gets. */
static unsigned nacks_to(fixture *f, unsigned site, uint16_t *seqs, size_t cap)
{
    unsigned n = 0;
    for (guint i = 0; i < f->sent->len; i++) {
        const sent_pkt *p = &g_array_index(f->sent, sent_pkt, i);
        gsize len;
        const uint8_t *d = g_bytes_get_data(p->data, &len);
        dc_rtcp_fb_nack nack;
        if (p->site != site || !p->is_rtcp || dc_rtcp_fb_nack_parse(d, len, &nack) < 0)
            continue;
        int k = dc_rtcp_fb_nack_expand(&nack, seqs + n, cap - n);
        g_assert_cmpint(k, >, 0);
        n += (unsigned)k;
    }
    return n;
}

/* A gap on a sender's video is NACKed after the reorder wait, retried every
 * 40 ms (no RTT known) for what is still missing, 10 tries at most. */
static void test_nack_to_sender(fixture *f, gconstpointer data)
{
    for (size_t a = 0; a < G_N_ELEMENTS(starts); a++) {
        start_site(f, 0);
        clear_sent(f);
        uint16_t s0 = starts[a];
        static const int order[] = {0, 1, 2, 5, 6};
        for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
            send_rtp(f, 0, true, 0x77770000u + (uint32_t)a, (uint16_t)(s0 + order[i]),
                     3000u * (uint32_t)order[i], (uint16_t)order[i]);
        g_assert_cmpint(dc_router_next_timeout(f->r), <=, f->now + 10000);
        f->now += 10000;
        dc_router_handle_timeout(f->r, f->now);
        uint16_t seqs[64];
        g_assert_cmpuint(nacks_to(f, 0, seqs, 64), ==, 2);
        g_assert_cmpuint(seqs[0], ==, (uint16_t)(s0 + 3));
        g_assert_cmpuint(seqs[1], ==, (uint16_t)(s0 + 4));
        /* 3 arrives (retransmitted); 4 is asked again 40 ms later. */
        clear_sent(f);
        send_rtp(f, 0, true, 0x77770000u + (uint32_t)a, (uint16_t)(s0 + 3), 9000, 3);
        /* ... is forwarded, and kept: receivers can NACK it from the bridge. */
        dc_rtp_view late;
        g_assert_cmpuint(count_sent(f, 1, false), ==, 1);
        parse_sent(sent_to(f, 1, false, 0), &late);
        GBytes *late_data = g_bytes_ref(sent_to(f, 1, false, 0)->data);
        clear_sent(f);
        uint8_t nb[64];
        size_t nl = make_nack(nb, sizeof nb, 1, f, 0, &late.seq, 1);
        dc_router_receive_rtcp(f->r, 1, nb, nl, f->now);
        g_assert_cmpuint(count_sent(f, 1, false), ==, 1);
        g_assert_true(g_bytes_equal(sent_to(f, 1, false, 0)->data, late_data));
        g_bytes_unref(late_data);
        clear_sent(f);
        f->now += 40000;
        dc_router_handle_timeout(f->r, f->now);
        g_assert_cmpuint(nacks_to(f, 0, seqs, 64), ==, 1);
        g_assert_cmpuint(seqs[0], ==, (uint16_t)(s0 + 4));
        unsigned total = 2;
        for (int i = 0; i < 20; i++) {
            clear_sent(f);
            f->now += 40000;
            dc_router_handle_timeout(f->r, f->now);
            total += nacks_to(f, 0, seqs, 64);
        }
        g_assert_cmpuint(total, ==, 2 + 8); /* 4 asked 10 times in all, 3 once */
    }
    dc_router_stats st;
    dc_router_get_stats(f->r, &st);
    g_assert_cmpuint(st.nack_out, ==, 3 * 11);
}

static size_t make_pli(uint8_t *buf, size_t cap, fixture *f, unsigned receiver, unsigned src)
{
    int n = dc_rtcp_fb_pli_build(buf, cap, 0x6666,
                                 dc_router_output_ssrc(f->r, receiver, src, DC_ROUTER_VIDEO));
    g_assert_cmpint(n, >, 0);
    return (size_t)n;
}

static unsigned count_pli_to(fixture *f, unsigned site)
{
    unsigned n = 0;
    for (guint i = 0; i < f->sent->len; i++) {
        const sent_pkt *p = &g_array_index(f->sent, sent_pkt, i);
        gsize len;
        const uint8_t *d = g_bytes_get_data(p->data, &len);
        dc_rtcp_fb fb;
        if (p->site == site && p->is_rtcp && dc_rtcp_fb_pli_parse(d, len, &fb) == 0)
            n++;
    }
    return n;
}

static void pli_from(fixture *f, unsigned receiver)
{
    uint8_t buf[64];
    size_t len = make_pli(buf, sizeof buf, f, receiver, 0);
    dc_router_receive_rtcp(f->r, receiver, buf, len, f->now);
}

static void test_pli_merged(fixture *f, gconstpointer data)
{
    send_rtp(f, 0, true, 0xdddd, 1, 0, 1);
    clear_sent(f);
    /* Three receivers ask within 100 ms: one PLI upstream. */
    for (unsigned rcv = 1; rcv < N_SITES; rcv++) {
        pli_from(f, rcv);
        f->now += 30000;
    }
    g_assert_cmpuint(count_pli_to(f, 0), ==, 1);
    /* More asks before a keyframe within 1 s: still one. */
    for (int i = 0; i < 10; i++) {
        f->now += 50000;
        pli_from(f, 1 + (unsigned)i % 3);
        dc_router_handle_timeout(f->r, f->now);
    }
    g_assert_cmpuint(count_pli_to(f, 0), ==, 1);
    /* No keyframe within 1 s: the timer asks again. */
    int64_t t = dc_router_next_timeout(f->r);
    g_assert_cmpint(t, <=, f->now + 1000000);
    f->now += 500000;
    dc_router_handle_timeout(f->r, f->now);
    g_assert_cmpuint(count_pli_to(f, 0), ==, 2);
    /* A keyframe arrives; a new ask soon after waits for 300 ms since the last. */
    uint8_t buf[256];
    size_t len = make_rtp(buf, sizeof buf, true, 0xdddd, 2, 3000, 2, true);
    dc_router_receive_rtp(f->r, 0, buf, len, f->now);
    f->now += 100000;
    pli_from(f, 2);
    g_assert_cmpuint(count_pli_to(f, 0), ==, 2);
    t = dc_router_next_timeout(f->r);
    g_assert_cmpint(t, <=, f->now + 200000);
    f->now = t;
    dc_router_handle_timeout(f->r, f->now);
    g_assert_cmpuint(count_pli_to(f, 0), ==, 3);
    /* Never toward a sender that negotiated neither PLI nor FIR. */
    dc_router_site_params *p = g_new(dc_router_site_params, 1);
    site_params(0, p);
    p->recv[1].fb_pli = p->recv[1].fb_fir = false;
    dc_router_site_set_params(f->r, 0, p);
    g_free(p);
    len = make_rtp(buf, sizeof buf, true, 0xdddd, 3, 6000, 3, true);
    dc_router_receive_rtp(f->r, 0, buf, len, f->now);
    clear_sent(f);
    for (int i = 0; i < 5; i++) {
        f->now += 400000;
        pli_from(f, 1);
        dc_router_handle_timeout(f->r, f->now);
    }
    g_assert_cmpuint(count_pli_to(f, 0), ==, 0);
}

static void test_sr_rr(fixture *f, gconstpointer data)
{
    /* Site 0 sends audio with one packet lost; site 1 sends nothing. */
    for (int i = 0; i < 10; i++) {
        if (i != 4)
            send_rtp(f, 0, false, 0xeeee, (uint16_t)(65530 + i), 960u * (uint32_t)i, 0);
        f->now += 20000;
    }
    clear_sent(f);
    int64_t t = dc_router_next_timeout(f->r);
    g_assert_cmpint(t, <=, f->now + 1000000);
    f->now += 1100000;
    dc_router_handle_timeout(f->r, f->now);
    /* To site 0: an RR about its audio. */
    const sent_pkt *p = sent_to(f, 0, true, 0);
    g_assert_nonnull(p);
    gsize len;
    const uint8_t *d = g_bytes_get_data(p->data, &len);
    dc_rtcp_rr rr;
    g_assert_cmpint(dc_rtcp_rr_parse(d, len, &rr), ==, 0);
    g_assert_cmpuint(rr.ssrc, ==, dc_router_feedback_ssrc(f->r, 0));
    g_assert_cmpuint(rr.report_count, ==, 1);
    g_assert_cmpuint(rr.reports[0].ssrc, ==, 0xeeee);
    g_assert_cmpint(rr.reports[0].cumulative_lost, ==, 1);
    g_assert_cmpuint(rr.reports[0].fraction_lost, ==, 256 / 10);
    g_assert_cmpuint(rr.reports[0].ext_highest_seq, ==, 65539);
    /* To site 1: an RR (no blocks), then an SR for site 0's audio output. */
    p = sent_to(f, 1, true, 0);
    g_assert_nonnull(p);
    d = g_bytes_get_data(p->data, &len);
    dc_rtcp_iter it;
    dc_rtcp_packet pk;
    dc_rtcp_iter_init(&it, d, len);
    g_assert_cmpint(dc_rtcp_iter_next(&it, &pk), ==, 1);
    g_assert_cmpuint(pk.pt, ==, DC_RTCP_PT_RR);
    g_assert_cmpint(dc_rtcp_iter_next(&it, &pk), ==, 1);
    dc_rtcp_sr sr;
    g_assert_cmpint(dc_rtcp_sr_parse(pk.data, pk.len, &sr), ==, 0);
    g_assert_cmpuint(sr.ssrc, ==, dc_router_output_ssrc(f->r, 1, 0, DC_ROUTER_AUDIO));
    g_assert_cmpuint(sr.packet_count, ==, 9);
    g_assert_cmpuint(sr.octet_count, ==, 9 * 20);
    /* Extrapolated from the last packet (ts 8640) 1.12 s ago: + 1.12 * 48000. */
    g_assert_cmpuint(sr.rtp_time, ==, 8640u + 53760u);
    g_assert_cmpint(dc_rtcp_iter_next(&it, &pk), ==, 0);
    /* The next reports are a second later. */
    g_assert_cmpint(dc_router_next_timeout(f->r), >, f->now);
    g_assert_cmpint(dc_router_next_timeout(f->r), <=, f->now + 1000000);
}

/* Per-site link statistics: up loss from gaps, down loss and RTT from the
 * receiver's RR about our SR, rates, video frame rate and size, and a score
 * that falls with loss. */
static void test_site_stats(fixture *f, gconstpointer data)
{
    /* Site 0: audio every 20 ms with every 20th lost (5 %), video 25 fps
     * with a keyframe first; 3 s, timers run as they come due. */
    uint16_t pic = 0;
    for (int i = 0; i < 150; i++) {
        if (i % 20 != 7)
            send_rtp(f, 0, false, 0xa0a0, (uint16_t)(65500 + i), 960u * (uint32_t)i, 0);
        if (i % 2 == 0) {
            uint8_t buf[256];
            size_t len = make_rtp(buf, sizeof buf, true, 0xb0b0, (uint16_t)(100 + pic), 3600u * pic,
                                  pic, i == 0);
            dc_router_receive_rtp(f->r, 0, buf, len, f->now);
            pic++;
        }
        f->now += 20000;
        while (dc_router_next_timeout(f->r) <= f->now)
            dc_router_handle_timeout(f->r, dc_router_next_timeout(f->r));
    }
    dc_router_site_stats st;
    g_assert_cmpint(dc_router_get_site_stats(f->r, 0, f->now, &st), ==, 0);
    g_assert_true(st.active);
    const dc_router_medium_stats *a = &st.up[DC_ROUTER_AUDIO], *v = &st.up[DC_ROUTER_VIDEO];
    g_assert_cmpuint(a->packets, ==, 150 - 8);
    g_assert_cmpuint(a->lost, ==, 8);
    g_assert_cmpfloat(a->loss, >=, 0.03);
    g_assert_cmpfloat(a->loss, <=, 0.07);
    g_assert_cmpuint(a->bitrate_1s, >, 0);
    g_assert_cmpuint(v->packets, ==, 75);
    g_assert_cmpfloat(v->fps, ==, 25);
    g_assert_cmpuint(v->width, ==, 320); /* the keyframe header in make_rtp */
    g_assert_cmpuint(v->height, ==, 180);
    g_assert_cmpuint(v->keyframes, ==, 1);
    g_assert_cmpuint(v->remb_bps, >=, 100000);
    g_assert_true(st.have_score);
    g_assert_cmpfloat(st.score_up, <, 80); /* 5 % audio loss: good, not excellent */
    g_assert_cmpfloat(st.score_up, >, 40);
    g_assert_cmpfloat(st.mos, >, 2.5);
    g_assert_cmpfloat(st.mos, <, 3.8);

    /* Site 1 received it all; it reports 10 % loss on our audio output and
     * echoes the SR 50 ms after it came, 30 ms of network later. */
    dc_router_site_stats s1;
    dc_router_get_site_stats(f->r, 1, f->now, &s1);
    g_assert_cmpuint(s1.down[DC_ROUTER_AUDIO].packets, ==, 142);
    g_assert_cmpint(s1.rtt_us, ==, -1);
    uint32_t out_ssrc = dc_router_output_ssrc(f->r, 1, 0, DC_ROUTER_AUDIO);
    uint16_t last_out = 0;
    for (guint i = 0; i < f->sent->len; i++) {
        const sent_pkt *sp = &g_array_index(f->sent, sent_pkt, i);
        dc_rtp_view sv;
        if (sp->site == 1 && !sp->is_rtcp) {
            parse_sent(sp, &sv);
            if (sv.ssrc == out_ssrc)
                last_out = sv.seq;
        }
    }
    clear_sent(f);
    f->now += 1000000;
    dc_router_handle_timeout(f->r, f->now);
    const sent_pkt *p = sent_to(f, 1, true, 0);
    g_assert_nonnull(p);
    gsize len;
    const uint8_t *d = g_bytes_get_data(p->data, &len);
    dc_rtcp_iter it;
    dc_rtcp_packet pk;
    dc_rtcp_sr sr = {0};
    dc_rtcp_iter_init(&it, d, len);
    while (dc_rtcp_iter_next(&it, &pk) == 1)
        if (dc_rtcp_sr_parse(pk.data, pk.len, &sr) == 0 && sr.ssrc == out_ssrc)
            break;
    g_assert_cmpuint(sr.ssrc, ==, out_ssrc);
    f->now += 80000;
    /* Its first report counts as lost the 8 packets the bridge never had
     * (holes in the forwarded sequence): they are site 0's upstream loss,
     * not the loss of the link to site 1. */
    dc_rtcp_rr rr = {.ssrc = 0x4242, .report_count = 1};
    rr.reports[0] = (dc_rtcp_report_block){
        .ssrc = out_ssrc,
        .fraction_lost = 14,
        .cumulative_lost = 8,
        .ext_highest_seq = 0x10000u + last_out,
        .jitter = 480,
        .lsr = (uint32_t)(sr.ntp_time >> 16),
        .dlsr = 65536 * 50 / 1000,
    };
    uint8_t buf[128];
    int n = dc_rtcp_rr_build(buf, sizeof buf, &rr);
    g_assert_cmpint(n, >, 0);
    dc_router_receive_rtcp(f->r, 1, buf, (size_t)n, f->now);
    dc_router_get_site_stats(f->r, 1, f->now, &s1);
    g_assert_cmpint(s1.rtt_us, >=, 29000);
    g_assert_cmpint(s1.rtt_us, <=, 31000);
    g_assert_cmpfloat_with_epsilon(s1.down[DC_ROUTER_AUDIO].jitter_ms, 10.0, 1e-9);
    g_assert_cmpuint(s1.down[DC_ROUTER_AUDIO].lost, ==, 0);
    /* 50 more packets, none lost upstream; site 1 loses 5 of them on its
     * own link: 10 % down, 5 lost. */
    for (int i = 150; i < 200; i++) {
        send_rtp(f, 0, false, 0xa0a0, (uint16_t)(65500 + i), 960u * (uint32_t)i, 0);
        f->now += 20000;
    }
    rr.reports[0].fraction_lost = 26;
    rr.reports[0].cumulative_lost = 8 + 5;
    rr.reports[0].ext_highest_seq += 50;
    n = dc_rtcp_rr_build(buf, sizeof buf, &rr);
    g_assert_cmpint(n, >, 0);
    dc_router_receive_rtcp(f->r, 1, buf, (size_t)n, f->now);
    dc_router_get_site_stats(f->r, 1, f->now, &s1);
    g_assert_cmpfloat_with_epsilon(s1.down[DC_ROUTER_AUDIO].loss, 0.10, 1e-9);
    g_assert_cmpuint(s1.down[DC_ROUTER_AUDIO].lost, ==, 5);
    /* A site that never sent: no up score, and all counters zero. */
    g_assert_cmpuint(s1.up[DC_ROUTER_AUDIO].packets, ==, 0);
    g_assert_cmpint(dc_router_get_site_stats(f->r, N_SITES, f->now, &s1), ==, -EINVAL);
}

/* Sends site 0's audio (SSRC 0xa0a0) for n packets of 20 ms from *seq,
 * losing those with i % 20 == 7, running the timers. */
static void audio_run(fixture *f, uint16_t *seq, int n)
{
    for (int i = 0; i < n; i++, (*seq)++) {
        if (i % 20 != 7)
            send_rtp(f, 0, false, 0xa0a0, *seq, 960u * *seq, 0);
        f->now += 20000;
        while (dc_router_next_timeout(f->r) <= f->now)
            dc_router_handle_timeout(f->r, dc_router_next_timeout(f->r));
    }
}

/* Up statistics across a reconnection (same SSRC, numbering on, as the C
 * client's sender does) and an unmute, both new epochs: "lost" keeps the
 * span of "packets" (all sessions), and "loss" of the new session is not
 * the old session's last second. (The impaired-link test once showed 0
 * lost of 948 packets at 6 % loss right after a rejoin.) */
static void test_site_stats_across_epochs(fixture *f, gconstpointer data)
{
    uint16_t seq = 65000;
    audio_run(f, &seq, 200); /* 10 lost */
    dc_router_site_stats st;
    dc_router_get_site_stats(f->r, 0, f->now, &st);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].packets, ==, 190);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].lost, ==, 10);
    g_assert_cmpfloat(st.up[DC_ROUTER_AUDIO].loss, >, 0);

    /* The site drops and joins again. */
    g_assert_cmpint(dc_router_site_stop(f->r, 0), ==, 0);
    f->now += 1500000;
    seq += 75;
    start_site(f, 0);
    dc_router_get_site_stats(f->r, 0, f->now, &st);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].packets, ==, 190);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].lost, ==, 10);
    g_assert_cmpfloat(st.up[DC_ROUTER_AUDIO].loss, ==, 0);
    audio_run(f, &seq, 100); /* 5 lost */
    dc_router_get_site_stats(f->r, 0, f->now, &st);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].packets, ==, 285);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].lost, ==, 15);

    /* Muted and unmuted: another epoch, the total still holds. */
    g_assert_cmpint(dc_router_site_set_mute(f->r, 0, DC_ROUTER_AUDIO, true, f->now), ==, 0);
    audio_run(f, &seq, 20); /* 1 lost */
    g_assert_cmpint(dc_router_site_set_mute(f->r, 0, DC_ROUTER_AUDIO, false, f->now), ==, 0);
    dc_router_get_site_stats(f->r, 0, f->now, &st);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].lost, ==, 16);
    g_assert_cmpfloat(st.up[DC_ROUTER_AUDIO].loss, ==, 0);
    audio_run(f, &seq, 40); /* 2 lost */
    dc_router_get_site_stats(f->r, 0, f->now, &st);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].packets, ==, 285 + 19 + 38);
    g_assert_cmpuint(st.up[DC_ROUTER_AUDIO].lost, ==, 18);
}

/* The bitrate of the last REMB sent to site, 0 when none. */
static uint64_t last_remb_to(fixture *f, unsigned site)
{
    uint64_t bps = 0;
    for (guint i = 0; i < f->sent->len; i++) {
        const sent_pkt *p = &g_array_index(f->sent, sent_pkt, i);
        if (p->site != site || !p->is_rtcp)
            continue;
        gsize len;
        const uint8_t *d = g_bytes_get_data(p->data, &len);
        dc_rtcp_iter it;
        dc_rtcp_packet pk;
        dc_rtcp_fb_remb remb;
        dc_rtcp_iter_init(&it, d, len);
        while (dc_rtcp_iter_next(&it, &pk) == 1)
            if (pk.pt == DC_RTCP_PT_PSFB && pk.count == DC_RTCP_FB_FMT_AFB &&
                dc_rtcp_fb_remb_parse(pk.data, pk.len, &remb) == 0)
                bps = remb.bitrate_bps;
    }
    return bps;
}

/* Sends one second of site 0's video (25 packets, every 40 ms) losing
 * every n-th (n = 0: none), running the timers. */
static void video_second(fixture *f, uint16_t *seq, unsigned lose_every)
{
    for (int i = 0; i < 25; i++) {
        if (!lose_every || *seq % lose_every != 0)
            send_rtp(f, 0, true, 0xc0c0, *seq, 3600u * *seq, *seq);
        (*seq)++;
        f->now += 40000;
        while (dc_router_next_timeout(f->r) <= f->now)
            dc_router_handle_timeout(f->r, dc_router_next_timeout(f->r));
    }
}

/* Loss-based REMB toward a sender: down by (1 - loss/2) above 10 % loss, up
 * by 5 % a second below 2 %, within 100 kbit/s..2.5 Mbit/s; a receiver's
 * lower REMB caps it. */
static void test_remb_to_sender(fixture *f, gconstpointer data)
{
    uint16_t seq = 1;
    video_second(f, &seq, 0);
    clear_sent(f);
    for (int s = 0; s < 3; s++)
        video_second(f, &seq, 5); /* 20 % */
    uint64_t lossy = last_remb_to(f, 0);
    g_assert_cmpuint(lossy, >, 0);
    g_assert_cmpuint(lossy, <=, 2500000 * 0.9 * 0.9);
    /* Clean again (after a second that may still hold losses): +5 % a
     * second (REMB keeps 18 significant bits). */
    video_second(f, &seq, 0);
    video_second(f, &seq, 0);
    clear_sent(f);
    video_second(f, &seq, 0);
    uint64_t r1 = last_remb_to(f, 0);
    clear_sent(f);
    video_second(f, &seq, 0);
    uint64_t r2 = last_remb_to(f, 0);
    g_assert_cmpfloat_with_epsilon((double)r2, (double)r1 * 1.05, 32);
    /* Site 1 says 300 kbit/s for our output of site 0's video and site 2's
     * audio: the video gets it all (audio shares nothing). */
    uint32_t ssrcs[2] = {dc_router_output_ssrc(f->r, 1, 0, DC_ROUTER_VIDEO),
                         dc_router_output_ssrc(f->r, 1, 2, DC_ROUTER_AUDIO)};
    uint8_t buf[64];
    int n = dc_rtcp_fb_remb_build(buf, sizeof buf, 0x5151, 300000, ssrcs, 2);
    g_assert_cmpint(n, >, 0);
    dc_router_receive_rtcp(f->r, 1, buf, (size_t)n, f->now);
    clear_sent(f);
    video_second(f, &seq, 0);
    g_assert_cmpuint(last_remb_to(f, 0), ==, 300000);
    /* Floor: heavy loss for long never goes below 100 kbit/s. */
    dc_router_site_stop(f->r, 1);
    for (int s = 0; s < 30; s++)
        video_second(f, &seq, 2);
    clear_sent(f);
    video_second(f, &seq, 2);
    g_assert_cmpuint(last_remb_to(f, 0), ==, 100000);
}

/* The chair mutes site 0's audio: its audio reaches no other site while its
 * video still does; unmuting continues every output at the next sequence
 * number (no gap to NACK). Repeated from start values 0, 32767, 65535. */
static void test_mute_enforced(fixture *f, gconstpointer data)
{
    for (size_t k = 0; k < G_N_ELEMENTS(starts); k++) {
        uint16_t seq = starts[k];
        clear_sent(f);
        send_rtp(f, 0, false, 0xa0a0 + (uint32_t)k, seq++, 1000, 0);
        for (unsigned rcv = 1; rcv < N_SITES; rcv++)
            g_assert_cmpuint(count_sent(f, rcv, false), ==, 1);
        dc_rtp_view v;
        parse_sent(sent_to(f, 1, false, 0), &v);
        uint16_t last_out = v.seq;

        g_assert_cmpint(dc_router_site_set_mute(f->r, 0, DC_ROUTER_AUDIO, true, f->now), ==, 0);
        g_assert_true(dc_router_site_is_muted(f->r, 0, DC_ROUTER_AUDIO));
        clear_sent(f);
        dc_router_stats st0, st1;
        dc_router_get_stats(f->r, &st0);
        for (int i = 0; i < 50; i++) {
            f->now += 20000;
            send_rtp(f, 0, false, 0xa0a0 + (uint32_t)k, seq++, 1000 + 960u * (uint32_t)i, 0);
        }
        send_rtp_kf(f, 0, true, 0xb0b0 + (uint32_t)k, 7, 90000, 1, true);
        for (unsigned rcv = 0; rcv < N_SITES; rcv++) {
            unsigned audio = 0, video = 0;
            for (guint i = 0; i < f->sent->len; i++) {
                const sent_pkt *p = &g_array_index(f->sent, sent_pkt, i);
                if (p->site != rcv || p->is_rtcp)
                    continue;
                parse_sent(p, &v);
                audio += v.ssrc == dc_router_output_ssrc(f->r, rcv, 0, DC_ROUTER_AUDIO);
                video += v.ssrc == dc_router_output_ssrc(f->r, rcv, 0, DC_ROUTER_VIDEO);
            }
            g_assert_cmpuint(audio, ==, 0); /* no muted packet reaches anyone */
            g_assert_cmpuint(video, ==, rcv == 0 ? 0 : 1);
        }
        dc_router_get_stats(f->r, &st1);
        g_assert_cmpuint(st1.muted - st0.muted, ==, 50);
        /* Another site's audio still flows. */
        clear_sent(f);
        send_rtp(f, 1, false, 0xc1c1 + (uint32_t)k, 500, 1000, 0);
        g_assert_cmpuint(count_sent(f, 0, false), ==, 1);

        g_assert_cmpint(dc_router_site_set_mute(f->r, 0, DC_ROUTER_AUDIO, false, f->now), ==, 0);
        clear_sent(f);
        send_rtp(f, 0, false, 0xa0a0 + (uint32_t)k, seq++, 99000, 0);
        g_assert_cmpuint(count_sent(f, 1, false), ==, 1);
        parse_sent(sent_to(f, 1, false, 0), &v);
        g_assert_cmpuint(v.seq, ==, (uint16_t)(last_out + 1));
    }
    g_assert_cmpint(dc_router_site_set_mute(f->r, N_SITES, DC_ROUTER_AUDIO, true, 0), ==, -EINVAL);
}

/* The site with the floor: its REMB ignores the receivers' lower REMBs and
 * restarts from the top; taking the floor back lets the caps apply again. */
static void test_floor_remb(fixture *f, gconstpointer data)
{
    uint16_t seq = 1;
    uint32_t ssrcs[1] = {dc_router_output_ssrc(f->r, 1, 0, DC_ROUTER_VIDEO)};
    uint8_t buf[64];
    int n = dc_rtcp_fb_remb_build(buf, sizeof buf, 0x5151, 300000, ssrcs, 1);
    g_assert_cmpint(n, >, 0);
    video_second(f, &seq, 0);
    dc_router_receive_rtcp(f->r, 1, buf, (size_t)n, f->now);
    clear_sent(f);
    video_second(f, &seq, 0);
    g_assert_cmpuint(last_remb_to(f, 0), ==, 300000);
    g_assert_cmpint(dc_router_set_floor(f->r, 0), ==, 0);
    dc_router_receive_rtcp(f->r, 1, buf, (size_t)n, f->now);
    clear_sent(f);
    video_second(f, &seq, 0);
    g_assert_cmpuint(last_remb_to(f, 0), >=, 2400000);
    g_assert_cmpint(dc_router_set_floor(f->r, -1), ==, 0);
    dc_router_receive_rtcp(f->r, 1, buf, (size_t)n, f->now);
    clear_sent(f);
    video_second(f, &seq, 0);
    g_assert_cmpuint(last_remb_to(f, 0), ==, 300000);
    g_assert_cmpint(dc_router_set_floor(f->r, N_SITES), ==, -EINVAL);
}

static void test_malformed_dropped(fixture *f, gconstpointer data)
{
    static const uint8_t junk[][16] = {
        {0x80},
        {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0x00, 0x09},
        {0xbf, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},
    };
    static const size_t lens[] = {1, 16, 12};
    for (size_t i = 0; i < G_N_ELEMENTS(junk); i++)
        dc_router_receive_rtp(f->r, 0, junk[i], lens[i], f->now);
    /* Unknown SSRC with an unknown payload type. */
    uint8_t buf[256];
    size_t len = make_rtp(buf, sizeof buf, false, 0x9999, 1, 1, 0, false);
    buf[1] = 0x7f;
    buf[len - 1] = 0;
    dc_router_stats st;
    dc_router_receive_rtp(f->r, 1, buf + 12, 40, f->now);
    static const uint8_t bad_rtcp[] = {0x81, 205, 0, 9, 0, 0, 0, 1};
    dc_router_receive_rtcp(f->r, 1, bad_rtcp, sizeof bad_rtcp, f->now);
    dc_router_receive_rtcp(f->r, 1, bad_rtcp, 3, f->now);
    dc_router_get_stats(f->r, &st);
    g_assert_cmpuint(f->sent->len, ==, 0);
    g_assert_cmpuint(st.malformed + st.unknown, >=, 5);
    g_assert_cmpuint(st.rtp_out, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
    ADD("/router/forward-all-but-sender", test_forward_all_but_sender);
    ADD("/router/reconnect-continuity", test_reconnect_continuity);
    ADD("/router/restart-waits-for-keyframe", test_restart_waits_for_keyframe);
    ADD("/router/nack-from-history", test_nack_from_history);
    ADD("/router/nack-across-reconnect", test_nack_across_reconnect);
    ADD("/router/nack-to-sender", test_nack_to_sender);
    ADD("/router/pli-merged", test_pli_merged);
    ADD("/router/sr-rr", test_sr_rr);
    ADD("/router/malformed-dropped", test_malformed_dropped);
    ADD("/router/site-stats", test_site_stats);
    ADD("/router/site-stats-across-epochs", test_site_stats_across_epochs);
    ADD("/router/remb-to-sender", test_remb_to_sender);
    ADD("/router/mute-enforced", test_mute_enforced);
    ADD("/router/floor-remb", test_floor_remb);
    return g_test_run();
}
