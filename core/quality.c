/* quality: link quality score, levels and MOS. See quality.h and
 * docs/link-quality.md. */
#include "core/quality.h"

/* E-model constants (ITU-T G.107, G.113 appendix I). */
#define R0 93.2         /* default rating with no impairment */
#define OPUS_IE 0.0     /* equipment impairment of Opus at conference rates */
#define OPUS_BPL 10.0   /* packet-loss robustness with concealment (G.113: 10..34) */
#define VIDEO_LOSS_W 10 /* points per % lost (LiveKit's video weight) */
#define BITRATE_W 20    /* points per e-fold shortfall (LiveKit) */

static double clamp(double x, double lo, double hi)
{
    if (!(x >= lo)) /* also catches NaN */
        return lo;
    return x > hi ? hi : x;
}

/* Natural logarithm for x >= 1 without libm: x = m 2^k with m in [1, 2),
 * ln m = 2 atanh((m - 1) / (m + 1)) by its series. */
static double ln_ge1(double x)
{
    const double ln2 = 0.69314718055994530942;
    int k = 0;
    while (x >= 2) {
        x /= 2;
        k++;
    }
    double y = (x - 1) / (x + 1), y2 = y * y, term = y, sum = 0;
    for (int n = 1; n < 40; n += 2) {
        sum += term / n;
        term *= y2;
    }
    return k * ln2 + 2 * sum;
}

double dc_quality_effective_delay_ms(double rtt_ms, double jitter_ms)
{
    return clamp(rtt_ms, 0, 1e6) / 2 + 2 * clamp(jitter_ms, 0, 1e6);
}

/* G.107 delay impairment: 0.024 d, plus 0.11 (d - 177.3) beyond 177.3 ms,
 * where conversation starts to suffer. */
static double delay_impairment(double d)
{
    double id = 0.024 * d;
    if (d > 177.3)
        id += 0.11 * (d - 177.3);
    return id;
}

double dc_quality_audio_r(double loss, double delay_ms)
{
    double ppl = clamp(loss, 0, 1) * 100;
    double ie_eff = OPUS_IE + (95 - OPUS_IE) * ppl / (ppl + OPUS_BPL);
    return R0 - delay_impairment(clamp(delay_ms, 0, 1e6)) - ie_eff;
}

double dc_quality_mos(double r)
{
    if (!(r > 0))
        return 1.0;
    if (r >= 100)
        return 4.5;
    double mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
    return clamp(mos, 1.0, 4.5);
}

double dc_quality_score(const dc_quality_input *in)
{
    double d = dc_quality_effective_delay_ms(in->rtt_ms, in->jitter_ms);
    double loss = clamp(in->loss, 0, 1);
    double packet;
    if (!in->video)
        packet = dc_quality_audio_r(loss, d);
    else
        packet = 100 - delay_impairment(d) - VIDEO_LOSS_W * loss * 100;
    double score = packet;
    if (in->expected_bps > 0) {
        double actual = clamp(in->actual_bps, 0, 1e12);
        double ratio = actual > 0 ? in->expected_bps / actual : 1e9;
        if (ratio > 1) {
            double bitrate = 100 - BITRATE_W * ln_ge1(clamp(ratio, 1, 1e9));
            if (bitrate < score)
                score = bitrate;
        }
    }
    return clamp(score, 0, 100);
}

dc_quality_level dc_quality_level_of(double score)
{
    if (score > 80)
        return DC_QUALITY_EXCELLENT;
    if (score > 40)
        return DC_QUALITY_GOOD;
    if (score > 20)
        return DC_QUALITY_POOR;
    return DC_QUALITY_LOST;
}

const char *dc_quality_level_name(dc_quality_level level)
{
    switch (level) {
    case DC_QUALITY_EXCELLENT:
        return "excellent";
    case DC_QUALITY_GOOD:
        return "good";
    case DC_QUALITY_POOR:
        return "poor";
    default:
        return "lost";
    }
}

void dc_quality_init(dc_quality *q)
{
    q->started = false;
    q->score = 0;
}

double dc_quality_update(dc_quality *q, double instant)
{
    instant = clamp(instant, 0, 100);
    if (!q->started) {
        q->started = true;
        q->score = instant;
    } else {
        double w = instant < q->score ? DC_QUALITY_FALL_WEIGHT : DC_QUALITY_RISE_WEIGHT;
        q->score = clamp(q->score + w * (instant - q->score), 0, 100);
    }
    return q->score;
}

double dc_quality_direction_score(const dc_quality_medium m[2], double rtt_ms, double *audio_r)
{
    double score = -1;
    for (int k = 0; k < 2; k++) {
        if (!(m[k].bitrate_1s > 0))
            continue;
        bool video = k == 1;
        dc_quality_input in = {
            .video = video,
            .loss = m[k].loss,
            .jitter_ms = m[k].jitter_ms,
            .rtt_ms = rtt_ms,
            .expected_bps = video ? m[k].bitrate_10s : 0,
            .actual_bps = m[k].bitrate_1s,
        };
        double q = dc_quality_score(&in);
        if (score < 0 || q < score)
            score = q;
        if (!video) {
            double r = dc_quality_audio_r(m[k].loss,
                                          dc_quality_effective_delay_ms(rtt_ms, m[k].jitter_ms));
            if (r < *audio_r)
                *audio_r = r;
        }
    }
    return score < 0 ? 0 : score;
}
