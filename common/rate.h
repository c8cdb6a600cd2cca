/* common/rate: a token bucket, the per-party rate limit of the servers.
 *
 * Sans-IO: the caller passes the time (microseconds, any monotonic origin)
 * and owns the struct; nothing is allocated. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    double per_s;  /* tokens added per second */
    double burst;  /* the most tokens held */
    double tokens; /* held now */
    int64_t last_us;
} dc_rate;

/* A full bucket at now_us: burst events at once, then per_s a second. */
void dc_rate_init(dc_rate *r, double per_s, double burst, int64_t now_us);

/* Takes one token at now_us: true when there was one (the event may go
 * ahead), false when the party is over its rate (nothing is taken). */
bool dc_rate_take(dc_rate *r, int64_t now_us);
