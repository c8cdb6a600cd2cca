/* rewrite: per-output sequence number, timestamp and VP8 picture id
 * continuity. See rewrite.h. */
#include "bridge/rewrite.h"

#include "core/seq.h"

void dc_rewrite_init(dc_rewrite *w)
{
    *w = (dc_rewrite){0};
}

/* Media clock ticks in elapsed_us, without overflow for any sane gap. */
static uint32_t ticks(int64_t elapsed_us, uint32_t clock_rate)
{
    if (elapsed_us <= 0)
        return 0;
    int64_t s = elapsed_us / 1000000;
    int64_t rem = elapsed_us % 1000000;
    return (uint32_t)((uint64_t)s * clock_rate + (uint64_t)rem * clock_rate / 1000000);
}

bool dc_rewrite_map(dc_rewrite *w, uint32_t epoch, uint16_t in_seq, uint32_t in_ts,
                    uint32_t clock_rate, int64_t now_us, uint16_t *out_seq, uint32_t *out_ts)
{
    bool switched = false;
    if (!w->started) {
        w->started = true;
        w->epoch = epoch;
        w->seq_off = 0;
        w->ts_off = 0;
        w->last_seq = (uint16_t)(in_seq - 1);
        w->last_ts = in_ts;
        w->last_us = now_us;
        w->pic_rebase = true;
        w->tl0_rebase = true;
        switched = true;
    } else if (epoch != w->epoch) {
        uint32_t adv = ticks(now_us - w->last_us, clock_rate);
        if (adv == 0)
            adv = 1;
        w->epoch = epoch;
        w->seq_off = (uint16_t)(w->last_seq + 1 - in_seq);
        w->ts_off = w->last_ts + adv - in_ts;
        w->pic_rebase = true;
        w->tl0_rebase = true;
        switched = true;
    }
    uint16_t seq = (uint16_t)(in_seq + w->seq_off);
    uint32_t ts = in_ts + w->ts_off;
    if (switched || dc_seq_newer(seq, w->last_seq)) {
        w->last_seq = seq;
        w->last_ts = ts;
        w->last_us = now_us;
    }
    *out_seq = seq;
    *out_ts = ts;
    return switched;
}

uint16_t dc_rewrite_picture_id(dc_rewrite *w, uint16_t in_pic)
{
    in_pic &= 0x7fff;
    if (w->pic_rebase) {
        w->pic_rebase = false;
        w->pic_off = w->pic_started ? (uint16_t)((w->last_pic + 1 - in_pic) & 0x7fff) : 0;
        w->pic_started = true;
        w->last_pic = (uint16_t)((in_pic + w->pic_off) & 0x7fff);
        return w->last_pic;
    }
    uint16_t out = (uint16_t)((in_pic + w->pic_off) & 0x7fff);
    /* Newer in 15-bit space: ahead by less than half of it. */
    if (((out - w->last_pic) & 0x7fff) < 0x4000)
        w->last_pic = out;
    return out;
}

uint8_t dc_rewrite_tl0picidx(dc_rewrite *w, uint8_t in_tl0)
{
    if (w->tl0_rebase) {
        w->tl0_rebase = false;
        w->tl0_off = w->tl0_started ? (uint8_t)(w->last_tl0 + 1 - in_tl0) : 0;
        w->tl0_started = true;
        w->last_tl0 = (uint8_t)(in_tl0 + w->tl0_off);
        return w->last_tl0;
    }
    uint8_t out = (uint8_t)(in_tl0 + w->tl0_off);
    if ((uint8_t)(out - w->last_tl0) < 0x80)
        w->last_tl0 = out;
    return out;
}

uint32_t dc_rewrite_ts_at(const dc_rewrite *w, uint32_t clock_rate, int64_t now_us)
{
    return w->last_ts + ticks(now_us - w->last_us, clock_rate);
}
