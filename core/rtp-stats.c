/* rtp-stats: RFC 3550 receive statistics, bitrate meter, RTT. See
 * rtp-stats.h. */
#include "core/rtp-stats.h"

#include <string.h>

/* ---- bitrate meter ---- */

void dc_rtp_stats_rate_init(dc_rtp_stats_rate *r)
{
    memset(r->bytes, 0, sizeof r->bytes);
    for (int i = 0; i < DC_RTP_STATS_BUCKETS; i++)
        r->id[i] = -1;
}

void dc_rtp_stats_rate_add(dc_rtp_stats_rate *r, uint64_t bytes, int64_t now_us)
{
    if (now_us < 0)
        now_us = 0;
    int64_t id = now_us / DC_RTP_STATS_BUCKET_US;
    int i = (int)(id % DC_RTP_STATS_BUCKETS);
    if (r->id[i] != id) {
        r->id[i] = id;
        r->bytes[i] = 0;
    }
    r->bytes[i] += bytes;
}

uint64_t dc_rtp_stats_rate_bps(const dc_rtp_stats_rate *r, int64_t now_us, int64_t window_us)
{
    int64_t n = window_us / DC_RTP_STATS_BUCKET_US;
    if (n < 1)
        n = 1;
    if (n > DC_RTP_STATS_BUCKETS - 1)
        n = DC_RTP_STATS_BUCKETS - 1; /* the current bucket's slot is not history */
    if (now_us < 0)
        now_us = 0;
    int64_t cur = now_us / DC_RTP_STATS_BUCKET_US;
    uint64_t sum = 0;
    for (int64_t id = cur - n; id < cur; id++) {
        if (id < 0)
            continue;
        int i = (int)(id % DC_RTP_STATS_BUCKETS);
        if (r->id[i] == id)
            sum += r->bytes[i];
    }
    return sum * 8 * 1000000 / (uint64_t)(n * DC_RTP_STATS_BUCKET_US);
}

/* ---- reception ---- */

static void restart(dc_rtp_stats *s)
{
    s->lost_before += dc_rtp_stats_lost(s);
    s->started = false;
    dc_seq_unwrapper_init(&s->unwrap);
    s->base_ext = s->max_ext = 0;
    s->seen = 0;
    s->bad_seq_valid = false;
    s->received = 0;
    s->rr_mark = (dc_rtp_stats_mark){0};
    s->have_transit = false;
    s->jitter = 0;
    s->have_sr = false;
}

void dc_rtp_stats_init(dc_rtp_stats *s, uint32_t clock_rate)
{
    memset(s, 0, sizeof *s);
    s->clock_rate = clock_rate;
    restart(s);
    dc_rtp_stats_rate_init(&s->rate);
}

void dc_rtp_stats_reset(dc_rtp_stats *s)
{
    restart(s);
    s->ssrc = 0;
}

/* The first packet of a (re)started stream. */
static void begin(dc_rtp_stats *s, uint32_t ssrc, uint16_t seq)
{
    s->started = true;
    s->ssrc = ssrc;
    s->base_ext = s->max_ext = dc_seq_unwrap(&s->unwrap, seq);
    s->seen = 1;
}

/* RFC 3550 A.8 for one packet, in arrival order. A timestamp step of more
 * than a minute is a jump of the sender's clock, not jitter. */
static void update_jitter(dc_rtp_stats *s, uint32_t ts, int64_t now_us)
{
    if (s->have_transit && s->clock_rate > 0) {
        double arrival = (double)(now_us - s->last_arrival_us) * s->clock_rate / 1e6;
        double d = arrival - (double)(int32_t)(ts - s->last_ts);
        if (d < 0)
            d = -d;
        if (d < 60.0 * s->clock_rate)
            s->jitter += (d - s->jitter) / 16.0;
    }
    s->have_transit = true;
    s->last_arrival_us = now_us;
    s->last_ts = ts;
}

dc_rtp_stats_result dc_rtp_stats_receive(dc_rtp_stats *s, uint32_t ssrc, uint16_t seq, uint32_t ts,
                                         uint64_t len, int64_t now_us)
{
    dc_rtp_stats_result res = DC_RTP_STATS_OK;
    s->packets++;
    s->bytes += len;
    dc_rtp_stats_rate_add(&s->rate, len, now_us);
    if (s->started && ssrc != s->ssrc) {
        restart(s);
        s->restarts++;
        res = DC_RTP_STATS_RESTART;
    }
    if (!s->started) {
        begin(s, ssrc, seq);
        s->received = 1;
        update_jitter(s, ts, now_us);
        return res;
    }
    int32_t delta = dc_seq_delta((uint16_t)s->max_ext, seq);
    if (delta > DC_RTP_STATS_MAX_DROPOUT || delta < -DC_RTP_STATS_MAX_MISORDER) {
        /* RFC 3550 A.1: a big jump counts only when the next packet
         * follows it; then the sender restarted its numbering. */
        if (!s->bad_seq_valid || seq != s->bad_seq) {
            s->bad_seq = (uint16_t)(seq + 1);
            s->bad_seq_valid = true;
            return DC_RTP_STATS_PROBATION;
        }
        restart(s);
        s->restarts++;
        begin(s, ssrc, (uint16_t)(seq - 1));
        s->received = 1; /* the packet that opened the probation */
        res = DC_RTP_STATS_RESTART;
    }
    s->bad_seq_valid = false;
    int64_t ext = dc_seq_unwrap(&s->unwrap, seq);
    if (ext > s->max_ext) {
        int64_t shift = ext - s->max_ext;
        s->seen = shift >= 64 ? 0 : s->seen << shift;
        s->seen |= 1;
        s->max_ext = ext;
    } else {
        int64_t back = s->max_ext - ext;
        if (back < 64) {
            if (s->seen & (1ull << back)) {
                s->duplicates++;
                return DC_RTP_STATS_DUPLICATE;
            }
            s->seen |= 1ull << back;
        }
        if (ext < s->base_ext)
            s->base_ext = ext; /* reordered ahead of the first packet */
        if (res == DC_RTP_STATS_OK)
            res = DC_RTP_STATS_LATE;
    }
    s->received++;
    update_jitter(s, ts, now_us);
    return res;
}

uint64_t dc_rtp_stats_expected(const dc_rtp_stats *s)
{
    return s->started ? (uint64_t)(s->max_ext - s->base_ext + 1) : 0;
}

uint64_t dc_rtp_stats_lost(const dc_rtp_stats *s)
{
    uint64_t e = dc_rtp_stats_expected(s);
    return e > s->received ? e - s->received : 0;
}

uint64_t dc_rtp_stats_lost_total(const dc_rtp_stats *s)
{
    return s->lost_before + dc_rtp_stats_lost(s);
}

dc_rtp_stats_mark dc_rtp_stats_mark_now(const dc_rtp_stats *s)
{
    return (dc_rtp_stats_mark){dc_rtp_stats_expected(s), s->received};
}

double dc_rtp_stats_loss_since(const dc_rtp_stats *s, dc_rtp_stats_mark *mark)
{
    dc_rtp_stats_mark now = dc_rtp_stats_mark_now(s);
    double loss = 0;
    if (now.expected > mark->expected && now.received >= mark->received) {
        uint64_t exp = now.expected - mark->expected;
        uint64_t rec = now.received - mark->received;
        if (rec < exp)
            loss = (double)(exp - rec) / (double)exp;
    }
    *mark = now;
    return loss;
}

uint32_t dc_rtp_stats_jitter(const dc_rtp_stats *s)
{
    return s->jitter > 4e9 ? UINT32_MAX : (uint32_t)s->jitter;
}

double dc_rtp_stats_jitter_ms(const dc_rtp_stats *s)
{
    return s->clock_rate ? s->jitter * 1000.0 / s->clock_rate : 0;
}

void dc_rtp_stats_on_sr(dc_rtp_stats *s, uint64_t ntp_time, uint32_t rtp_time, int64_t now_us)
{
    s->have_sr = true;
    s->sr_lsr = dc_rtp_stats_ntp_mid(ntp_time);
    s->sr_rtp = rtp_time;
    s->sr_arrival_us = now_us;
}

bool dc_rtp_stats_report_block(dc_rtp_stats *s, int64_t now_us, dc_rtcp_report_block *b)
{
    if (!s->started)
        return false;
    double frac = dc_rtp_stats_loss_since(s, &s->rr_mark);
    uint64_t lost = dc_rtp_stats_lost(s);
    int fl = (int)(frac * 256);
    *b = (dc_rtcp_report_block){
        .ssrc = s->ssrc,
        .fraction_lost = (uint8_t)(fl > 255 ? 255 : fl),
        .cumulative_lost = lost > 0x7fffff ? 0x7fffff : (int32_t)lost,
        .ext_highest_seq = (uint32_t)(s->max_ext - 65536), /* the unwrapper adds 65536 */
        .jitter = dc_rtp_stats_jitter(s),
    };
    if (s->have_sr) {
        b->lsr = s->sr_lsr;
        int64_t d = now_us - s->sr_arrival_us;
        b->dlsr = d > 0 ? (uint32_t)(((uint64_t)d << 16) / 1000000) : 0;
    }
    return true;
}

int64_t dc_rtp_stats_rtt_us(uint32_t now_mid, uint32_t lsr, uint32_t dlsr)
{
    if (lsr == 0)
        return -1;
    int32_t rtt = (int32_t)(now_mid - lsr - dlsr);
    if (rtt < 0)
        return 0;
    return (int64_t)(((uint64_t)rtt * 1000000) >> 16);
}
