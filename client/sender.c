/* sender: sources, encoders, RTP packetization, NACK answers, SR. See
 * sender.h. */
#include "client/sender.h"

#include <errno.h>
#include <string.h>

#include "client/audio-enc.h"
#include "client/testpattern.h"
#include "client/tone.h"
#include "client/video-enc.h"
#include "client/wav.h"
#include "client/y4m.h"
#include "core/nack-history.h"
#include "core/rtp-ext.h"
#include "core/rtp.h"
#include "core/srtp.h"
#include "core/vp8.h"

#define MAX_RTP 1200     /* RTP packet size, header included */
#define MAX_PAYLOAD 1100 /* VP8 payload (descriptor + data) per packet */
#define PKT_CAP (MAX_RTP + DC_SRTP_MAX_OVERHEAD)
#define AUDIO_PERIOD_US 20000
#define NACK_MAX_RESENDS 3
#define NACK_MIN_INTERVAL_US 10000
#define NTP_UNIX_OFFSET 2208988800ull
#define WAV_MAX_CHANNELS 8

typedef struct {
    dc_sender_track track;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts_base;
    uint32_t last_ts;
    int64_t last_ts_us; /* when last_ts was sent */
    bool sent;
    uint32_t packets, octets; /* SR counters */
    int64_t next_due_us;
    uint64_t n; /* frames (video) or packets (audio) since start */
} out_stream;

struct dc_sender {
    dc_sender_config cfg;
    char *site_id;
    dc_sender_callbacks cb;
    void *user;
    bool running;
    bool was_running;
    bool paused[DC_MEDIA_KINDS]; /* muted: nothing of that kind is sent */
    int64_t start_us;
    int64_t period_us; /* video */
    out_stream out[DC_MEDIA_KINDS];
    uint16_t twcc_seq;
    uint16_t picture_id;
    uint32_t counter;
    int64_t last_pts;
    dc_venc *venc;
    dc_aenc *aenc;
    dc_i420 pic;
    dc_y4m_reader *y4m;
    dc_wav_reader *wav;
    int wav_channels;
    dc_tone tone;
    dc_nack_history *history;
    dc_sender_stats stats;
    int16_t pcm[DC_AUDIO_FRAME * WAV_MAX_CHANNELS];
    int16_t mono[DC_AUDIO_FRAME];
    uint8_t opus[DC_AUDIO_MAX_PACKET];
    uint8_t pkt[PKT_CAP];
    uint8_t tx[PKT_CAP];
};

static uint32_t random_u32(void)
{
    uint32_t v;
    do {
        v = g_random_int();
    } while (v == 0);
    return v;
}

dc_sender *dc_sender_new(const dc_sender_config *cfg, const dc_sender_callbacks *cb, void *user,
                         GError **error)
{
    g_autoptr(dc_y4m_reader) y4m = NULL;
    g_autoptr(dc_wav_reader) wav = NULL;
    int width = cfg->width, height = cfg->height;
    if (cfg->video_file) {
        y4m = dc_y4m_reader_open(cfg->video_file, error);
        if (!y4m)
            return NULL;
        width = dc_y4m_reader_width(y4m);
        height = dc_y4m_reader_height(y4m);
    } else if (dc_pattern_cell_size(width, height) == 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--size %dx%d is too small for the test picture (at least %dx%d)", width,
                    height, DC_PATTERN_MIN_WIDTH, DC_PATTERN_MIN_HEIGHT);
        return NULL;
    }
    if (cfg->audio_file) {
        wav = dc_wav_reader_open(cfg->audio_file, error);
        if (!wav)
            return NULL;
        if (dc_wav_reader_rate(wav) != DC_AUDIO_RATE ||
            dc_wav_reader_channels(wav) > WAV_MAX_CHANNELS) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "%s: need 48000 Hz and at most %d channels", cfg->audio_file,
                        WAV_MAX_CHANNELS);
            return NULL;
        }
    }
    dc_venc_config vc;
    dc_venc_config_default(&vc, width, height, cfg->fps, cfg->bitrate_kbps);
    g_autoptr(dc_venc) venc = dc_venc_new(&vc, error);
    if (!venc)
        return NULL;
    g_autoptr(dc_aenc) aenc = dc_aenc_new(1, 32000, error);
    if (!aenc)
        return NULL;

    dc_sender *s = g_new0(dc_sender, 1);
    s->cfg = *cfg;
    s->site_id = g_strdup(cfg->site_id);
    s->cfg.site_id = s->site_id;
    s->cfg.video_file = s->cfg.audio_file = NULL;
    s->cfg.width = width;
    s->cfg.height = height;
    s->cb = *cb;
    s->user = user;
    s->period_us = 1000000 / (cfg->fps > 0 ? cfg->fps : 30);
    s->venc = g_steal_pointer(&venc);
    s->aenc = g_steal_pointer(&aenc);
    s->y4m = g_steal_pointer(&y4m);
    s->wav = g_steal_pointer(&wav);
    s->wav_channels = s->wav ? dc_wav_reader_channels(s->wav) : 1;
    dc_i420_alloc(&s->pic, width, height);
    dc_tone_init(&s->tone, cfg->site_index, DC_AUDIO_RATE);
    s->history = dc_nack_history_new(1024, 2000000);
    s->picture_id = (uint16_t)(g_random_int() & 0x7fff);
    s->last_pts = -1;
    for (int k = 0; k < DC_MEDIA_KINDS; k++) {
        s->out[k].ssrc = random_u32();
        s->out[k].seq = (uint16_t)g_random_int();
        s->out[k].ts_base = g_random_int();
    }
    if (s->out[0].ssrc == s->out[1].ssrc)
        s->out[1].ssrc ^= 0x5a5a5a5a;
    return s;
}

void dc_sender_free(dc_sender *s)
{
    if (!s)
        return;
    dc_venc_free(s->venc);
    dc_aenc_free(s->aenc);
    dc_i420_clear(&s->pic);
    dc_y4m_reader_free(s->y4m);
    dc_wav_reader_free(s->wav);
    dc_nack_history_free(s->history);
    g_free(s->site_id);
    g_free(s);
}

uint32_t dc_sender_ssrc(const dc_sender *s, dc_media_kind kind)
{
    return s->out[kind].ssrc;
}

void dc_sender_set_track(dc_sender *s, dc_media_kind kind, const dc_sender_track *t)
{
    s->out[kind].track = *t;
}

void dc_sender_start(dc_sender *s, int64_t now_us)
{
    if (s->running)
        return;
    s->running = true;
    if (s->was_running) {
        dc_venc_request_keyframe(s->venc);
    } else {
        s->start_us = now_us;
    }
    s->was_running = true;
    for (int k = 0; k < DC_MEDIA_KINDS; k++)
        s->out[k].next_due_us = now_us;
}

void dc_sender_stop(dc_sender *s)
{
    s->running = false;
}

/* Writes the extension elements of one packet of kind into ext; returns
 * the data length (multiple of 4) and sets *profile. */
static int write_ext(dc_sender *s, dc_media_kind kind, uint8_t level, uint8_t *ext, size_t cap,
                     uint16_t *profile)
{
    const dc_sender_track *t = &s->out[kind].track;
    dc_rtp_ext_elem el[3];
    size_t n = 0;
    uint8_t lv = level;
    uint8_t tw[2] = {(uint8_t)(s->twcc_seq >> 8), (uint8_t)s->twcc_seq};
    if (t->ext_mid)
        el[n++] = (dc_rtp_ext_elem){t->ext_mid, (uint8_t)strlen(t->mid), (const uint8_t *)t->mid};
    if (kind == DC_MEDIA_AUDIO && t->ext_audio_level)
        el[n++] = (dc_rtp_ext_elem){t->ext_audio_level, 1, &lv};
    if (t->ext_transport_cc) {
        el[n++] = (dc_rtp_ext_elem){t->ext_transport_cc, 2, tw};
        s->twcc_seq++;
    }
    return dc_rtp_ext_write(el, n, ext, cap, profile);
}

/* Sends pkt[0..len) as a new packet: copy to the transmit buffer and hand
 * it out (SRTP protects in place, and the history keeps the plaintext). */
static void emit(dc_sender *s, size_t len)
{
    memcpy(s->tx, s->pkt, len);
    s->cb.send_rtp(s->user, s->tx, len, sizeof s->tx);
}

/* Builds the header of a packet of kind in front of a payload of
 * payload_len bytes already at s->pkt + hdr_len. Returns the packet length or
 * a negative errno. */
static int finish_packet(dc_sender *s, dc_media_kind kind, bool marker, uint32_t ts,
                         const uint8_t *ext, size_t ext_len, uint16_t profile, size_t hdr_len,
                         size_t payload_len)
{
    out_stream *o = &s->out[kind];
    dc_rtp_header h = {
        .marker = marker,
        .payload_type = o->track.pt,
        .seq = o->seq,
        .timestamp = ts,
        .ssrc = o->ssrc,
        .extension = ext_len > 0,
        .ext_profile = profile,
        .ext = ext,
        .ext_len = ext_len,
    };
    int n = dc_rtp_write_header(&h, s->pkt, hdr_len);
    if (n < 0)
        return n;
    return (int)(hdr_len + payload_len);
}

static size_t header_len(const uint8_t *ext, size_t ext_len, uint16_t profile)
{
    dc_rtp_header h = {
        .extension = ext_len > 0, .ext_profile = profile, .ext = ext, .ext_len = ext_len};
    return dc_rtp_header_size(&h);
}

static void send_video_frame(dc_sender *s, int64_t now_us, int64_t wall_ms)
{
    out_stream *o = &s->out[DC_MEDIA_VIDEO];
    if (s->y4m) {
        int rc = dc_y4m_reader_read(s->y4m, &s->pic);
        if (rc == 0 && dc_y4m_reader_rewind(s->y4m) == 0)
            rc = dc_y4m_reader_read(s->y4m, &s->pic);
        if (rc != 1)
            return;
    } else {
        dc_pattern_info info = {
            .site_index = (uint8_t)(s->cfg.site_index & DC_PATTERN_MAX_SITE),
            .site_tag = dc_pattern_site_tag(s->site_id),
            .counter = s->counter,
            .capture_ms = (uint32_t)wall_ms,
        };
        dc_pattern_draw(&s->pic, &info, DC_PATTERN_CALM);
    }
    int64_t pts = (now_us - s->start_us) * 90 / 1000;
    if (pts <= s->last_pts)
        pts = s->last_pts + 1;
    dc_venc_frame f;
    if (dc_venc_encode(s->venc, &s->pic, pts, &f) != 1)
        return;
    s->last_pts = pts;
    s->counter++;
    uint32_t ts = o->ts_base + (uint32_t)pts;
    dc_vp8_packetizer p;
    if (dc_vp8_packetizer_init(&p, f.data, f.size, MAX_PAYLOAD, s->picture_id, -1, false) < 0)
        return;
    bool last = false;
    while (!last) {
        uint8_t ext[64];
        uint16_t profile = 0;
        int ext_len = write_ext(s, DC_MEDIA_VIDEO, 0, ext, sizeof ext, &profile);
        if (ext_len < 0)
            return;
        size_t hl = header_len(ext, (size_t)ext_len, profile);
        size_t plen = 0;
        if (dc_vp8_packetizer_next(&p, s->pkt + hl, MAX_RTP - hl, &plen, &last) < 0)
            return;
        int len =
            finish_packet(s, DC_MEDIA_VIDEO, last, ts, ext, (size_t)ext_len, profile, hl, plen);
        if (len < 0)
            return;
        dc_nack_history_put(s->history, o->seq, now_us, s->pkt, (size_t)len);
        o->seq++;
        o->packets++;
        o->octets += (uint32_t)plen;
        s->stats.video_packets++;
        s->stats.video_bytes += (uint64_t)len;
        emit(s, (size_t)len);
    }
    s->picture_id = (s->picture_id + 1) & 0x7fff;
    o->last_ts = ts;
    o->last_ts_us = now_us;
    o->sent = true;
    s->stats.video_frames++;
    if (f.keyframe)
        s->stats.video_keyframes++;
}

static void read_audio(dc_sender *s)
{
    if (!s->wav) {
        dc_tone_fill(&s->tone, s->mono, DC_AUDIO_FRAME, 1);
        return;
    }
    size_t got = 0;
    int rewinds = 0;
    while (got < DC_AUDIO_FRAME) {
        long n = dc_wav_reader_read(s->wav, s->pcm + got * (size_t)s->wav_channels,
                                    DC_AUDIO_FRAME - got);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        /* The end (loop the file) or an error (send silence). */
        if (n < 0 || rewinds++ > 0 || dc_wav_reader_rewind(s->wav) < 0)
            break;
    }
    for (size_t i = 0; i < DC_AUDIO_FRAME; i++) {
        int32_t sum = 0;
        if (i < got)
            for (int c = 0; c < s->wav_channels; c++)
                sum += s->pcm[i * (size_t)s->wav_channels + (size_t)c];
        s->mono[i] = (int16_t)(sum / s->wav_channels);
    }
}

static void send_audio_packet(dc_sender *s, int64_t now_us)
{
    out_stream *o = &s->out[DC_MEDIA_AUDIO];
    read_audio(s);
    int olen = dc_aenc_encode(s->aenc, s->mono, s->opus, sizeof s->opus);
    uint32_t ts = o->ts_base + (uint32_t)(o->n * DC_AUDIO_FRAME);
    o->n++;
    if (olen <= 0)
        return;
    uint8_t level = dc_tone_audio_level(s->mono, DC_AUDIO_FRAME);
    uint8_t ext[64];
    uint16_t profile = 0;
    int ext_len = write_ext(s, DC_MEDIA_AUDIO, (uint8_t)(level | (level < 127 ? 0x80 : 0)), ext,
                            sizeof ext, &profile);
    if (ext_len < 0)
        return;
    size_t hl = header_len(ext, (size_t)ext_len, profile);
    if (hl + (size_t)olen > MAX_RTP)
        return;
    memcpy(s->pkt + hl, s->opus, (size_t)olen);
    int len = finish_packet(s, DC_MEDIA_AUDIO, !o->sent, ts, ext, (size_t)ext_len, profile, hl,
                            (size_t)olen);
    if (len < 0)
        return;
    o->seq++;
    o->packets++;
    o->octets += (uint32_t)olen;
    o->last_ts = ts;
    o->last_ts_us = now_us;
    o->sent = true;
    s->stats.audio_packets++;
    s->stats.audio_bytes += (uint64_t)len;
    emit(s, (size_t)len);
}

void dc_sender_handle_timeout(dc_sender *s, int64_t now_us, int64_t wall_ms)
{
    if (!s->running)
        return;
    out_stream *v = &s->out[DC_MEDIA_VIDEO], *a = &s->out[DC_MEDIA_AUDIO];
    if (now_us >= v->next_due_us) {
        if (v->track.active && !s->paused[DC_MEDIA_VIDEO])
            send_video_frame(s, now_us, wall_ms);
        v->next_due_us += s->period_us;
        if (v->next_due_us <= now_us - 2 * s->period_us)
            v->next_due_us = now_us + s->period_us; /* far behind: skip, don't burst */
    }
    /* Audio catches up (the timestamps must stay on the 20 ms grid). */
    for (int i = 0; i < 5 && now_us >= a->next_due_us; i++) {
        if (a->track.active && !s->paused[DC_MEDIA_AUDIO])
            send_audio_packet(s, now_us);
        else
            a->n++;
        a->next_due_us += AUDIO_PERIOD_US;
    }
    if (a->next_due_us <= now_us)
        a->next_due_us = now_us + AUDIO_PERIOD_US;
}

int64_t dc_sender_next_timeout(const dc_sender *s)
{
    if (!s->running)
        return INT64_MAX;
    return MIN(s->out[DC_MEDIA_VIDEO].next_due_us, s->out[DC_MEDIA_AUDIO].next_due_us);
}

void dc_sender_on_nack(dc_sender *s, uint32_t media_ssrc, const uint16_t *seqs, size_t n,
                       int64_t now_us)
{
    if (media_ssrc != s->out[DC_MEDIA_VIDEO].ssrc)
        return;
    const dc_sender_track *t = &s->out[DC_MEDIA_VIDEO].track;
    for (size_t i = 0; i < n; i++) {
        s->stats.nack_seqs_in++;
        const uint8_t *buf;
        size_t len;
        if (dc_nack_history_resend(s->history, seqs[i], now_us, NACK_MAX_RESENDS,
                                   NACK_MIN_INTERVAL_US, &buf, &len) < 0)
            continue;
        memcpy(s->tx, buf, len);
        if (t->ext_transport_cc &&
            dc_rtp_ext_set_transport_seq(s->tx, len, t->ext_transport_cc, s->twcc_seq) == 0)
            s->twcc_seq++;
        s->stats.retransmits++;
        s->cb.send_rtp(s->user, s->tx, len, sizeof s->tx);
    }
}

void dc_sender_set_paused(dc_sender *s, dc_media_kind kind, bool paused)
{
    if ((unsigned)kind >= DC_MEDIA_KINDS || s->paused[kind] == paused)
        return;
    s->paused[kind] = paused;
    if (kind == DC_MEDIA_VIDEO && !paused)
        dc_venc_request_keyframe(s->venc); /* receivers start over */
}

bool dc_sender_is_paused(const dc_sender *s, dc_media_kind kind)
{
    return (unsigned)kind < DC_MEDIA_KINDS && s->paused[kind];
}

void dc_sender_request_keyframe(dc_sender *s)
{
    s->stats.keyframe_requests++;
    dc_venc_request_keyframe(s->venc);
}

int dc_sender_fill_sr(const dc_sender *s, dc_media_kind kind, int64_t now_us, int64_t wall_us,
                      dc_rtcp_sr *sr)
{
    const out_stream *o = &s->out[kind];
    if (!o->sent)
        return -ENOENT;
    memset(sr, 0, sizeof *sr);
    uint64_t secs = (uint64_t)(wall_us / 1000000) + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)(wall_us % 1000000) << 32) / 1000000;
    uint32_t rate = kind == DC_MEDIA_VIDEO ? 90000 : DC_AUDIO_RATE;
    sr->ssrc = o->ssrc;
    sr->ntp_time = secs << 32 | frac;
    sr->rtp_time = o->last_ts + (uint32_t)((now_us - o->last_ts_us) * rate / 1000000);
    sr->packet_count = o->packets;
    sr->octet_count = o->octets;
    return 0;
}

void dc_sender_get_stats(const dc_sender *s, dc_sender_stats *out)
{
    *out = s->stats;
}
