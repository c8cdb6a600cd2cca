/* seq: all 16-bit RTP sequence-number arithmetic lives here.
 *
 * Sequence numbers wrap at 65536; "newer" means ahead by less than half the
 * space (RFC 3550 appendix A.1). dc_seq_unwrapper extends them to 64 bits so
 * that callers can subtract and compare without thinking about wrap-around.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Signed distance from a to b in [-32768, 32767]: positive when b is newer. */
static inline int32_t dc_seq_delta(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(b - a);
}

/* True when b is strictly newer than a. */
static inline bool dc_seq_newer(uint16_t b, uint16_t a)
{
    return dc_seq_delta(a, b) > 0;
}

/* Extends 16-bit sequence numbers to monotone 64-bit values. The first value
 * seen maps to itself (plus 65536, so that a little reordering before it
 * stays non-negative). */
typedef struct {
    int64_t last; /* last extended value; valid when started */
    bool started;
} dc_seq_unwrapper;

void dc_seq_unwrapper_init(dc_seq_unwrapper *u);

/* Returns the 64-bit extension of seq, nearest to the last value seen.
 * Updates the reference only when seq is newer, so reordered packets do not
 * pull it back. */
int64_t dc_seq_unwrap(dc_seq_unwrapper *u, uint16_t seq);

/* Same idea for 32-bit RTP timestamps. */
typedef struct {
    int64_t last;
    bool started;
} dc_ts_unwrapper;

void dc_ts_unwrapper_init(dc_ts_unwrapper *u);
int64_t dc_ts_unwrap(dc_ts_unwrapper *u, uint32_t ts);
