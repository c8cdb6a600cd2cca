/* tone: the synthetic microphone, a sine whose frequency names the site,
 * its detector, and the RFC 6464 audio level.
 *
 * Site index i (0..15) sends 300 + 100 i Hz (300..1800 Hz, inside the speech
 * band Opus codes best) at -20 dBFS peak (amplitude 3277), with phase
 * continuous across frames. The detector runs the Goertzel algorithm for
 * all 16 frequencies over a Hann-windowed stretch of decoded PCM.
 *
 * Pure: no clock, no I/O.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DC_TONE_SITES 16
#define DC_TONE_AMPLITUDE 3277 /* -20 dBFS peak */

typedef struct {
    double phase; /* cycles, in [0, 1) */
    double step;  /* cycles per sample */
    int site_index;
} dc_tone;

/* Frequency in Hz of a site index (0..15), or 0 when out of range. */
int dc_tone_frequency(int site_index);

/* Starts a generator for a site index at sample_rate Hz (normally 48000).
 * Returns 0 or -EINVAL. */
int dc_tone_init(dc_tone *t, int site_index, int sample_rate);

/* Writes the next samples (per channel) of the tone into pcm, the same value
 * in each of channels interleaved channels. */
void dc_tone_fill(dc_tone *t, int16_t *pcm, size_t samples, int channels);

typedef struct {
    int site_index;   /* strongest candidate */
    double snr_db;    /* its power over everything else in the window */
    double margin_db; /* its power over the second strongest candidate */
    double level_db;  /* window power in dB relative to a full-scale square
                       * (the -20 dBFS-peak site tone reads -23) */
} dc_tone_result;

/* Finds the dominant site tone in samples (per channel) of interleaved PCM
 * at sample_rate (channels are averaged). A window of 960 samples at
 * 48 kHz or more is recommended. Returns 0 with *res filled when a tone
 * stands out (snr_db >= 10 and margin_db >= 20), -ENODATA for silence
 * (below -60 dBFS), -EBADMSG when no single tone dominates (res still
 * filled), -EINVAL for bad arguments. */
int dc_tone_detect(const int16_t *pcm, size_t samples, int channels, int sample_rate,
                   dc_tone_result *res);

/* RFC 6464 audio level of a frame: its RMS in -dBov, 0 (loudest) to 127
 * (silence), where 0 dBov is the RMS of a full-scale square wave (as
 * libwebrtc computes it). */
uint8_t dc_tone_audio_level(const int16_t *pcm, size_t count);
