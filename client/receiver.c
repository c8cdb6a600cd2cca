/* receiver: remote streams, decoding, read-back and statistics. See
 * receiver.h. */
#include "client/receiver.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "client/audio-dec.h"
#include "client/jitter.h"
#include "client/testpattern.h"
#include "client/tone.h"
#include "client/video-dec.h"
#include "core/rtcp-fb.h"
#include "core/rtp-ext.h"
#include "core/rtp.h"
#include "core/seq.h"

#define FRAME_CAP (DC_JITTER_SLOTS * DC_JITTER_MAX_PAYLOAD)
#define LAT_BINS 2000          /* 1 ms bins; the last one holds everything above */
#define FREEZE_WINDOW 30       /* inter-frame delays averaged */
#define GAP_US 1000000         /* a gap that restarts "first frame after gap" */
#define PAUSE_US 5000000       /* longer gaps are pauses (a site left), not freezes */
#define PLI_INTERVAL_US 500000 /* between two PLIs of one stream */
#define AUDIO_MAX_GAP 5        /* lost frames concealed at most */
#define PCM_CAP 5760           /* 120 ms */
#define UNWRAP_BASE 65536      /* what dc_seq_unwrap adds to the first value */
#define NACK_BATCH 64
#define TONE_EVERY 5 /* check the tone on one decoded packet in this many */
/* Opus predicts from its own past output: decoding that starts in the middle
 * of a stream (a join, a rejoin, a gap too long to conceal) gives distorted
 * PCM for the first few frames, 1 to 3 of them seen here. The tone is
 * checked only once this many packets have been decoded in a row. */
#define TONE_WARMUP 15

typedef struct {
    bool started;
    dc_seq_unwrapper unwrap;
    int64_t base, max;
    uint64_t received;
    int64_t expected_prior;
    uint64_t received_prior;
    int64_t status_expected_prior;
    uint64_t status_received_prior;
    uint64_t bytes; /* every packet's length, headers included */
    double jitter;
    int64_t last_transit;
    bool have_transit;
    uint32_t ssrc;
    uint32_t lsr;
    int64_t lsr_at_us;
    bool have_sr;
} rtp_stats;

typedef struct {
    char *id;
    int index;
    uint16_t tag;
    bool active;
    bool awaiting_first; /* announced, no picture since */
    bool rejoined;       /* announced again after being inactive */
    int64_t announced_us;
    bool ever_announced;
    dc_receiver_site_stats s; /* counters; derived fields filled on demand */
    uint32_t lat_hist[LAT_BINS + 1];
    uint64_t lat_n;
    double lat_max;
    int64_t deltas[FREEZE_WINDOW];
    int n_deltas, delta_head;
    int64_t delta_sum;
    int64_t first_frame_us, last_frame_us;
    uint64_t frames_for_fps;
    int64_t active_us; /* sum of inter-frame delays that were not pauses */
    bool have_counter;
    uint64_t counter_done;
    uint64_t iv_frames, iv_lat_n;
    double iv_lat_sum;
    uint64_t iv_audio;
} site;

typedef struct {
    char *mid;
    site *site;
    dc_media_kind kind;
    bool own; /* our own site: must never carry media */
    uint32_t ssrc;
    uint8_t pt;
    bool active, fb_nack, fb_pli;
    rtp_stats st;
    /* video */
    dc_jitter *jb;
    dc_vdec *vdec;
    uint64_t skipped_seen;
    int64_t last_pli_us;
    bool pli_sent, pli_wanted;
    /* audio */
    dc_adec *adec;
    dc_seq_unwrapper aunwrap;
    bool astarted;
    int64_t alast;
    uint32_t arun; /* packets decoded since the decoder last lost its footing */
} stream;

struct dc_receiver {
    char *own_site;
    dc_receiver_callbacks cb;
    void *user;
    uint32_t feedback_ssrc;
    uint32_t own_ssrcs[2];
    char *own_mids[2];
    uint8_t mid_ext_id;
    GPtrArray *sites;   /* of site *, first-seen order */
    GPtrArray *streams; /* of stream * */
    uint64_t own_media, unknown, malformed;
    uint8_t *frame;
    int16_t pcm[PCM_CAP];
    uint8_t rtcp[1500];
    uint16_t nacks[NACK_BATCH];
};

static void site_free(gpointer p)
{
    site *s = p;
    g_free(s->id);
    g_free(s);
}

static void stream_free(gpointer p)
{
    stream *st = p;
    g_free(st->mid);
    dc_jitter_free(st->jb);
    dc_vdec_free(st->vdec);
    dc_adec_free(st->adec);
    g_free(st);
}

dc_receiver *dc_receiver_new(const char *own_site, const dc_receiver_callbacks *cb, void *user,
                             GError **error)
{
    dc_receiver *r = g_new0(dc_receiver, 1);
    r->own_site = g_strdup(own_site);
    r->cb = *cb;
    r->user = user;
    r->sites = g_ptr_array_new_with_free_func(site_free);
    r->streams = g_ptr_array_new_with_free_func(stream_free);
    r->frame = g_malloc(FRAME_CAP);
    return r;
}

void dc_receiver_free(dc_receiver *r)
{
    if (!r)
        return;
    g_ptr_array_unref(r->streams);
    g_ptr_array_unref(r->sites);
    g_free(r->own_site);
    g_free(r->own_mids[0]);
    g_free(r->own_mids[1]);
    g_free(r->frame);
    g_free(r);
}

static site *find_site(dc_receiver *r, const char *id, bool create)
{
    for (guint i = 0; i < r->sites->len; i++) {
        site *s = r->sites->pdata[i];
        if (strcmp(s->id, id) == 0)
            return s;
    }
    if (!create)
        return NULL;
    site *s = g_new0(site, 1);
    s->id = g_strdup(id);
    s->index = -1;
    s->tag = dc_pattern_site_tag(id);
    s->s.first_frame_ms = -1;
    s->s.rejoin_first_frame_ms = -1;
    s->s.first_frame_after_gap_wall_ms = -1;
    g_ptr_array_add(r->sites, s);
    return s;
}

void dc_receiver_set_site_index(dc_receiver *r, const char *id, int index)
{
    find_site(r, id, true)->index = index;
}

void dc_receiver_set_own(dc_receiver *r, uint32_t feedback_ssrc, const uint32_t own_ssrcs[2],
                         const char *own_mids[2])
{
    r->feedback_ssrc = feedback_ssrc;
    for (int k = 0; k < 2; k++) {
        r->own_ssrcs[k] = own_ssrcs[k];
        g_free(r->own_mids[k]);
        r->own_mids[k] = g_strdup(own_mids ? own_mids[k] : NULL);
    }
}

static stream *find_stream_mid(dc_receiver *r, const char *mid)
{
    for (guint i = 0; i < r->streams->len; i++) {
        stream *st = r->streams->pdata[i];
        if (strcmp(st->mid, mid) == 0)
            return st;
    }
    return NULL;
}

static stream *find_stream_ssrc(dc_receiver *r, uint32_t ssrc)
{
    for (guint i = 0; i < r->streams->len; i++) {
        stream *st = r->streams->pdata[i];
        if (st->ssrc == ssrc && ssrc != 0)
            return st;
    }
    return NULL;
}

/* Gives a stream fresh media state (a new or reassigned m-line). */
static int stream_start(stream *st)
{
    dc_jitter_free(st->jb);
    dc_vdec_free(st->vdec);
    dc_adec_free(st->adec);
    st->jb = NULL;
    st->vdec = NULL;
    st->adec = NULL;
    memset(&st->st, 0, sizeof st->st);
    dc_seq_unwrapper_init(&st->st.unwrap);
    dc_seq_unwrapper_init(&st->aunwrap);
    st->astarted = false;
    st->arun = 0;
    st->skipped_seen = 0;
    st->pli_sent = st->pli_wanted = false;
    if (st->own)
        return 0;
    if (st->kind == DC_MEDIA_VIDEO) {
        st->jb = dc_jitter_new(NULL);
        st->vdec = dc_vdec_new(1, NULL);
        return st->jb && st->vdec ? 0 : -ENOMEM;
    }
    st->adec = dc_adec_new(1, NULL);
    return st->adec ? 0 : -ENOMEM;
}

int dc_receiver_configure(dc_receiver *r, const dc_receiver_stream_desc *descs, size_t n,
                          uint8_t mid_ext_id, int64_t now_us)
{
    int ret = 0;
    r->mid_ext_id = mid_ext_id;
    for (guint i = 0; i < r->streams->len; i++)
        ((stream *)r->streams->pdata[i])->active = false;
    for (size_t i = 0; i < n; i++) {
        const dc_receiver_stream_desc *d = &descs[i];
        site *s = find_site(r, d->site, true);
        stream *st = find_stream_mid(r, d->mid);
        bool fresh = false;
        if (!st) {
            st = g_new0(stream, 1);
            st->mid = g_strdup(d->mid);
            g_ptr_array_add(r->streams, st);
            fresh = true;
        } else if (st->site != s || st->kind != d->kind) {
            fresh = true;
        }
        st->site = s;
        st->kind = d->kind;
        st->own = strcmp(d->site, r->own_site) == 0;
        if (d->ssrc)
            st->ssrc = d->ssrc;
        st->pt = d->pt;
        st->fb_nack = d->fb_nack;
        st->fb_pli = d->fb_pli;
        st->active = d->active;
        if (fresh && stream_start(st) < 0)
            ret = -ENOMEM;
    }
    /* A site is active while any of its streams is; (re)announcements start
     * the first-frame clock. */
    for (guint i = 0; i < r->sites->len; i++) {
        site *s = r->sites->pdata[i];
        bool active = false;
        for (guint k = 0; k < r->streams->len; k++) {
            stream *st = r->streams->pdata[k];
            if (st->site == s && st->active)
                active = true;
        }
        if (active && !s->active) {
            if (s->ever_announced)
                s->rejoined = true;
            s->ever_announced = true;
            s->announced_us = now_us;
            s->awaiting_first = true;
        }
        s->active = active;
    }
    return ret;
}

/* RFC 3550 A.1 and A.8, simplified: the stream's SSRC is fixed by the bridge. */
static void rtp_stats_update(rtp_stats *t, const dc_rtp_view *v, uint32_t clock, int64_t now_us)
{
    int64_t ext = dc_seq_unwrap(&t->unwrap, v->seq);
    if (!t->started) {
        t->started = true;
        t->base = t->max = ext;
        t->expected_prior = t->status_expected_prior = 0;
    } else if (ext > t->max) {
        t->max = ext;
    } else if (ext < t->base) {
        t->base = ext;
    }
    t->ssrc = v->ssrc;
    t->received++;
    int64_t arrival = now_us * (int64_t)clock / 1000000;
    int64_t transit = arrival - (int64_t)v->timestamp;
    if (t->have_transit) {
        int64_t d = (int32_t)(uint32_t)(transit - t->last_transit);
        if (d < 0)
            d = -d;
        t->jitter += ((double)d - t->jitter) / 16.0;
    }
    t->last_transit = transit;
    t->have_transit = true;
}

static int64_t rtp_expected(const rtp_stats *t)
{
    return t->started ? t->max - t->base + 1 : 0;
}

static void send_pli(dc_receiver *r, stream *st, int64_t now_us)
{
    int n = dc_rtcp_fb_pli_build(r->rtcp, sizeof r->rtcp, r->feedback_ssrc, st->ssrc);
    if (n > 0 && r->cb.send_rtcp)
        r->cb.send_rtcp(r->user, r->rtcp, (size_t)n);
    st->last_pli_us = now_us;
    st->pli_sent = true;
    st->pli_wanted = false;
    st->site->s.plis_sent++;
}

/* Asks for a keyframe now, or as soon as the throttle allows. */
static void want_keyframe(dc_receiver *r, stream *st, int64_t now_us)
{
    if (!st->fb_pli || st->ssrc == 0)
        return;
    if (!st->pli_sent || now_us - st->last_pli_us >= PLI_INTERVAL_US)
        send_pli(r, st, now_us);
    else
        st->pli_wanted = true;
}

static void send_nacks(dc_receiver *r, stream *st, int64_t now_us)
{
    size_t n = dc_jitter_poll_nacks(st->jb, now_us, r->nacks, NACK_BATCH);
    if (n == 0 || !st->fb_nack || st->ssrc == 0)
        return;
    int len =
        dc_rtcp_fb_nack_build(r->rtcp, sizeof r->rtcp, r->feedback_ssrc, st->ssrc, r->nacks, n);
    if (len > 0 && r->cb.send_rtcp)
        r->cb.send_rtcp(r->user, r->rtcp, (size_t)len);
    st->site->s.nacks_sent += n;
}

static void freeze_update(site *s, int64_t now_us)
{
    if (s->last_frame_us == 0) {
        s->first_frame_us = now_us;
        s->last_frame_us = now_us;
        return;
    }
    int64_t delta = now_us - s->last_frame_us;
    s->last_frame_us = now_us;
    if (delta >= PAUSE_US) {
        s->n_deltas = 0; /* a pause: start averaging again */
        s->delta_sum = 0;
        return;
    }
    s->frames_for_fps++;
    s->active_us += delta;
    if (s->n_deltas >= 3) {
        double avg = (double)s->delta_sum / s->n_deltas;
        double limit = fmax(3.0 * avg, avg + 150000.0);
        if ((double)delta > limit) {
            s->s.freezes++;
            s->s.freeze_total_ms += (double)delta / 1000.0;
        }
    }
    if (s->n_deltas == FREEZE_WINDOW) {
        s->delta_sum -= s->deltas[s->delta_head];
    } else {
        s->n_deltas++;
    }
    s->deltas[s->delta_head] = delta;
    s->delta_sum += delta;
    s->delta_head = (s->delta_head + 1) % FREEZE_WINDOW;
}

static void counter_update(site *s, uint32_t c)
{
    if (!s->have_counter) {
        s->have_counter = true;
        s->s.counter_first = s->s.counter_last = c;
        s->s.counter_span_decoded = 1;
        return;
    }
    int32_t d = (int32_t)(c - s->s.counter_last);
    if (d > 0) {
        s->s.counter_last = c;
        s->s.counter_span_decoded++;
    } else if (d < 0) {
        /* The sender started over (a rejoin): close the span. */
        s->counter_done += (uint64_t)(s->s.counter_last - s->s.counter_first) + 1;
        s->s.counter_first = s->s.counter_last = c;
        s->s.counter_span_decoded = 1;
        s->s.counter_restarts++;
    }
}

static void on_picture(dc_receiver *r, stream *st, const dc_i420 *pic, int64_t now_us,
                       int64_t wall_ms)
{
    site *s = st->site;
    s->s.video_frames_decoded++;
    s->iv_frames++;
    s->s.width = pic->width;
    s->s.height = pic->height;
    if (s->awaiting_first || s->last_frame_us == 0 || now_us - s->last_frame_us > GAP_US)
        s->s.first_frame_after_gap_wall_ms = wall_ms;
    freeze_update(s, now_us);
    if (s->awaiting_first) {
        s->awaiting_first = false;
        int64_t ms = (now_us - s->announced_us) / 1000;
        if (s->s.first_frame_ms < 0)
            s->s.first_frame_ms = ms;
        if (s->rejoined)
            s->s.rejoin_first_frame_ms = ms;
    }
    dc_pattern_info info;
    int rc = dc_pattern_read(pic, &info);
    if (rc == 0 && info.site_tag == s->tag && (s->index < 0 || info.site_index == s->index)) {
        s->s.video_identity_ok++;
        int32_t lat = (int32_t)((uint32_t)wall_ms - info.capture_ms);
        if (lat < 0)
            lat = 0;
        s->lat_hist[lat < LAT_BINS ? lat : LAT_BINS]++;
        s->lat_n++;
        if (lat > s->lat_max)
            s->lat_max = lat;
        s->iv_lat_sum += lat;
        s->iv_lat_n++;
        counter_update(s, info.counter);
    } else if (rc == 0) {
        s->s.video_identity_bad++;
    } else {
        s->s.video_unreadable++;
    }
    if (r->cb.on_video)
        r->cb.on_video(r->user, s->id, pic);
}

/* Hands out, decodes and checks every frame the jitter buffer has ready. */
static void drain_video(dc_receiver *r, stream *st, int64_t now_us, int64_t wall_ms)
{
    dc_jitter_frame f;
    while (dc_jitter_pop(st->jb, now_us, r->frame, FRAME_CAP, &f) == 1) {
        if (f.after_loss)
            dc_vdec_mark_loss(st->vdec);
        dc_i420 pic;
        int rc = dc_vdec_decode(st->vdec, r->frame, f.len, &pic);
        if (rc == 0) {
            if (f.keyframe)
                st->site->s.video_keyframes++;
            st->pli_wanted = false;
            on_picture(r, st, &pic, now_us, wall_ms);
        } else if (rc == -EAGAIN || rc == -EBADMSG) {
            if (rc == -EBADMSG)
                st->site->s.video_decode_errors++;
            want_keyframe(r, st, now_us);
        }
    }
    dc_jitter_stats js;
    dc_jitter_get_stats(st->jb, &js);
    if (js.frames_skipped != st->skipped_seen) {
        st->site->s.frames_skipped += js.frames_skipped - st->skipped_seen;
        st->skipped_seen = js.frames_skipped;
        dc_vdec_mark_loss(st->vdec);
        want_keyframe(r, st, now_us);
    }
}

static void audio_out(dc_receiver *r, stream *st, int n)
{
    if (n > 0 && r->cb.on_audio)
        r->cb.on_audio(r->user, st->site->id, r->pcm, (size_t)n);
}

static void push_audio(dc_receiver *r, stream *st, const dc_rtp_view *v)
{
    site *s = st->site;
    int64_t ext = dc_seq_unwrap(&st->aunwrap, v->seq);
    if (st->astarted) {
        if (ext <= st->alast)
            return; /* late or duplicate: its time has passed */
        int64_t gap = ext - st->alast - 1;
        if (gap > 0 && gap <= AUDIO_MAX_GAP) {
            for (int64_t i = 0; i < gap; i++) {
                bool last = i == gap - 1;
                int n = dc_adec_recover(st->adec, last ? v->payload : NULL,
                                        last ? v->payload_len : 0, r->pcm, DC_AUDIO_FRAME);
                s->s.audio_concealed++;
                audio_out(r, st, n);
            }
        } else if (gap > AUDIO_MAX_GAP) {
            st->arun = 0;
        }
    }
    st->astarted = true;
    st->alast = ext;
    int n = dc_adec_decode(st->adec, v->payload, v->payload_len, r->pcm, PCM_CAP);
    if (n <= 0)
        return;
    s->s.audio_packets_decoded++;
    s->iv_audio++;
    if (st->arun < TONE_WARMUP)
        st->arun++;
    /* The Goertzel bank is the costliest step of the audio path: 14 clients
     * on a small machine check a sample of the packets. */
    if (st->arun >= TONE_WARMUP && s->s.audio_packets_decoded % TONE_EVERY == 1) {
        dc_tone_result res;
        int rc = dc_tone_detect(r->pcm, (size_t)n, 1, DC_AUDIO_RATE, &res);
        if (rc == 0 && res.site_index == s->index)
            s->s.audio_tone_ok++;
        else if (rc == 0 || rc == -EBADMSG)
            s->s.audio_tone_bad++;
    }
    audio_out(r, st, n);
}

static bool is_own_mid(const dc_receiver *r, const char *mid)
{
    return (r->own_mids[0] && strcmp(mid, r->own_mids[0]) == 0) ||
           (r->own_mids[1] && strcmp(mid, r->own_mids[1]) == 0);
}

void dc_receiver_push_rtp(dc_receiver *r, const uint8_t *buf, size_t len, int64_t now_us,
                          int64_t wall_ms)
{
    dc_rtp_view v;
    if (dc_rtp_parse(buf, len, &v) < 0) {
        r->malformed++;
        return;
    }
    stream *st = NULL;
    if (r->mid_ext_id) {
        char mid[DC_RTP_EXT_STR_MAX];
        if (dc_rtp_ext_mid(&v, r->mid_ext_id, mid, sizeof mid) > 0) {
            if (is_own_mid(r, mid)) {
                r->own_media++;
                return;
            }
            st = find_stream_mid(r, mid);
            if (st)
                st->ssrc = v.ssrc;
        }
    }
    if (!st) {
        if (v.ssrc == r->own_ssrcs[0] || v.ssrc == r->own_ssrcs[1]) {
            r->own_media++;
            return;
        }
        st = find_stream_ssrc(r, v.ssrc);
    }
    if (!st || v.payload_type != st->pt) {
        r->unknown++;
        return;
    }
    if (st->own) {
        r->own_media++;
        return;
    }
    bool video = st->kind == DC_MEDIA_VIDEO;
    rtp_stats_update(&st->st, &v, video ? 90000 : DC_AUDIO_RATE, now_us);
    st->st.bytes += len;
    if (!video) {
        st->site->s.audio_packets++;
        push_audio(r, st, &v);
        return;
    }
    st->site->s.video_packets++;
    dc_jitter_push(st->jb, v.seq, v.timestamp, v.marker, v.payload, v.payload_len, now_us);
    drain_video(r, st, now_us, wall_ms);
    send_nacks(r, st, now_us);
}

void dc_receiver_on_sr(dc_receiver *r, uint32_t ssrc, uint64_t ntp_time, int64_t now_us)
{
    stream *st = find_stream_ssrc(r, ssrc);
    if (!st)
        return;
    st->st.lsr = (uint32_t)(ntp_time >> 16);
    st->st.lsr_at_us = now_us;
    st->st.have_sr = true;
}

void dc_receiver_handle_timeout(dc_receiver *r, int64_t now_us, int64_t wall_ms)
{
    for (guint i = 0; i < r->streams->len; i++) {
        stream *st = r->streams->pdata[i];
        if (!st->jb)
            continue;
        drain_video(r, st, now_us, wall_ms);
        send_nacks(r, st, now_us);
        if (st->pli_wanted && now_us - st->last_pli_us >= PLI_INTERVAL_US) {
            if (dc_vdec_needs_keyframe(st->vdec))
                send_pli(r, st, now_us);
            else
                st->pli_wanted = false;
        }
    }
}

int64_t dc_receiver_next_timeout(const dc_receiver *r)
{
    int64_t t = INT64_MAX;
    for (guint i = 0; i < r->streams->len; i++) {
        const stream *st = r->streams->pdata[i];
        if (!st->jb)
            continue;
        int64_t j = dc_jitter_next_timeout(st->jb);
        if (j < t)
            t = j;
        if (st->pli_wanted && st->last_pli_us + PLI_INTERVAL_US < t)
            t = st->last_pli_us + PLI_INTERVAL_US;
    }
    return t;
}

size_t dc_receiver_report_blocks(dc_receiver *r, int64_t now_us, dc_rtcp_report_block *blocks,
                                 size_t cap)
{
    size_t n = 0;
    for (guint i = 0; i < r->streams->len && n < cap; i++) {
        stream *st = r->streams->pdata[i];
        rtp_stats *t = &st->st;
        if (!t->started || st->own)
            continue;
        int64_t expected = rtp_expected(t);
        int64_t lost = expected - (int64_t)t->received;
        int64_t exp_iv = expected - t->expected_prior;
        int64_t rec_iv = (int64_t)(t->received - t->received_prior);
        int64_t lost_iv = exp_iv - rec_iv;
        t->expected_prior = expected;
        t->received_prior = t->received;
        dc_rtcp_report_block *b = &blocks[n++];
        memset(b, 0, sizeof *b);
        b->ssrc = t->ssrc;
        b->fraction_lost =
            exp_iv > 0 && lost_iv > 0 ? (uint8_t)MIN(255, (lost_iv << 8) / exp_iv) : 0;
        b->cumulative_lost = (int32_t)CLAMP(lost, -8388608, 8388607);
        b->ext_highest_seq = (uint32_t)(t->max >= UNWRAP_BASE ? t->max - UNWRAP_BASE : t->max);
        b->jitter = (uint32_t)t->jitter;
        if (t->have_sr) {
            b->lsr = t->lsr;
            b->dlsr = (uint32_t)((now_us - t->lsr_at_us) * 65536 / 1000000);
        }
    }
    return n;
}

void dc_receiver_roll_interval(dc_receiver *r, int64_t now_us)
{
    for (guint i = 0; i < r->sites->len; i++) {
        site *s = r->sites->pdata[i];
        int64_t exp = 0, rec = 0;
        for (guint k = 0; k < r->streams->len; k++) {
            stream *st = r->streams->pdata[k];
            if (st->site != s || !st->st.started)
                continue;
            int64_t e = rtp_expected(&st->st);
            exp += e - st->st.status_expected_prior;
            rec += (int64_t)(st->st.received - st->st.status_received_prior);
            st->st.status_expected_prior = e;
            st->st.status_received_prior = st->st.received;
        }
        s->s.status_loss_pct =
            exp > 0 && exp > rec ? 100.0 * (double)(exp - rec) / (double)exp : 0.0;
        s->s.status_fps = (double)s->iv_frames;
        s->s.status_audio = s->iv_audio > 0;
        s->s.status_latency_ms = s->iv_lat_n ? s->iv_lat_sum / (double)s->iv_lat_n : -1;
        s->iv_frames = s->iv_audio = s->iv_lat_n = 0;
        s->iv_lat_sum = 0;
    }
}

size_t dc_receiver_n_sites(const dc_receiver *r)
{
    return r->sites->len;
}

static double percentile(const site *s, double p)
{
    if (s->lat_n == 0)
        return -1;
    uint64_t want = (uint64_t)ceil(p * (double)s->lat_n);
    if (want == 0)
        want = 1;
    uint64_t acc = 0;
    for (int b = 0; b <= LAT_BINS; b++) {
        acc += s->lat_hist[b];
        if (acc >= want)
            return b;
    }
    return LAT_BINS;
}

void dc_receiver_site_stats_at(const dc_receiver *r, size_t i, dc_receiver_site_stats *out)
{
    const site *s = r->sites->pdata[i];
    *out = s->s;
    out->site = s->id;
    out->index = s->index;
    out->active = s->active;
    out->announced = s->ever_announced;
    out->latency_samples = s->lat_n;
    out->latency_p50_ms = percentile(s, 0.50);
    out->latency_p95_ms = percentile(s, 0.95);
    out->latency_max_ms = s->lat_n ? s->lat_max : -1;
    out->fps = s->active_us > 0 ? (double)s->frames_for_fps * 1e6 / (double)s->active_us : 0;
    uint64_t checked = s->s.audio_tone_ok + s->s.audio_tone_bad;
    out->audio_identity_ok = s->s.audio_tone_ok >= 3 && s->s.audio_tone_ok * 10 >= checked * 8;
    out->counter_expected =
        s->counter_done +
        (s->have_counter ? (uint64_t)(s->s.counter_last - s->s.counter_first) + 1 : 0);
    out->packets_lost = 0;
    for (guint k = 0; k < r->streams->len; k++) {
        const stream *st = r->streams->pdata[k];
        if (st->site == s && st->st.started)
            out->packets_lost += rtp_expected(&st->st) - (int64_t)st->st.received;
    }
}

void dc_receiver_get_totals(const dc_receiver *r, dc_media_kind kind, dc_receiver_totals *out)
{
    memset(out, 0, sizeof *out);
    for (guint k = 0; k < r->streams->len; k++) {
        const stream *st = r->streams->pdata[k];
        if (st->kind != kind || st->own || !st->st.started)
            continue;
        const rtp_stats *t = &st->st;
        out->packets += t->received;
        out->bytes += t->bytes;
        out->expected += (uint64_t)rtp_expected(t);
        out->received += t->received;
        uint32_t clock = kind == DC_MEDIA_VIDEO ? 90000 : DC_AUDIO_RATE;
        double jitter_ms = t->jitter * 1000.0 / clock;
        if (st->active && jitter_ms > out->jitter_ms)
            out->jitter_ms = jitter_ms;
        if (st->jb) {
            dc_jitter_stats js;
            dc_jitter_get_stats(st->jb, &js);
            out->recovered += js.recovered;
        }
    }
    for (guint i = 0; i < r->sites->len && kind == DC_MEDIA_VIDEO; i++) {
        const site *s = r->sites->pdata[i];
        out->nacks_sent += s->s.nacks_sent;
        out->plis_sent += s->s.plis_sent;
    }
}

uint64_t dc_receiver_own_media(const dc_receiver *r)
{
    return r->own_media;
}

uint64_t dc_receiver_unknown(const dc_receiver *r)
{
    return r->unknown;
}
