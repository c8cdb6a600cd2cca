/* rewrite: the per-output rewrite state of the router, pure arithmetic.
 *
 * An output carries one source stream to one receiver under a fixed SSRC.
 * The source may restart (a reconnect: new SSRC, new random sequence number,
 * timestamp and VP8 picture id); the output must not. dc_rewrite maps input
 * values to output values with offsets that are recomputed whenever the
 * source's epoch changes, so that the first packet of a new epoch continues
 * the output at sequence number last + 1, timestamp last + the elapsed wall
 * time in the media clock (at least 1), and picture id / TL0PICIDX last + 1.
 *
 * Plain struct, no allocation; one per output, owned by the router.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool started;      /* a packet has been mapped */
    uint32_t epoch;    /* the source epoch the offsets belong to */
    uint16_t seq_off;  /* out = in + seq_off (mod 2^16) */
    uint32_t ts_off;   /* out = in + ts_off (mod 2^32) */
    uint16_t last_seq; /* newest output sequence number */
    uint32_t last_ts;  /* output timestamp of that packet */
    int64_t last_us;   /* when it was mapped */

    bool pic_started;  /* a VP8 picture id has been mapped */
    bool pic_rebase;   /* the next picture id starts new offsets */
    uint16_t pic_off;  /* 15-bit arithmetic */
    uint16_t last_pic; /* newest output picture id (15 bits) */
    bool tl0_started;
    bool tl0_rebase;
    uint8_t tl0_off;
    uint8_t last_tl0;
} dc_rewrite;

/* Resets w to "never mapped": the first packet keeps its own values. */
void dc_rewrite_init(dc_rewrite *w);

/* Maps one packet of the source's epoch, received at now_us, and returns
 * its output sequence number and timestamp in *out_seq, *out_ts. When epoch
 * differs from the last one seen, new offsets are chosen first (see above;
 * clock_rate is the media clock in Hz, used only then). Late packets (older
 * than the newest) are mapped with the current offsets and do not move
 * last_*. Returns true when the offsets were just recomputed. */
bool dc_rewrite_map(dc_rewrite *w, uint32_t epoch, uint16_t in_seq, uint32_t in_ts,
                    uint32_t clock_rate, int64_t now_us, uint16_t *out_seq, uint32_t *out_ts);

/* Maps a VP8 picture id (15-bit arithmetic; callers writing a 7-bit field
 * keep the low 7 bits) after dc_rewrite_map() of the same packet. */
uint16_t dc_rewrite_picture_id(dc_rewrite *w, uint16_t in_pic);

/* Maps a VP8 TL0PICIDX after dc_rewrite_map() of the same packet. */
uint8_t dc_rewrite_tl0picidx(dc_rewrite *w, uint8_t in_tl0);

/* The output timestamp that corresponds to now_us by extrapolating from the
 * newest packet at clock_rate. Only meaningful once started. */
uint32_t dc_rewrite_ts_at(const dc_rewrite *w, uint32_t clock_rate, int64_t now_us);
