/* quality: a 0-100 link quality score per medium, four levels and an audio
 * MOS estimate, from loss, jitter, RTT and bitrate shortfall; smoothed so
 * that it falls fast and recovers slowly. docs/link-quality.md explains the
 * formula and every constant.
 *
 * Pure arithmetic, sans-IO, no allocation; dc_quality is a plain struct the
 * owner embeds and updates once per interval (the bridge: every second).
 * Every input is clamped (loss to 0..1, negative jitter/RTT/bitrate to 0),
 * so no input gives a score outside 0..100.
 */
#pragma once

#include <stdbool.h>

typedef enum {
    DC_QUALITY_LOST = 0, /* score <= 20 */
    DC_QUALITY_POOR,     /* 20 < score <= 40 */
    DC_QUALITY_GOOD,     /* 40 < score <= 80 */
    DC_QUALITY_EXCELLENT /* score > 80 */
} dc_quality_level;

typedef struct {
    bool video;          /* false: audio (E-model); true: video */
    double loss;         /* fraction of packets lost, 0..1 */
    double jitter_ms;    /* RFC 3550 interarrival jitter */
    double rtt_ms;       /* round-trip time; negative when unknown (taken as 0) */
    double expected_bps; /* what the stream should carry; 0: no bitrate term */
    double actual_bps;   /* what it carried */
} dc_quality_input;

/* Instantaneous score of one medium, 0..100. */
double dc_quality_score(const dc_quality_input *in);

/* One medium of one direction as the score sees it. */
typedef struct {
    double bitrate_1s;  /* bits per second over the last second */
    double bitrate_10s; /* over the last 10 s: what video is expected to carry */
    double loss;        /* 0..1 */
    double jitter_ms;
} dc_quality_medium;

/* The instantaneous score of one direction carrying audio (m[0]) and video
 * (m[1]): the worst medium that carried anything in the last second, 0 when
 * none did. When audio flowed, *audio_r is lowered to its E-model R (left
 * alone otherwise). rtt_ms < 0: unknown. The bridge (per site) and the
 * client (its own link) both score with this, so their views compare. */
double dc_quality_direction_score(const dc_quality_medium m[2], double rtt_ms, double *audio_r);

/* One-way delay the score charges for: RTT/2 + 2 x jitter (a jitter buffer
 * holds about twice the jitter), in ms. */
double dc_quality_effective_delay_ms(double rtt_ms, double jitter_ms);

/* E-model transmission rating R for audio (ITU-T G.107 simplified): 93.2
 * minus the delay impairment Id and the loss impairment Ie-eff. */
double dc_quality_audio_r(double loss, double delay_ms);

/* MOS from R (ITU-T G.107 annex B): 1 + 0.035R + 7e-6 R(R-60)(100-R),
 * 1.0 at or below R = 0, capped at 4.5. */
double dc_quality_mos(double r);

dc_quality_level dc_quality_level_of(double score);
/* "excellent", "good", "poor", "lost" (static strings). */
const char *dc_quality_level_name(dc_quality_level level);

/* Smoothed score: a fall is taken at 80 % per update, a rise at 20 %. */
#define DC_QUALITY_FALL_WEIGHT 0.8
#define DC_QUALITY_RISE_WEIGHT 0.2

typedef struct {
    bool started;
    double score; /* smoothed, 0..100 */
} dc_quality;

/* Starts with no score (the first update is taken as is). */
void dc_quality_init(dc_quality *q);

/* Feeds one instantaneous score (clamped to 0..100); returns the smoothed
 * one. */
double dc_quality_update(dc_quality *q, double instant);
