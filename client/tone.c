/* tone: per-site test tone, Goertzel detector, RFC 6464 level (see tone.h). */
#include "client/tone.h"

#include <errno.h>
#include <math.h>

#define DETECT_MIN_SNR_DB 10.0
#define DETECT_MIN_MARGIN_DB 20.0
#define DETECT_SILENCE_DBFS -60.0

int dc_tone_frequency(int site_index)
{
    if (site_index < 0 || site_index >= DC_TONE_SITES)
        return 0;
    return 300 + 100 * site_index;
}

int dc_tone_init(dc_tone *t, int site_index, int sample_rate)
{
    int f = dc_tone_frequency(site_index);
    if (f == 0 || sample_rate < 8000 || sample_rate > 192000)
        return -EINVAL;
    t->phase = 0.0;
    t->step = (double)f / (double)sample_rate;
    t->site_index = site_index;
    return 0;
}

void dc_tone_fill(dc_tone *t, int16_t *pcm, size_t samples, int channels)
{
    for (size_t i = 0; i < samples; i++) {
        int16_t v = (int16_t)lrint(DC_TONE_AMPLITUDE * sin(2.0 * M_PI * t->phase));
        for (int c = 0; c < channels; c++)
            pcm[i * (size_t)channels + (size_t)c] = v;
        t->phase += t->step;
        if (t->phase >= 1.0)
            t->phase -= 1.0;
    }
}

static double to_db(double power_ratio)
{
    return 10.0 * log10(power_ratio > 1e-30 ? power_ratio : 1e-30);
}

int dc_tone_detect(const int16_t *pcm, size_t samples, int channels, int sample_rate,
                   dc_tone_result *res)
{
    if (!pcm || samples < 64 || channels < 1 || channels > 2 || sample_rate < 8000)
        return -EINVAL;
    double coeff[DC_TONE_SITES], s1[DC_TONE_SITES] = {0}, s2[DC_TONE_SITES] = {0};
    for (int k = 0; k < DC_TONE_SITES; k++)
        coeff[k] = 2.0 * cos(2.0 * M_PI * dc_tone_frequency(k) / sample_rate);

    /* Hann window: leakage between candidates 100 Hz apart stays far below
     * the detection margin for any window length. */
    double energy = 0.0, wsum = 0.0, wsum2 = 0.0;
    /* cos(i * step) by rotation: one multiply-add pair per sample instead of
     * a cos() call (this runs on every decoded audio frame checked). */
    const double step = 2.0 * M_PI / (double)(samples - 1);
    const double rc = cos(step), rs = sin(step);
    double wc = 1.0, ws = 0.0;
    for (size_t i = 0; i < samples; i++) {
        double x = 0.0;
        for (int c = 0; c < channels; c++)
            x += pcm[i * (size_t)channels + (size_t)c];
        x /= channels * 32768.0;
        double w = 0.5 - 0.5 * wc;
        double nc = wc * rc - ws * rs;
        ws = ws * rc + wc * rs;
        wc = nc;
        double xw = x * w;
        energy += xw * xw;
        wsum += w;
        wsum2 += w * w;
        for (int k = 0; k < DC_TONE_SITES; k++) {
            double s0 = xw + coeff[k] * s1[k] - s2[k];
            s2[k] = s1[k];
            s1[k] = s0;
        }
    }
    /* Goertzel power |X_k|^2; a windowed sine of amplitude A puts about
     * (A * sum(w) / 2)^2 there, and its windowed energy is about
     * A^2 * sum(w^2) / 2, so tone energy ~ 2 |X|^2 sum(w^2) / sum(w)^2. */
    double scale = 2.0 * wsum2 / (wsum * wsum);
    int best = 0, second = -1;
    double power[DC_TONE_SITES];
    for (int k = 0; k < DC_TONE_SITES; k++) {
        power[k] = (s1[k] * s1[k] + s2[k] * s2[k] - coeff[k] * s1[k] * s2[k]) * scale;
        if (power[k] > power[best])
            best = k;
    }
    for (int k = 0; k < DC_TONE_SITES; k++)
        if (k != best && (second < 0 || power[k] > power[second]))
            second = k;
    double tone = power[best] < energy ? power[best] : energy;
    res->site_index = best;
    res->level_db = to_db(energy / wsum2 * 1.0);
    res->snr_db = to_db(tone / (energy - tone + energy * 1e-9));
    res->margin_db = to_db(power[best] / (power[second] + 1e-30));
    if (res->level_db < DETECT_SILENCE_DBFS)
        return -ENODATA;
    if (res->snr_db < DETECT_MIN_SNR_DB || res->margin_db < DETECT_MIN_MARGIN_DB)
        return -EBADMSG;
    return 0;
}

uint8_t dc_tone_audio_level(const int16_t *pcm, size_t count)
{
    if (count == 0)
        return 127;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        sum += (double)pcm[i] * (double)pcm[i];
    double ms = sum / (double)count / (32768.0 * 32768.0);
    if (ms <= 0.0)
        return 127;
    long level = lrint(-10.0 * log10(ms));
    if (level < 0)
        level = 0;
    if (level > 127)
        level = 127;
    return (uint8_t)level;
}
