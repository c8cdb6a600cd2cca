/* load-rx: see load-rx.h. */
#include "bench/load-rx.h"

#include <string.h>

static bool bit_get(const dc_load_seq *s, int64_t e)
{
    size_t i = (size_t)(e % DC_LOAD_RX_WINDOW);
    return (s->bits[i / 64] >> (i % 64)) & 1;
}

static void bit_set(dc_load_seq *s, int64_t e, bool v)
{
    size_t i = (size_t)(e % DC_LOAD_RX_WINDOW);
    if (v)
        s->bits[i / 64] |= 1ull << (i % 64);
    else
        s->bits[i / 64] &= ~(1ull << (i % 64));
}

int dc_load_seq_push(dc_load_seq *s, uint16_t seq)
{
    if (!s->started) {
        s->started = true;
        /* Start well above zero so that earlier packets stay positive. */
        s->first = s->highest = 65536 * 4 + seq;
        memset(s->bits, 0, sizeof s->bits);
        bit_set(s, s->highest, true);
        s->received++;
        return 1;
    }
    int16_t d = (int16_t)(seq - (uint16_t)s->highest);
    int64_t e = s->highest + d;
    if (d > 0) {
        /* Forward: everything skipped is missing until it arrives. */
        for (int64_t k = s->highest + 1; k < e; k++)
            bit_set(s, k, false);
        if (d > DC_LOAD_RX_WINDOW)
            memset(s->bits, 0, sizeof s->bits);
        s->missing += (uint64_t)(d - 1);
        s->highest = e;
        bit_set(s, e, true);
        s->received++;
        return 1;
    }
    if (s->highest - e >= DC_LOAD_RX_WINDOW || e < s->first) {
        s->too_old++;
        return 0;
    }
    if (bit_get(s, e)) {
        s->duplicates++;
        return 0;
    }
    bit_set(s, e, true);
    s->received++;
    if (s->missing > 0)
        s->missing--;
    s->repaired++;
    return 2;
}

uint64_t dc_load_seq_expected(const dc_load_seq *s)
{
    return s->started ? (uint64_t)(s->highest - s->first + 1) : 0;
}

void dc_load_hist_add(dc_load_hist *h, int64_t us)
{
    if (us < 0)
        us = 0;
    int64_t b = us / DC_LOAD_HIST_US;
    if (b >= DC_LOAD_HIST_BUCKETS)
        b = DC_LOAD_HIST_BUCKETS - 1;
    h->bucket[b]++;
    h->n++;
    h->sum_us += (double)us;
    if (us > h->max_us)
        h->max_us = us;
}

void dc_load_hist_merge(dc_load_hist *into, const dc_load_hist *from)
{
    for (size_t i = 0; i < DC_LOAD_HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->n += from->n;
    into->sum_us += from->sum_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
}

double dc_load_hist_quantile(const dc_load_hist *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->n);
    if (want >= h->n)
        want = h->n - 1;
    uint64_t acc = 0;
    for (size_t i = 0; i < DC_LOAD_HIST_BUCKETS; i++) {
        acc += h->bucket[i];
        if (acc > want)
            return (double)((i + 1) * DC_LOAD_HIST_US);
    }
    return (double)h->max_us;
}
